//! Why a posts operation was refused; converts into the API error.

use postiz_core::{AppError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum PostsError {
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Invalid(String),
    /// A post refused by a channel's rules: Postiz's 400 `{provider, name, message}`.
    #[error("{message}")]
    Rejected {
        provider: String,
        name: String,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for PostsError {
    fn from(e: sea_orm::DbErr) -> Self {
        PostsError::Internal(e.into())
    }
}

impl From<sea_orm::TransactionError<PostsError>> for PostsError {
    fn from(e: sea_orm::TransactionError<PostsError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner,
        }
    }
}

impl From<PostsError> for AppError {
    #[track_caller]
    fn from(e: PostsError) -> Self {
        match e {
            PostsError::NotFound(m) => AppError::not_found(m),
            PostsError::Invalid(m) => AppError::bad_request(m),
            PostsError::Rejected {
                provider,
                name,
                message,
            } => AppError::post_validation(&provider, &name, message),
            PostsError::Conflict(m) => AppError::new(ErrorCode::Conflict, m),
            PostsError::Internal(cause) => AppError::internal(cause),
        }
    }
}
