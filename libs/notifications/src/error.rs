//! Why a notifications or webhooks operation was refused; converts into the API error.

use postiz_core::AppError;

#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    #[error("{0}")]
    NotFound(String),
    /// Bad input (a refused URL, a malformed body): 400 with this message.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for NotificationsError {
    fn from(e: sea_orm::DbErr) -> Self {
        NotificationsError::Internal(e.into())
    }
}

impl From<sea_orm::TransactionError<NotificationsError>> for NotificationsError {
    fn from(e: sea_orm::TransactionError<NotificationsError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner,
        }
    }
}

impl From<NotificationsError> for AppError {
    #[track_caller]
    fn from(e: NotificationsError) -> Self {
        match e {
            NotificationsError::NotFound(m) => AppError::not_found(m),
            NotificationsError::Invalid(m) => AppError::bad_request(m),
            NotificationsError::Internal(cause) => AppError::internal(cause),
        }
    }
}
