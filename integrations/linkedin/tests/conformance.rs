//! The shared conformance kit, run for both identifiers with LinkedIn's real shapes.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use postiz_provider::conformance::{ConformanceTarget, assert_conformance, default_expected_class};
use postiz_provider::{ChannelAuth, Provider, PublishedRef};
use postiz_provider_linkedin::{PAGE, PERSONAL};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{ACCESS_TOKEN, error_body};

struct LinkedIn {
    identifier: &'static str,
}

#[async_trait]
impl ConformanceTarget for LinkedIn {
    fn provider(&self, server: &MockServer) -> Arc<dyn Provider> {
        common::provider(server, self.identifier)
    }

    fn channel(&self) -> ChannelAuth {
        if self.identifier == PAGE {
            common::page_channel()
        } else {
            common::personal_channel()
        }
    }

    async fn mount_publish_ok(&self, server: &MockServer) -> PublishedRef {
        let urn = "urn:li:share:7100000000000000001";
        Mock::given(method("POST"))
            .and(path("/rest/posts"))
            .and(header(
                "authorization",
                format!("Bearer {ACCESS_TOKEN}").as_str(),
            ))
            .and(header("x-restli-protocol-version", "2.0.0"))
            .respond_with(ResponseTemplate::new(201).insert_header("x-restli-id", urn))
            .mount(server)
            .await;
        PublishedRef {
            id: urn.into(),
            url: format!("https://www.linkedin.com/feed/update/{urn}"),
        }
    }

    async fn mount_publish_error(
        &self,
        server: &MockServer,
        status: u16,
        message: &str,
        retry_after_secs: Option<u64>,
    ) {
        let code = match status {
            401 => "INVALID_ACCESS_TOKEN",
            403 => "ACCESS_DENIED",
            422 => "UNPROCESSABLE_ENTITY",
            429 => "TOO_MANY_REQUESTS",
            500..=599 => "INTERNAL_SERVER_ERROR",
            _ => "BAD_REQUEST",
        };
        let mut response =
            ResponseTemplate::new(status).set_body_json(error_body(status, code, message));
        if let Some(secs) = retry_after_secs {
            response = response.insert_header("retry-after", secs.to_string().as_str());
        }
        Mock::given(method("POST"))
            .and(path("/rest/posts"))
            .respond_with(response)
            .mount(server)
            .await;
    }

    async fn mount_refresh(&self, server: &MockServer, with_refresh_token: bool) -> bool {
        let mut answer = serde_json::json!({
            "access_token": "new-access-token",
            "expires_in": 5_184_000,
            "refresh_token_expires_in": 31_536_000,
            "scope": "openid,profile,w_member_social",
        });
        if with_refresh_token {
            answer["refresh_token"] = "new-refresh-token".into();
        }
        Mock::given(method("POST"))
            .and(path("/oauth/v2/accessToken"))
            .and(body_string_contains("grant_type=refresh_token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .mount(server)
            .await;
        true
    }

    fn expected_class(&self, status: u16) -> &'static str {
        // 403 ACCESS_DENIED: a missing permission or page role, which only the user can fix.
        if status == 403 {
            "disconnected"
        } else {
            default_expected_class(status)
        }
    }
}

#[tokio::test]
async fn linkedin_passes_the_conformance_kit() {
    assert_conformance(&LinkedIn {
        identifier: PERSONAL,
    })
    .await;
}

#[tokio::test]
async fn linkedin_page_passes_the_conformance_kit() {
    assert_conformance(&LinkedIn { identifier: PAGE }).await;
}
