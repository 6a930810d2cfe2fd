//! Bodies of `/posts` in Postiz's shape (`CreatePostDto`, the minified calendar and list).

use paperclip::actix::Apiv2Schema;
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::ports::MediaRef;

/// A reference to a channel.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct IdRef {
    #[validate(length(min = 1, max = 64))]
    pub id: String,
}

/// A tag attached by label (`{value, label}` as the dashboard sends it).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct TagRef {
    #[serde(default)]
    #[validate(length(max = 255))]
    pub value: String,
    #[validate(length(min = 1, max = 255))]
    pub label: String,
}

/// A media entry of a thread item.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct MediaInput {
    #[validate(length(min = 1, max = 64))]
    pub id: String,
    #[validate(length(min = 1, max = 2048))]
    pub path: String,
    #[serde(default)]
    #[validate(length(max = 1000))]
    pub alt: Option<String>,
    #[serde(default)]
    #[validate(length(max = 2048))]
    pub thumbnail: Option<String>,
    #[serde(default)]
    pub thumbnail_timestamp: Option<f64>,
}

impl From<&MediaInput> for MediaRef {
    fn from(m: &MediaInput) -> Self {
        MediaRef {
            id: m.id.clone(),
            path: m.path.clone(),
            alt: m.alt.clone().filter(|a| !a.is_empty()),
            thumbnail: m.thumbnail.clone().filter(|t| !t.is_empty()),
            thumbnail_timestamp: m.thumbnail_timestamp,
        }
    }
}

/// One item of a thread: the post itself, then replies/comments.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct PostValue {
    /// Editor HTML.
    #[validate(length(max = 200000))]
    pub content: String,
    /// The item's id when editing an existing post.
    #[serde(default)]
    #[validate(length(max = 64))]
    pub id: Option<String>,
    /// Minutes to wait after the previous item.
    #[serde(default)]
    #[validate(range(min = 0.0, max = 525600.0))]
    pub delay: Option<f64>,
    #[serde(default)]
    #[validate(length(max = 20), nested)]
    pub image: Vec<MediaInput>,
}

/// The post for one channel.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct PostEntry {
    #[validate(nested)]
    pub integration: IdRef,
    #[validate(length(min = 1, max = 100), nested)]
    pub value: Vec<PostValue>,
    /// The group being edited.
    #[serde(default)]
    #[validate(length(max = 64))]
    pub group: Option<String>,
    /// The provider's settings (`__type` is set by the server from the channel).
    #[serde(default)]
    pub settings: Option<serde_json::Value>,
}

/// `POST /posts` (Postiz `CreatePostDto`).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct CreatePostRequest {
    /// `draft`, `schedule`, `now` or `update`.
    #[serde(rename = "type")]
    #[validate(length(min = 1, max = 16))]
    pub kind: String,
    #[serde(default)]
    #[validate(length(max = 64))]
    pub order: Option<String>,
    #[serde(default)]
    pub short_link: bool,
    /// Repeat every N days.
    #[serde(default)]
    #[validate(range(min = 1, max = 365))]
    pub inter: Option<i32>,
    /// Publish an already published post again.
    #[serde(default)]
    pub republish: bool,
    /// IANA time zone of a repeating post (`Europe/Paris`): repeats keep their local time
    /// across DST changes. Without it, repeats are whole days of 24 hours.
    #[serde(default)]
    #[validate(length(max = 64))]
    pub timezone: Option<String>,
    /// When to publish (ISO 8601; without an offset it is UTC).
    #[validate(length(min = 1, max = 64))]
    pub date: String,
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    pub tags: Vec<TagRef>,
    #[validate(length(min = 1, max = 100), nested)]
    pub posts: Vec<PostEntry>,
}

/// One created post of `POST /posts`.
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedPost {
    pub post_id: String,
    /// The channel id.
    pub integration: String,
}

/// `POST /posts/valid`.
#[derive(Debug, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct ValidateRequest {
    #[serde(default)]
    #[validate(length(max = 100), nested)]
    pub posts: Vec<PostEntry>,
}

/// The verdict on one channel's post (Postiz `validatePosts`).
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct ValidationResult {
    pub id: String,
    pub identifier: String,
    pub name: String,
    /// The provider settings are valid.
    pub valid: bool,
    pub settings_error: String,
    /// `true`, or the media/settings rule that failed.
    pub errors: serde_json::Value,
    pub empty_content: bool,
    pub too_long: bool,
    pub maximum_characters: usize,
}

/// `GET /posts` query.
#[derive(Debug, Serialize, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct CalendarQuery {
    #[validate(length(min = 1, max = 64))]
    pub start_date: String,
    #[validate(length(min = 1, max = 64))]
    pub end_date: String,
    #[serde(default)]
    #[validate(length(max = 64))]
    pub customer: Option<String>,
    /// day, week or month (informational).
    #[serde(default)]
    #[validate(length(max = 16))]
    pub display: Option<String>,
}

