//! Identifiers and time.

use chrono::{DateTime, Utc};

/// A new identifier: a UUIDv7 string, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Whether a string is a well-formed identifier; ids from clients are checked before queries.
pub fn is_valid_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

/// A random token of `[A-Za-z0-9]` characters (one-time links, API keys, OAuth state).
pub use postiz_provider::oauth::random_token;

/// The current time in UTC.
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// A timestamp as JavaScript's `Date.toJSON()` writes it (`2026-11-22T04:15:09.123Z`), the
/// form Postiz clients parse.
pub fn to_json_time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_uuids() {
        let a = new_id();
        let b = new_id();
        assert!(is_valid_id(&a));
        assert!(a < b);
        assert!(!is_valid_id("not-an-id"));
    }
}
