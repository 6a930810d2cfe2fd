//! [`ApiKeyOrg`]: the organization whose public API key is in the `Authorization` header.
//!
//! Postiz's SDK and CLI send the key raw (`Authorization: <key>`); MCP clients send
//! `Authorization: Bearer <key>`. Both are accepted. A missing or unknown key is 401 and nothing
//! else: no session cookie or `logout` header is involved. The key holder acts as the
//! organization itself (Postiz gives it the owner's rights), so no role check follows.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use paperclip::actix::OperationModifier;
use paperclip::v2::models::{DefaultOperationRaw, DefaultSchemaRaw, SecurityScheme};
use paperclip::v2::schema::Apiv2Schema;
use postiz_auth::AuthContext;
use postiz_core::{AppError, ErrorCode};
use postiz_entity::organization;
use serde_json::json;

/// The name of the API-key security scheme in the OpenAPI document.
pub const SCHEME: &str = "apiKey";

/// The organization authenticated by its public API key.
#[derive(Debug, Clone)]
pub struct ApiKeyOrg {
    pub organization: organization::Model,
}

impl ApiKeyOrg {
    pub fn org_id(&self) -> &str {
        &self.organization.id
    }
}

/// A 401 in Postiz's words (`{msg}`), without the dashboard's `logout` header.
fn unauthorized(message: &str) -> AppError {
    AppError::new(ErrorCode::Unauthorized, message).with_field("msg", json!(message))
}

/// The key of an `Authorization` value: the raw key, or the token of `Bearer <key>`.
fn key_of(header: &str) -> &str {
    let value = header.trim();
    match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    }
}

async fn authenticate(req: &HttpRequest) -> Result<ApiKeyOrg, AppError> {
    if let Some(org) = req.extensions().get::<ApiKeyOrg>() {
        return Ok(org.clone());
    }
    let ctx = req
        .app_data::<web::Data<AuthContext>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("AuthContext is not registered")))?;
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(key_of)
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    let Some(key) = header else {
        return Err(unauthorized("No API Key found"));
    };
    let organization = ctx
        .organizations
        .by_api_key(&key)
        .await?
        .ok_or_else(|| unauthorized("Invalid API key"))?;
    let org = ApiKeyOrg { organization };
    req.extensions_mut().insert(org.clone());
    Ok(org)
}

/// Middleware of every public route: the key is checked before anything else of the request
/// (its body, its query) is read, so a missing or wrong key is always 401 and costs no body
/// read. The organization is kept in the request for [`ApiKeyOrg`].
pub async fn require_api_key(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    match authenticate(req.request()).await {
        Ok(_) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        Err(e) => Ok(req.error_response(e).map_into_right_body()),
    }
}

impl FromRequest for ApiKeyOrg {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

/// The OpenAPI security scheme: the organization's API key in the `Authorization` header.
pub fn api_key_scheme() -> SecurityScheme {
    SecurityScheme {
        name: Some("Authorization".into()),
        type_: "apiKey".into(),
        in_: Some("header".into()),
        flow: None,
        auth_url: None,
        token_url: None,
        scopes: Default::default(),
        description: Some(
            "The organization's public API key (Settings > Public API, or `publicApi` of \
             GET /user/self), sent raw in `Authorization` as Postiz's SDK and CLI do; \
             `Bearer <key>` is accepted too"
                .into(),
        ),
    }
}

impl Apiv2Schema for ApiKeyOrg {
    fn name() -> Option<String> {
        Some(SCHEME.into())
    }
    fn security_scheme() -> Option<SecurityScheme> {
        Some(api_key_scheme())
    }
}

impl OperationModifier for ApiKeyOrg {
    fn update_definitions(_: &mut BTreeMap<String, DefaultSchemaRaw>) {}
    fn update_parameter(_: &mut DefaultOperationRaw) {}
}

#[cfg(test)]
mod tests {
    use super::key_of;

    #[test]
    fn raw_and_bearer_keys_are_read() {
        assert_eq!(key_of("abc123"), "abc123");
        assert_eq!(key_of("  abc123 "), "abc123");
        assert_eq!(key_of("Bearer abc123"), "abc123");
        assert_eq!(key_of("bearer   abc123"), "abc123");
        assert_eq!(key_of("Bearer"), "Bearer");
        assert_eq!(key_of(""), "");
    }
}
