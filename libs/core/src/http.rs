//! Shared HTTP pieces: the validating JSON extractor, replies with headers and cookies, the
//! cookie policy, and the paperclip glue that documents them.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::web::{Bytes, Json};
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder};
use paperclip::actix::OperationModifier;
use paperclip::v2::models::{DefaultOperationRaw, DefaultSchemaRaw};
use paperclip::v2::schema::Apiv2Schema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{AppError, ErrorCode};

/// Largest JSON body of a route; routes with bigger bodies register their own.
#[derive(Debug, Clone, Copy)]
pub struct JsonLimit(pub usize);

/// A JSON body parsed strictly and validated: wrong types, missing fields and rule violations
/// become a 400 whose message names each field; oversize bodies a 413.
pub struct ValidatedJson<T>(pub T);

impl<T> ValidatedJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ValidatedJson<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidatedJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json_body(req, payload);
        Box::pin(async move {
            let bytes = body.await?;
            let value: T = parse_json(&bytes)?;
            value.validate().map_err(validation_error)?;
            Ok(ValidatedJson(value))
        })
    }
}

/// Query parameters parsed strictly and validated, with the same error shape as
/// [`ValidatedJson`].
pub struct ValidatedQuery<T>(pub T);

impl<T> ValidatedQuery<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ValidatedQuery<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidatedQuery<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = serde_urlencoded::from_str::<T>(req.query_string())
            .map_err(|e| {
                AppError::validation(vec![format!(
                    "query: {}",
                    clean_serde_message(&e.to_string())
                )])
            })
            .and_then(|v| v.validate().map(|()| v).map_err(validation_error));
        std::future::ready(parsed.map(ValidatedQuery))
    }
}

impl<T: Apiv2Schema> Apiv2Schema for ValidatedQuery<T> {
    fn name() -> Option<String> {
        T::name()
    }
    fn raw_schema() -> DefaultSchemaRaw {
        T::raw_schema()
    }
}

impl<T: Apiv2Schema> OperationModifier for ValidatedQuery<T> {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        actix_web::web::Query::<T>::update_parameter(op);
    }
}

/// Reads a JSON request body up to the route's [`JsonLimit`] (2 MiB when none is set): a
/// declared non-JSON `Content-Type` is a 415, an oversize body a 413.
pub fn read_json_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<Bytes, AppError>> + use<> {
    let limit = req
        .app_data::<JsonLimit>()
        .map(|l| l.0)
        .unwrap_or(2 * 1024 * 1024);
    let content_type_ok = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.to_ascii_lowercase().contains("json"));
    let body = read_body(req, payload, limit);
    async move {
        if !content_type_ok {
            return Err(AppError::new(
                ErrorCode::UnsupportedMediaType,
                "The body must be JSON (Content-Type: application/json)",
            ));
        }
        body.await
    }
}

/// Reads a request body up to `limit` bytes.
pub fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> impl Future<Output = Result<Bytes, AppError>> + use<> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    async move {
        if declared.is_some_and(|len| len > limit) {
            return Err(too_large(limit));
        }
        let mut body = actix_web::web::BytesMut::new();
        use futures_util::StreamExt;
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| AppError::bad_request(format!("Invalid body: {e}")))?;
            if body.len() + chunk.len() > limit {
                return Err(too_large(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

fn too_large(limit: usize) -> AppError {
    AppError::new(
        ErrorCode::PayloadTooLarge,
        format!("The body is larger than {limit} bytes"),
    )
}

/// Parses JSON naming the field of a type error (`posts[0].value: invalid type ...`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::validation(vec![
            "The body must be a JSON object".into(),
        ]));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = clean_serde_message(&inner.to_string());
        if path.is_empty() || path == "." {
            AppError::validation(vec![message])
        } else {
            AppError::validation(vec![format!("{path}: {message}")])
        }
    })
}

fn clean_serde_message(message: &str) -> String {
    // Drop serde's " at line 1 column 20" suffix; the path already locates the problem.
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Turns validator errors into "field message" lines.
pub fn validation_error(errors: ValidationErrors) -> AppError {
    let mut lines = Vec::new();
    collect_errors("", &errors, &mut lines);
    lines.sort();
    AppError::validation(lines)
}

fn collect_errors(prefix: &str, errors: &ValidationErrors, out: &mut Vec<String>) {
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let text = match &e.message {
                        Some(m) => m.to_string(),
                        None => describe_rule(e),
                    };
                    out.push(format!("{name} {text}"));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect_errors(&name, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect_errors(&format!("{name}[{i}]"), inner, out);
                }
            }
        }
    }
}

