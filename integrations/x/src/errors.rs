//! How X's error answers map to error classes.
//!
//! X answers v2 errors as RFC 7807 problems (`{"title","detail","type","status"}`, sometimes with
//! an `errors` array of `{"message"}` for invalid parameters), v1.1-style endpoints (OAuth) with
//! `{"errors":[{"code","message"}]}` or an XML `<error>` element.

use std::time::Duration;

use postiz_provider::error::truncate_message;
use postiz_provider::http::{default_message, retry_after};
use postiz_provider::{ErrorClassifier, ProviderError};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// The classifier of every X call.
pub struct XClassifier;

impl ErrorClassifier for XClassifier {
    fn message(&self, status: StatusCode, body: &str) -> String {
        x_message(status, body)
    }

    fn classify(&self, status: StatusCode, headers: &HeaderMap, body: &str) -> ProviderError {
        let message = self.message(status, body);
        match status.as_u16() {
            // X's OAuth 1.0a tokens never expire: a 401 means the user revoked the app or the
            // token is otherwise dead, and only reconnecting helps.
            401 => ProviderError::Disconnected(message),
            // A user token that X no longer accepts for this endpoint.
            403 if body.contains("Unsupported Authentication") => {
                ProviderError::Disconnected(message)
            }
            // Duplicate content, suspended account, action not permitted: the user must act.
            403 => ProviderError::Rejected(message),
            429 => ProviderError::RateLimited {
                retry_after: retry_after(headers).or_else(|| rate_limit_reset(headers)),
                message,
            },
            s if s >= 500 => ProviderError::Transient(format!("{status}: {message}")),
            _ => ProviderError::Rejected(message),
        }
    }
}

/// `x-rate-limit-reset` is the epoch second at which X's window resets.
fn rate_limit_reset(headers: &HeaderMap) -> Option<Duration> {
    let reset: i64 = headers
        .get("x-rate-limit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let now = chrono_now_secs();
    Some(Duration::from_secs(u64::try_from(reset - now).unwrap_or(0)))
}

fn chrono_now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// X's own explanation of an error body.
pub fn x_message(status: StatusCode, body: &str) -> String {
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        if let Some(message) = json_message(&value) {
            return truncate_message(&message, 1000);
        }
    } else if let Some(message) = xml_error(body) {
        return truncate_message(&message, 1000);
    }
    default_message(status, body)
}

/// The message of a JSON error: the problem's detail (or title), completed by the messages of
/// the `errors` entries when they say more.
pub fn json_message(value: &Value) -> Option<String> {
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let primary = text(value.get("detail"))
        .or_else(|| text(value.get("error_description")))
        .or_else(|| text(value.get("message")))
        .or_else(|| text(value.get("error")))
        .or_else(|| text(value.get("title")));
    let details: Vec<String> = value
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| text(e.get("message")).or_else(|| text(e.get("detail"))))
                .filter(|m| primary.as_deref() != Some(m.as_str()))
                .collect()
        })
        .unwrap_or_default();
    match (primary, details.is_empty()) {
        (Some(p), true) => Some(p),
        (Some(p), false) => Some(format!("{p} ({})", details.join("; "))),
        (None, false) => Some(details.join("; ")),
        (None, true) => None,
    }
}

/// `<error ...>message</error>` of the XML answers of X's OAuth endpoints.
fn xml_error(body: &str) -> Option<String> {
    let start = body.find("<error ").or_else(|| body.find("<error>"))?;
    let open_end = start + body[start..].find('>')? + 1;
    let close = open_end + body[open_end..].find("</error>")?;
    let message = body[open_end..close].trim();
    (!message.is_empty()).then(|| message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(status: u16, body: &str) -> ProviderError {
        XClassifier.classify(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            &HeaderMap::new(),
            body,
        )
    }

    #[test]
    fn problem_details_carry_the_message() {
        let body = r#"{"title":"Forbidden","detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","status":403}"#;
        assert_eq!(
            classify(403, body),
            ProviderError::Rejected(
                "You are not allowed to create a Tweet with duplicate content.".into()
            )
        );
    }

    #[test]
    fn invalid_request_lists_the_parameter_errors() {
        let body = r#"{"errors":[{"parameters":{"text":["x"]},"message":"Your Tweet text is too long."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}"#;
        assert_eq!(
            x_message(StatusCode::BAD_REQUEST, body),
            "One or more parameters to your request was invalid. (Your Tweet text is too long.)"
        );
    }

    #[test]
    fn v1_and_xml_errors() {
        assert_eq!(
            x_message(
                StatusCode::UNAUTHORIZED,
                r#"{"errors":[{"code":32,"message":"Could not authenticate you."}]}"#
            ),
            "Could not authenticate you."
        );
        assert_eq!(
            x_message(
                StatusCode::FORBIDDEN,
                r#"<?xml version="1.0" encoding="UTF-8"?><errors><error code="415">Callback URL not approved for this client application.</error></errors>"#
            ),
            "Callback URL not approved for this client application."
        );
    }

    #[test]
    fn classes() {
        assert_eq!(classify(401, "{}").class(), "disconnected");
        assert_eq!(
            classify(
                403,
                r#"{"title":"Unsupported Authentication","detail":"x"}"#
            )
            .class(),
            "disconnected"
        );
        assert_eq!(classify(429, "{}").class(), "rate_limited");
        assert_eq!(classify(503, "Service Unavailable").class(), "transient");
        assert_eq!(classify(422, "{}").class(), "rejected");
    }

    #[test]
    fn rate_limit_reset_header_is_used_without_retry_after() {
        let mut headers = HeaderMap::new();
        let reset = chrono_now_secs() + 120;
        headers.insert(
            "x-rate-limit-reset",
            reset
                .to_string()
                .parse()
                .unwrap_or_else(|_| panic!("header")),
        );
        match XClassifier.classify(StatusCode::TOO_MANY_REQUESTS, &headers, "{}") {
            ProviderError::RateLimited {
                retry_after: Some(d),
                ..
            } => {
                assert!(d.as_secs() >= 118 && d.as_secs() <= 120, "{d:?}");
            }
            other => panic!("{other:?}"),
        }
    }
}
