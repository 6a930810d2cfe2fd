//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use postiz_provider::{
    ByteStream, ChannelAuth, HttpClient, HttpSettings, InMemoryMedia, MediaItem, MediaKind,
    MediaSource, PostItem, Provider, ProviderConfig, ProviderError, RetryPolicy, TokenSet,
    async_trait,
};
use postiz_provider_bluesky::BlueskyProvider;
use serde_json::{Value, json};
use wiremock::MockServer;

pub const DID: &str = "did:plc:alice123";
pub const HANDLE: &str = "alice.bsky.social";
pub const ACCESS: &str = "access-jwt-1";
pub const REFRESH: &str = "refresh-jwt-1";
pub const PASSWORD: &str = "abcd-efgh-ijkl-mnop";

pub fn http() -> HttpClient {
    HttpClient::new(HttpSettings {
        request_timeout: Duration::from_secs(5),
        retry: RetryPolicy::none(),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A provider whose default service is `service` and whose video service is `video`.
pub fn provider_with(service: &str, video: &str, options: &[(&str, &str)]) -> Arc<dyn Provider> {
    let mut config = ProviderConfig::default();
    config.urls.insert("service".into(), service.into());
    config.urls.insert("video".into(), video.into());
    config
        .options
        .insert("disable_ssrf_protection".into(), "true".into());
    config
        .options
        .insert("video_poll_interval_ms".into(), "5".into());
    for (k, v) in options {
        config.options.insert((*k).into(), (*v).into());
    }
    Arc::new(BlueskyProvider::new(&config, http()).unwrap_or_else(|e| panic!("{e}")))
}

pub fn provider(server: &MockServer) -> Arc<dyn Provider> {
    provider_with(&server.uri(), &server.uri(), &[])
}

/// A channel whose stored service is `service`.
pub fn channel(service: &str) -> ChannelAuth {
    ChannelAuth {
        internal_id: DID.into(),
        username: HANDLE.into(),
        tokens: TokenSet {
            access_token: ACCESS.into(),
            refresh_token: Some(REFRESH.into()),
            ..Default::default()
        },
        custom: Some(json!({
            "service": service,
            "identifier": HANDLE,
            "password": PASSWORD,
        })),
        additional_settings: Vec::new(),
    }
}

pub fn text_item(message: &str) -> PostItem {
    PostItem {
        id: "item-1".into(),
        message: message.into(),
        media: Vec::new(),
        settings: json!({}),
    }
}

pub fn media(
    kind: MediaKind,
    mime: &str,
    source: Arc<dyn MediaSource>,
    alt: Option<&str>,
) -> MediaItem {
    MediaItem {
        kind,
        mime_type: mime.into(),
        url: "https://uploads.example.com/file".into(),
        alt: alt.map(str::to_string),
        thumbnail_url: None,
        source,
    }
}

pub fn in_memory(bytes: Vec<u8>) -> Arc<dyn MediaSource> {
    Arc::new(InMemoryMedia(Bytes::from(bytes)))
}

/// A source that yields its bytes in several chunks and refuses to be read whole.
pub struct ChunkedSource {
    pub chunks: Vec<Vec<u8>>,
}

#[async_trait]
impl MediaSource for ChunkedSource {
    async fn size(&self) -> Result<u64, ProviderError> {
        Ok(self.chunks.iter().map(|c| c.len() as u64).sum())
    }

    async fn stream(&self) -> Result<ByteStream, ProviderError> {
        let parts: Vec<Result<Bytes, ProviderError>> = self
            .chunks
            .iter()
            .map(|c| Ok(Bytes::from(c.clone())))
            .collect();
        Ok(Box::pin(futures_util::stream::iter(parts)))
    }

    async fn bytes(&self) -> Result<Bytes, ProviderError> {
        Err(ProviderError::Config("a video must be streamed".into()))
    }
}

/// A JWT-shaped token whose payload expires in `secs`.
pub fn jwt(subject: &str, secs: i64) -> String {
    let exp = chrono_like_now() + secs;
    let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"{subject}","exp":{exp}}}"#));
    format!("eyJhbGciOiJFUzI1NksifQ.{payload}.c2ln")
}

fn chrono_like_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The JSON bodies the server received on a path, in order.
pub async fn bodies(server: &MockServer, path: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == path)
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

/// How many requests the server received on a path.
pub async fn hits(server: &MockServer, path: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == path)
        .count()
}

/// A source that only knows its size (for limit checks that must not read the file).
pub struct SizedOnly(pub u64);

#[async_trait]
impl MediaSource for SizedOnly {
    async fn size(&self) -> Result<u64, ProviderError> {
        Ok(self.0)
    }

    async fn stream(&self) -> Result<ByteStream, ProviderError> {
        Err(ProviderError::Config("must not be read".into()))
    }
}
