//! Bodies of `/public/v1` in Postiz's JSON shape (`public.integrations.controller.ts` and the
//! rows it returns), documented for OpenAPI.

use std::collections::BTreeMap;

use paperclip::actix::{Apiv2Schema, OperationModifier};
use paperclip::v2::models::{DataType, DefaultSchemaRaw};
use paperclip::v2::schema::Apiv2Schema as Apiv2SchemaTrait;
use postiz_posts::dto::posts::{PostEntry, PostValue, TagRef};
use serde::{Deserialize, Serialize};
use validator::Validate;

// ---- posts ----

/// `GET /public/v1/posts` (Postiz `GetPostsDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct PostsQuery {
    /// ISO 8601 start of the range.
    #[validate(length(min = 1, max = 64))]
    pub start_date: String,
    /// ISO 8601 end of the range (at most 366 days after the start).
    #[validate(length(min = 1, max = 64))]
    pub end_date: String,
    /// Only channels of this customer.
    #[serde(default)]
    #[validate(length(max = 64))]
    pub customer: Option<String>,
    /// Sent by the CLI; accepted and ignored (media are read with `GET /public/v1/posts/{id}`).
    #[serde(default)]
    #[validate(length(max = 16))]
    pub include_attachments: Option<String>,
}

/// A tag of a listed post (the Prisma `Tags` row).
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct PublicTag {
    pub id: String,
    pub name: String,
    pub color: String,
    pub org_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Apiv2Schema)]
pub struct PublicPostTag {
    pub tag: PublicTag,
}

/// The channel of a listed post.
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct PublicPostChannel {
    pub id: String,
    pub provider_identifier: String,
    pub name: String,
    pub picture: Option<String>,
}

/// A root post as `GET /public/v1/posts` lists it (not minified, unlike the dashboard's
/// calendar). Repeating posts appear once per occurrence, with `actualDate` the date of the
/// post they repeat.
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct PublicPost {
    pub id: String,
    /// Editor HTML.
    pub content: String,
    pub publish_date: String,
    #[serde(rename = "releaseURL")]
    pub release_url: Option<String>,
    pub release_id: Option<String>,
    /// QUEUE, PUBLISHED, ERROR or DRAFT.
    pub state: String,
    pub interval_in_days: Option<i32>,
    pub group: String,
    /// WEB, API, CLI, ...
    pub creation_method: String,
    /// The provider settings as a JSON string, as Postiz stores them.
    pub settings: String,
    pub tags: Vec<PublicPostTag>,
    pub integration: PublicPostChannel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_date: Option<String>,
}

/// `GET /public/v1/posts`: `{posts}`.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct PostsList {
    pub posts: Vec<PublicPost>,
}

/// The body of `POST /public/v1/posts`, for the documentation: Postiz's `CreatePostDto` (the
/// dashboard's body) plus `creationMethod`. Each post's `settings.__type` is set by the server
/// from the channel.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct CreatePostBody {
    /// `draft`, `schedule`, `now` or `update`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When to publish (ISO 8601; without an offset it is UTC).
    pub date: String,
    #[serde(default)]
    pub short_link: bool,
    #[serde(default)]
    pub tags: Vec<TagRef>,
    pub posts: Vec<PostEntry>,
    /// Repeat every N days.
    #[serde(default)]
    pub inter: Option<i32>,
    /// IANA time zone of a repeating post.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Publish an already published post again.
    #[serde(default)]
    pub republish: bool,
    /// `API` (default) or `CLI`, recorded on the posts.
    #[serde(default)]
    pub creation_method: Option<String>,
}

/// `PUT /public/v1/posts/{id}`: what to change in a post that is not published yet. Fields left
/// out keep their value; at least one is required.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePostRequest {
    /// New publish date (ISO 8601; without an offset it is UTC). A scheduled post is queued
    /// again for that time.
    #[serde(default)]
    #[validate(length(min = 1, max = 64))]
    pub date: Option<String>,
    /// New text (editor HTML) of the first item only; the thread's other items stay.
    #[serde(default)]
    #[validate(length(max = 200000))]
    pub content: Option<String>,
    /// The whole thread, replacing the current items: an item keeps its identity when it
    /// carries the `id` of one of the post's items; items left out are deleted.
    #[serde(default)]
    #[validate(length(min = 1, max = 100), nested)]
    pub value: Option<Vec<PostValue>>,
    /// Provider settings, merged into the current ones (only the keys given change).
    #[serde(default)]
    pub settings: Option<serde_json::Value>,
    /// Tags by name, replacing the current ones.
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    pub tags: Option<Vec<TagRef>>,
}

/// `PUT /public/v1/posts/{id}/settings` (Postiz `UpdatePostSettingsDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct UpdateSettingsRequest {
    /// Provider settings merged into the current ones; `__type` is set by the server.
    pub settings: serde_json::Value,
}

#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateSettingsResponse {
    pub post_id: String,
    /// `YYYY-MM-DDTHH:mm:ss`, UTC, as Postiz answers.
    pub publish_date: String,
}

/// `PUT /public/v1/posts/{id}/status` (Postiz `ChangePostStatusDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct ChangeStatusRequest {
    /// `draft` or `schedule`.
    #[validate(length(min = 1, max = 16))]
    pub status: String,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ChangeStatusResponse {
    pub id: String,
    /// DRAFT or QUEUE.
    pub state: String,
}