/// `GET /posts/list` query.
#[derive(Debug, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct ListQuery {
    #[serde(default)]
    #[validate(range(min = 0, max = 100000))]
    pub page: Option<u64>,
    #[serde(default)]
    #[validate(range(min = 1, max = 100))]
    pub limit: Option<u64>,
    #[serde(default)]
    #[validate(length(max = 64))]
    pub customer: Option<String>,
    /// all, scheduled, draft or published.
    #[serde(default)]
    #[validate(length(max = 16))]
    pub state: Option<String>,
}

/// The channel of a calendar entry (`n`: `{i, pi, n, p}`).
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
pub struct MiniChannel {
    pub i: String,
    pub pi: String,
    pub n: String,
    pub p: Option<String>,
}

/// A tag of a calendar entry (`tg: [{t: {i, n, c, o, ca, ua, da}}]`).
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
pub struct MiniTagWrapper {
    pub t: MiniTag,
}

#[derive(Debug, Clone, Serialize, Apiv2Schema)]
pub struct MiniTag {
    pub i: String,
    pub n: String,
    pub c: String,
    pub o: String,
    pub ca: String,
    pub ua: String,
    pub da: Option<String>,
}

/// A calendar entry with Postiz's minified keys.
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
pub struct MiniPost {
    /// id
    pub i: String,
    /// content (HTML)
    pub c: String,
    /// publish date
    pub d: String,
    /// release URL
    pub u: Option<String>,
    /// release id
    pub ri: Option<String>,
    /// state
    pub s: String,
    /// group
    pub g: String,
    /// tags
    pub tg: Vec<MiniTagWrapper>,
    /// channel
    pub n: MiniChannel,
    /// repeat interval in days
    pub iv: Option<i32>,
    /// for repeated entries, the date of the post they repeat
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ad: Option<String>,
    /// creation method
    pub cm: String,
}

/// `GET /posts`: `{p: [...]}`.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CalendarResponse {
    pub p: Vec<MiniPost>,
}

/// `GET /posts/list`: `{p, t, pg, l, hm}`.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ListResponse {
    pub p: Vec<MiniPost>,
    /// total
    pub t: u64,
    /// page
    pub pg: u64,
    /// limit
    pub l: u64,
    /// has more
    pub hm: bool,
}

/// A tag as the editor reads it on a post (`tags: [{tag: {...}}]`).
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct PostTagView {
    pub tag: TagView,
}

#[derive(Debug, Clone, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct TagView {
    pub id: String,
    pub name: String,
    pub color: String,
}

/// One item of a post as the editor reads it.
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct PostItemView {
    pub id: String,
    pub group: String,
    pub state: String,
    pub publish_date: String,
    pub organization_id: String,
    pub integration_id: String,
    pub content: String,
    pub delay: i32,
    pub parent_post_id: Option<String>,
    pub release_id: Option<String>,
    #[serde(rename = "releaseURL")]
    pub release_url: Option<String>,
    /// The provider settings as a JSON string, as Postiz stores them.
    pub settings: String,
    pub image: Vec<MediaRef>,
    pub interval_in_days: Option<i32>,
    pub creation_method: String,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The channel, on preview items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration: Option<PreviewChannel>,
}

/// `GET /posts/:id` and `GET /posts/group/:group`.
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct PostGroupView {
    pub group: String,
    pub posts: Vec<PostItemView>,
    pub integration_picture: Option<String>,
    /// The channel id.
    pub integration: String,
    pub settings: serde_json::Value,
    pub tags: Vec<PostTagView>,
}

/// `PUT /posts/:id/date`.
#[derive(Debug, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct ChangeDateRequest {
    #[validate(length(min = 1, max = 64))]
    pub date: String,
    /// `update` (default: move the date only) or `schedule` (queue it again).
    #[serde(default)]
    #[validate(length(max = 16))]
    pub action: Option<String>,
    #[serde(default)]
    pub republish: bool,
}

#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeDateResponse {
    pub id: String,
    pub publish_date: String,
    pub state: String,
}

/// `GET /posts/find-slot`: the next free slot.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SlotResponse {
    /// `YYYY-MM-DDTHH:mm:00` in UTC, as Postiz answers.
    pub date: String,
}

/// `DELETE /posts/:group` answers Postiz's `{error: true}`.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct DeleteResponse {
    pub error: bool,
}

/// `POST /posts/:id/comments`.
#[derive(Debug, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct CommentRequest {
    #[validate(length(min = 1, max = 10000))]
    pub comment: String,
}

#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct CommentView {
    pub id: String,
    pub content: String,
    pub post_id: String,
    pub user_id: String,
    pub organization_id: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CommentsResponse {
    pub comments: Vec<CommentView>,
}

/// The channel of a preview item.
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct PreviewChannel {
    pub id: String,
    pub name: String,
    pub picture: Option<String>,
    pub provider_identifier: String,
    pub profile: Option<String>,
}
