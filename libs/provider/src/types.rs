//! The values that cross the Provider trait.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::media::MediaSource;

/// Tokens of one connected account. `Debug` never prints secrets.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    /// OAuth 1.0a token secret (X); empty for OAuth 2 networks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Lifetime of the access token from the moment it was issued; `None` when it does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<Duration>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field(
                "access_secret",
                &self.access_secret.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl TokenSet {
    /// Applies a refresh answer: a network that returns no new refresh token keeps the old one valid,
    /// so an empty one must never overwrite what we have.
    pub fn merged_after_refresh(&self, refreshed: TokenSet) -> TokenSet {
        let refresh_token = match refreshed.refresh_token {
            Some(t) if !t.is_empty() => Some(t),
            _ => self.refresh_token.clone(),
        };
        let access_secret = match refreshed.access_secret {
            Some(s) if !s.is_empty() => Some(s),
            _ => self.access_secret.clone(),
        };
        TokenSet {
            access_token: refreshed.access_token,
            access_secret,
            refresh_token,
            expires_in: refreshed.expires_in,
        }
    }
}

/// Where to send the user to authorize, and what to remember until they come back.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthUrl {
    pub url: String,
    /// Opaque value kept server-side with the state (PKCE verifier, OAuth 1.0a request token secret).
    pub code_verifier: String,
    /// The state that comes back with the callback.
    pub state: String,
}

impl fmt::Debug for AuthUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthUrl")
            .field("url", &self.url)
            .field("code_verifier", &"<redacted>")
            .field("state", &self.state)
            .finish()
    }
}

/// Parameters for building an authorization URL.
#[derive(Debug, Clone, Default)]
pub struct AuthUrlRequest {
    /// Where the network sends the user back (the dashboard's `/integrations/social/<identifier>`).
    pub redirect_uri: String,
}

/// What came back from the authorization step.
#[derive(Clone, Default)]
pub struct AuthenticateRequest {
    /// The authorization code (OAuth 2), the verifier (OAuth 1.0a), or base64 JSON of the
    /// custom fields (credential networks), exactly as the dashboard posts it.
    pub code: String,
    /// The value stored by `auth_url` for this state.
    pub code_verifier: String,
    pub redirect_uri: String,
}

impl fmt::Debug for AuthenticateRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticateRequest")
            .field("code", &"<redacted>")
            .field("code_verifier", &"<redacted>")
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// A per-channel setting the provider offers after connecting (X's "Verified" checkbox).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdditionalSetting {
    pub title: String,
    pub description: String,
    /// `checkbox`, `text` or `textarea`.
    #[serde(rename = "type")]
    pub setting_type: String,
    pub value: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
}

/// The account a connection resolved to. `Debug` never prints tokens or `custom`.
#[derive(Clone)]
pub struct AuthenticatedAccount {
    /// The account's id on the network; one channel per organization and id.
    pub id: String,
    pub name: String,
    pub username: String,
    pub picture: Option<String>,
    pub tokens: TokenSet,
    pub additional_settings: Vec<AdditionalSetting>,
    /// Data the provider needs later and must be kept sealed (credentials, instance URL).
    pub custom: Option<serde_json::Value>,
}

impl fmt::Debug for AuthenticatedAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticatedAccount")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("username", &self.username)
            .field("picture", &self.picture)
            .field("tokens", &self.tokens)
            .field("additional_settings", &self.additional_settings)
            .field("custom", &self.custom.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A page, company or account the user can pick after authorization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub picture: String,
}

/// What the provider needs to act for a connected channel. `Debug` never prints secrets.
#[derive(Clone, Default)]
pub struct ChannelAuth {
    /// The account's id on the network.
    pub internal_id: String,
    /// The account's handle on the network.
    pub username: String,
    pub tokens: TokenSet,
    /// Sealed provider data saved at connect time (`AuthenticatedAccount::custom`).
    pub custom: Option<serde_json::Value>,
    /// Per-channel settings chosen by the user (`AdditionalSetting` values).
    pub additional_settings: Vec<AdditionalSetting>,
}

