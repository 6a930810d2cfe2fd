//! Authentication and tenancy as extractors: a handler that needs a signed-in user asks for
//! [`AuthUser`], one that acts in an organization for [`OrgContext`], and one that needs a role
//! permission for [`Require<P>`]. The results are memoised in the request, so asking twice costs
//! nothing.

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use paperclip::actix::OperationModifier;
use paperclip::v2::models::{DefaultOperationRaw, DefaultSchemaRaw, SecurityScheme};
use paperclip::v2::schema::Apiv2Schema;
use postiz_core::AppError;
use postiz_core::http::{CookiePolicy, cookie_or_header, header_or_cookie};
use postiz_entity::{Role, organization, user};

use crate::authz::{Authorizer, Permission};
use crate::service::{AccountService, OrganizationService};

/// What the extractors need, registered once as app data.
pub struct AuthContext {
    pub accounts: AccountService,
    pub organizations: OrganizationService,
    pub authorizer: Arc<Authorizer>,
    pub cookies: CookiePolicy,
    pub not_secured: bool,
}

/// A session token issued during this request because the old one was due for renewal; the
/// session middleware writes it to the response.
#[derive(Debug, Clone)]
pub struct RenewedSession(pub String);

/// The signed-in user.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user: user::Model,
}

/// The signed-in user acting in one organization with a role.
#[derive(Debug, Clone)]
pub struct OrgContext {
    pub user: user::Model,
    pub organization: organization::Model,
    pub role: Role,
}

impl OrgContext {
    pub fn org_id(&self) -> &str {
        &self.organization.id
    }

    pub fn user_id(&self) -> &str {
        &self.user.id
    }
}

/// An [`OrgContext`] whose role holds permission `P`; otherwise 403.
pub struct Require<P: Permission> {
    pub context: OrgContext,
    _permission: PhantomData<P>,
}

impl<P: Permission> Deref for Require<P> {
    type Target = OrgContext;
    fn deref(&self) -> &OrgContext {
        &self.context
    }
}

fn context(req: &HttpRequest) -> Result<web::Data<AuthContext>, AppError> {
    req.app_data::<web::Data<AuthContext>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("AuthContext is not registered")))
}

async fn authenticate(req: &HttpRequest) -> Result<AuthUser, AppError> {
    if let Some(user) = req.extensions().get::<AuthUser>() {
        return Ok(user.clone());
    }
    let ctx = context(req)?;
    // Postiz reads the token from the `auth` header first, then the cookie.
    let token = header_or_cookie(req, "auth")
        .ok_or_else(|| AppError::unauthorized("You are not signed in"))?;
    let session = ctx
        .accounts
        .authenticate_session(&token)
        .await?
        .ok_or_else(|| AppError::unauthorized("Your session is invalid or has expired"))?;
    if let Some(token) = session.renewed_token {
        req.extensions_mut().insert(RenewedSession(token));
    }
    let auth = AuthUser { user: session.user };
    req.extensions_mut().insert(auth.clone());
    Ok(auth)
}

async fn resolve_org(req: &HttpRequest) -> Result<OrgContext, AppError> {
    if let Some(org) = req.extensions().get::<OrgContext>() {
        return Ok(org.clone());
    }
    let auth = authenticate(req).await?;
    let ctx = context(req)?;
    // Postiz reads `showorg` from the cookie first, then the header.
    let requested = cookie_or_header(req, "showorg");
    let (organization, membership) = ctx
        .organizations
        .resolve(&auth.user.id, requested.as_deref())
        .await?
        .ok_or_else(|| AppError::forbidden("You are not a member of any organization"))?;
    let org = OrgContext {
        user: auth.user,
        organization,
        role: membership.role,
    };
    req.extensions_mut().insert(org.clone());
    Ok(org)
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

impl FromRequest for OrgContext {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { resolve_org(&req).await })
    }
}

impl<P: Permission> FromRequest for Require<P> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let org = resolve_org(&req).await?;
            let ctx = context(&req)?;
            let allowed = ctx
                .authorizer
                .allowed(
                    &org.user.id,
                    &org.organization.id,
                    org.role,
                    P::OBJECT,
                    P::ACTION,
                )
                .await
                .map_err(AppError::internal)?;
            if !allowed {
                return Err(AppError::forbidden(format!(
                    "Your role ({}) does not allow this action",
                    org.role.as_str()
                )));
            }
            Ok(Require {
                context: org,
                _permission: PhantomData,
            })
        })
    }
}

/// The OpenAPI security scheme of dashboard sessions: the JWT in the `auth` header (or cookie).
pub fn session_scheme() -> SecurityScheme {
    SecurityScheme {
        name: Some("auth".into()),
        type_: "apiKey".into(),
        in_: Some("header".into()),
        flow: None,
        auth_url: None,
        token_url: None,
        scopes: Default::default(),
        description: Some(
            "Session token from /auth/login, sent in the `auth` header or the `auth` cookie; \
             `showorg` selects the organization"
                .into(),
        ),
    }
}

macro_rules! document_as_session {
    ($($ty:ty),+) => {$(
        impl Apiv2Schema for $ty {
            fn name() -> Option<String> {
                Some("session".into())
            }
            fn security_scheme() -> Option<SecurityScheme> {
                Some(session_scheme())
            }
        }
        impl OperationModifier for $ty {
            fn update_definitions(_: &mut std::collections::BTreeMap<String, DefaultSchemaRaw>) {}
            fn update_parameter(_: &mut DefaultOperationRaw) {}
        }
    )+};
}

document_as_session!(AuthUser, OrgContext);

impl<P: Permission> Apiv2Schema for Require<P> {
    fn name() -> Option<String> {
        Some("session".into())
    }
    fn security_scheme() -> Option<SecurityScheme> {
        Some(session_scheme())
    }
}

impl<P: Permission> OperationModifier for Require<P> {
    fn update_definitions(_: &mut std::collections::BTreeMap<String, DefaultSchemaRaw>) {}
    fn update_parameter(_: &mut DefaultOperationRaw) {}
}
