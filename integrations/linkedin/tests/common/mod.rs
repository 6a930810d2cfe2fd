//! Shared test helpers: building the providers against a wiremock server, channels, media.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use postiz_provider::{
    ByteStream, ChannelAuth, HttpClient, HttpSettings, InMemoryMedia, MediaItem, MediaKind,
    MediaSource, PostItem, Provider, ProviderConfig, ProviderContext, ProviderError,
    ProviderFactory, RetryPolicy, TokenSet,
};
use postiz_provider_linkedin::LinkedInFactory;
use wiremock::{MockServer, Request};

pub const ACCESS_TOKEN: &str = "li-access-token-123";
pub const REFRESH_TOKEN: &str = "li-refresh-token-456";
pub const PERSON_ID: &str = "AbC123xYz";
pub const ORG_ID: &str = "5515715";
pub const CLIENT_ID: &str = "li-client-id";
pub const CLIENT_SECRET: &str = "li-client-secret";

/// Panicking unwrap for tests (the workspace denies `unwrap`/`expect`).
pub trait Must<T> {
    fn must(self) -> T;
}

impl<T, E: std::fmt::Debug> Must<T> for Result<T, E> {
    fn must(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
}

impl<T> Must<T> for Option<T> {
    fn must(self) -> T {
        match self {
            Some(v) => v,
            None => panic!("unexpected None"),
        }
    }
}

pub fn config(server: &MockServer, options: &[(&str, &str)]) -> ProviderConfig {
    let mut urls = BTreeMap::new();
    urls.insert("auth".to_string(), server.uri());
    urls.insert("api".to_string(), server.uri());
    ProviderConfig {
        enabled: true,
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(CLIENT_SECRET.into()),
        urls,
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect(),
        max_concurrent_jobs: None,
    }
}

pub fn context(retry: RetryPolicy) -> ProviderContext {
    ProviderContext {
        http: HttpClient::new(HttpSettings {
            request_timeout: Duration::from_secs(5),
            retry,
            ..Default::default()
        })
        .must(),
        frontend_url: "http://localhost:4200".into(),
    }
}

pub fn build(
    server: &MockServer,
    identifier: &str,
    options: &[(&str, &str)],
    retry: RetryPolicy,
) -> Arc<dyn Provider> {
    LinkedInFactory
        .build(identifier, &config(server, options), &context(retry))
        .must()
}

pub fn provider(server: &MockServer, identifier: &str) -> Arc<dyn Provider> {
    build(server, identifier, &[], RetryPolicy::none())
}

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(5),
        max_inline_wait: Duration::from_secs(2),
    }
}

pub fn tokens() -> TokenSet {
    TokenSet {
        access_token: ACCESS_TOKEN.into(),
        access_secret: None,
        refresh_token: Some(REFRESH_TOKEN.into()),
        expires_in: Some(Duration::from_secs(5_184_000)),
    }
}

pub fn personal_channel() -> ChannelAuth {
    ChannelAuth {
        internal_id: PERSON_ID.into(),
        username: "jane-doe".into(),
        tokens: tokens(),
        custom: None,
        additional_settings: Vec::new(),
    }
}

pub fn page_channel() -> ChannelAuth {
    ChannelAuth {
        internal_id: ORG_ID.into(),
        username: "acme".into(),
        tokens: tokens(),
        custom: None,
        additional_settings: Vec::new(),
    }
}

pub fn text_item(message: &str) -> PostItem {
    PostItem {
        id: "post-1".into(),
        message: message.into(),
        media: Vec::new(),
        settings: serde_json::json!({}),
    }
}

pub fn image(bytes: &'static [u8], alt: Option<&str>) -> MediaItem {
    MediaItem {
        kind: MediaKind::Image,
        mime_type: "image/png".into(),
        url: "https://uploads.example.com/a.png".into(),
        alt: alt.map(str::to_string),
        thumbnail_url: None,
        source: Arc::new(InMemoryMedia(Bytes::from_static(bytes))),
    }
}

/// A media source that yields its bytes in small chunks, like a storage stream.
pub struct ChunkedMedia {
    pub data: Vec<u8>,
    pub chunk: usize,
}

#[async_trait]
impl MediaSource for ChunkedMedia {
    async fn size(&self) -> Result<u64, ProviderError> {
        Ok(self.data.len() as u64)
    }

    async fn stream(&self) -> Result<ByteStream, ProviderError> {
        let chunks: Vec<Result<Bytes, ProviderError>> = self
            .data
            .chunks(self.chunk.max(1))
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        Ok(Box::pin(futures_util::stream::iter(chunks)))
    }
}

pub fn video(data: &[u8], chunk: usize) -> MediaItem {
    MediaItem {
        kind: MediaKind::Video,
        mime_type: "video/mp4".into(),
        url: "https://uploads.example.com/v.mp4".into(),
        alt: None,
        thumbnail_url: None,
        source: Arc::new(ChunkedMedia {
            data: data.to_vec(),
            chunk,
        }),
    }
}

/// Requests the server received with this method and exact (encoded) path.
pub async fn received(server: &MockServer, method: &str, path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == method && r.url.path() == path)
        .collect()
}

pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

pub fn json_body(request: &Request) -> serde_json::Value {
    serde_json::from_slice(&request.body).must()
}

/// The form fields of an `application/x-www-form-urlencoded` body.
pub fn form(request: &Request) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A LinkedIn REST error body.
pub fn error_body(status: u16, code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({
        "status": status,
        "serviceErrorCode": 100,
        "code": code,
        "message": message,
    })
}
