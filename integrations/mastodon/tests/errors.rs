//! Each Mastodon error answer to status creation maps to its class, with the network's message.

mod common;

use std::time::Duration;

use common::{TOKEN, requests_to};
use postiz_provider::ProviderError;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn publish_against(response: ResponseTemplate) -> (ProviderError, MockServer) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(response)
        .mount(&server)
        .await;
    let result = common::provider(&server)
        .publish(&common::channel(), &common::text_item("p", "text"))
        .await;
    let err = match result {
        Err(e) => e,
        Ok(o) => panic!("expected an error, got {o:?}"),
    };
    assert!(!format!("{err:?}").contains(TOKEN), "token leaked: {err:?}");
    assert_eq!(
        requests_to(&server, "POST", "/api/v1/statuses").await.len(),
        1,
        "a status creation is sent once"
    );
    (err, server)
}

fn error_body(message: &str) -> serde_json::Value {
    serde_json::json!({ "error": message })
}

#[tokio::test]
async fn revoked_token_disconnects_the_channel() {
    let (err, _s) = publish_against(
        ResponseTemplate::new(401).set_body_json(error_body("The access token was revoked")),
    )
    .await;
    assert_eq!(
        err,
        ProviderError::Disconnected("The access token was revoked".into())
    );
}

#[tokio::test]
async fn forbidden_is_rejected_with_the_message() {
    let (err, _s) = publish_against(
        ResponseTemplate::new(403).set_body_json(error_body("This action is not allowed")),
    )
    .await;
    assert_eq!(
        err,
        ProviderError::Rejected("This action is not allowed".into())
    );
}

#[tokio::test]
async fn disabled_login_disconnects_the_channel() {
    let (err, _s) = publish_against(
        ResponseTemplate::new(403).set_body_json(error_body("Your login is currently disabled")),
    )
    .await;
    assert_eq!(
        err,
        ProviderError::Disconnected("Your login is currently disabled".into())
    );
}

#[tokio::test]
async fn missing_scope_is_reported() {
    let (err, _s) = publish_against(
        ResponseTemplate::new(403)
            .set_body_json(error_body("This action is outside the authorized scopes")),
    )
    .await;
    assert_eq!(err.class(), "insufficient_scopes");
}

#[tokio::test]
async fn not_found_parent_is_rejected() {
    let (err, _s) =
        publish_against(ResponseTemplate::new(404).set_body_json(error_body("Record not found")))
            .await;
    assert_eq!(err, ProviderError::Rejected("Record not found".into()));
}

#[tokio::test]
async fn validation_failure_keeps_mastodons_message() {
    let (err, _s) = publish_against(ResponseTemplate::new(422).set_body_json(error_body(
        "Validation failed: Text character limit of 500 exceeded",
    )))
    .await;
    assert_eq!(
        err.user_message(),
        "Validation failed: Text character limit of 500 exceeded"
    );
    assert_eq!(err.class(), "rejected");
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let (err, _s) = publish_against(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "42")
            .insert_header("x-ratelimit-reset", "2999-01-01T00:00:00.000000Z")
            .set_body_json(error_body("Too many requests")),
    )
    .await;
    assert_eq!(
        err,
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(42)),
            message: "Too many requests".into()
        }
    );
}

#[tokio::test]
async fn rate_limit_without_retry_after_uses_the_reset_time() {
    let reset = chrono_like_reset(120);
    let (err, _s) = publish_against(
        ResponseTemplate::new(429)
            .insert_header("x-ratelimit-limit", "300")
            .insert_header("x-ratelimit-remaining", "0")
            .insert_header("x-ratelimit-reset", reset.as_str())
            .set_body_json(error_body("Too many requests")),
    )
    .await;
    match err {
        ProviderError::RateLimited {
            retry_after,
            message,
        } => {
            let secs = retry_after.map(|d| d.as_secs());
            assert!(matches!(secs, Some(118..=120)), "{secs:?}");
            assert_eq!(message, "Too many requests");
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// An ISO 8601 time `secs` from now with microseconds, as Mastodon formats it.
fn chrono_like_reset(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[tokio::test]
async fn server_errors_are_transient() {
    for status in [500u16, 502, 503] {
        let (err, _s) = publish_against(
            ResponseTemplate::new(status)
                .set_body_string("<html>We're sorry, but something went wrong</html>"),
        )
        .await;
        assert_eq!(err.class(), "transient", "{status}");
        assert!(err.to_string().contains(&status.to_string()), "{err}");
    }
}