fn describe_rule(e: &validator::ValidationError) -> String {
    let param = |k: &str| e.params.get(k).map(|v| v.to_string());
    match e.code.as_ref() {
        "email" => "must be an email".into(),
        "url" => "must be a URL".into(),
        "length" => match (param("min"), param("max"), param("equal")) {
            (_, _, Some(eq)) => format!("must be exactly {eq} characters long"),
            (Some(min), Some(max), _) => format!("must be between {min} and {max} characters long"),
            (Some(min), None, _) => format!("must be at least {min} characters long"),
            (None, Some(max), _) => format!("must be at most {max} characters long"),
            _ => "has an invalid length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".into(),
        },
        "required" => "is required".into(),
        other => format!("is invalid ({other})"),
    }
}

impl<T: Apiv2Schema> Apiv2Schema for ValidatedJson<T> {
    fn name() -> Option<String> {
        T::name()
    }
    fn raw_schema() -> DefaultSchemaRaw {
        T::raw_schema()
    }
}

impl<T: Apiv2Schema> OperationModifier for ValidatedJson<T> {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        Json::<T>::update_parameter(op);
    }
}

/// A JSON reply with extra headers and cookies (login sets `auth`, `reload`, ...).
pub struct Reply<T> {
    body: T,
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    cookies: Vec<Cookie<'static>>,
}

impl<T: Serialize> Reply<T> {
    pub fn ok(body: T) -> Self {
        Self {
            body,
            status: StatusCode::OK,
            headers: Vec::new(),
            cookies: Vec::new(),
        }
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Adds a header; a name or value that is not valid HTTP is skipped.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            self.headers.push((n, v));
        }
        self
    }

    pub fn cookie(mut self, cookie: Cookie<'static>) -> Self {
        self.cookies.push(cookie);
        self
    }
}

impl<T: Serialize> Responder for Reply<T> {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        for (n, v) in self.headers {
            builder.append_header((n, v));
        }
        for c in self.cookies {
            builder.cookie(c);
        }
        builder.json(self.body)
    }
}

impl<T: Apiv2Schema> Apiv2Schema for Reply<T> {
    fn name() -> Option<String> {
        T::name()
    }
    fn raw_schema() -> DefaultSchemaRaw {
        T::raw_schema()
    }
}

impl<T: Apiv2Schema> OperationModifier for Reply<T> {
    fn update_response(op: &mut DefaultOperationRaw) {
        Json::<T>::update_response(op);
    }
}

/// A 200 JSON reply serialized earlier (a cached answer), documented as `T`.
pub struct PreparedJson<T> {
    body: Bytes,
    shape: std::marker::PhantomData<fn() -> T>,
}

impl<T> PreparedJson<T> {
    /// `body` must be `T` serialized.
    pub fn new(body: Bytes) -> Self {
        Self {
            body,
            shape: std::marker::PhantomData,
        }
    }
}

impl<T> Responder for PreparedJson<T> {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")))
            .body(self.body)
    }
}

impl<T: Apiv2Schema> Apiv2Schema for PreparedJson<T> {
    fn name() -> Option<String> {
        T::name()
    }
    fn raw_schema() -> DefaultSchemaRaw {
        T::raw_schema()
    }
}

impl<T: Apiv2Schema> OperationModifier for PreparedJson<T> {
    fn update_response(op: &mut DefaultOperationRaw) {
        Json::<T>::update_response(op);
    }
}

/// An empty 200 reply with headers and cookies (Postiz's `change-org` and `logout`).
pub struct EmptyReply {
    inner: Reply<()>,
}

impl Default for EmptyReply {
    fn default() -> Self {
        Self::new()
    }
}

impl EmptyReply {
    pub fn new() -> Self {
        Self {
            inner: Reply::ok(()),
        }
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.inner = self.inner.status(status);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.inner = self.inner.header(name, value);
        self
    }

    pub fn cookie(mut self, cookie: Cookie<'static>) -> Self {
        self.inner = self.inner.cookie(cookie);
        self
    }
}

impl Responder for EmptyReply {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        let mut builder = HttpResponse::build(self.inner.status);
        for (n, v) in self.inner.headers {
            builder.append_header((n, v));
        }
        for c in self.inner.cookies {
            builder.cookie(c);
        }
        builder.finish()
    }
}

impl Apiv2Schema for EmptyReply {}

impl OperationModifier for EmptyReply {
    fn update_response(op: &mut DefaultOperationRaw) {
        use paperclip::v2::models::{Either, Response};
        op.responses.insert(
            "200".into(),
            Either::Right(Response {
                description: Some("OK, empty body".into()),
                ..Default::default()
            }),
        );
    }
}

/// How cookies are written, from `NOT_SECURED` and the dashboard's domain, as Postiz does.
#[derive(Debug, Clone)]
pub struct CookiePolicy {
    /// Secure + HttpOnly + SameSite=None; off in NOT_SECURED mode, where the dashboard reads
    /// the cookies from JavaScript.
    pub secure: bool,
    /// `None` writes host-only cookies (localhost and IP addresses).
    pub domain: Option<String>,
}