impl fmt::Debug for ChannelAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelAuth")
            .field("internal_id", &self.internal_id)
            .field("username", &self.username)
            .field("tokens", &self.tokens)
            .field("custom", &self.custom.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl ChannelAuth {
    /// The boolean value of an additional setting by title, `false` when absent.
    pub fn setting_enabled(&self, title: &str) -> bool {
        self.additional_settings
            .iter()
            .find(|s| s.title.eq_ignore_ascii_case(title))
            .is_some_and(|s| match &s.value {
                serde_json::Value::Bool(b) => *b,
                serde_json::Value::String(s) => s == "true",
                _ => false,
            })
    }
}

/// Whether a media file is an image or a video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Video,
}

/// A media file attached to a post item.
#[derive(Clone)]
pub struct MediaItem {
    pub kind: MediaKind,
    /// MIME type sniffed at upload (`image/png`, `video/mp4`).
    pub mime_type: String,
    /// A URL from which the network itself may fetch the file (networks that pull media).
    pub url: String,
    pub alt: Option<String>,
    pub thumbnail_url: Option<String>,
    /// Where the provider reads the bytes from when it uploads them itself.
    pub source: Arc<dyn MediaSource>,
}

impl fmt::Debug for MediaItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaItem")
            .field("kind", &self.kind)
            .field("mime_type", &self.mime_type)
            .field("url", &self.url)
            .field("alt", &self.alt)
            .finish()
    }
}

/// One item of a post: the root post or a thread item / comment.
#[derive(Debug, Clone)]
pub struct PostItem {
    /// Our id of the row, for logs and idempotency.
    pub id: String,
    /// The text, already converted to the provider's editor format.
    pub message: String,
    pub media: Vec<MediaItem>,
    /// The provider's settings for the post (the `settings` object with `__type`).
    pub settings: serde_json::Value,
}

/// Identifies something already published, for replies and status checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedRef {
    /// The network's id of the published item.
    pub id: String,
    pub url: String,
}

/// The result of a publish, comment or status check.
#[derive(Debug, Clone, PartialEq)]
pub enum PublishOutcome {
    /// Live on the network.
    Published(PublishedRef),
    /// Accepted but still processing; poll `check_status` with this data.
    Pending { data: serde_json::Value },
}

impl PublishOutcome {
    pub fn published(id: impl Into<String>, url: impl Into<String>) -> Self {
        Self::Published(PublishedRef {
            id: id.into(),
            url: url.into(),
        })
    }
}

/// One analytics series (Postiz `AnalyticsData`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsSeries {
    pub label: String,
    pub data: Vec<AnalyticsPoint>,
    pub percentage_change: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyticsPoint {
    pub total: String,
    pub date: String,
}

/// A date range for analytics, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_without_new_refresh_token_keeps_the_old_one() {
        let stored = TokenSet {
            access_token: "old".into(),
            refresh_token: Some("keep-me".into()),
            ..Default::default()
        };
        let merged = stored.merged_after_refresh(TokenSet {
            access_token: "new".into(),
            refresh_token: Some(String::new()),
            expires_in: Some(Duration::from_secs(60)),
            ..Default::default()
        });
        assert_eq!(merged.access_token, "new");
        assert_eq!(merged.refresh_token.as_deref(), Some("keep-me"));
        assert_eq!(merged.expires_in, Some(Duration::from_secs(60)));
    }

    #[test]
    fn refresh_with_new_refresh_token_replaces_it() {
        let stored = TokenSet {
            access_token: "old".into(),
            refresh_token: Some("old-r".into()),
            ..Default::default()
        };
        let merged = stored.merged_after_refresh(TokenSet {
            access_token: "new".into(),
            refresh_token: Some("new-r".into()),
            ..Default::default()
        });
        assert_eq!(merged.refresh_token.as_deref(), Some("new-r"));
    }

    #[test]
    fn debug_redacts_tokens() {
        let t = TokenSet {
            access_token: "secret-value".into(),
            ..Default::default()
        };
        assert!(!format!("{t:?}").contains("secret-value"));
    }
}
