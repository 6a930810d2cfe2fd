//! Request and response bodies in Postiz's JSON shape (`libraries/nestjs-libraries/src/dtos`).

use paperclip::actix::Apiv2Schema;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

fn default_provider() -> String {
    "LOCAL".into()
}

/// `POST /auth/register` (Postiz `CreateOrgUserDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    #[validate(email, length(max = 320))]
    pub email: String,
    #[validate(length(min = 3, max = 64))]
    pub password: String,
    /// The organization's name.
    #[validate(length(min = 3, max = 128))]
    pub company: String,
    /// `LOCAL` (e-mail and password); OAuth login providers are not enabled on this server.
    #[serde(default = "default_provider")]
    #[validate(length(max = 32))]
    pub provider: String,
    #[serde(default)]
    #[validate(length(max = 4096))]
    pub provider_token: Option<String>,
    #[serde(default, rename = "datafast_visitor_id")]
    #[validate(length(max = 256))]
    pub datafast_visitor_id: Option<String>,
}

/// `POST /auth/login` (Postiz `LoginUserDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    #[validate(email, length(max = 320))]
    pub email: String,
    #[validate(length(min = 3, max = 1024))]
    pub password: String,
    #[serde(default = "default_provider")]
    #[validate(length(max = 32))]
    pub provider: String,
    #[serde(default)]
    #[validate(length(max = 4096))]
    pub provider_token: Option<String>,
    #[serde(default, rename = "datafast_visitor_id")]
    #[validate(length(max = 256))]
    pub datafast_visitor_id: Option<String>,
}

#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct EmailRequest {
    #[validate(email, length(max = 320))]
    pub email: String,
}

/// `POST /auth/forgot-return` (Postiz `ForgotReturnPasswordDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
#[validate(schema(function = "passwords_match"))]
pub struct ForgotReturnRequest {
    #[validate(length(min = 3, max = 64))]
    pub password: String,
    #[validate(length(max = 64))]
    pub repeat_password: String,
    #[validate(length(min = 5, max = 512))]
    pub token: String,
}

fn passwords_match(r: &ForgotReturnRequest) -> Result<(), ValidationError> {
    if r.password == r.repeat_password {
        Ok(())
    } else {
        let mut e = ValidationError::new("match");
        e.message = Some("Passwords do not match".into());
        Err(e)
    }
}

#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct ActivateRequest {
    #[validate(length(min = 1, max = 512))]
    pub code: String,
    #[serde(default, rename = "datafast_visitor_id")]
    #[validate(length(max = 256))]
    pub datafast_visitor_id: Option<String>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct CanRegisterResponse {
    pub register: bool,
}

/// `{register: true}` when signed up, or `{activate: true}` when an activation e-mail was sent.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct RegisterResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activate: Option<bool>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct LoginResponse {
    pub login: bool,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ForgotResponse {
    pub forgot: bool,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ResetResponse {
    pub reset: bool,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ActivateResponse {
    pub can: bool,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ResendActivationResponse {
    pub success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A stored picture reference.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct PictureDto {
    #[validate(length(min = 1, max = 64))]
    pub id: String,
    #[validate(length(min = 1, max = 2048))]
    pub path: String,
}

/// `POST /user/personal` (Postiz `UserDetailDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct PersonalRequest {
    #[validate(length(min = 3, max = 255))]
    pub fullname: String,
    #[serde(default)]
    #[validate(length(max = 2000))]
    pub bio: Option<String>,
    #[serde(default)]
    #[validate(nested)]
    pub picture: Option<PictureDto>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct PersonalResponse {
    pub id: String,
    pub name: Option<String>,
    pub bio: Option<String>,
    pub picture: Option<PictureDto>,
}

/// `GET|POST /user/email-notifications` (Postiz `EmailNotificationsDto`).
#[derive(Debug, Serialize, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct EmailNotificationsDto {
    pub send_success_emails: bool,
    pub send_failure_emails: bool,
    pub send_streak_emails: bool,
}

/// `GET /user/self`: the user row plus what the dashboard reads about the organization.
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct SelfResponse {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
    pub picture_id: Option<String>,
    pub provider_name: String,
    pub timezone: i32,
    pub activated: bool,
    pub is_super_admin: bool,
    pub send_success_emails: bool,
    pub send_failure_emails: bool,
    pub send_streak_emails: bool,
    pub last_read_notifications: String,
    pub created_at: String,
    pub updated_at: String,
    pub org_id: String,
    /// Channels the plan allows (10000 without billing, as Postiz).
    pub total_channels: u32,
    /// Plan tier (ULTIMATE without billing, as Postiz).
    pub tier: String,
    /// Role in the current organization: SUPERADMIN, ADMIN or USER.
    pub role: String,
    pub is_lifetime: bool,
    /// Platform operator.
    pub admin: bool,
    pub impersonate: bool,
    pub is_trailing: bool,
    pub allow_trial: bool,
    pub streak_since: Option<String>,
    /// The organization's public API key; empty unless the role is ADMIN or SUPERADMIN.
    pub public_api: String,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct MembershipSummary {
    pub role: String,
    pub disabled: bool,
}

/// One entry of `GET /user/organizations`.
#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationResponse {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: String,
    /// The caller's membership (one entry, as Postiz).
    pub users: Vec<MembershipSummary>,
}

#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct ChangeOrgRequest {
    #[validate(length(min = 1, max = 64))]
    pub id: String,
}

#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
pub struct JoinOrgRequest {
    /// The invitation token from the `?org=` link.
    #[validate(length(min = 1, max = 4096))]
    pub org: String,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct JoinOrgResponse {
    /// The organization joined; null when already a member.
    pub id: Option<String>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyResponse {
    pub id: String,
    pub name: String,
    pub api_key: String,
}

/// `POST /settings/team` (Postiz `AddTeamMemberDto`).
#[derive(Debug, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct InviteRequest {
    /// Required when `sendEmail`; when given, only this address can accept.
    #[serde(default)]
    #[validate(email, length(max = 320))]
    pub email: Option<String>,
    /// USER or ADMIN.
    #[validate(length(min = 1, max = 16))]
    pub role: String,
    pub send_email: bool,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct InviteResponse {
    /// The link to send: `FRONTEND_URL/?org=<token>`.
    pub url: String,
}

#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct TeamUser {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub send_success_emails: bool,
    pub send_failure_emails: bool,
    pub send_streak_emails: bool,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct TeamMember {
    pub role: String,
    pub disabled: bool,
    pub user: TeamUser,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct TeamResponse {
    pub users: Vec<TeamMember>,
}

/// `GET|POST /settings/shortlink`: `ASK`, `YES` or `NO`.
#[derive(Debug, Serialize, Deserialize, Validate, Apiv2Schema)]
pub struct ShortlinkPreference {
    #[validate(length(min = 2, max = 3))]
    pub shortlink: String,
}

#[derive(Debug, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct RemovedMemberResponse {
    pub user_id: String,
    pub organization_id: String,
}
