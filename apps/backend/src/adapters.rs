//! Connects modules through the ports they declare, so no module depends on another's insides:
//! posts see channels and media through `postiz_posts::ports`, channels tell posts about deleted
//! channels through `postiz_channels::ChannelHooks`.

use async_trait::async_trait;
use postiz_channels::{Channel, ChannelHooks, ChannelService};
use postiz_media::MediaService;
use postiz_posts::ports::{
    ChannelBadge, ChannelView, Channels, MediaRef, MediaResolver, PublishChannel,
};
use postiz_posts::service::posts::PostsService;
use postiz_provider::{ChannelAuth, MediaItem, ProviderError};

/// The channels module as the posts module sees it.
pub struct ChannelsForPosts(pub ChannelService);

fn view(c: Channel) -> ChannelView {
    let additional_settings = c.settings();
    ChannelView {
        id: c.id,
        organization_id: c.organization_id,
        name: c.name,
        picture: c.picture,
        profile: c.profile,
        provider_identifier: c.provider_identifier,
        disabled: c.disabled,
        refresh_needed: c.refresh_needed,
        in_between_steps: c.in_between_steps,
        posting_times: c.posting_times,
        customer_id: c.customer_id,
        additional_settings,
    }
}

#[async_trait]
impl Channels for ChannelsForPosts {
    async fn list(&self, org_id: &str) -> anyhow::Result<Vec<ChannelView>> {
        Ok(self.0.list(org_id).await?.into_iter().map(view).collect())
    }

    async fn badges(&self, org_id: &str) -> anyhow::Result<Vec<ChannelBadge>> {
        Ok(self
            .0
            .list_badges(org_id)
            .await?
            .into_iter()
            .map(|c| ChannelBadge {
                id: c.id,
                provider_identifier: c.provider_identifier,
                name: c.name,
                picture: c.picture,
                customer_id: c.customer_id,
            })
            .collect())
    }

    async fn get(&self, org_id: &str, channel_id: &str) -> anyhow::Result<Option<ChannelView>> {
        Ok(self.0.find(org_id, channel_id).await?.map(view))
    }

    async fn for_publish(
        &self,
        org_id: &str,
        channel_id: &str,
    ) -> anyhow::Result<Option<PublishChannel>> {
        Ok(self
            .0
            .channel_with_auth(org_id, channel_id)
            .await?
            .map(|(channel, auth)| PublishChannel {
                view: view(channel),
                auth: auth.map_err(ProviderError::from),
            }))
    }

    async fn refresh_after_unauthorized(
        &self,
        channel_id: &str,
    ) -> Result<ChannelAuth, ProviderError> {
        self.0
            .refresh_after_unauthorized(channel_id)
            .await
            .map(|(_, auth)| auth)
            .map_err(ProviderError::from)
    }

    async fn mark_disconnected(&self, channel_id: &str, reason: &str) -> anyhow::Result<()> {
        Ok(self.0.mark_disconnected(channel_id, reason).await?)
    }
}

/// Deleting a channel deletes its posts, which stops their pending publications.
pub struct PostsOfDeletedChannels(pub PostsService);

#[async_trait]
impl ChannelHooks for PostsOfDeletedChannels {
    async fn channel_deleted(&self, organization_id: &str, channel_id: &str) -> anyhow::Result<()> {
        let deleted = self
            .0
            .delete_channel_posts(organization_id, channel_id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        tracing::info!(
            channel = channel_id,
            posts = deleted,
            "posts of a deleted channel deleted"
        );
        Ok(())
    }
}

/// The media module as the posts module sees it.
pub struct MediaForPosts(pub MediaService);

#[async_trait]
impl MediaResolver for MediaForPosts {
    async fn check(&self, org_id: &str, media: &MediaRef) -> Result<(), String> {
        self.0
            .check_reference(org_id, &media.id, &media.path)
            .await
            .map_err(|e| e.to_string())
    }

    async fn resolve(&self, org_id: &str, media: &MediaRef) -> Result<MediaItem, ProviderError> {
        let mut item = self
            .0
            .resolve_reference(org_id, &media.id, &media.path)
            .await
            .map_err(|e| e.into_provider_error())?;
        if let Some(alt) = media.alt.clone().filter(|a| !a.is_empty()) {
            item.alt = Some(alt);
        }
        if media.thumbnail.is_some() {
            item.thumbnail_url = media.thumbnail.clone();
        }
        Ok(item)
    }
}
