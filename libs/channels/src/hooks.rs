//! How other modules learn about channel events without the channels module depending on them.

use async_trait::async_trait;

/// Told about channel lifecycle events. The application registers implementations with
/// [`ChannelService::register_hooks`](crate::ChannelService::register_hooks) at startup.
///
/// The posts module implements [`channel_deleted`](ChannelHooks::channel_deleted) to cancel the
/// channel's pending posts (Postiz deletes them in `DELETE /integrations`).
#[async_trait]
pub trait ChannelHooks: Send + Sync {
    /// A channel was deleted (soft delete, committed). Called once per deletion, after the
    /// transaction, in the request that deleted it. Failures are logged and do not undo the
    /// deletion: the publisher must still treat a deleted channel as gone, which it does because
    /// [`ChannelService::channel_auth`](crate::ChannelService::channel_auth) answers
    /// [`ChannelError::NotFound`](crate::ChannelError::NotFound) for it.
    async fn channel_deleted(&self, organization_id: &str, channel_id: &str) -> anyhow::Result<()>;
}
