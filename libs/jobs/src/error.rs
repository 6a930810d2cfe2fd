//! The error type of the job engine.

use sea_orm::sqlx;

/// Why a job-engine operation failed. Handler outcomes are not errors: see [`crate::JobOutcome`].
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The database URL names a database the engine does not run on.
    #[error("unsupported database URL `{0}`: expected sqlite:, postgres:// or postgresql://")]
    UnsupportedUrl(String),
    /// The sea-orm connection is neither SQLite nor PostgreSQL.
    #[error("the job engine runs on SQLite or PostgreSQL only")]
    UnsupportedBackend,
    /// A query failed.
    #[error("job database error: {0}")]
    Database(#[from] sqlx::Error),
    /// apalis' storage layer failed.
    #[error("job storage error: {0}")]
    Storage(String),
    /// apalis' schema could not be created or upgraded.
    #[error("job storage migration failed: {0}")]
    Migration(String),
    /// The payload could not be turned into JSON.
    #[error("cannot serialize the job payload: {0}")]
    Payload(#[from] serde_json::Error),
    /// The request or registration is not valid (empty queue name, duplicate queue, ...).
    #[error("invalid job request: {0}")]
    Invalid(String),
    /// A configuration value is out of range.
    #[error("invalid job engine configuration: {0}")]
    Config(String),
}

impl From<apalis_sqlite::Error> for JobError {
    fn from(e: apalis_sqlite::Error) -> Self {
        match e {
            apalis_sqlite::Error::Database(db) => Self::Database(db),
            other => Self::Storage(other.to_string()),
        }
    }
}

impl From<apalis_postgres::Error> for JobError {
    fn from(e: apalis_postgres::Error) -> Self {
        match e {
            apalis_postgres::Error::Database(db) => Self::Database(db),
            other => Self::Storage(other.to_string()),
        }
    }
}
