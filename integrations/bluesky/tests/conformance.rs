//! The shared conformance kit against Bluesky's recorded XRPC shapes.

mod common;

use std::sync::Arc;

use postiz_provider::conformance::{ConformanceTarget, assert_conformance};
use postiz_provider::{ChannelAuth, Provider, PublishedRef, TokenSet, async_trait};
use serde_json::json;
use wiremock::matchers::{bearer_token, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Bluesky;

const CREATE_RECORD: &str = "/xrpc/com.atproto.repo.createRecord";

#[async_trait]
impl ConformanceTarget for Bluesky {
    fn provider(&self, server: &MockServer) -> Arc<dyn Provider> {
        common::provider(server)
    }

    fn channel(&self) -> ChannelAuth {
        // No stored service: the provider's configured default (the mock server) is used.
        ChannelAuth {
            internal_id: "did:plc:conformance".into(),
            username: "conformance.bsky.social".into(),
            tokens: TokenSet {
                access_token: "conformance-access-jwt".into(),
                refresh_token: Some("conformance-refresh-jwt".into()),
                ..Default::default()
            },
            custom: Some(
                json!({"identifier": "conformance.bsky.social", "password": "app-password"}),
            ),
            additional_settings: Vec::new(),
        }
    }

    async fn mount_publish_ok(&self, server: &MockServer) -> PublishedRef {
        let uri = "at://did:plc:conformance/app.bsky.feed.post/3kconform2x";
        Mock::given(method("POST"))
            .and(path(CREATE_RECORD))
            .and(bearer_token("conformance-access-jwt"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "uri": uri,
                "cid": "bafyreihconformance",
                "commit": {"cid": "bafyreicommit", "rev": "3kconformrev"},
                "validationStatus": "valid"
            })))
            .mount(server)
            .await;
        PublishedRef {
            id: uri.into(),
            url: "https://bsky.app/profile/conformance.bsky.social/post/3kconform2x".into(),
        }
    }

    async fn mount_publish_error(
        &self,
        server: &MockServer,
        status: u16,
        message: &str,
        retry_after_secs: Option<u64>,
    ) {
        let error = match status {
            400 | 422 => "InvalidRequest",
            401 => "AuthenticationRequired",
            403 => "Forbidden",
            429 => "RateLimitExceeded",
            _ => "InternalServerError",
        };
        let mut response = ResponseTemplate::new(status)
            .set_body_json(json!({"error": error, "message": message}));
        if let Some(secs) = retry_after_secs {
            response = response.insert_header("retry-after", secs.to_string().as_str());
        }
        Mock::given(method("POST"))
            .and(path(CREATE_RECORD))
            .respond_with(response)
            .mount(server)
            .await;
    }

    async fn mount_refresh(&self, server: &MockServer, with_refresh_token: bool) -> bool {
        let mut body = json!({
            "accessJwt": "new-access-token",
            "handle": "conformance.bsky.social",
            "did": "did:plc:conformance",
            "active": true
        });
        if with_refresh_token {
            body["refreshJwt"] = json!("new-refresh-token");
        }
        Mock::given(method("POST"))
            .and(path("/xrpc/com.atproto.server.refreshSession"))
            .and(bearer_token("conformance-refresh-jwt"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(server)
            .await;
        true
    }
}

#[tokio::test]
async fn bluesky_passes_the_conformance_kit() {
    assert_conformance(&Bluesky).await;
}
