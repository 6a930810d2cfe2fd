//! The shared conformance kit against X's recorded request and answer shapes.

mod common;

use std::sync::Arc;

use postiz_provider::conformance::{ConformanceTarget, assert_conformance, default_expected_class};
use postiz_provider::{ChannelAuth, Provider, PublishedRef, async_trait};
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct XTarget;

#[async_trait]
impl ConformanceTarget for XTarget {
    fn provider(&self, server: &MockServer) -> Arc<dyn Provider> {
        common::provider(server)
    }

    fn channel(&self) -> ChannelAuth {
        common::channel()
    }

    async fn mount_auth_url(&self, server: &MockServer) {
        Mock::given(method("POST"))
            .and(path("/oauth/request_token"))
            .and(query_param("x_auth_access_type", "write"))
            .respond_with(ResponseTemplate::new(200).set_body_string(
                "oauth_token=Z6eEdO8MOmk394WozF5oKyuAv855l4Mlqo7hhlSLik&oauth_token_secret=Kd75W4OQfb2oJTV0vzGzeXftVAwgMnEK9MumzYc&oauth_callback_confirmed=true",
            ))
            .mount(server)
            .await;
    }

    async fn mount_publish_ok(&self, server: &MockServer) -> PublishedRef {
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                "data": {
                    "id": "1445880548472328192",
                    "text": "Hello from the conformance kit",
                    "edit_history_tweet_ids": ["1445880548472328192"]
                }
            })))
            .mount(server)
            .await;
        PublishedRef {
            id: "1445880548472328192".into(),
            url: "https://x.com/jack/status/1445880548472328192".into(),
        }
    }

    async fn mount_publish_error(
        &self,
        server: &MockServer,
        status: u16,
        message: &str,
        retry_after_secs: Option<u64>,
    ) {
        // X answers v2 errors as RFC 7807 problem details.
        let mut response = ResponseTemplate::new(status).set_body_json(json!({
            "title": "Error",
            "detail": message,
            "type": "about:blank",
            "status": status
        }));
        if let Some(secs) = retry_after_secs {
            response = response.insert_header("retry-after", secs.to_string().as_str());
        }
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .respond_with(response)
            .mount(server)
            .await;
    }

    async fn mount_refresh(&self, _server: &MockServer, _with_refresh_token: bool) -> bool {
        // OAuth 1.0a tokens never expire: there is no refresh endpoint.
        false
    }

    fn expected_class(&self, status: u16) -> &'static str {
        match status {
            // Without refreshable tokens, a 401 means the user revoked the app.
            401 => "disconnected",
            other => default_expected_class(other),
        }
    }
}

#[tokio::test]
async fn x_passes_the_conformance_kit() {
    assert_conformance(&XTarget).await;
}
