//! `/notifications`: the dashboard's bell (Postiz `NotificationsController`). Any member.

use paperclip::actix::{api_v2_operation, web};
use postiz_auth::OrgContext;
use postiz_core::AppError;
use postiz_core::ids::to_json_time;

use crate::dto::{NotificationDto, NotificationsCount, NotificationsList};
use crate::service::notifications::NotificationService;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/notifications").route(web::get().to(count)))
        .service(web::resource("/notifications/list").route(web::get().to(list)));
}

/// `{total}`: the organization's notifications newer than the user last opened the list.
#[api_v2_operation(tags(Notifications))]
#[tracing::instrument(skip_all)]
async fn count(
    org: OrgContext,
    service: web::Data<NotificationService>,
) -> Result<web::Json<NotificationsCount>, AppError> {
    let total = service.unread_count(org.org_id(), org.user_id()).await?;
    Ok(web::Json(NotificationsCount { total }))
}

/// The last 10 notifications, newest first, with `lastReadNotifications` (the previous
/// value); marks them read.
#[api_v2_operation(tags(Notifications))]
#[tracing::instrument(skip_all)]
async fn list(
    org: OrgContext,
    service: web::Data<NotificationService>,
) -> Result<web::Json<NotificationsList>, AppError> {
    let list = service
        .list_and_mark_read(org.org_id(), org.user_id())
        .await?;
    Ok(web::Json(NotificationsList {
        notifications: list
            .notifications
            .into_iter()
            .map(NotificationDto::from)
            .collect(),
        last_read_notifications: to_json_time(&list.last_read),
    }))
}
