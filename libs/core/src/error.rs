//! The one error type of the HTTP API. It renders as NestJS does (`{"statusCode":400,"message":...}`)
//! so Postiz clients keep working, adds a stable `code`, and never returns the cause: causes go to
//! the log.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::Location;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use paperclip::v2::models::{DefaultOperationRaw, DefaultSchemaRaw, Either, Response};
use paperclip::v2::schema::Apiv2Errors;
use serde_json::json;

/// Stable error codes. The HTTP status follows from the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    BadRequest,
    ValidationFailed,
    /// Post content refused by a channel's rules: 400 `{provider, message}` as Postiz.
    PostValidation,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    PaymentRequired,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    Internal,
    Unavailable,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest | Self::ValidationFailed | Self::PostValidation => {
                StatusCode::BAD_REQUEST
            }
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict => StatusCode::CONFLICT,
            Self::PaymentRequired => StatusCode::PAYMENT_REQUIRED,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::ValidationFailed => "validation_failed",
            Self::PostValidation => "post_validation",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::PaymentRequired => "payment_required",
            Self::PreconditionFailed => "precondition_failed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooManyRequests => "too_many_requests",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
        }
    }
}

/// What the client sees as `message`.
#[derive(Debug, Clone, PartialEq)]
enum Message {
    Text(String),
    /// Field errors, rendered as an array like NestJS's ValidationPipe.
    Fields(Vec<String>),
}

/// An API error: a code, a message for the client, and a cause for the log.
pub struct AppError {
    code: ErrorCode,
    message: Message,
    /// Extra top-level fields of the JSON body (Postiz's `provider`, `url`).
    extra: BTreeMap<String, serde_json::Value>,
    /// Render the message as plain text (the dashboard shows login/register failures verbatim).
    plain_text: bool,
    /// Ask the dashboard to forget its session (401 from the session check).
    logout: bool,
    retry_after: Option<u64>,
    cause: Option<anyhow::Error>,
    location: &'static Location<'static>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    #[track_caller]
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: Message::Text(message.into()),
            extra: BTreeMap::new(),
            plain_text: false,
            logout: false,
            retry_after: None,
            cause: None,
            location: Location::caller(),
        }
    }

    #[track_caller]
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    #[track_caller]
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    #[track_caller]
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    #[track_caller]
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    /// The session is missing, invalid or expired: 401 with the `logout` header.
    #[track_caller]
    pub fn unauthorized(message: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorCode::Unauthorized, message);
        e.logout = true;
        e
    }

    /// Field-level validation errors, each naming its field.
    #[track_caller]
    pub fn validation(errors: Vec<String>) -> Self {
        let mut e = Self::new(ErrorCode::ValidationFailed, "");
        e.message = Message::Fields(errors);
        e
    }

    /// A post refused by a channel's rules (Postiz `PostValidationExceptionFilter`).
    #[track_caller]
    pub fn post_validation(provider: &str, name: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PostValidation, message)
            .with_field("provider", json!(provider))
            .with_field("name", json!(name))
    }

    /// A plan limit (Postiz `SubscriptionException`): 402 with the billing URL.
    #[track_caller]
    pub fn payment_required(message: impl Into<String>, billing_url: &str) -> Self {
        Self::new(ErrorCode::PaymentRequired, message).with_field("url", json!(billing_url))
    }

    #[track_caller]
    pub fn too_many_requests(message: impl Into<String>, retry_after_secs: u64) -> Self {
        let mut e = Self::new(ErrorCode::TooManyRequests, message);
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    /// An unexpected failure: the client gets a generic message, the log gets the cause.
    #[track_caller]
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(ErrorCode::Internal, "Internal server error");
        e.cause = Some(cause.into());
        e
    }

    /// A dependency (database, Redis) is unreachable.
    #[track_caller]
    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(ErrorCode::Unavailable, "Service unavailable");
        e.cause = Some(cause.into());
        e
    }

    pub fn with_cause(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    pub fn with_field(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra.insert(key.to_string(), value);
        self
    }

    /// Render the message as plain text instead of JSON.
    pub fn as_plain_text(mut self) -> Self {
        self.plain_text = true;
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message shown to the client (field errors joined).
    pub fn message(&self) -> String {
        match &self.message {
            Message::Text(t) => t.clone(),
            Message::Fields(f) => f.join("; "),
        }
    }

    pub fn is_logout(&self) -> bool {
        self.logout
    }

    fn body(&self) -> serde_json::Value {
        let status = self.code.status();
        let mut body = serde_json::Map::new();
        body.insert("statusCode".into(), json!(status.as_u16()));
        match &self.message {
            Message::Text(t) => body.insert("message".into(), json!(t)),
            Message::Fields(f) => body.insert("message".into(), json!(f)),
        };
        body.insert(
            "error".into(),
            json!(status.canonical_reason().unwrap_or("Error")),
        );
        body.insert("code".into(), json!(self.code.as_str()));
        for (k, v) in &self.extra {
            body.insert(k.clone(), v.clone());
        }
        serde_json::Value::Object(body)
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}) at {}",
            self.message(),
            self.code.as_str(),
            self.location
        )?;
        if let Some(cause) = &self.cause {
            write!(f, ": {cause:#}")?;
        }
        Ok(())
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for AppError {}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.code.status();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        } else if self.cause.is_some() {
            tracing::debug!(error = ?self, "request refused");
        }
        let mut builder = HttpResponse::build(status);
        if self.logout {
            builder.insert_header(("logout", "true"));
        }
        if let Some(secs) = self.retry_after {
            builder.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        if self.plain_text {
            return builder
                .content_type("text/plain; charset=utf-8")
                .body(self.message());
        }
        builder.json(self.body())
    }
}

