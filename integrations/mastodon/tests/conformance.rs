//! The shared conformance kit against Mastodon's recorded answers.

mod common;

use std::sync::Arc;

use postiz_provider::conformance::{ConformanceTarget, assert_conformance, default_expected_class};
use postiz_provider::{ChannelAuth, Provider, PublishedRef, async_trait};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Mastodon;

#[async_trait]
impl ConformanceTarget for Mastodon {
    fn provider(&self, server: &MockServer) -> Arc<dyn Provider> {
        common::provider(server)
    }

    fn channel(&self) -> ChannelAuth {
        common::channel()
    }

    async fn mount_publish_ok(&self, server: &MockServer) -> PublishedRef {
        common::mount_status(server, "103254962155278888").await;
        PublishedRef {
            id: "103254962155278888".into(),
            url: format!("{}/@alice/103254962155278888", server.uri()),
        }
    }

    async fn mount_publish_error(
        &self,
        server: &MockServer,
        status: u16,
        message: &str,
        retry_after_secs: Option<u64>,
    ) {
        let mut response =
            ResponseTemplate::new(status).set_body_json(serde_json::json!({ "error": message }));
        if status == 429 {
            // What Mastodon's rate limiter sends, plus the Retry-After the kit asks for.
            response = response
                .insert_header("x-ratelimit-limit", "300")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "2999-01-01T00:00:00.000000Z");
        }
        if let Some(secs) = retry_after_secs {
            response = response.insert_header("retry-after", secs.to_string().as_str());
        }
        Mock::given(method("POST"))
            .and(path("/api/v1/statuses"))
            .and(header(
                "authorization",
                format!("Bearer {}", common::TOKEN).as_str(),
            ))
            .respond_with(response)
            .mount(server)
            .await;
    }

    /// Mastodon tokens never expire: no refresh endpoint.
    async fn mount_refresh(&self, _server: &MockServer, _with_refresh_token: bool) -> bool {
        false
    }

    fn expected_class(&self, status: u16) -> &'static str {
        match status {
            // Tokens cannot be refreshed, so a 401 means the token was revoked.
            401 => "disconnected",
            other => default_expected_class(other),
        }
    }
}

#[tokio::test]
async fn mastodon_passes_the_conformance_kit() {
    assert_conformance(&Mastodon).await;
}
