//! The public API's error: the application error (NestJS shape `{statusCode, message, ...}`)
//! with Postiz's `msg` beside `message`, since Postiz's public routes answer `{msg}` and its
//! clients print either; plus the 422 an `Idempotency-Key` reused with another body gets.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use paperclip::v2::models::{DefaultOperationRaw, DefaultSchemaRaw, Either, Response};
use paperclip::v2::schema::Apiv2Errors;
use postiz_core::AppError;
use serde_json::json;

/// Why a public API request was refused.
pub enum ApiError {
    App(AppError),
    /// 422: the `Idempotency-Key` was used before with a different body.
    IdempotencyMismatch,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::App(e) => e.code().status(),
            Self::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

pub(crate) const MISMATCH_MESSAGE: &str = "This Idempotency-Key was already used with a different \
     request body; use a new key for a different request";

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::App(e) => fmt::Debug::fmt(e, f),
            Self::IdempotencyMismatch => f.write_str("idempotency key reused with another body"),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::App(e) => fmt::Display::fmt(e, f),
            Self::IdempotencyMismatch => f.write_str(MISMATCH_MESSAGE),
        }
    }
}

impl std::error::Error for ApiError {}

/// Adds Postiz's `msg` (the message as one string) to an application error.
pub fn with_msg(e: AppError) -> AppError {
    let message = e.message();
    e.with_field("msg", json!(message))
}

impl From<AppError> for ApiError {
    #[track_caller]
    fn from(e: AppError) -> Self {
        Self::App(with_msg(e))
    }
}

macro_rules! via_app_error {
    ($($ty:ty),+ $(,)?) => {$(
        impl From<$ty> for ApiError {
            #[track_caller]
            fn from(e: $ty) -> Self {
                Self::from(AppError::from(e))
            }
        }
    )+};
}

via_app_error!(
    postiz_posts::PostsError,
    postiz_channels::ChannelError,
    postiz_media::MediaError,
    postiz_core::cache::CacheError,
);

impl From<crate::service::idempotency::StoreError> for ApiError {
    #[track_caller]
    fn from(e: crate::service::idempotency::StoreError) -> Self {
        use crate::service::idempotency::StoreError as E;
        Self::from(match e {
            E::Cache(cause) => AppError::from(cause),
            E::Encode(cause) => AppError::internal(cause),
        })
    }
}

impl From<postiz_notifications::NotificationsError> for ApiError {
    #[track_caller]
    fn from(e: postiz_notifications::NotificationsError) -> Self {
        use postiz_notifications::NotificationsError as E;
        Self::from(match e {
            E::NotFound(m) => AppError::not_found(m),
            E::Invalid(m) => AppError::bad_request(m),
            E::Internal(cause) => AppError::internal(cause),
        })
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::App(e) => e.error_response(),
            Self::IdempotencyMismatch => {
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                HttpResponse::build(status).json(json!({
                    "statusCode": status.as_u16(),
                    "message": MISMATCH_MESSAGE,
                    "msg": MISMATCH_MESSAGE,
                    "error": status.canonical_reason().unwrap_or("Unprocessable Entity"),
                    "code": "idempotency_key_reused",
                }))
            }
        }
    }
}

/// Documents the answers every public route may give besides its success.
impl Apiv2Errors for ApiError {
    fn update_error_definitions(op: &mut DefaultOperationRaw) {
        for (code, description) in [
            (
                "400",
                "Invalid input; `message` names the fields, nothing was written",
            ),
            ("401", "Missing or unknown API key (`Authorization` header)"),
            ("404", "Not found in this organization"),
            ("500", "Unexpected error"),
        ] {
            op.responses.entry(code.into()).or_insert_with(|| {
                Either::Right(Response {
                    description: Some(description.into()),
                    schema: Some(DefaultSchemaRaw {
                        reference: Some("#/definitions/ErrorResponse".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
            });
        }
    }

    fn update_definitions(map: &mut BTreeMap<String, DefaultSchemaRaw>) {
        AppError::update_definitions(map);
    }
}