impl CookiePolicy {
    /// `configured` wins; otherwise the registrable domain of the dashboard URL.
    pub fn new(frontend_url: &str, configured: &str, not_secured: bool) -> Self {
        let domain = if configured.trim().is_empty() {
            cookie_domain_for(frontend_url)
        } else {
            Some(configured.trim().to_string())
        };
        Self {
            secure: !not_secured,
            domain,
        }
    }

    /// A cookie that lives `max_age`.
    pub fn cookie(&self, name: &str, value: &str, max_age: CookieDuration) -> Cookie<'static> {
        let mut c = Cookie::build(name.to_string(), value.to_string())
            .path("/")
            .max_age(max_age)
            .finish();
        self.apply(&mut c);
        c
    }

    /// A cookie that tells the browser to drop `name`.
    pub fn removal(&self, name: &str) -> Cookie<'static> {
        let mut c = Cookie::build(name.to_string(), "")
            .path("/")
            .max_age(CookieDuration::ZERO)
            .expires(actix_web::cookie::time::OffsetDateTime::UNIX_EPOCH)
            .finish();
        self.apply(&mut c);
        c
    }

    fn apply(&self, c: &mut Cookie<'static>) {
        if let Some(d) = &self.domain {
            c.set_domain(d.clone());
        }
        if self.secure {
            c.set_secure(true);
            c.set_http_only(true);
            c.set_same_site(SameSite::None);
        }
    }
}

/// The registrable domain of a URL with a leading dot (`app.example.com` -> `.example.com`);
/// `None` for localhost, IP addresses and single-label hosts.
pub fn cookie_domain_for(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    match parsed.host()? {
        url::Host::Domain(host) => {
            let domain = psl::domain_str(host)?;
            Some(format!(".{domain}"))
        }
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => None,
    }
}

/// The value of a header or, failing that, of a cookie.
pub fn header_or_cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .or_else(|| req.cookie(name).map(|c| c.value().to_string()))
        .filter(|v| !v.is_empty())
}

/// The value of a cookie or, failing that, of a header (Postiz reads `showorg` this way round).
pub fn cookie_or_header(req: &HttpRequest, name: &str) -> Option<String> {
    req.cookie(name)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
        .or_else(|| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .filter(|v| !v.is_empty())
}

/// A reusable schema for documenting a free-form JSON object.
pub fn object_schema(description: &str) -> DefaultSchemaRaw {
    DefaultSchemaRaw {
        data_type: Some(paperclip::v2::models::DataType::Object),
        description: Some(description.into()),
        properties: BTreeMap::new(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    struct Login {
        #[validate(email)]
        email: String,
        #[validate(length(min = 3, max = 64))]
        password: String,
    }

    #[test]
    fn type_errors_name_the_field() {
        let err = parse_json::<Login>(br#"{"email": 5, "password": "abc"}"#)
            .err()
            .map(|e| e.message())
            .unwrap_or_default();
        assert!(err.starts_with("email: invalid type"), "{err}");
    }

    #[test]
    fn missing_fields_are_named() {
        let err = parse_json::<Login>(br#"{"email": "a@b.co"}"#)
            .err()
            .map(|e| e.message())
            .unwrap_or_default();
        assert!(err.contains("password"), "{err}");
    }

    #[test]
    fn rule_violations_name_the_field() {
        let login = Login {
            email: "nope".into(),
            password: "x".into(),
        };
        let err = login.validate().map_err(validation_error).err();
        let message = err.map(|e| e.message()).unwrap_or_default();
        assert!(message.contains("email must be an email"), "{message}");
        assert!(
            message.contains("password must be between 3 and 64 characters long"),
            "{message}"
        );
    }

    #[test]
    fn cookie_domains_follow_postiz() {
        assert_eq!(
            cookie_domain_for("https://app.example.com"),
            Some(".example.com".into())
        );
        assert_eq!(
            cookie_domain_for("https://postiz.example.co.uk/x"),
            Some(".example.co.uk".into())
        );
        assert_eq!(cookie_domain_for("http://localhost:4200"), None);
        assert_eq!(cookie_domain_for("http://127.0.0.1:4200"), None);
    }

    #[test]
    fn not_secured_cookies_are_readable_by_javascript() {
        let p = CookiePolicy::new("http://localhost:4200", "", true);
        let c = p.cookie("auth", "t", CookieDuration::days(1));
        assert_eq!(c.http_only(), None);
        assert_eq!(c.secure(), None);
        let p = CookiePolicy::new("https://app.example.com", "", false);
        let c = p.cookie("auth", "t", CookieDuration::days(1));
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.secure(), Some(true));
        assert_eq!(c.same_site(), Some(SameSite::None));
        assert_eq!(c.domain(), Some(".example.com"));
    }
}
