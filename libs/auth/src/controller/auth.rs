//! `/auth`: sign-up, sign-in, activation and password reset (Postiz `AuthController`).

use actix_web::HttpRequest;
use paperclip::actix::{api_v2_operation, web};
use postiz_core::AppError;
use postiz_core::http::{Reply, ValidatedJson};

use super::with_session;
use crate::dto::{
    ActivateRequest, ActivateResponse, CanRegisterResponse, EmailRequest, ForgotResponse,
    ForgotReturnRequest, LoginRequest, LoginResponse, RegisterRequest, RegisterResponse,
    ResendActivationResponse, ResetResponse,
};
use crate::extract::AuthContext;
use crate::service::AuthError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/auth/can-register").route(web::get().to(can_register)))
        .service(web::resource("/auth/register").route(web::post().to(register)))
        .service(web::resource("/auth/login").route(web::post().to(login)))
        .service(web::resource("/auth/forgot").route(web::post().to(forgot)))
        .service(web::resource("/auth/forgot-return").route(web::post().to(forgot_return)))
        .service(web::resource("/auth/activate").route(web::post().to(activate)))
        .service(web::resource("/auth/resend-activation").route(web::post().to(resend_activation)));
}

/// The invitation carried by the dashboard's `org` cookie, set when a logged-out user opens an
/// invitation link.
fn invite_cookie(req: &HttpRequest) -> Option<String> {
    req.cookie("org")
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// Login and sign-up failures are plain text: the dashboard shows the body as it is.
fn plain(e: AuthError) -> AppError {
    AppError::from(e).as_plain_text()
}

/// Whether a new organization may sign up (false when DISABLE_REGISTRATION is on and one exists).
#[api_v2_operation(tags(Auth))]
#[tracing::instrument(skip_all)]
async fn can_register(
    ctx: web::Data<AuthContext>,
) -> Result<web::Json<CanRegisterResponse>, AppError> {
    let register = ctx.accounts.can_register().await?;
    Ok(web::Json(CanRegisterResponse { register }))
}

/// Create an organization and its owner. Answers with the session (cookie, and `auth` header in
/// NOT_SECURED mode) and `onboarding: true`, or `activate: true` when the address must be
/// confirmed first. An `org` invitation cookie also joins that organization.
#[api_v2_operation(tags(Auth))]
#[tracing::instrument(skip_all)]
async fn register(
    req: HttpRequest,
    ctx: web::Data<AuthContext>,
    body: ValidatedJson<RegisterRequest>,
) -> Result<Reply<RegisterResponse>, AppError> {
    let body = body.into_inner();
    let invite = invite_cookie(&req);
    let outcome = ctx
        .accounts
        .register(
            &body.email,
            &body.password,
            &body.company,
            &body.provider,
            invite.as_deref(),
        )
        .await
        .map_err(plain)?;
    match outcome.session {
        None => Ok(Reply::ok(RegisterResponse {
            register: None,
            activate: Some(true),
        })
        .header("activate", "true")),
        Some(token) => {
            let reply = Reply::ok(RegisterResponse {
                register: Some(true),
                activate: None,
            })
            .header("onboarding", "true");
            let show = outcome
                .joined_organization
                .as_deref()
                .unwrap_or(&outcome.organization_id);
            Ok(with_session(reply, &ctx, &token, Some(show)))
        }
    }
}

/// Sign in with e-mail and password. Answers with the session and `reload: true`; a failure is
/// a 400 whose plain-text body the dashboard shows.
#[api_v2_operation(tags(Auth))]
#[tracing::instrument(skip_all)]
async fn login(
    req: HttpRequest,
    ctx: web::Data<AuthContext>,
    body: ValidatedJson<LoginRequest>,
) -> Result<Reply<LoginResponse>, AppError> {
    let body = body.into_inner();
    let invite = invite_cookie(&req);
    let outcome = ctx
        .accounts
        .login(
            &body.email,
            &body.password,
            &body.provider,
            invite.as_deref(),
        )
        .await
        .map_err(plain)?;
    let reply = Reply::ok(LoginResponse { login: true }).header("reload", "true");
    Ok(with_session(
        reply,
        &ctx,
        &outcome.session,
        outcome.show_organization.as_deref(),
    ))
}

/// E-mail a password reset link (valid 20 minutes). Always answers `{forgot: true}` so it
/// reveals nothing about which addresses exist.
#[api_v2_operation(tags(Auth))]
#[tracing::instrument(skip_all)]
async fn forgot(
    ctx: web::Data<AuthContext>,
    body: ValidatedJson<EmailRequest>,
) -> Result<Reply<ForgotResponse>, AppError> {
    ctx.accounts.forgot_password(&body.email).await?;
    Ok(Reply::ok(ForgotResponse { forgot: true }).status(actix_web::http::StatusCode::CREATED))
}

/// Set a new password with the token from the reset link; every existing session ends.
#[api_v2_operation(tags(Auth))]
#[tracing::instrument(skip_all)]
async fn forgot_return(
    ctx: web::Data<AuthContext>,
    body: ValidatedJson<ForgotReturnRequest>,
) -> Result<Reply<ResetResponse>, AppError> {
    let reset = ctx
        .accounts
        .reset_password(&body.token, &body.password)
        .await?;
    Ok(Reply::ok(ResetResponse { reset }).status(actix_web::http::StatusCode::CREATED))
}

/// Activate an account with the code from the e-mail; answers with a session and
/// `onboarding: true`, or `{can: false}` when the code is unknown or used.
#[api_v2_operation(tags(Auth))]
#[tracing::instrument(skip_all)]
async fn activate(
    ctx: web::Data<AuthContext>,
    body: ValidatedJson<ActivateRequest>,
) -> Result<Reply<ActivateResponse>, AppError> {
    match ctx.accounts.activate(&body.code).await? {
        None => Ok(Reply::ok(ActivateResponse { can: false })),
        Some(token) => {
            let reply = Reply::ok(ActivateResponse { can: true }).header("onboarding", "true");
            Ok(with_session(reply, &ctx, &token, None))
        }
    }
}

/// Send the activation e-mail again.
#[api_v2_operation(tags(Auth))]
#[tracing::instrument(skip_all)]
async fn resend_activation(
    ctx: web::Data<AuthContext>,
    body: ValidatedJson<EmailRequest>,
) -> Result<Reply<ResendActivationResponse>, AppError> {
    let response = match ctx.accounts.resend_activation(&body.email).await {
        Ok(()) => ResendActivationResponse {
            success: true,
            message: None,
        },
        Err(AuthError::Internal(cause)) => return Err(AppError::internal(cause)),
        Err(e) => ResendActivationResponse {
            success: false,
            message: Some(e.to_string()),
        },
    };
    Ok(Reply::ok(response).status(actix_web::http::StatusCode::CREATED))
}
