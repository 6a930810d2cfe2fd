//! Notifications and analytics through the public API.

use paperclip::actix::{api_v2_operation, web};
use postiz_channels::ChannelService;
use postiz_core::AppError;
use postiz_core::http::ValidatedQuery;
use postiz_notifications::NotificationService;
use postiz_notifications::dto::NotificationDto;
use postiz_posts::service::posts::PostsService;

use crate::auth::{ApiKeyOrg, require_api_key};
use crate::dto::{
    AnalyticsQuery, AnalyticsSeriesView, NotificationsPage, NotificationsQuery,
    PostAnalyticsResponse,
};
use crate::error::ApiError;
use crate::service::PublicApi;
use crate::service::analytics::{self, MAX_DAYS, PostAnalytics};
use actix_web::middleware::from_fn;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/public/v1/notifications")
            .route(web::get().to(notifications))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/analytics/post/{post_id}")
            .route(web::get().to(post_analytics))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/analytics/{integration}")
            .route(web::get().to(channel_analytics))
            .wrap(from_fn(require_api_key)),
    );
}

/// The organization's notifications, newest first, 100 per page from page 0:
/// `{notifications: [{id, content, link, createdAt}], total, page, limit, hasMore}`. Reading
/// them does not mark them read for the dashboard's users.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn notifications(
    org: ApiKeyOrg,
    service: web::Data<NotificationService>,
    query: ValidatedQuery<NotificationsQuery>,
) -> Result<web::Json<NotificationsPage>, ApiError> {
    let page = service.page(org.org_id(), query.page.unwrap_or(0)).await?;
    Ok(web::Json(NotificationsPage {
        notifications: page
            .notifications
            .into_iter()
            .map(NotificationDto::from)
            .collect(),
        total: page.total,
        page: page.page,
        limit: page.limit,
        has_more: page.has_more,
    }))
}

/// `date` as a number of days (Postiz's CLI sends `7` by default).
fn days_of(query: &AnalyticsQuery) -> Result<u32, ApiError> {
    match query.date.as_deref().map(str::trim) {
        None | Some("") => Ok(7),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .ok_or_else(|| {
                AppError::validation(vec![format!(
                    "date must be a number of days between 1 and {MAX_DAYS}"
                )])
                .into()
            }),
    }
}

/// A channel's analytics over the last `date` days (default 7): `[{label, data: [{total,
/// date}], percentageChange}]`. An empty array when the network offers none (as Postiz).
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn channel_analytics(
    org: ApiKeyOrg,
    api: web::Data<PublicApi>,
    channels: web::Data<ChannelService>,
    path: web::Path<String>,
    query: ValidatedQuery<AnalyticsQuery>,
) -> Result<web::Json<Vec<AnalyticsSeriesView>>, ApiError> {
    let days = days_of(&query)?;
    let series = analytics::channel(
        &channels,
        api.cache.as_ref(),
        org.org_id(),
        &path.into_inner(),
        days,
    )
    .await?;
    Ok(web::Json(
        series.into_iter().map(AnalyticsSeriesView::from).collect(),
    ))
}

/// A post's analytics over the last `date` days: an array of series (empty: no network of this
/// build reports per-post statistics), or `{missing: true}` when the post's release id was
/// never recorded.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn post_analytics(
    org: ApiKeyOrg,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
    query: ValidatedQuery<AnalyticsQuery>,
) -> Result<web::Json<PostAnalyticsResponse>, ApiError> {
    days_of(&query)?;
    Ok(web::Json(
        match analytics::post(&posts, org.org_id(), &path.into_inner()).await? {
            PostAnalytics::Missing => PostAnalyticsResponse::Missing { missing: true },
            PostAnalytics::Series(series) => PostAnalyticsResponse::Series(
                series.into_iter().map(AnalyticsSeriesView::from).collect(),
            ),
        },
    ))
}
