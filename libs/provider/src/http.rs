//! The HTTP helper every provider uses: timeouts, retries of 429 and 5xx with backoff that honours
//! `Retry-After`, and the mapping of failures to [`ProviderError`] classes.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::{ProviderError, truncate_message};

/// How many times and how long the helper retries in place before giving the error to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff delay; doubled on each retry.
    pub base_delay: Duration,
    /// Waits longer than this (from `Retry-After` or backoff) are not done in place: the error is
    /// returned so the scheduler can come back later without holding a worker.
    pub max_inline_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_inline_wait: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retries at all; used by tests that check a single classification.
    pub const fn none() -> Self {
        Self {
            max_retries: 0,
            base_delay: Duration::from_millis(0),
            max_inline_wait: Duration::from_secs(0),
        }
    }
}

/// Timeouts and retry policy of the shared client.
#[derive(Debug, Clone, Copy)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    /// Whole-request timeout; uploads of large videos use [`HttpClient::upload_timeout`].
    pub request_timeout: Duration,
    pub upload_timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            upload_timeout: Duration::from_secs(30 * 60),
            retry: RetryPolicy::default(),
        }
    }
}

/// Whether the request may be sent again after a failure whose effect is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Reads and idempotent writes: safe to repeat after a timeout or a 5xx.
    Safe,
    /// Creates something (a post, a comment): repeated only when we know it was not processed
    /// (connection refused, 429). A timeout after sending becomes [`ProviderError::Unconfirmed`].
    Once,
}

/// Turns a non-success answer of a network into an error class. Each provider supplies one that
/// knows its network's error body; [`DefaultClassifier`] covers the common rules.
pub trait ErrorClassifier: Send + Sync {
    /// The human message inside an error body (for example `{"error":{"message":...}}`).
    fn message(&self, status: StatusCode, body: &str) -> String {
        default_message(status, body)
    }

    fn classify(&self, status: StatusCode, headers: &HeaderMap, body: &str) -> ProviderError {
        default_classify(status, headers, &self.message(status, body))
    }
}

/// The common status-code rules with a generic message extractor.
pub struct DefaultClassifier;

impl ErrorClassifier for DefaultClassifier {}

/// 401 refresh, 429 rate limited, 5xx transient, other 4xx rejected with the network's message.
pub fn default_classify(status: StatusCode, headers: &HeaderMap, message: &str) -> ProviderError {
    match status {
        StatusCode::UNAUTHORIZED => ProviderError::RefreshNeeded(message.to_string()),
        StatusCode::TOO_MANY_REQUESTS => ProviderError::RateLimited {
            retry_after: retry_after(headers),
            message: message.to_string(),
        },
        s if s.is_server_error() => ProviderError::Transient(format!("{s}: {message}")),
        _ => ProviderError::Rejected(message.to_string()),
    }
}

/// Finds a human message in common error body shapes, falling back to the body or status text.
pub fn default_message(status: StatusCode, body: &str) -> String {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(body) {
        for pointer in [
            "/error/message",
            "/error_description",
            "/message",
            "/detail",
            "/errors/0/message",
            "/errors/0/detail",
            "/error",
            "/title",
        ] {
            if let Some(text) = value.pointer(pointer).and_then(|v| v.as_str())
                && !text.trim().is_empty()
            {
                return truncate_message(text, 1000);
            }
        }
    }
    if body.trim().is_empty() {
        return status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_string();
    }
    truncate_message(body, 1000)
}

/// Parses `Retry-After` given in seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// A reqwest client with the retry and classification rules applied to every call.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    settings: HttpSettings,
}

