//! Analytics as Postiz's public API answers them: a channel's series from its provider's
//! optional `analytics` (an empty array when the provider has none or the network fails), and a
//! post's (no provider of this build reads per-post statistics).

use std::time::Duration;

use chrono::Utc;
use postiz_channels::{ChannelError, ChannelService};
use postiz_core::cache::Cache;
use postiz_posts::PostsError;
use postiz_posts::service::posts::PostsService;
use postiz_provider::{AnalyticsSeries, DateRange, ProviderError};

/// How long a channel's non-empty analytics are kept (Postiz caches them for an hour).
pub const CACHE_TTL: Duration = Duration::from_secs(3600);
/// Longest look-back, in days.
pub const MAX_DAYS: u32 = 366;

/// A post's analytics: the series, or Postiz's `{missing: true}` for a post whose release id
/// was never recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum PostAnalytics {
    Series(Vec<AnalyticsSeries>),
    Missing,
}

/// The channel's analytics over the last `days` days. Another organization's channel is
/// [`ChannelError::NotFound`]; a provider without analytics, a disabled channel or a network
/// failure give an empty list, as Postiz answers.
pub async fn channel(
    channels: &ChannelService,
    cache: &dyn Cache,
    org_id: &str,
    channel_id: &str,
    days: u32,
) -> Result<Vec<AnalyticsSeries>, ChannelError> {
    let channel = channels.get(org_id, channel_id).await?;
    if channel.kind != "social" {
        return Ok(Vec::new());
    }
    let key = format!("public-api:analytics:{org_id}:{channel_id}:{days}");
    if let Ok(Some(raw)) = cache.get(&key).await
        && let Ok(series) = serde_json::from_str::<Vec<AnalyticsSeries>>(&raw)
    {
        return Ok(series);
    }
    let to = Utc::now();
    let range = DateRange {
        from: to - chrono::Duration::days(i64::from(days)),
        to,
    };
    let (provider, auth) = match channels.channel_auth(channel_id).await {
        Ok(found) => found,
        Err(ChannelError::NotFound) => return Err(ChannelError::NotFound),
        Err(e) => {
            tracing::debug!(channel = channel_id, error = %e, "no analytics: channel not usable");
            return Ok(Vec::new());
        }
    };
    let series = match provider.analytics(&auth, range).await {
        Ok(series) => series,
        Err(ProviderError::RefreshNeeded(_)) => {
            match channels.refresh_after_unauthorized(channel_id).await {
                Ok((provider, auth)) => provider.analytics(&auth, range).await.unwrap_or_default(),
                Err(_) => Vec::new(),
            }
        }
        Err(ProviderError::Unsupported(_)) => Vec::new(),
        Err(e) => {
            tracing::info!(channel = channel_id, class = e.class(), error = %e, "analytics failed");
            Vec::new()
        }
    };
    if !series.is_empty()
        && let Ok(raw) = serde_json::to_string(&series)
        && let Err(e) = cache.set(&key, &raw, CACHE_TTL).await
    {
        tracing::warn!(error = %e, "analytics not cached");
    }
    Ok(series)
}

/// A post's analytics (any item of a thread, by id). Another organization's post is
/// [`PostsError::NotFound`].
pub async fn post(
    posts: &PostsService,
    org_id: &str,
    post_id: &str,
) -> Result<PostAnalytics, PostsError> {
    let view = posts.get(org_id, post_id).await?;
    let item = view
        .posts
        .iter()
        .find(|p| p.id == post_id)
        .ok_or(PostsError::NotFound("Post not found"))?;
    Ok(match item.release_id.as_deref() {
        Some("missing") => PostAnalytics::Missing,
        // Published or not, no provider of this build reads per-post statistics.
        _ => PostAnalytics::Series(Vec::new()),
    })
}
