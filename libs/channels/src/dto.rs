//! Request and response bodies in Postiz's JSON shape (`IntegrationsController`,
//! `NoAuthIntegrationsController`, `libraries/nestjs-libraries/src/dtos/integrations`). No
//! response carries a token, a secret or custom credentials.

use paperclip::actix::Apiv2Schema;
use postiz_core::ids::to_json_time;
use serde::{Deserialize, Serialize};
use validator::Validate;

// ---- catalogue: GET /integrations ----

/// `GET /integrations`: the providers a user can connect; `article` is always empty as in
/// Postiz (article networks are ordinary providers).
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CatalogueResponse {
    pub social: Vec<CatalogueItem>,
    pub article: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogueItem {
    pub name: String,
    pub identifier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_tip: Option<String>,
    /// `none`, `normal`, `markdown` or `html`.
    pub editor: String,
    /// Asks for an instance URL first (Postiz `externalUrl`).
    pub is_external: bool,
    pub is_web3: bool,
    pub is_chrome_extension: bool,
    /// Credential fields for networks connected with credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<Vec<CustomFieldDto>>,
}

/// A credential field shown by the dashboard.
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldDto {
    pub key: String,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    /// A JavaScript regular expression literal.
    pub validation: String,
    /// `text` or `password`.
    #[serde(rename = "type")]
    pub field_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

// ---- GET /integrations/list ----

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct IntegrationListResponse {
    pub integrations: Vec<IntegrationListItem>,
}

/// A channel as the dashboard's channel list reads it.
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationListItem {
    pub name: String,
    pub id: String,
    pub internal_id: String,
    pub disabled: bool,
    pub editor: String,
    pub strip_links: bool,
    /// The avatar URL, or `/no-picture.jpg`.
    pub picture: String,
    /// The provider identifier.
    pub identifier: String,
    pub in_between_steps: bool,
    pub refresh_needed: bool,
    pub is_custom_fields: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_fields: Option<Vec<CustomFieldDto>>,
    /// The account's handle.
    pub display: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    /// Preferred posting times, minutes after midnight UTC.
    pub time: Vec<PostingTime>,
    pub change_profile_picture: bool,
    pub change_nick_name: bool,
    pub customer: Option<CustomerRefDto>,
    /// The additional settings as a JSON string (`"[]"` when none).
    pub additional_settings: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct PostingTime {
    /// Minutes after midnight UTC; the dashboard may send values outside one day, which are
    /// kept as sent.
    #[validate(range(min = -1440, max = 2880))]
    pub time: i32,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CustomerRefDto {
    pub id: String,
    pub name: String,
}

// ---- GET /integrations/customers ----

/// A customer (client group), as Postiz returns the row.
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerDto {
    pub id: String,
    pub name: String,
    pub org_id: String,
    pub created_at: String,
    pub deleted_at: Option<String>,
}

// ---- the channel row (social-connect, group, customer-name, delete) ----

/// A channel row as Postiz returns it from updates, without `token`, `refreshToken` and
/// `customInstanceDetails`.
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationRow {
    pub id: String,
    pub internal_id: String,
    pub organization_id: String,
    pub name: String,
    pub picture: Option<String>,
    pub provider_identifier: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub token_expiration: Option<String>,
    pub disabled: bool,
    pub profile: Option<String>,
    pub in_between_steps: bool,
    pub refresh_needed: bool,
    /// JSON string of `[{"time": minutes}]`.
    pub posting_times: String,
    pub customer_id: Option<String>,
    pub root_internal_id: Option<String>,
    /// JSON string of the additional settings.
    pub additional_settings: String,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

// ---- GET /integrations/social/:integration ----

#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct AuthUrlQuery {
    /// The `internalId` of a channel to reconnect.
    #[serde(default)]
    pub refresh: Option<String>,
    /// Instance URL for providers that ask for one (none of the built-in providers do).
    #[serde(default)]
    pub external_url: Option<String>,
    /// Where the dashboard goes after connecting: a path, the dashboard's own URL or an app
    /// link; returned as `returnURL` by `social-connect`.
    #[serde(default)]
    pub redirect_url: Option<String>,
    /// `true` during onboarding.
    #[serde(default)]
    pub onboarding: Option<String>,
}

/// `{url}` to send the user to (for credential networks, the state itself), or `{err: true}`
/// when the network could not be reached, as Postiz answers.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct AuthUrlResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub err: Option<bool>,
}

// ---- POST /integrations/social-connect/:integration ----

/// Postiz `ConnectIntegrationDto`. The dashboard also spreads the callback's query parameters
/// into the body; unknown fields are ignored.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct ConnectRequest {
    /// The state the network sent back (for X, `oauth_token`).
    #[validate(length(min = 1, max = 512))]
    pub state: String,
    /// The authorization code (X: `oauth_verifier`; credential networks: base64 JSON of the
    /// custom fields).
    #[validate(length(min = 1, max = 16384))]
    pub code: String,
    /// The browser's UTC offset in minutes, as a string (`"120"`).
    #[serde(default)]
    pub timezone: Option<serde_json::Value>,
    /// Ignored: the channel to reconnect is the one named when the URL was built.
    #[serde(default)]
    pub refresh: Option<serde_json::Value>,
}

/// The connected channel (no secrets) plus what the dashboard needs next.
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectResponse {
    pub id: String,
    pub internal_id: String,
    pub organization_id: String,
    pub name: String,
    pub picture: Option<String>,
    pub provider_identifier: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub token_expiration: Option<String>,
    pub disabled: bool,
    pub profile: Option<String>,
    pub in_between_steps: bool,
    pub refresh_needed: bool,
    pub posting_times: String,
    pub customer_id: Option<String>,
    pub root_internal_id: Option<String>,
    pub additional_settings: String,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    pub onboarding: bool,
    /// Pages to pick from when `inBetweenSteps`.
    pub pages: Vec<PageDto>,
    #[serde(rename = "returnURL", skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

/// A page, company or account to pick (Postiz `pages()` / `companies()` items).
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct PageDto {
    pub id: String,
    /// The same id, under the names the dashboard's pickers read.
    pub page: String,
    pub page_id: String,
    pub name: String,
    pub username: String,
    pub picture: String,
}

// ---- POST /integrations/provider/:id/connect ----

/// The picked page. The dashboard sends `{page}` (LinkedIn, Facebook) or `{id}` / `{pageId}`
/// (other pickers), spread with the callback's parameters; unknown fields are ignored.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct SelectPageRequest {
    /// The state of the connection (required on the public route, ignored otherwise).
    #[serde(default)]
    #[validate(length(max = 512))]
    pub state: Option<String>,
    #[serde(default)]
    pub page: Option<serde_json::Value>,
    #[serde(default)]
    pub page_id: Option<serde_json::Value>,
    #[serde(default)]
    pub id: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SuccessResponse {
    pub success: bool,
}

// ---- POST /integrations/function ----

/// Postiz `IntegrationFunctionDto`. Only the page pickers (`pages`, `companies`) are served.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct FunctionRequest {
    #[validate(length(min = 1, max = 64))]
    pub name: String,
    #[validate(length(min = 1, max = 64))]
    pub id: String,
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}

// ---- disable / enable / delete ----

#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct ChannelIdRequest {
    #[validate(length(min = 1, max = 64))]
    pub id: String,
}

// ---- POST /integrations/:id/time ----

/// Postiz `IntegrationTimeDto`.
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct PostingTimesRequest {
    #[validate(length(max = 100), nested)]
    pub time: Vec<PostingTime>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct IdResponse {
    pub id: String,
}

// ---- POST /integrations/:id/settings ----

#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsRequest {
    /// The settings as a JSON string (`JSON.stringify` of an array).
    #[validate(length(max = 65536))]
    pub additional_settings: String,
}

// ---- PUT /integrations/:id/group and /customer-name ----

#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct GroupRequest {
    /// A customer id of the organization; empty or null removes the customer.
    #[serde(default)]
    #[validate(length(max = 64))]
    pub group: Option<String>,
}

#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct CustomerNameRequest {
    /// A customer name, created when new; empty or null removes the customer.
    #[serde(default)]
    #[validate(length(max = 255))]
    pub name: Option<String>,
}

impl From<crate::Channel> for IntegrationRow {
    fn from(c: crate::Channel) -> Self {
        let json = |v: &serde_json::Value| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        IntegrationRow {
            posting_times: json(&crate::service::posting_times_json(&c.posting_times)),
            additional_settings: json(&c.additional_settings),
            token_expiration: c.token_expires_at.as_ref().map(to_json_time),
            created_at: to_json_time(&c.created_at),
            updated_at: to_json_time(&c.updated_at),
            deleted_at: c.deleted_at.as_ref().map(to_json_time),
            id: c.id,
            internal_id: c.internal_id,
            organization_id: c.organization_id,
            name: c.name,
            picture: c.picture,
            provider_identifier: c.provider_identifier,
            kind: c.kind,
            disabled: c.disabled,
            profile: c.profile,
            in_between_steps: c.in_between_steps,
            refresh_needed: c.refresh_needed,
            customer_id: c.customer_id,
            root_internal_id: c.root_internal_id,
        }
    }
}
