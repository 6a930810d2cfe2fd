//! What the posts module needs from other modules, as traits the application wires to their
//! services. Posts never reaches into another module's tables.

use std::sync::Arc;

use async_trait::async_trait;
use postiz_provider::{AdditionalSetting, ChannelAuth, MediaItem, Provider, ProviderError};
use serde::{Deserialize, Serialize};

/// A channel as posts sees it (no secrets).
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelView {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub picture: Option<String>,
    pub profile: Option<String>,
    pub provider_identifier: String,
    pub disabled: bool,
    pub refresh_needed: bool,
    pub in_between_steps: bool,
    /// Preferred posting times, minutes after midnight UTC.
    pub posting_times: Vec<i32>,
    pub customer_id: Option<String>,
    pub additional_settings: Vec<AdditionalSetting>,
}

/// What the calendar and the list view show of a channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelBadge {
    pub id: String,
    pub provider_identifier: String,
    pub name: String,
    pub picture: Option<String>,
    pub customer_id: Option<String>,
}

/// A channel and the means to publish on it.
pub struct PublishChannel {
    pub view: ChannelView,
    /// The provider and credentials, refreshed first when the token is about to expire.
    /// `Err` carries the class the publisher acts on (for example `RefreshNeeded` when the
    /// refresh failed and the channel now needs reconnecting, `Config` when the channel is
    /// disabled).
    pub auth: Result<(Arc<dyn Provider>, ChannelAuth), ProviderError>,
}

/// The channels module, as posts uses it.
#[async_trait]
pub trait Channels: Send + Sync {
    /// The organization's channels that are not deleted.
    async fn list(&self, org_id: &str) -> anyhow::Result<Vec<ChannelView>>;

    /// What views of posts show of the organization's channels that are not deleted.
    async fn badges(&self, org_id: &str) -> anyhow::Result<Vec<ChannelBadge>>;

    /// One channel of the organization, if it exists and is not deleted.
    async fn get(&self, org_id: &str, channel_id: &str) -> anyhow::Result<Option<ChannelView>>;

    /// One channel of the organization to publish with, from one read; `None` if it does not
    /// exist or is deleted.
    async fn for_publish(
        &self,
        org_id: &str,
        channel_id: &str,
    ) -> anyhow::Result<Option<PublishChannel>>;

    /// Refreshes the token after the network answered 401; a failed refresh marks the channel
    /// as needing reconnection and notifies the organization.
    async fn refresh_after_unauthorized(
        &self,
        channel_id: &str,
    ) -> Result<ChannelAuth, ProviderError>;

    /// The network says the authorization is gone: mark the channel for reconnection.
    async fn mark_disconnected(&self, channel_id: &str, reason: &str) -> anyhow::Result<()>;
}

/// A media file attached to a post, as stored in the post (Postiz's `image` entries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, paperclip::actix::Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct MediaRef {
    pub id: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_timestamp: Option<f64>,
}

/// The media module, as posts uses it: turns stored references into readable media.
#[async_trait]
pub trait MediaResolver: Send + Sync {
    /// Whether the reference points at media the organization may use (its library, or a URL
    /// it may fetch).
    async fn check(&self, org_id: &str, media: &MediaRef) -> Result<(), String>;

    /// The media the provider reads (streamed from storage, or fetched SSRF-safe by URL).
    async fn resolve(&self, org_id: &str, media: &MediaRef) -> Result<MediaItem, ProviderError>;
}

/// A published or failed post, as listeners (webhooks, notifications) receive it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostEvent {
    pub id: String,
    pub organization_id: String,
    pub group: String,
    pub content: String,
    pub publish_date: String,
    pub state: String,
    pub release_url: Option<String>,
    pub release_id: Option<String>,
    pub error: Option<String>,
    pub integration: PostEventChannel,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostEventChannel {
    pub id: String,
    pub name: String,
    pub provider_identifier: String,
    pub picture: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
}

/// Told after each publishing outcome (outgoing webhooks).
#[async_trait]
pub trait PostListener: Send + Sync {
    async fn published(&self, event: &PostEvent);
    async fn failed(&self, event: &PostEvent);
}
