//! `/user`: the signed-in user, their organizations and preferences (Postiz `UsersController`).

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::http::StatusCode;
use paperclip::actix::{api_v2_operation, web};
use postiz_core::AppError;
use postiz_core::http::{EmptyReply, Reply, ValidatedJson};
use postiz_core::ids::to_json_time;

use crate::authz::RotateApiKey;
use crate::dto::{
    ApiKeyResponse, ChangeOrgRequest, EmailNotificationsDto, JoinOrgRequest, JoinOrgResponse,
    MembershipSummary, OrganizationResponse, PersonalRequest, PersonalResponse, PictureDto,
    SelfResponse,
};
use crate::extract::{AuthContext, AuthUser, OrgContext, Require};
use crate::service::{EmailPreferences, UserService};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/user/self").route(web::get().to(get_self)))
        .service(
            web::resource("/user/personal")
                .route(web::get().to(get_personal))
                .route(web::post().to(update_personal)),
        )
        .service(web::resource("/user/organizations").route(web::get().to(organizations)))
        .service(web::resource("/user/change-org").route(web::post().to(change_org)))
        .service(web::resource("/user/logout").route(web::post().to(logout)))
        .service(web::resource("/user/api-key/rotate").route(web::post().to(rotate_api_key)))
        .service(
            web::resource("/user/email-notifications")
                .route(web::get().to(get_email_notifications))
                .route(web::post().to(update_email_notifications)),
        )
        .service(web::resource("/user/join-org").route(web::post().to(join_org)));
}

/// The signed-in user with the current organization, role, plan and (for admins) the public
/// API key. The dashboard renders nothing until this answers.
#[api_v2_operation(tags(User))]
#[tracing::instrument(skip_all)]
async fn get_self(
    org: OrgContext,
    users: web::Data<UserService>,
) -> Result<web::Json<SelfResponse>, AppError> {
    let view = users.profile(org.user, org.organization, org.role).await?;
    let u = view.user;
    let o = view.organization;
    Ok(web::Json(SelfResponse {
        id: u.id,
        email: u.email,
        name: u.name,
        last_name: u.last_name,
        bio: u.bio,
        picture_id: u.picture_id,
        provider_name: "LOCAL".into(),
        timezone: u.timezone,
        activated: u.activated,
        is_super_admin: u.is_super_admin,
        send_success_emails: u.send_success_emails,
        send_failure_emails: u.send_failure_emails,
        send_streak_emails: u.send_streak_emails,
        last_read_notifications: to_json_time(&u.last_read_notifications),
        created_at: to_json_time(&u.created_at),
        updated_at: to_json_time(&u.updated_at),
        org_id: o.id,
        total_channels: 10_000,
        tier: "ULTIMATE".into(),
        role: view.role.as_str().into(),
        is_lifetime: false,
        admin: u.is_super_admin,
        impersonate: false,
        is_trailing: false,
        allow_trial: o.allow_trial,
        streak_since: o.streak_since.as_ref().map(to_json_time),
        public_api: view.api_key.unwrap_or_default(),
    }))
}

/// Name, bio and picture.
#[api_v2_operation(tags(User))]
#[tracing::instrument(skip_all)]
async fn get_personal(
    auth: AuthUser,
    users: web::Data<UserService>,
) -> Result<web::Json<PersonalResponse>, AppError> {
    let p = users.personal(&auth.user.id).await?;
    Ok(web::Json(PersonalResponse {
        id: p.id,
        name: p.name,
        bio: p.bio,
        picture: p.picture.map(|(id, path)| PictureDto { id, path }),
    }))
}

/// Change name, bio and picture.
#[api_v2_operation(tags(User))]
#[tracing::instrument(skip_all)]
async fn update_personal(
    auth: AuthUser,
    users: web::Data<UserService>,
    body: ValidatedJson<PersonalRequest>,
) -> Result<EmptyReply, AppError> {
    let body = body.into_inner();
    users
        .update_personal(
            &auth.user.id,
            &body.fullname,
            body.bio.as_deref(),
            body.picture
                .as_ref()
                .map(|p| (p.id.as_str(), p.path.as_str())),
        )
        .await?;
    Ok(EmptyReply::new().status(StatusCode::CREATED))
}