impl HttpClient {
    pub fn new(settings: HttpSettings) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .user_agent(concat!("postiz-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Config(format!("cannot build HTTP client: {e}")))?;
        Ok(Self { client, settings })
    }

    /// The same client with another retry policy.
    pub fn with_retry(&self, retry: RetryPolicy) -> Self {
        let mut settings = self.settings;
        settings.retry = retry;
        Self {
            client: self.client.clone(),
            settings,
        }
    }

    /// The underlying reqwest client, for building requests.
    pub fn raw(&self) -> &reqwest::Client {
        &self.client
    }

    /// Timeout to set on a request that uploads a large file.
    pub fn upload_timeout(&self) -> Duration {
        self.settings.upload_timeout
    }

    /// Sends the request built by `build` (called again for each attempt) and returns the
    /// successful response, retrying what can be retried and classifying what cannot.
    pub async fn send(
        &self,
        build: impl Fn() -> RequestBuilder,
        replay: Replay,
        classifier: &dyn ErrorClassifier,
    ) -> Result<Response, ProviderError> {
        let policy = self.settings.retry;
        let mut attempt: u32 = 0;
        loop {
            let outcome = build().send().await;
            let error = match outcome {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let body = response.text().await.unwrap_or_default();
                    let error = classifier.classify(status, &headers, &body);
                    tracing::debug!(%status, class = error.class(), "provider call failed");
                    // A 5xx on a one-shot request is returned, not replayed here: whether the
                    // network acted on it is unknown, and the publisher decides.
                    if replay == Replay::Once && status.is_server_error() {
                        return Err(error);
                    }
                    error
                }
                Err(e) => transport_error(&e, replay),
            };
            let wait = match &error {
                ProviderError::RateLimited { retry_after, .. } => {
                    retry_after.unwrap_or_else(|| backoff(policy, attempt))
                }
                ProviderError::Transient(_) => backoff(policy, attempt),
                _ => return Err(error),
            };
            if attempt >= policy.max_retries || wait > policy.max_inline_wait {
                return Err(error);
            }
            attempt += 1;
            tracing::debug!(
                attempt,
                wait_ms = wait.as_millis() as u64,
                "retrying provider call"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// [`HttpClient::send`] and decode the JSON body.
    pub async fn json<T: DeserializeOwned>(
        &self,
        build: impl Fn() -> RequestBuilder,
        replay: Replay,
        classifier: &dyn ErrorClassifier,
    ) -> Result<T, ProviderError> {
        let response = self.send(build, replay, classifier).await?;
        decode_json(response).await
    }
}

/// Decodes a success body; a body we cannot read is the network's contract breaking, not ours.
pub async fn decode_json<T: DeserializeOwned>(response: Response) -> Result<T, ProviderError> {
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| ProviderError::Transient(format!("reading the response failed: {e}")))?;
    serde_json::from_str(&body).map_err(|e| {
        ProviderError::Rejected(format!(
            "unexpected answer from the network ({status}): {e}: {}",
            truncate_message(&body, 300)
        ))
    })
}

fn backoff(policy: RetryPolicy, attempt: u32) -> Duration {
    policy
        .base_delay
        .saturating_mul(2u32.saturating_pow(attempt.min(16)))
}

fn transport_error(e: &reqwest::Error, replay: Replay) -> ProviderError {
    // A connection that was never established means the request was never sent.
    if e.is_connect() || replay == Replay::Safe {
        return ProviderError::Transient(format!("network error: {e}"));
    }
    if e.is_timeout() || e.is_request() || e.is_body() {
        return ProviderError::Unconfirmed(format!(
            "no answer from the network after sending: {e}"
        ));
    }
    ProviderError::Transient(format!("network error: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn client(retry: RetryPolicy) -> HttpClient {
        HttpClient::new(HttpSettings {
            request_timeout: Duration::from_millis(500),
            retry,
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn fast_retries() -> RetryPolicy {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(5),
            max_inline_wait: Duration::from_secs(2),
        }
    }

    #[tokio::test]
    async fn retries_429_honouring_retry_after_then_succeeds() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/x"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/x"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&server)
            .await;
        let c = client(fast_retries());
        let url = format!("{}/x", server.uri());
        let res = c
            .send(|| c.raw().get(&url), Replay::Once, &DefaultClassifier)
            .await;
        assert!(res.is_ok());
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(2));
    }

    #[tokio::test]
    async fn long_retry_after_is_returned_not_waited() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
            .mount(&server)
            .await;
        let c = client(fast_retries());
        let url = server.uri();
        let err = c
            .send(|| c.raw().post(&url), Replay::Once, &DefaultClassifier)
            .await
            .err();
        assert_eq!(
            err.map(|e| match e {
                ProviderError::RateLimited { retry_after, .. } => retry_after,
                _ => None,
            }),
            Some(Some(Duration::from_secs(120)))
        );
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));
    }

    #[tokio::test]
    async fn server_errors_are_retried_only_when_replay_is_safe() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503))
            .mount(&server)
            .await;
        let c = client(fast_retries());
        let url = server.uri();
        let safe = c
            .send(|| c.raw().get(&url), Replay::Safe, &DefaultClassifier)
            .await;
        assert!(matches!(safe, Err(ProviderError::Transient(_))));
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(3));

        let once = c
            .send(|| c.raw().get(&url), Replay::Once, &DefaultClassifier)
            .await;
        assert!(matches!(once, Err(ProviderError::Transient(_))));
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(4));
    }

    #[tokio::test]
    async fn timeout_after_sending_a_one_shot_request_is_unconfirmed() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
            .mount(&server)
            .await;
        let c = client(fast_retries());
        let url = server.uri();
        let res = c
            .send(|| c.raw().post(&url), Replay::Once, &DefaultClassifier)
            .await;
        assert!(matches!(res, Err(ProviderError::Unconfirmed(_))), "{res:?}");
        assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));
    }

    #[tokio::test]
    async fn connection_refused_is_transient() {
        let c = client(RetryPolicy::none());
        // Port 9 (discard) on loopback is closed on test machines.
        let res = c
            .send(
                || c.raw().post("http://127.0.0.1:9/"),
                Replay::Once,
                &DefaultClassifier,
            )
            .await;
        assert!(matches!(res, Err(ProviderError::Transient(_))), "{res:?}");
    }

    #[test]
    fn classification_by_status() {
        let h = HeaderMap::new();
        assert_eq!(
            default_classify(StatusCode::UNAUTHORIZED, &h, "m").class(),
            "refresh_needed"
        );
        assert_eq!(
            default_classify(StatusCode::FORBIDDEN, &h, "m").class(),
            "rejected"
        );
        assert_eq!(
            default_classify(StatusCode::BAD_GATEWAY, &h, "m").class(),
            "transient"
        );
    }

    #[test]
    fn message_extraction() {
        assert_eq!(
            default_message(
                StatusCode::BAD_REQUEST,
                r#"{"error":{"message":"too long"}}"#
            ),
            "too long"
        );
        assert_eq!(
            default_message(StatusCode::BAD_REQUEST, r#"{"detail":"nope"}"#),
            "nope"
        );
        assert_eq!(default_message(StatusCode::BAD_REQUEST, ""), "Bad Request");
    }
}
