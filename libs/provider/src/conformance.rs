//! The conformance kit: one battery of wiremock-based checks that every provider crate runs
//! against its own recorded API shapes, so each network maps answers to the same error classes
//! and honours the same token rules.
//!
//! A provider crate implements [`ConformanceTarget`] in its tests (mounting the network's real
//! request and response shapes) and calls [`assert_conformance`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use wiremock::MockServer;

use crate::capabilities::AuthFlow;
use crate::error::ProviderError;
use crate::provider::Provider;
use crate::types::{AuthUrlRequest, ChannelAuth, PostItem, PublishOutcome, PublishedRef};

/// A provider under test with its network's recorded answers.
#[async_trait]
pub trait ConformanceTarget: Send + Sync {
    /// Builds the provider with every base URL pointing at `server` and in-place retries off
    /// (`RetryPolicy::none()`), so each scenario sees exactly one answer.
    fn provider(&self, server: &MockServer) -> Arc<dyn Provider>;

    /// A connected channel as stored after authentication, with a refresh token if the network
    /// issues them.
    fn channel(&self) -> ChannelAuth;

    /// Mounts what `auth_url` calls, for networks that call out to build it (OAuth 1.0a).
    async fn mount_auth_url(&self, _server: &MockServer) {}

    /// Mounts the answers to publishing a text-only post; returns what the network assigns.
    async fn mount_publish_ok(&self, server: &MockServer) -> PublishedRef;

    /// Mounts an error answer to the publish call: `status` with the network's own error body
    /// carrying `message`, and a `Retry-After` header when given.
    async fn mount_publish_error(
        &self,
        server: &MockServer,
        status: u16,
        message: &str,
        retry_after_secs: Option<u64>,
    );

    /// Mounts the token endpoint answering a refresh with a new access token `new-access-token`
    /// and, when `with_refresh_token`, a new refresh token `new-refresh-token`. Networks whose
    /// tokens never expire mount nothing and return `false`.
    async fn mount_refresh(&self, server: &MockServer, with_refresh_token: bool) -> bool;

    /// The class a status maps to on this network, where it differs from the common rules.
    fn expected_class(&self, status: u16) -> &'static str {
        default_expected_class(status)
    }
}

/// The common mapping: 401 refresh, 429 rate limited, 5xx transient, other 4xx rejected.
pub fn default_expected_class(status: u16) -> &'static str {
    match status {
        401 => "refresh_needed",
        429 => "rate_limited",
        500..=599 => "transient",
        _ => "rejected",
    }
}

/// A plain text post item for the scenarios.
pub fn text_item(message: &str) -> PostItem {
    PostItem {
        id: "conformance-post".into(),
        message: message.into(),
        media: Vec::new(),
        settings: serde_json::json!({}),
    }
}

/// Runs every scenario; panics naming the provider and the scenario at the first failure.
pub async fn assert_conformance(target: &dyn ConformanceTarget) {
    let probe = MockServer::start().await;
    let name = target.provider(&probe).identifier();
    check_capabilities(target, &probe, name);
    check_auth_url(target, name).await;
    check_publish_ok(target, name).await;
    for (status, retry_after) in [
        (400, None),
        (401, None),
        (403, None),
        (422, None),
        (429, Some(30)),
        (500, None),
        (503, None),
    ] {
        check_publish_error(target, name, status, retry_after).await;
    }
    check_refresh(target, name).await;
}

fn check_capabilities(target: &dyn ConformanceTarget, server: &MockServer, name: &str) {
    let provider = target.provider(server);
    let caps = provider.capabilities();
    assert!(!caps.identifier.is_empty(), "{name}: empty identifier");
    assert!(!caps.name.is_empty(), "{name}: empty display name");
    assert!(
        caps.max_concurrent_jobs >= 1,
        "{name}: max_concurrent_jobs must be at least 1"
    );
    if caps.auth_flow == AuthFlow::Credentials {
        assert!(
            !caps.custom_fields.is_empty(),
            "{name}: a credentials provider must declare its custom fields"
        );
    }
    let max = provider.max_length(&target.channel(), &serde_json::json!({}));
    assert!(max > 0, "{name}: max_length must be positive");
    assert_eq!(
        provider.text_length("abc"),
        3,
        "{name}: plain ASCII counts one per character"
    );
}

