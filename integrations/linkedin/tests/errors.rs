//! Error classes of LinkedIn's answers, checked on the publish call.

mod common;

use std::time::Duration;

use postiz_provider::{ProviderError, RetryPolicy};
use postiz_provider_linkedin::{PAGE, PERSONAL};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{ACCESS_TOKEN, error_body, received};

async fn publish_against(
    response: ResponseTemplate,
    retry: RetryPolicy,
) -> (MockServer, Option<ProviderError>) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .respond_with(response)
        .mount(&server)
        .await;
    let err = common::build(&server, PERSONAL, &[], retry)
        .publish(&common::personal_channel(), &common::text_item("hello"))
        .await
        .err();
    (server, err)
}

#[tokio::test]
async fn expired_token_asks_for_a_refresh() {
    let (_, err) = publish_against(
        ResponseTemplate::new(401).set_body_json(json!({
            "status": 401,
            "serviceErrorCode": 65600,
            "code": "INVALID_ACCESS_TOKEN",
            "message": "Invalid access token"
        })),
        RetryPolicy::none(),
    )
    .await;
    assert_eq!(
        err,
        Some(ProviderError::RefreshNeeded("Invalid access token".into()))
    );
}

#[tokio::test]
async fn revoked_token_disconnects() {
    let (_, err) = publish_against(
        ResponseTemplate::new(401).set_body_json(json!({
            "status": 401,
            "serviceErrorCode": 65601,
            "code": "REVOKED_ACCESS_TOKEN",
            "message": "The token used in the request has been revoked by the user"
        })),
        RetryPolicy::none(),
    )
    .await;
    assert_eq!(
        err,
        Some(ProviderError::Disconnected(
            "The token used in the request has been revoked by the user".into()
        ))
    );
}

#[tokio::test]
async fn access_denied_disconnects_with_linkedins_message() {
    let (server, err) = publish_against(
        ResponseTemplate::new(403).set_body_json(error_body(
            403,
            "ACCESS_DENIED",
            "Not enough permissions to access: partnerApiPostsExternal.CREATE.20260301",
        )),
        common::fast_retries(),
    )
    .await;
    assert_eq!(
        err,
        Some(ProviderError::Disconnected(
            "Not enough permissions to access: partnerApiPostsExternal.CREATE.20260301".into()
        ))
    );
    assert_eq!(received(&server, "POST", "/rest/posts").await.len(), 1);
}

#[tokio::test]
async fn throttling_is_rate_limited_with_retry_after() {
    let (server, err) = publish_against(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "3600")
            .set_body_json(error_body(
                429,
                "TOO_MANY_REQUESTS",
                "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
            )),
        common::fast_retries(),
    )
    .await;
    assert_eq!(
        err,
        Some(ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(3600)),
            message: "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.".into()
        })
    );
    // An hour is not waited in place.
    assert_eq!(received(&server, "POST", "/rest/posts").await.len(), 1);
}

#[tokio::test]
async fn validation_errors_are_rejected_with_the_field_details() {
    let (_, err) = publish_against(
        ResponseTemplate::new(422).set_body_json(json!({
            "status": 422,
            "serviceErrorCode": 100,
            "code": "UNPROCESSABLE_ENTITY",
            "message": "Content is a duplicate of urn:li:share:7000",
            "errorDetails": { "inputErrors": [{
                "description": "Duplicate post",
                "input": { "inputPath": { "fieldPath": "/commentary" } },
                "code": "DUPLICATE_POST"
            }] }
        })),
        RetryPolicy::none(),
    )
    .await;
    assert_eq!(
        err,
        Some(ProviderError::Rejected(
            "Content is a duplicate of urn:li:share:7000 (/commentary: Duplicate post)".into()
        ))
    );
}

#[tokio::test]
async fn bad_requests_are_rejected() {
    let (_, err) = publish_against(
        ResponseTemplate::new(400).set_body_json(error_body(
            400,
            "BAD_REQUEST",
            "Unpermitted fields present in REQUEST_BODY",
        )),
        RetryPolicy::none(),
    )
    .await;
    assert_eq!(
        err,
        Some(ProviderError::Rejected(
            "Unpermitted fields present in REQUEST_BODY".into()
        ))
    );
}

#[tokio::test]
async fn server_errors_are_transient_and_a_post_is_not_replayed() {
    let (server, err) = publish_against(
        ResponseTemplate::new(503).set_body_string("Service Unavailable"),
        common::fast_retries(),
    )
    .await;
    assert_eq!(err.as_ref().map(|e| e.class()), Some("transient"));
    // Creating a post is never replayed after a 5xx: LinkedIn may have created it.
    assert_eq!(received(&server, "POST", "/rest/posts").await.len(), 1);
    assert!(!format!("{err:?}").contains(ACCESS_TOKEN));
}

#[tokio::test]
async fn a_sunset_api_version_is_a_configuration_error() {
    let (_, err) = publish_against(
        ResponseTemplate::new(426).set_body_json(error_body(
            426,
            "VERSION_DEPRECATED",
            "Requested version 20240101 is not active",
        )),
        RetryPolicy::none(),
    )
    .await;
    assert_eq!(err.map(|e| e.class()), Some("config"));
}

#[tokio::test]
async fn upload_errors_use_the_same_classes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/images"))
        .respond_with(ResponseTemplate::new(403).set_body_json(error_body(
            403,
            "ACCESS_DENIED",
            "Not enough permissions to access: images.ACTION.20260301",
        )))
        .mount(&server)
        .await;
    let mut item = common::text_item("x");
    item.media = vec![common::image(b"img", None)];
    let err = common::provider(&server, PAGE)
        .publish(&common::page_channel(), &item)
        .await
        .err();
    assert_eq!(
        err,
        Some(ProviderError::Disconnected(
            "Not enough permissions to access: images.ACTION.20260301".into()
        ))
    );
    assert!(received(&server, "POST", "/rest/posts").await.is_empty());
}
