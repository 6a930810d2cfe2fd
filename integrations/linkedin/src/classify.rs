//! LinkedIn error bodies and how they map to error classes.
//!
//! REST API errors look like
//! `{"status":422,"serviceErrorCode":100,"code":"...","message":"...","errorDetails":{...}}`;
//! the OAuth endpoints answer `{"error":"invalid_request","error_description":"..."}`.

use postiz_provider::ProviderError;
use postiz_provider::error::truncate_message;
use postiz_provider::http::{ErrorClassifier, default_classify, default_message};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// The access token was revoked by the member (documented `REVOKED_ACCESS_TOKEN` code): a
/// refresh cannot bring it back.
const REVOKED: &str = "REVOKED_ACCESS_TOKEN";

/// Answered when a comment is created right after its post, before LinkedIn has the post's
/// activity; nothing was created, and the same request succeeds a moment later.
const ACTIVITY_NOT_READY: &str = "Unable to obtain activity";

fn parse(body: &str) -> Option<Value> {
    serde_json::from_str::<Value>(body)
        .ok()
        .filter(Value::is_object)
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The `code` of a REST error body (`ACCESS_DENIED`, `REVOKED_ACCESS_TOKEN`, ...).
fn error_code(body: &str) -> Option<String> {
    parse(body).and_then(|v| str_at(&v, "/code").map(str::to_string))
}

/// The human message of a LinkedIn error, with the field-level details of validation errors.
pub fn linkedin_message(status: StatusCode, body: &str) -> String {
    let Some(value) = parse(body) else {
        return default_message(status, body);
    };
    let Some(message) = str_at(&value, "/message")
        .or_else(|| str_at(&value, "/error_description"))
        .map(str::to_string)
    else {
        return default_message(status, body);
    };
    let details: Vec<String> = value
        .pointer("/errorDetails/inputErrors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| {
                    let description = str_at(e, "/description")?;
                    Some(match str_at(e, "/input/inputPath/fieldPath") {
                        Some(field) => format!("{field}: {description}"),
                        None => description.to_string(),
                    })
                })
                .filter(|d| !message.contains(d.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let full = if details.is_empty() {
        message
    } else {
        format!("{message} ({})", details.join("; "))
    };
    truncate_message(&full, 1000)
}

/// Classifier of the REST and upload calls.
pub struct LinkedInClassifier;

impl ErrorClassifier for LinkedInClassifier {
    fn message(&self, status: StatusCode, body: &str) -> String {
        linkedin_message(status, body)
    }

    fn classify(&self, status: StatusCode, headers: &HeaderMap, body: &str) -> ProviderError {
        let message = self.message(status, body);
        if status.is_client_error() && body.contains(ACTIVITY_NOT_READY) {
            return ProviderError::Transient(message);
        }
        match status {
            StatusCode::UNAUTHORIZED if error_code(body).as_deref() == Some(REVOKED) => {
                ProviderError::Disconnected(message)
            }
            // ACCESS_DENIED: the member lacks the permission or the page role (revoked scope,
            // no longer an administrator of the page). Only the user can fix that.
            StatusCode::FORBIDDEN => ProviderError::Disconnected(message),
            // 426: the LinkedIn-Version header names a version that has been sunset.
            StatusCode::UPGRADE_REQUIRED => ProviderError::Config(format!(
                "LinkedIn no longer accepts the configured API version ({message}); set the \
                 `version` option of the provider to a supported YYYYMM version"
            )),
            _ => default_classify(status, headers, &message),
        }
    }
}

/// Classifier of the token endpoint.
pub struct TokenClassifier {
    /// A refresh (rather than a code exchange): a refused grant means the channel must be
    /// reconnected.
    pub refresh: bool,
}

impl ErrorClassifier for TokenClassifier {
    fn message(&self, status: StatusCode, body: &str) -> String {
        linkedin_message(status, body)
    }

    fn classify(&self, status: StatusCode, headers: &HeaderMap, body: &str) -> ProviderError {
        let message = self.message(status, body);
        let error = parse(body).and_then(|v| str_at(&v, "/error").map(str::to_string));
        if error.as_deref() == Some("invalid_client") {
            return ProviderError::Config(format!(
                "LinkedIn refused the client credentials: {message}"
            ));
        }
        match status {
            StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED if self.refresh => {
                ProviderError::Disconnected(message)
            }
            StatusCode::UNAUTHORIZED => ProviderError::Rejected(message),
            _ => default_classify(status, headers, &message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_with_input_errors() {
        let body = r#"{"status":422,"serviceErrorCode":100,"code":"UNPROCESSABLE_ENTITY",
            "message":"Field Value validation failed in REQUEST_BODY",
            "errorDetails":{"inputErrors":[{"description":"Length exceeds 3000",
            "input":{"inputPath":{"fieldPath":"/commentary"}},"code":"MAX_LENGTH"}]}}"#;
        assert_eq!(
            linkedin_message(StatusCode::UNPROCESSABLE_ENTITY, body),
            "Field Value validation failed in REQUEST_BODY (/commentary: Length exceeds 3000)"
        );
    }

    #[test]
    fn oauth_and_unknown_bodies() {
        assert_eq!(
            linkedin_message(
                StatusCode::BAD_REQUEST,
                r#"{"error":"invalid_request","error_description":"bad code"}"#
            ),
            "bad code"
        );
        assert_eq!(linkedin_message(StatusCode::BAD_GATEWAY, ""), "Bad Gateway");
    }

    #[test]
    fn classes() {
        let h = HeaderMap::new();
        let c = LinkedInClassifier;
        let revoked = r#"{"status":401,"serviceErrorCode":65601,"code":"REVOKED_ACCESS_TOKEN","message":"revoked"}"#;
        assert_eq!(
            c.classify(StatusCode::UNAUTHORIZED, &h, revoked).class(),
            "disconnected"
        );
        let expired = r#"{"status":401,"serviceErrorCode":65600,"code":"INVALID_ACCESS_TOKEN","message":"expired"}"#;
        assert_eq!(
            c.classify(StatusCode::UNAUTHORIZED, &h, expired).class(),
            "refresh_needed"
        );
        assert_eq!(
            c.classify(StatusCode::FORBIDDEN, &h, "{}").class(),
            "disconnected"
        );
        assert_eq!(
            c.classify(StatusCode::UPGRADE_REQUIRED, &h, "{}").class(),
            "config"
        );
        let activity = r#"{"status":400,"message":"Unable to obtain activity urn:li:activity:1"}"#;
        assert_eq!(
            c.classify(StatusCode::BAD_REQUEST, &h, activity).class(),
            "transient"
        );
        let refresh = TokenClassifier { refresh: true };
        assert_eq!(
            refresh.classify(StatusCode::BAD_REQUEST, &h, "{}").class(),
            "disconnected"
        );
        let exchange = TokenClassifier { refresh: false };
        assert_eq!(
            exchange.classify(StatusCode::BAD_REQUEST, &h, "{}").class(),
            "rejected"
        );
        assert_eq!(
            exchange
                .classify(
                    StatusCode::UNAUTHORIZED,
                    &h,
                    r#"{"error":"invalid_client"}"#
                )
                .class(),
            "config"
        );
    }
}
