//! Requests and responses in Postiz's JSON shape (`notifications.repository.ts`,
//! `dtos/webhooks/webhooks.dto.ts` and the Prisma rows Postiz answers with).

use paperclip::actix::Apiv2Schema;
use postiz_core::ids::to_json_time;
use postiz_entity::{notification, webhook};
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::repository::webhooks::ChannelRef;
use crate::service::webhooks::WebhookView;

fn not_blank(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        let mut e = ValidationError::new("blank");
        e.message = Some("must not be blank".into());
        return Err(e);
    }
    Ok(())
}

fn no_control_chars(value: &str) -> Result<(), ValidationError> {
    if value.chars().any(char::is_control) {
        let mut e = ValidationError::new("control");
        e.message = Some("must not contain control characters".into());
        return Err(e);
    }
    Ok(())
}

// ---- notifications ----

/// `GET /notifications`: unread notifications (the bell's badge).
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct NotificationsCount {
    pub total: u64,
}

/// One notification of the bell.
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationDto {
    pub id: String,
    /// HTML.
    pub content: String,
    pub link: Option<String>,
    pub created_at: String,
}

impl From<notification::Model> for NotificationDto {
    fn from(m: notification::Model) -> Self {
        Self {
            id: m.id,
            content: m.content,
            link: m.link,
            created_at: to_json_time(&m.created_at),
        }
    }
}

/// `GET /notifications/list`: the last 10, and when the user had last opened the list (the
/// dashboard highlights newer ones).
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationsList {
    pub notifications: Vec<NotificationDto>,
    pub last_read_notifications: String,
}

// ---- webhooks ----

/// A channel a webhook is limited to; other fields the dashboard sends along are ignored.
#[derive(Debug, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct IntegrationRef {
    #[validate(length(min = 1, max = 64), custom(function = "not_blank"))]
    pub id: String,
}

/// `POST /webhooks` (Postiz `WebhooksDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct CreateWebhookRequest {
    /// Ignored on creation (the dashboard sends it only on update).
    #[serde(default)]
    pub id: Option<String>,
    #[validate(
        length(min = 1, max = 255),
        custom(function = "not_blank"),
        custom(function = "no_control_chars")
    )]
    pub name: String,
    /// A public `http(s)` URL.
    #[validate(length(min = 1, max = 2048), custom(function = "not_blank"))]
    pub url: String,
    /// Channels whose posts are sent; empty means all channels.
    #[validate(length(max = 500), nested)]
    pub integrations: Vec<IntegrationRef>,
}

/// `PUT /webhooks` (Postiz `UpdateDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct UpdateWebhookRequest {
    #[validate(length(min = 1, max = 64), custom(function = "not_blank"))]
    pub id: String,
    #[validate(
        length(min = 1, max = 255),
        custom(function = "not_blank"),
        custom(function = "no_control_chars")
    )]
    pub name: String,
    #[validate(length(min = 1, max = 2048), custom(function = "not_blank"))]
    pub url: String,
    #[validate(length(max = 500), nested)]
    pub integrations: Vec<IntegrationRef>,
}

/// `POST /webhooks/send?url=`.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct SendQuery {
    #[validate(length(min = 1, max = 2048), custom(function = "not_blank"))]
    pub url: String,
}

/// A channel in a webhook (Postiz selects `{id, picture, name}`).
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookChannelDto {
    pub id: String,
    pub name: String,
    pub picture: Option<String>,
    pub provider_identifier: String,
}

/// `{integration: {...}}`, Postiz's join-row shape the dashboard reads.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct WebhookIntegrationDto {
    pub integration: WebhookChannelDto,
}

impl From<ChannelRef> for WebhookIntegrationDto {
    fn from(c: ChannelRef) -> Self {
        Self {
            integration: WebhookChannelDto {
                id: c.id,
                name: c.name,
                picture: c.picture,
                provider_identifier: c.provider_identifier,
            },
        }
    }
}

/// A webhook as Postiz answers it (the Prisma row with its integrations), plus the signing
/// secret.
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDto {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub url: String,
    /// Deliveries carry `X-Postiz-Signature: sha256=<hex HMAC-SHA256 of the body>` keyed with
    /// it. Absent in the answer of `DELETE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    pub integrations: Vec<WebhookIntegrationDto>,
}

impl WebhookDto {
    fn from_row(m: webhook::Model, secret: Option<String>, channels: Vec<ChannelRef>) -> Self {
        Self {
            id: m.id,
            organization_id: m.organization_id,
            name: m.name,
            url: m.url,
            secret,
            created_at: to_json_time(&m.created_at),
            updated_at: to_json_time(&m.updated_at),
            deleted_at: m.deleted_at.as_ref().map(to_json_time),
            integrations: channels.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<WebhookView> for WebhookDto {
    fn from(v: WebhookView) -> Self {
        Self::from_row(v.webhook, v.secret, v.channels)
    }
}

impl From<webhook::Model> for WebhookDto {
    fn from(m: webhook::Model) -> Self {
        Self::from_row(m, None, Vec::new())
    }
}

/// `POST /webhooks`: Postiz's `{id}`, plus the signing secret.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CreatedWebhookDto {
    pub id: String,
    pub secret: String,
}

/// `PUT /webhooks`: `{id}`.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct WebhookIdDto {
    pub id: String,
}

/// `POST /webhooks/send`: Postiz's `{send: true}`, plus the status the endpoint answered
/// (`null` when it did not answer).
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SendResponse {
    pub send: bool,
    pub status: Option<u16>,
}