/// Database errors are unexpected at the HTTP layer: log them, answer 500.
impl From<sea_orm::DbErr> for AppError {
    #[track_caller]
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::internal(e)
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    #[track_caller]
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => AppError::internal(db),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

impl From<crate::cache::CacheError> for AppError {
    #[track_caller]
    fn from(e: crate::cache::CacheError) -> Self {
        AppError::unavailable(e)
    }
}

/// Documents the error responses every operation may give (paperclip).
impl Apiv2Errors for AppError {
    fn update_error_definitions(op: &mut DefaultOperationRaw) {
        for (code, description) in [
            ("400", "Invalid input; `message` names the fields"),
            ("401", "Missing, invalid or expired session or API key"),
            ("403", "The role does not allow this action"),
            ("404", "Not found in this organization"),
            ("500", "Unexpected error"),
        ] {
            op.responses.entry(code.into()).or_insert_with(|| {
                Either::Right(Response {
                    description: Some(description.into()),
                    schema: Some(error_schema_ref()),
                    ..Default::default()
                })
            });
        }
    }

    fn update_definitions(map: &mut BTreeMap<String, DefaultSchemaRaw>) {
        map.entry("ErrorResponse".into())
            .or_insert_with(error_schema);
    }
}

fn error_schema_ref() -> DefaultSchemaRaw {
    DefaultSchemaRaw {
        reference: Some("#/definitions/ErrorResponse".into()),
        ..Default::default()
    }
}

fn error_schema() -> DefaultSchemaRaw {
    use paperclip::v2::models::DataType;
    let field = |data_type: DataType, description: &str| {
        Box::new(DefaultSchemaRaw {
            data_type: Some(data_type),
            description: Some(description.into()),
            ..Default::default()
        })
    };
    let mut properties = BTreeMap::new();
    properties.insert(
        "statusCode".into(),
        field(DataType::Integer, "HTTP status code"),
    );
    properties.insert(
        "message".into(),
        field(
            DataType::String,
            "What went wrong; an array of field errors for validation failures",
        ),
    );
    properties.insert(
        "error".into(),
        field(DataType::String, "HTTP reason phrase"),
    );
    properties.insert("code".into(), field(DataType::String, "Stable error code"));
    DefaultSchemaRaw {
        name: Some("ErrorResponse".into()),
        data_type: Some(DataType::Object),
        properties,
        required: ["statusCode", "message", "code"]
            .into_iter()
            .map(String::from)
            .collect(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_of(e: &AppError) -> serde_json::Value {
        let resp = e.error_response();
        let bytes = resp
            .into_body()
            .try_into_bytes()
            .unwrap_or_else(|_| actix_web::web::Bytes::new());
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)
    }

    #[test]
    fn renders_like_nestjs() {
        let body = body_of(&AppError::bad_request("nope"));
        assert_eq!(body["statusCode"], 400);
        assert_eq!(body["message"], "nope");
        assert_eq!(body["error"], "Bad Request");
        assert_eq!(body["code"], "bad_request");
    }

    #[test]
    fn internal_errors_hide_the_cause() {
        let e = AppError::internal(anyhow::anyhow!("password=hunter2 connection refused"));
        let body = body_of(&e);
        assert_eq!(body["statusCode"], 500);
        assert!(!body.to_string().contains("hunter2"));
        assert!(format!("{e:?}").contains("connection refused"));
    }

    #[test]
    fn validation_lists_fields() {
        let body = body_of(&AppError::validation(vec!["email must be an email".into()]));
        assert_eq!(body["message"][0], "email must be an email");
    }

    #[test]
    fn post_validation_carries_the_provider() {
        let body = body_of(&AppError::post_validation("x", "My X", "too long"));
        assert_eq!(body["provider"], "x");
        assert_eq!(body["message"], "too long");
    }

    #[test]
    fn unauthorized_sets_logout_header() {
        let resp = AppError::unauthorized("expired").error_response();
        assert_eq!(resp.status(), 401);
        assert_eq!(
            resp.headers().get("logout").and_then(|v| v.to_str().ok()),
            Some("true")
        );
    }

    #[test]
    fn too_many_requests_has_retry_after() {
        let resp = AppError::too_many_requests("slow down", 42).error_response();
        assert_eq!(
            resp.headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("42")
        );
    }
}