/// The organizations the user belongs to (always an array).
#[api_v2_operation(tags(User))]
#[tracing::instrument(skip_all)]
async fn organizations(
    auth: AuthUser,
    ctx: web::Data<AuthContext>,
) -> Result<web::Json<Vec<OrganizationResponse>>, AppError> {
    let orgs = ctx.organizations.organizations_of(&auth.user.id).await?;
    Ok(web::Json(
        orgs.into_iter()
            .map(|v| OrganizationResponse {
                id: v.organization.id,
                name: v.organization.name,
                description: v.organization.description,
                created_at: to_json_time(&v.organization.created_at),
                users: vec![MembershipSummary {
                    role: v.role.as_str().into(),
                    disabled: v.disabled,
                }],
            })
            .collect(),
    ))
}

/// Switch the organization shown (the `showorg` cookie, and header in NOT_SECURED mode).
#[api_v2_operation(tags(User))]
#[tracing::instrument(skip_all)]
async fn change_org(
    auth: AuthUser,
    ctx: web::Data<AuthContext>,
    body: ValidatedJson<ChangeOrgRequest>,
) -> Result<EmptyReply, AppError> {
    if !ctx.organizations.is_member(&auth.user.id, &body.id).await? {
        return Err(AppError::not_found("Organization not found"));
    }
    let mut reply = EmptyReply::new().cookie(ctx.cookies.cookie(
        "showorg",
        &body.id,
        CookieDuration::days(365),
    ));
    if ctx.not_secured {
        reply = reply.header("showorg", &body.id);
    }
    Ok(reply)
}

/// Sign out: clears the `auth`, `showorg` and `impersonate` cookies and sends `logout: true`.
#[api_v2_operation(tags(User))]
#[tracing::instrument(skip_all)]
async fn logout(ctx: web::Data<AuthContext>) -> Result<EmptyReply, AppError> {
    Ok(EmptyReply::new()
        .header("logout", "true")
        .cookie(ctx.cookies.removal("auth"))
        .cookie(ctx.cookies.removal("showorg"))
        .cookie(ctx.cookies.removal("impersonate")))
}

/// Replace the organization's public API key (ADMIN and SUPERADMIN).
#[api_v2_operation(tags(User))]
#[tracing::instrument(skip_all)]
async fn rotate_api_key(
    org: Require<RotateApiKey>,
    ctx: web::Data<AuthContext>,
) -> Result<Reply<ApiKeyResponse>, AppError> {
    let key = ctx.organizations.rotate_api_key(org.org_id()).await?;
    Ok(Reply::ok(ApiKeyResponse {
        id: org.organization.id.clone(),
        name: org.organization.name.clone(),
        api_key: key,
    })
    .status(StatusCode::CREATED))
}

/// Which e-mails the user receives.
#[api_v2_operation(tags(User))]
#[tracing::instrument(skip_all)]
async fn get_email_notifications(
    auth: AuthUser,
    users: web::Data<UserService>,
) -> Result<web::Json<EmailNotificationsDto>, AppError> {
    let p = users.email_preferences(&auth.user.id).await?;
    Ok(web::Json(EmailNotificationsDto {
        send_success_emails: p.success,
        send_failure_emails: p.failure,
        send_streak_emails: p.streak,
    }))
}

#[api_v2_operation(tags(User))]
#[tracing::instrument(skip_all)]
async fn update_email_notifications(
    auth: AuthUser,
    users: web::Data<UserService>,
    body: ValidatedJson<EmailNotificationsDto>,
) -> Result<EmptyReply, AppError> {
    users
        .set_email_preferences(
            &auth.user.id,
            EmailPreferences {
                success: body.send_success_emails,
                failure: body.send_failure_emails,
                streak: body.send_streak_emails,
            },
        )
        .await?;
    Ok(EmptyReply::new().status(StatusCode::CREATED))
}

/// Accept an invitation token; answers the organization joined (null if already a member).
#[api_v2_operation(tags(User))]
#[tracing::instrument(skip_all)]
async fn join_org(
    auth: AuthUser,
    ctx: web::Data<AuthContext>,
    body: ValidatedJson<JoinOrgRequest>,
) -> Result<web::Json<JoinOrgResponse>, AppError> {
    let id = ctx
        .organizations
        .accept_invitation(&auth.user.id, &auth.user.email, &body.org)
        .await?;
    Ok(web::Json(JoinOrgResponse { id }))
}
