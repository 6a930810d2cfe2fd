//! The trait every social network implements.

use async_trait::async_trait;

use crate::capabilities::{Capabilities, MediaRules};
use crate::error::ProviderError;
use crate::types::{
    AnalyticsSeries, AuthUrl, AuthUrlRequest, AuthenticateRequest, AuthenticatedAccount,
    ChannelAuth, DateRange, MediaKind, Page, PostItem, PublishOutcome, PublishedRef, TokenSet,
};

/// What the validator knows about one post item when checking it against a provider's rules.
#[derive(Debug, Clone, Copy)]
pub struct MediaSummary {
    pub images: usize,
    pub videos: usize,
}

impl MediaSummary {
    pub fn of(kinds: impl IntoIterator<Item = MediaKind>) -> Self {
        let mut s = Self {
            images: 0,
            videos: 0,
        };
        for k in kinds {
            match k {
                MediaKind::Image => s.images += 1,
                MediaKind::Video => s.videos += 1,
            }
        }
        s
    }
}

/// A social network. Implementations are stateless apart from configuration and an HTTP client,
/// and are shared by every organization; everything per channel comes in [`ChannelAuth`].
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    fn capabilities(&self) -> &Capabilities;

    fn identifier(&self) -> &'static str {
        self.capabilities().identifier
    }

    /// Longest text accepted, in the network's own counting, for a channel (its additional
    /// settings, such as X's "Verified") and a post's settings (such as an X article).
    fn max_length(&self, channel: &ChannelAuth, settings: &serde_json::Value) -> usize;

    /// Length of a text as the network counts it (X weights URLs and CJK, Bluesky counts graphemes).
    fn text_length(&self, text: &str) -> usize {
        text.chars().count()
    }

    /// Checks the media of each item (root first) and the provider settings; the error is a
    /// sentence for the user naming the rule. The default applies [`Capabilities::media`].
    fn validate(
        &self,
        items: &[MediaSummary],
        _settings: &serde_json::Value,
    ) -> Result<(), String> {
        validate_media_rules(&self.capabilities().media, items)
    }

    /// Builds the URL to send the user to. Credential networks return a URL that is just the
    /// state, as Postiz does; the dashboard then posts the fields to `social-connect`.
    async fn auth_url(&self, request: AuthUrlRequest) -> Result<AuthUrl, ProviderError>;

    /// Finishes the connection and resolves the account.
    async fn authenticate(
        &self,
        request: AuthenticateRequest,
    ) -> Result<AuthenticatedAccount, ProviderError>;

    /// Exchanges the refresh token for new tokens. Networks whose tokens do not expire return
    /// the tokens they were given.
    async fn refresh(&self, channel: &ChannelAuth) -> Result<TokenSet, ProviderError>;

    /// Pages, companies or accounts the user can pick after authorization (`between_steps`).
    async fn list_pages(&self, _channel: &ChannelAuth) -> Result<Vec<Page>, ProviderError> {
        Err(ProviderError::Unsupported("page listing"))
    }

    /// Resolves the account of a picked page (Postiz `fetchPageInformation`); its tokens replace
    /// the user's tokens for that channel.
    async fn select_page(
        &self,
        _channel: &ChannelAuth,
        _page_id: &str,
    ) -> Result<AuthenticatedAccount, ProviderError> {
        Err(ProviderError::Unsupported("page selection"))
    }

    /// Publishes the root item of a post.
    async fn publish(
        &self,
        channel: &ChannelAuth,
        item: &PostItem,
    ) -> Result<PublishOutcome, ProviderError>;

    /// Publishes a thread item or comment in reply to `parent` (the previous item published);
    /// `root` is the first item of the thread.
    async fn comment(
        &self,
        _channel: &ChannelAuth,
        _root: &PublishedRef,
        _parent: &PublishedRef,
        _item: &PostItem,
    ) -> Result<PublishOutcome, ProviderError> {
        Err(ProviderError::Unsupported("comments"))
    }

    /// Polls a publication that answered [`PublishOutcome::Pending`].
    async fn check_status(
        &self,
        _channel: &ChannelAuth,
        _pending: &serde_json::Value,
    ) -> Result<PublishOutcome, ProviderError> {
        Err(ProviderError::Unsupported("status checks"))
    }

    /// Channel analytics for a date range.
    async fn analytics(
        &self,
        _channel: &ChannelAuth,
        _range: DateRange,
    ) -> Result<Vec<AnalyticsSeries>, ProviderError> {
        Err(ProviderError::Unsupported("analytics"))
    }
}

/// The default media check against declared rules.
pub fn validate_media_rules(rules: &MediaRules, items: &[MediaSummary]) -> Result<(), String> {
    for (index, item) in items.iter().enumerate() {
        let position = if index == 0 {
            "The post".to_string()
        } else {
            format!("Thread item {}", index + 1)
        };
        if index == 0 && rules.media_required && item.images + item.videos == 0 {
            return Err(format!("{position} needs at least one image or video"));
        }
        if index > 0 && !rules.media_in_comments && item.images + item.videos > 0 {
            return Err(format!("{position} cannot carry media on this network"));
        }
        if item.images > rules.max_images {
            return Err(format!(
                "{position} has {} images; at most {} are allowed",
                item.images, rules.max_images
            ));
        }
        if item.videos > rules.max_videos {
            return Err(format!(
                "{position} has {} videos; at most {} allowed",
                item.videos, rules.max_videos
            ));
        }
        if !rules.allow_mixed && item.images > 0 && item.videos > 0 {
            return Err(format!("{position} cannot mix images and videos"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_rules() {
        let rules = MediaRules::four_images_or_one_video();
        let ok = [MediaSummary {
            images: 4,
            videos: 0,
        }];
        assert!(validate_media_rules(&rules, &ok).is_ok());
        let too_many = [MediaSummary {
            images: 5,
            videos: 0,
        }];
        assert!(validate_media_rules(&rules, &too_many).is_err());
        let mixed = [MediaSummary {
            images: 1,
            videos: 1,
        }];
        assert!(
            validate_media_rules(&rules, &mixed)
                .err()
                .is_some_and(|e| e.contains("mix"))
        );
    }
}
