//! What a provider can do, declared once and read by the channel catalogue, the post validator
//! and the publisher.

use serde::Serialize;

/// The format in which the provider wants post text (Postiz `editor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EditorFormat {
    /// No text editor (media-only networks).
    None,
    /// Plain text.
    Normal,
    Markdown,
    Html,
}

/// How a channel of this network gets connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFlow {
    /// OAuth 2 authorization code, optionally with PKCE.
    OAuth2 { pkce: bool },
    /// OAuth 1.0a three-legged flow (X).
    OAuth1a,
    /// The user types credentials into custom fields (app passwords, API keys).
    Credentials,
    /// A bot token held by the operator; the user links a chat or server.
    BotToken,
}

/// Input type of a custom credential field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Text,
    Password,
}

/// A credential field shown by the dashboard when connecting a credential-based network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomField {
    pub key: String,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    /// A JavaScript regular expression literal (`/^.+$/`), as the dashboard expects.
    pub validation: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Media accepted in one post item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRules {
    /// Most images in one item.
    pub max_images: usize,
    /// Most videos in one item.
    pub max_videos: usize,
    /// Whether images and videos may be mixed in one item.
    pub allow_mixed: bool,
    /// Whether at least one media file is required on the first item.
    pub media_required: bool,
    /// Whether thread items after the first may carry media.
    pub media_in_comments: bool,
}

impl MediaRules {
    /// Text networks that take up to four images or one video per item, as X and Bluesky do.
    pub const fn four_images_or_one_video() -> Self {
        Self {
            max_images: 4,
            max_videos: 1,
            allow_mixed: false,
            media_required: false,
            media_in_comments: true,
        }
    }
}

/// Everything static about a provider.
#[derive(Debug, Clone)]
pub struct Capabilities {
    /// Stable identifier used in routes and rows (`x`, `linkedin-page`).
    pub identifier: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Hint shown by the dashboard next to the network.
    pub tool_tip: Option<&'static str>,
    pub editor: EditorFormat,
    pub auth_flow: AuthFlow,
    /// OAuth scopes requested at connect time.
    pub scopes: Vec<String>,
    /// After authorization the user must pick a page, company or account.
    pub between_steps: bool,
    /// Thread items / first comments are supported (`comment`).
    pub supports_comments: bool,
    /// Publications may finish asynchronously and are then polled with `check_status`.
    pub async_processing: bool,
    /// Tokens expire and can be refreshed with `refresh`.
    pub refreshable: bool,
    /// Publications that may run at once for this network, across all workers (Postiz `maxConcurrentJob`).
    pub max_concurrent_jobs: u32,
    pub media: MediaRules,
    /// Credential fields for `AuthFlow::Credentials` networks.
    pub custom_fields: Vec<CustomField>,
    /// Posts are published as the web3 / bot-linked kind in the dashboard catalogue.
    pub is_web3: bool,
    /// Links are removed from posts on this network (Postiz `stripLinks`).
    pub strip_links: bool,
}
