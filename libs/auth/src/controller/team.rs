//! `/settings/team`: members and invitations (Postiz `SettingsController`, team routes).

use actix_web::http::StatusCode;
use paperclip::actix::{api_v2_operation, web};
use postiz_core::AppError;
use postiz_core::http::{Reply, ValidatedJson};
use postiz_entity::{Role, ShortLinkPreference};

use crate::authz::{ManageSettings, ManageTeam};
use crate::dto::{
    InviteRequest, InviteResponse, RemovedMemberResponse, ShortlinkPreference, TeamMember,
    TeamResponse, TeamUser,
};
use crate::extract::{AuthContext, OrgContext, Require};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/settings/team")
            .route(web::get().to(list_team))
            .route(web::post().to(invite)),
    )
    .service(web::resource("/settings/team/{id}").route(web::delete().to(remove_member)))
    .service(
        web::resource("/settings/shortlink")
            .route(web::get().to(get_shortlink))
            .route(web::post().to(set_shortlink)),
    );
}

/// Whether links in posts are shortened (ASK, YES or NO); the editor reads it.
#[api_v2_operation(tags(Settings))]
#[tracing::instrument(skip_all)]
async fn get_shortlink(org: OrgContext) -> Result<web::Json<ShortlinkPreference>, AppError> {
    let value = match org.organization.shortlink {
        ShortLinkPreference::Ask => "ASK",
        ShortLinkPreference::Yes => "YES",
        ShortLinkPreference::No => "NO",
    };
    Ok(web::Json(ShortlinkPreference {
        shortlink: value.into(),
    }))
}

/// Change the short-link preference (ADMIN and SUPERADMIN).
#[api_v2_operation(tags(Settings))]
#[tracing::instrument(skip_all)]
async fn set_shortlink(
    org: Require<ManageSettings>,
    ctx: web::Data<AuthContext>,
    body: ValidatedJson<ShortlinkPreference>,
) -> Result<Reply<ShortlinkPreference>, AppError> {
    let preference = match body.shortlink.as_str() {
        "ASK" => ShortLinkPreference::Ask,
        "YES" => ShortLinkPreference::Yes,
        "NO" => ShortLinkPreference::No,
        _ => {
            return Err(AppError::validation(vec![
                "shortlink must be ASK, YES or NO".into(),
            ]));
        }
    };
    ctx.organizations
        .set_shortlink(org.org_id(), preference)
        .await?;
    Ok(Reply::ok(body.into_inner()).status(StatusCode::CREATED))
}

/// The organization's members with their roles (ADMIN and SUPERADMIN).
#[api_v2_operation(tags(Settings))]
#[tracing::instrument(skip_all)]
async fn list_team(
    org: Require<ManageTeam>,
    ctx: web::Data<AuthContext>,
) -> Result<web::Json<TeamResponse>, AppError> {
    let members = ctx.organizations.team(org.org_id()).await?;
    Ok(web::Json(TeamResponse {
        users: members
            .into_iter()
            .map(|m| TeamMember {
                role: m.role.as_str().into(),
                disabled: m.disabled,
                user: TeamUser {
                    id: m.user.id,
                    email: m.user.email,
                    name: m.user.name,
                    send_success_emails: m.user.send_success_emails,
                    send_failure_emails: m.user.send_failure_emails,
                    send_streak_emails: m.user.send_streak_emails,
                },
            })
            .collect(),
    }))
}

/// Invite a USER or an ADMIN: answers the signed link (valid 48 hours, single use) and
/// e-mails it when `sendEmail` is true.
#[api_v2_operation(tags(Settings))]
#[tracing::instrument(skip_all)]
async fn invite(
    org: Require<ManageTeam>,
    ctx: web::Data<AuthContext>,
    body: ValidatedJson<InviteRequest>,
) -> Result<Reply<InviteResponse>, AppError> {
    let role = match Role::parse(body.role.trim()) {
        Some(role @ (Role::User | Role::Admin)) => role,
        _ => {
            return Err(AppError::validation(vec![
                "role must be USER or ADMIN".into(),
            ]));
        }
    };
    if role.level() > org.role.level() {
        return Err(AppError::forbidden(
            "You cannot invite a role higher than yours",
        ));
    }
    let url = ctx
        .organizations
        .invite(
            &org.organization,
            &org.user,
            body.email.as_deref().filter(|e| !e.trim().is_empty()),
            role,
            body.send_email,
        )
        .await?;
    Ok(Reply::ok(InviteResponse { url }).status(StatusCode::CREATED))
}

/// Remove a member by user id. Nobody removes a higher role or themselves.
#[api_v2_operation(tags(Settings))]
#[tracing::instrument(skip_all)]
async fn remove_member(
    org: Require<ManageTeam>,
    ctx: web::Data<AuthContext>,
    path: web::Path<String>,
) -> Result<web::Json<RemovedMemberResponse>, AppError> {
    let user_id = path.into_inner();
    ctx.organizations
        .remove_member(org.org_id(), org.user_id(), org.role, &user_id)
        .await?;
    Ok(web::Json(RemovedMemberResponse {
        user_id,
        organization_id: org.org_id().to_string(),
    }))
}