async fn check_auth_url(target: &dyn ConformanceTarget, name: &str) {
    let server = MockServer::start().await;
    target.mount_auth_url(&server).await;
    let provider = target.provider(&server);
    let auth = provider
        .auth_url(AuthUrlRequest {
            redirect_uri: format!("http://localhost:4200/integrations/social/{name}"),
        })
        .await
        .unwrap_or_else(|e| panic!("{name}: auth_url failed: {e}"));
    assert!(!auth.state.is_empty(), "{name}: auth_url returned no state");
    assert!(!auth.url.is_empty(), "{name}: auth_url returned no URL");
    if let AuthFlow::OAuth2 { pkce } = provider.capabilities().auth_flow {
        assert!(
            auth.url.contains(&format!("state={}", auth.state)),
            "{name}: the OAuth 2 URL must carry the state: {}",
            auth.url
        );
        if pkce {
            assert!(
                auth.url.contains("code_challenge="),
                "{name}: PKCE URL without code_challenge"
            );
            assert!(
                !auth.code_verifier.is_empty(),
                "{name}: PKCE without a verifier to keep"
            );
        }
    }
}

async fn check_publish_ok(target: &dyn ConformanceTarget, name: &str) {
    let server = MockServer::start().await;
    let expected = target.mount_publish_ok(&server).await;
    let provider = target.provider(&server);
    let outcome = provider
        .publish(
            &target.channel(),
            &text_item("Hello from the conformance kit"),
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: publishing a text post failed: {e}"));
    match outcome {
        PublishOutcome::Published(published) => {
            assert_eq!(published.id, expected.id, "{name}: wrong release id");
            assert_eq!(published.url, expected.url, "{name}: wrong release URL");
        }
        PublishOutcome::Pending { .. } => {}
    }
    let received = server.received_requests().await.unwrap_or_default();
    assert!(
        !received.is_empty(),
        "{name}: publishing sent nothing to the network"
    );
    let token = target.channel().tokens.access_token;
    let sent_token = received.iter().any(|r| {
        r.headers
            .values()
            .any(|v| v.to_str().is_ok_and(|v| v.contains(&token)))
            || String::from_utf8_lossy(&r.body).contains(&token)
    });
    let oauth1 = provider.capabilities().auth_flow == AuthFlow::OAuth1a;
    assert!(
        sent_token || oauth1 || token.is_empty(),
        "{name}: the channel's access token was not sent"
    );
}

async fn check_publish_error(
    target: &dyn ConformanceTarget,
    name: &str,
    status: u16,
    retry_after: Option<u64>,
) {
    let server = MockServer::start().await;
    let message = format!("conformance failure {status}");
    target
        .mount_publish_error(&server, status, &message, retry_after)
        .await;
    let provider = target.provider(&server);
    let channel = target.channel();
    let result = provider
        .publish(&channel, &text_item("This publication must fail"))
        .await;
    let error = match result {
        Err(e) => e,
        Ok(outcome) => panic!("{name}: status {status} was taken as success: {outcome:?}"),
    };
    let expected = target.expected_class(status);
    assert_eq!(
        error.class(),
        expected,
        "{name}: status {status} classified as {} ({error}), expected {expected}",
        error.class()
    );
    if expected == "rejected" {
        assert!(
            error.user_message().contains(&message),
            "{name}: the network's message was lost for status {status}: {error}"
        );
    }
    if let (
        ProviderError::RateLimited {
            retry_after: got, ..
        },
        Some(secs),
    ) = (&error, retry_after)
    {
        assert_eq!(
            *got,
            Some(Duration::from_secs(secs)),
            "{name}: Retry-After not honoured"
        );
    }
    let debug = format!("{error:?}");
    assert!(
        channel.tokens.access_token.is_empty() || !debug.contains(&channel.tokens.access_token),
        "{name}: an error carries the access token"
    );
}

async fn check_refresh(target: &dyn ConformanceTarget, name: &str) {
    for with_refresh_token in [true, false] {
        let server = MockServer::start().await;
        if !target.mount_refresh(&server, with_refresh_token).await {
            let provider = target.provider(&server);
            assert!(
                !provider.capabilities().refreshable,
                "{name}: declares refreshable tokens but mounts no refresh endpoint"
            );
            return;
        }
        let provider = target.provider(&server);
        let channel = target.channel();
        let refreshed = provider
            .refresh(&channel)
            .await
            .unwrap_or_else(|e| panic!("{name}: refresh failed: {e}"));
        assert_eq!(
            refreshed.access_token, "new-access-token",
            "{name}: refresh did not return the new access token"
        );
        let merged = channel.tokens.merged_after_refresh(refreshed);
        if with_refresh_token {
            assert_eq!(
                merged.refresh_token.as_deref(),
                Some("new-refresh-token"),
                "{name}: the new refresh token was dropped"
            );
        } else {
            assert_eq!(
                merged.refresh_token, channel.tokens.refresh_token,
                "{name}: a refresh without a new refresh token lost the stored one"
            );
        }
    }
}