/// `PUT /public/v1/posts/{id}/release-id`.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseIdRequest {
    /// The network's id of the published content (a string or a number).
    #[serde(default)]
    pub release_id: Option<serde_json::Value>,
}

/// A candidate of `GET /public/v1/posts/{id}/missing`.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct MissingCandidate {
    pub id: String,
    pub url: String,
}

// ---- channels ----

/// `GET /public/v1/is-connected`.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ConnectedResponse {
    pub connected: bool,
}

/// A customer (`GET /public/v1/groups`, and a channel's `customer`).
#[derive(Debug, Clone, Serialize, Apiv2Schema)]
pub struct GroupView {
    pub id: String,
    pub name: String,
}

/// A channel as `GET /public/v1/integrations` lists it.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct PublicChannel {
    pub id: String,
    pub name: String,
    /// The provider (`x`, `linkedin-page`, `mastodon`, ...).
    pub identifier: String,
    pub picture: Option<String>,
    pub disabled: bool,
    pub profile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<GroupView>,
}

/// `GET /public/v1/integrations?group=`.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct ChannelsQuery {
    /// Only channels of this customer id.
    #[serde(default)]
    #[validate(length(max = 64))]
    pub group: Option<String>,
}

/// `GET /public/v1/social/{integration}?refresh=`.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct SocialQuery {
    /// The `internalId` of a channel to reconnect.
    #[serde(default)]
    #[validate(length(max = 255))]
    pub refresh: Option<String>,
}

/// `{url}`: where to send the user to authorize the network.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct AuthUrlResponse {
    pub url: String,
}

/// What an agent needs to write for a channel.
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationSettings {
    /// The network's rules, in words.
    pub rules: String,
    /// Longest text accepted, in the network's counting.
    pub max_length: usize,
    /// The provider settings' schema, or Postiz's "No additional settings required".
    pub settings: serde_json::Value,
    /// Provider tools callable with `integration-trigger` (none in this build).
    pub tools: Vec<serde_json::Value>,
}

/// `GET /public/v1/integration-settings/{id}`: `{output}`.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct IntegrationSettingsResponse {
    pub output: IntegrationSettings,
}

/// `POST /public/v1/integration-trigger/{id}`.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct TriggerRequest {
    #[validate(length(min = 1, max = 128))]
    pub method_name: String,
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}

/// What a provider tool answered: `{output}`.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct TriggerOutput {
    pub output: serde_json::Value,
}

// ---- notifications ----

/// `GET /public/v1/notifications?page=` (Postiz `GetNotificationsDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct NotificationsQuery {
    /// Page number from 0; 100 per page.
    #[serde(default)]
    #[validate(range(max = 1000000))]
    pub page: Option<u64>,
}

/// One page of notifications, newest first.
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationsPage {
    pub notifications: Vec<postiz_notifications::dto::NotificationDto>,
    pub total: u64,
    pub page: u64,
    pub limit: u64,
    pub has_more: bool,
}

// ---- media ----

/// `POST /public/v1/upload-from-url` (Postiz `UploadDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct UploadFromUrlRequest {
    /// An http(s) URL of an image or video on a public address; the format is detected from
    /// the content.
    #[validate(length(min = 1, max = 2048))]
    pub url: String,
}

// ---- analytics ----

/// `GET /public/v1/analytics/...?date=`.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct AnalyticsQuery {
    /// Days to look back (default 7).
    #[serde(default)]
    #[validate(length(max = 16))]
    pub date: Option<String>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct AnalyticsPointView {
    pub total: String,
    pub date: String,
}

/// One series (Postiz `AnalyticsData`).
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsSeriesView {
    pub label: String,
    pub data: Vec<AnalyticsPointView>,
    pub percentage_change: f64,
}

impl From<postiz_provider::AnalyticsSeries> for AnalyticsSeriesView {
    fn from(s: postiz_provider::AnalyticsSeries) -> Self {
        Self {
            label: s.label,
            data: s
                .data
                .into_iter()
                .map(|p| AnalyticsPointView {
                    total: p.total,
                    date: p.date,
                })
                .collect(),
            percentage_change: s.percentage_change,
        }
    }
}

/// A post's analytics: the series (an array), or `{missing: true}`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum PostAnalyticsResponse {
    Series(Vec<AnalyticsSeriesView>),
    Missing { missing: bool },
}

impl Apiv2SchemaTrait for PostAnalyticsResponse {
    fn name() -> Option<String> {
        Some("PostAnalyticsResponse".into())
    }
    fn raw_schema() -> DefaultSchemaRaw {
        let mut properties = BTreeMap::new();
        properties.insert(
            "missing".to_string(),
            Box::new(DefaultSchemaRaw {
                data_type: Some(DataType::Boolean),
                ..Default::default()
            }),
        );
        DefaultSchemaRaw {
            name: Self::name(),
            description: Some(
                "An array of series (as `GET /public/v1/analytics/{integration}`), or \
                 `{missing: true}` for a post whose release id was never recorded"
                    .into(),
            ),
            properties,
            ..Default::default()
        }
    }
}

impl OperationModifier for PostAnalyticsResponse {}
