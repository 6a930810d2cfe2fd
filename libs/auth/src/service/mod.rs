//! Business rules of accounts, organizations and teams. No actix types here: controllers turn
//! outcomes into responses and [`AuthError`] into the API error.

mod accounts;
mod organizations;
mod users;

pub use accounts::{AccountService, ActiveSession, LoginOutcome, RegisterOutcome};
pub use organizations::{MemberView, OrganizationService, OrganizationView};
pub use users::{EmailPreferences, Personal, ProfileView, UserService};

use postiz_core::{AppError, ErrorCode};

/// Why an account or organization operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Invalid user name or password")]
    InvalidCredentials,
    #[error("User is not activated")]
    NotActivated,
    #[error("Email already exists")]
    EmailTaken,
    #[error("Registration is disabled")]
    RegistrationDisabled,
    #[error("Email with plus sign is not allowed")]
    PlusNotAllowed,
    #[error("Login provider {0} is not enabled on this server")]
    UnsupportedProvider(String),
    #[error("Too many attempts; try again in {0} seconds")]
    TooManyAttempts(u64),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for AuthError {
    fn from(e: sea_orm::DbErr) -> Self {
        AuthError::Internal(e.into())
    }
}

impl From<postiz_core::cache::CacheError> for AuthError {
    fn from(e: postiz_core::cache::CacheError) -> Self {
        AuthError::Internal(e.into())
    }
}

impl From<sea_orm::TransactionError<AuthError>> for AuthError {
    fn from(e: sea_orm::TransactionError<AuthError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner,
        }
    }
}

impl From<AuthError> for AppError {
    #[track_caller]
    fn from(e: AuthError) -> Self {
        let message = e.to_string();
        match e {
            AuthError::InvalidCredentials
            | AuthError::NotActivated
            | AuthError::EmailTaken
            | AuthError::RegistrationDisabled
            | AuthError::PlusNotAllowed
            | AuthError::UnsupportedProvider(_)
            | AuthError::Invalid(_) => AppError::bad_request(message),
            AuthError::TooManyAttempts(secs) => AppError::too_many_requests(message, secs),
            AuthError::NotFound(_) => AppError::not_found(message),
            AuthError::Forbidden(_) => AppError::forbidden(message),
            AuthError::Conflict(_) => AppError::new(ErrorCode::Conflict, message),
            AuthError::Internal(cause) => AppError::internal(cause),
        }
    }
}

/// The normal form of an e-mail address: trimmed and lower-cased, as Postiz stores them.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}
