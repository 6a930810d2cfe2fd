//! How Mastodon's error answers map to [`ProviderError`] classes.
//!
//! Mastodon's error entity is `{"error": "...", "error_description": "..."}`; the description is
//! mainly sent by the OAuth endpoints. Mastodon tokens never expire and cannot be refreshed, so
//! a 401 means the token was revoked and the channel must be reconnected.

use std::time::Duration;

use postiz_provider::ProviderError;
use postiz_provider::error::truncate_message;
use postiz_provider::http::{ErrorClassifier, default_message, retry_after};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// Documented 403 answers that mean the account itself cannot act (disabled by a moderator,
/// e-mail not confirmed, registration pending approval): nothing will publish until the user
/// sorts it out on the instance, so the channel is flagged rather than each post failing alone.
const ACCOUNT_STATE_ERRORS: [&str; 3] = [
    "Your login is currently disabled",
    "Your login is missing a confirmed e-mail address",
    "Your login is currently pending approval",
];

/// Mastodon's 403 when the token lacks a scope the method needs.
const OUTSIDE_SCOPES: &str = "outside the authorized scopes";

/// The classifier of the Mastodon REST API.
pub struct MastodonClassifier;

impl ErrorClassifier for MastodonClassifier {
    fn message(&self, status: StatusCode, body: &str) -> String {
        mastodon_message(status, body)
    }

    fn classify(&self, status: StatusCode, headers: &HeaderMap, body: &str) -> ProviderError {
        let message = self.message(status, body);
        match status {
            StatusCode::UNAUTHORIZED => ProviderError::Disconnected(message),
            StatusCode::FORBIDDEN if ACCOUNT_STATE_ERRORS.iter().any(|e| message.contains(e)) => {
                ProviderError::Disconnected(message)
            }
            StatusCode::FORBIDDEN if message.contains(OUTSIDE_SCOPES) => {
                ProviderError::InsufficientScopes(message)
            }
            StatusCode::TOO_MANY_REQUESTS => ProviderError::RateLimited {
                retry_after: retry_after(headers).or_else(|| rate_limit_reset(headers)),
                message,
            },
            s if s.is_server_error() => ProviderError::Transient(format!("{s}: {message}")),
            _ => ProviderError::Rejected(message),
        }
    }
}

/// The classifier of `POST /oauth/token`: a 401 there (`invalid_client`) means the operator's
/// client id or secret is wrong for the instance, which no user action can fix.
pub struct TokenClassifier;

impl ErrorClassifier for TokenClassifier {
    fn message(&self, status: StatusCode, body: &str) -> String {
        mastodon_message(status, body)
    }

    fn classify(&self, status: StatusCode, headers: &HeaderMap, body: &str) -> ProviderError {
        if status == StatusCode::UNAUTHORIZED {
            return ProviderError::Config(format!(
                "the Mastodon instance refused the client credentials \
                 (MASTODON_CLIENT_ID / MASTODON_CLIENT_SECRET): {}",
                self.message(status, body)
            ));
        }
        MastodonClassifier.classify(status, headers, body)
    }
}

/// The message of a Mastodon error body: `error`, with `error_description` when given.
pub fn mastodon_message(status: StatusCode, body: &str) -> String {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(body) {
        let field = |name: &str| {
            value
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        match (field("error"), field("error_description")) {
            (Some(error), Some(description)) => {
                return truncate_message(&format!("{error}: {description}"), 1000);
            }
            (Some(error), None) => return truncate_message(error, 1000),
            (None, Some(description)) => return truncate_message(description, 1000),
            (None, None) => {}
        }
    }
    default_message(status, body)
}

/// The wait until `X-RateLimit-Reset`, which Mastodon sends as an ISO 8601 time (some
/// compatible servers send a Unix timestamp instead).
pub fn rate_limit_reset(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("x-ratelimit-reset")?.to_str().ok()?.trim();
    let now = chrono::Utc::now();
    let reset = if let Ok(when) = chrono::DateTime::parse_from_rfc3339(value) {
        when.with_timezone(&chrono::Utc)
    } else {
        let secs: i64 = value.parse().ok()?;
        chrono::DateTime::from_timestamp(secs, 0)?
    };
    let delta = (reset - now).to_std().unwrap_or(Duration::ZERO);
    // Round up to whole seconds so a retry never lands just before the window opens.
    let secs = delta.as_secs() + u64::from(delta.subsec_nanos() > 0);
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn classify(status: u16, body: &str, headers: &HeaderMap) -> ProviderError {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
        MastodonClassifier.classify(status, headers, body)
    }

    #[test]
    fn messages() {
        assert_eq!(
            mastodon_message(
                StatusCode::UNPROCESSABLE_ENTITY,
                r#"{"error":"Validation failed: Text can't be blank"}"#
            ),
            "Validation failed: Text can't be blank"
        );
        assert_eq!(
            mastodon_message(
                StatusCode::BAD_REQUEST,
                r#"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid"}"#
            ),
            "invalid_grant: The provided authorization grant is invalid"
        );
        assert_eq!(mastodon_message(StatusCode::BAD_GATEWAY, ""), "Bad Gateway");
        assert_eq!(
            mastodon_message(StatusCode::BAD_GATEWAY, "<html>oops</html>"),
            "<html>oops</html>"
        );
    }

    #[test]
    fn classes() {
        let h = HeaderMap::new();
        assert_eq!(
            classify(401, r#"{"error":"The access token is invalid"}"#, &h).class(),
            "disconnected"
        );
        assert_eq!(
            classify(403, r#"{"error":"This action is not allowed"}"#, &h).class(),
            "rejected"
        );
        assert_eq!(
            classify(403, r#"{"error":"Your login is currently disabled"}"#, &h).class(),
            "disconnected"
        );
        assert_eq!(
            classify(
                403,
                r#"{"error":"This action is outside the authorized scopes"}"#,
                &h
            )
            .class(),
            "insufficient_scopes"
        );
        assert_eq!(
            classify(404, r#"{"error":"Record not found"}"#, &h).class(),
            "rejected"
        );
        assert_eq!(
            classify(422, r#"{"error":"Validation failed"}"#, &h).class(),
            "rejected"
        );
        assert_eq!(classify(502, "", &h).class(), "transient");
    }

    #[test]
    fn rate_limit_reset_iso_date() {
        let mut h = HeaderMap::new();
        let reset = chrono::Utc::now() + chrono::Duration::seconds(90);
        let value = reset.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("")),
        );
        let got = rate_limit_reset(&h).map(|d| d.as_secs());
        assert!(matches!(got, Some(89..=90)), "{got:?}");
        match classify(429, r#"{"error":"Too many requests"}"#, &h) {
            ProviderError::RateLimited {
                retry_after,
                message,
            } => {
                assert!(matches!(retry_after.map(|d| d.as_secs()), Some(89..=90)));
                assert_eq!(message, "Too many requests");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn retry_after_wins_over_reset() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("7"));
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_static("2999-01-01T00:00:00.000000Z"),
        );
        match classify(429, "{}", &h) {
            ProviderError::RateLimited { retry_after, .. } => {
                assert_eq!(retry_after, Some(Duration::from_secs(7)));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn past_reset_is_zero() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_static("2000-01-01T00:00:00.000000Z"),
        );
        assert_eq!(rate_limit_reset(&h), Some(Duration::ZERO));
    }

    #[test]
    fn token_endpoint_401_is_configuration() {
        let err = TokenClassifier.classify(
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
        );
        assert_eq!(err.class(), "config");
        assert!(err.to_string().contains("Client authentication failed"));
    }
}
