//! What every module shares: settings, the error type, telemetry, ids and time, secret sealing,
//! the cache, the mailer, the database connection, HTTP helpers and the SSRF-safe fetcher.

pub mod cache;
pub mod db;
pub mod error;
pub mod expiring;
pub mod http;
pub mod ids;
pub mod mailer;
pub mod media_settings;
pub mod notify;
pub mod secrets;
pub mod settings;
pub mod ssrf;
pub mod telemetry;

pub use error::{AppError, AppResult, ErrorCode};
pub use settings::Settings;
