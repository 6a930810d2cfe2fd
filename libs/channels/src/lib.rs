//! Connected channels (Postiz calls them integrations): the provider catalogue, connect flows
//! (OAuth 2, OAuth 1.0a, credentials, between-steps page picking, `MIGRATE_PROVIDERS`),
//! channel management (enable, disable, delete, posting times, settings, customers) and token
//! handling (refresh before expiry, after a 401, and in a sweep).
//!
//! Tokens are stored sealed (`tokens_sealed` is the sealed JSON of the [`TokenSet`],
//! `custom_sealed` the provider's custom data such as Bluesky credentials) and never leave the
//! service except as a [`ChannelAuth`] handed to a provider.
//!
//! # Routes (Postiz paths, bodies and status codes)
//!
//! | route | session | answer |
//! |---|---|---|
//! | `GET /integrations` | none | 200 `{social:[...], article:[]}` |
//! | `GET /integrations/list` | member | 200 `{integrations:[...]}` |
//! | `GET /integrations/customers` | member | 200 `[customer]` |
//! | `GET /integrations/social/:integration?refresh&onboarding&redirectUrl` | channels | 200 `{url}` or `{err:true}` |
//! | `POST /integrations/social-connect/:integration` `{state,code,timezone}` | none (state) | 201 channel + `pages`, `onboarding`, `returnURL`; 409 `{msg}` when refused |
//! | `POST /integrations/provider/:id/connect` `{page}` | channels | 201 `{success:true}` |
//! | `POST /integrations/public/provider/:id/connect` `{state,page}` | none (state) | 201 `{success:true}` |
//! | `POST /integrations/function` `{id,name:"pages"\|"companies"}` | channels | 201 `[page]` |
//! | `POST /integrations/disable`, `/enable` `{id}` | channels | 201 empty |
//! | `DELETE /integrations` `{id}` | channels | 200 channel |
//! | `POST /integrations/:id/time` `{time:[{time}]}` | channels | 201 `{id}` |
//! | `POST /integrations/:id/settings` `{additionalSettings}` | channels | 201 empty |
//! | `PUT /integrations/:id/group` `{group}` | channels | 200 channel |
//! | `PUT /integrations/:id/customer-name` `{name}` | channels | 200 channel |
//!
//! Ids of another organization answer 404; invalid input 400 with nothing written.
//!
//! # For the publisher
//!
//! The publisher (and any background work acting for a channel) uses [`ChannelService`]:
//!
//! ```text
//! // Reading channels (no secrets):
//! async fn list(&self, org_id: &str) -> Result<Vec<Channel>, ChannelError>;
//! async fn find(&self, org_id: &str, channel_id: &str) -> Result<Option<Channel>, ChannelError>;
//! async fn get(&self, org_id: &str, channel_id: &str) -> Result<Channel, ChannelError>;
//! async fn find_by_id(&self, channel_id: &str) -> Result<Option<Channel>, ChannelError>;
//!
//! // Credentials to publish with, the token refreshed first when it expires within
//! // `ChannelConfig::refresh_margin` (5 minutes):
//! async fn channel_auth(&self, channel_id: &str)
//!     -> Result<(Arc<dyn Provider>, ChannelAuth), ChannelError>;
//! // Both from one read: the organization's channel and what `channel_auth` answers for it.
//! async fn channel_with_auth(&self, org_id: &str, channel_id: &str)
//!     -> Result<Option<ChannelWithAuth>, ChannelError>;
//! // After a provider call failed with `ProviderError::RefreshNeeded` (a 401):
//! async fn refresh_after_unauthorized(&self, channel_id: &str)
//!     -> Result<(Arc<dyn Provider>, ChannelAuth), ChannelError>;
//! // After a provider call failed with `ProviderError::Disconnected`:
//! async fn mark_disconnected(&self, channel_id: &str, reason: &str) -> Result<(), ChannelError>;
//! // For the job engine, periodically (Postiz refreshes what expires within a day):
//! async fn refresh_expiring(&self, within: Duration) -> Result<SweepReport, ChannelError>;
//! ```
//!
//! Errors from `channel_auth` and `refresh_after_unauthorized`:
//! - [`ChannelError::NotFound`]: the channel was deleted; drop the publication.
//! - [`ChannelError::Disabled`], [`ChannelError::InBetweenSteps`]: not publishable now
//!   (Postiz: "Channel disabled").
//! - [`ChannelError::RefreshNeeded`]: the refresh was refused; the channel is flagged
//!   `refreshNeeded` and the organization was notified (once) through the
//!   [`Notifier`](postiz_core::notify::Notifier). Fail the post ("Refresh channel needed").
//! - [`ChannelError::Provider`]: a failure that may pass (network down, rate limited): retry.
//!
//! `impl From<ChannelError> for ProviderError` maps these onto the provider error classes
//! (`RefreshNeeded` becomes `Disconnected`, internal failures `Transient`, the rest `Config`).
//!
//! Refreshes of one channel never race: one caller refreshes under a per-channel lock in the
//! cache (Redis when configured, so across processes) and the others wait and read the tokens
//! it stored; the write is a compare-and-set on the sealed tokens, so a refresh never
//! overwrites a reconnection made meanwhile. A refresh answer without a refresh token keeps
//! the stored one. Refresh failures that may pass (5xx, timeouts, 429) change nothing; only a
//! refusal flags the channel. Unlike Postiz, a failed refresh never sets `inBetweenSteps`: that
//! flag means "pick a page", which a token problem does not fix.
//!
//! # Deleting a channel
//!
//! `DELETE /integrations` soft-deletes the row and then calls every registered
//! [`ChannelHooks::channel_deleted`]; the application registers the posts module's hook there
//! (with [`ChannelService::register_hooks`]) to cancel the channel's pending posts, as Postiz
//! does in the controller.
//!
//! [`TokenSet`]: postiz_provider::TokenSet
//! [`ChannelAuth`]: postiz_provider::ChannelAuth

pub mod controller;
pub mod dto;
pub mod error;
pub mod hooks;
pub mod repository;
pub mod service;

pub use error::ChannelError;
pub use hooks::ChannelHooks;
pub use service::{
    AuthUrlOptions, Channel, ChannelConfig, ChannelService, ChannelWithAuth, ConnectInput,
    Connected, CustomerRef, SweepReport,
};

/// Mounts `/integrations`.
pub fn configure(cfg: &mut paperclip::actix::web::ServiceConfig) {
    controller::configure(cfg);
}
