//! Channels through the public API: listing, customers, connecting, deleting, and what an
//! agent needs to write for a channel.

use paperclip::actix::{CreatedJson, api_v2_operation, web};
use postiz_channels::dto::IntegrationRow;
use postiz_channels::{AuthUrlOptions, ChannelError, ChannelService};
use postiz_core::http::{ValidatedJson, ValidatedQuery};
use postiz_core::{AppError, ErrorCode};
use postiz_provider::{Capabilities, ChannelAuth};

use crate::auth::{ApiKeyOrg, require_api_key};
use crate::dto::{
    AuthUrlResponse, ChannelsQuery, ConnectedResponse, GroupView, IntegrationSettings,
    IntegrationSettingsResponse, PublicChannel, SocialQuery, TriggerOutput, TriggerRequest,
};
use crate::error::ApiError;
use actix_web::middleware::from_fn;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/public/v1/is-connected")
            .route(web::get().to(is_connected))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/groups")
            .route(web::get().to(groups))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/integrations")
            .route(web::get().to(list))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/integrations/{id}")
            .route(web::delete().to(delete))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/integration-settings/{id}")
            .route(web::get().to(settings))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/integration-trigger/{id}")
            .route(web::post().to(trigger))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/social/{integration}")
            .route(web::get().to(auth_url))
            .wrap(from_fn(require_api_key)),
    );
}

/// Whether the API key works: `{connected: true}`.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn is_connected(_org: ApiKeyOrg) -> Result<web::Json<ConnectedResponse>, ApiError> {
    Ok(web::Json(ConnectedResponse { connected: true }))
}

/// The organization's customers (channel groups): `[{id, name}]`.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn groups(
    org: ApiKeyOrg,
    channels: web::Data<ChannelService>,
) -> Result<web::Json<Vec<GroupView>>, ApiError> {
    let list = channels.customers(org.org_id()).await?;
    Ok(web::Json(
        list.into_iter()
            .map(|c| GroupView {
                id: c.id,
                name: c.name,
            })
            .collect(),
    ))
}

/// The organization's channels: `[{id, name, identifier, picture, disabled, profile,
/// customer?}]`; `group` keeps those of one customer.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn list(
    org: ApiKeyOrg,
    channels: web::Data<ChannelService>,
    query: ValidatedQuery<ChannelsQuery>,
) -> Result<web::Json<Vec<PublicChannel>>, ApiError> {
    let group = query
        .group
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty());
    let list = channels.list(org.org_id()).await?;
    Ok(web::Json(
        list.into_iter()
            .filter(|c| group.is_none_or(|g| c.customer_id.as_deref() == Some(g)))
            .map(|c| PublicChannel {
                id: c.id,
                name: c.name,
                identifier: c.provider_identifier,
                picture: c.picture,
                disabled: c.disabled,
                profile: c.profile,
                customer: c.customer.map(|cu| GroupView {
                    id: cu.id,
                    name: cu.name,
                }),
            })
            .collect(),
    ))
}

/// Delete a channel (soft delete); its posts are deleted and their publications stop. Answers
/// the deleted channel without its tokens.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn delete(
    org: ApiKeyOrg,
    channels: web::Data<ChannelService>,
    path: web::Path<String>,
) -> Result<web::Json<IntegrationRow>, ApiError> {
    let deleted = channels.delete(org.org_id(), &path.into_inner()).await?;
    Ok(web::Json(IntegrationRow::from(deleted)))
}

/// The network's rules in words, from what the provider declares.
fn rules_of(caps: &Capabilities) -> String {
    let media = &caps.media;
    let mut rules = vec![format!(
        "Each item may carry up to {} images or {} videos{}.",
        media.max_images,
        media.max_videos,
        if media.allow_mixed { "" } else { ", not both" }
    )];
    if media.media_required {
        rules.push("The first item needs at least one image or video.".into());
    }
    if caps.supports_comments {
        if !media.media_in_comments {
            rules.push("Thread items after the first cannot carry media.".into());
        }
    } else {
        rules.push("Only the first item is published; thread items are not supported.".into());
    }
    if caps.strip_links {
        rules.push("Links are removed from the text.".into());
    }
    rules.join(" ")
}

/// What an agent needs to write for a channel: `{output: {rules, maxLength, settings,
/// tools}}`.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn settings(
    org: ApiKeyOrg,
    channels: web::Data<ChannelService>,
    path: web::Path<String>,
) -> Result<web::Json<IntegrationSettingsResponse>, ApiError> {
    let channel = channels
        .get(org.org_id(), &path.into_inner())
        .await
        .map_err(|e| match e {
            ChannelError::NotFound => ApiError::from(AppError::not_found("Integration not found")),
            other => ApiError::from(other),
        })?;
    let output = match channels.provider(&channel.provider_identifier) {
        None => IntegrationSettings {
            rules: String::new(),
            max_length: 0,
            settings: serde_json::json!({}),
            tools: Vec::new(),
        },
        Some(provider) => {
            let auth = ChannelAuth {
                internal_id: channel.internal_id.clone(),
                username: channel.profile.clone().unwrap_or_default(),
                additional_settings: channel.settings(),
                ..Default::default()
            };
            IntegrationSettings {
                rules: rules_of(provider.capabilities()),
                max_length: provider.max_length(&auth, &serde_json::json!({})),
                settings: serde_json::json!("No additional settings required"),
                tools: Vec::new(),
            }
        }
    };
    Ok(web::Json(IntegrationSettingsResponse { output }))
}

/// Call a provider tool (`{methodName, data}`). No provider of this build exposes tools, so
/// any method is 404 `Tool not found` (after the channel is found).
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn trigger(
    org: ApiKeyOrg,
    channels: web::Data<ChannelService>,
    path: web::Path<String>,
    _body: ValidatedJson<TriggerRequest>,
) -> Result<CreatedJson<TriggerOutput>, ApiError> {
    channels
        .get(org.org_id(), &path.into_inner())
        .await
        .map_err(|e| match e {
            ChannelError::NotFound => ApiError::from(AppError::not_found("Integration not found")),
            other => ApiError::from(other),
        })?;
    Err(AppError::not_found("Tool not found").into())
}

/// The URL to send a user to so they connect a network to this organization (`{url}`);
/// `refresh=<internalId>` reconnects that channel. The network's callback then goes through
/// the dashboard as usual.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all, fields(provider))]
async fn auth_url(
    org: ApiKeyOrg,
    channels: web::Data<ChannelService>,
    path: web::Path<String>,
    query: ValidatedQuery<SocialQuery>,
) -> Result<web::Json<AuthUrlResponse>, ApiError> {
    let identifier = path.into_inner();
    tracing::Span::current().record("provider", identifier.as_str());
    let options = AuthUrlOptions {
        refresh: query.into_inner().refresh,
        onboarding: false,
        redirect: None,
    };
    match channels.auth_url(org.org_id(), &identifier, options).await {
        Ok(url) => Ok(web::Json(AuthUrlResponse { url })),
        Err(ChannelError::Provider(e)) => {
            tracing::warn!(provider = %identifier, error = %e, "authorization URL failed");
            Err(AppError::new(ErrorCode::Internal, "Failed to generate auth URL").into())
        }
        Err(e) => Err(e.into()),
    }
}
