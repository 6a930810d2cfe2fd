//! Shared helpers of the Mastodon integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use postiz_provider::{
    ChannelAuth, HttpClient, HttpSettings, InMemoryMedia, MediaItem, MediaKind, PostItem, Provider,
    ProviderConfig, ProviderContext, ProviderFactory, RetryPolicy, TokenSet,
};
use postiz_provider_mastodon::MastodonFactory;
use wiremock::MockServer;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

pub const TOKEN: &str = "masto-access-token-123";

pub fn context() -> ProviderContext {
    ProviderContext {
        http: HttpClient::new(HttpSettings {
            retry: RetryPolicy::none(),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{e}")),
        frontend_url: "https://app.example.com".into(),
    }
}

pub fn config(instance: &str, options: &[(&str, &str)]) -> ProviderConfig {
    let mut urls = BTreeMap::new();
    urls.insert("instance".to_string(), instance.to_string());
    ProviderConfig {
        enabled: true,
        client_id: Some("client-key".into()),
        client_secret: Some("client-secret".into()),
        urls,
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect(),
        max_concurrent_jobs: None,
    }
}

/// The provider pointed at `server`, with fast media polling.
pub fn provider(server: &MockServer) -> Arc<dyn Provider> {
    provider_with(
        &server.uri(),
        &[("media_wait_secs", "2"), ("media_poll_interval_ms", "10")],
    )
}

pub fn provider_with(instance: &str, options: &[(&str, &str)]) -> Arc<dyn Provider> {
    MastodonFactory
        .build("mastodon", &config(instance, options), &context())
        .unwrap_or_else(|e| panic!("{e}"))
}

pub fn channel() -> ChannelAuth {
    ChannelAuth {
        internal_id: "109000000000000001".into(),
        username: "alice".into(),
        tokens: TokenSet {
            access_token: TOKEN.into(),
            ..Default::default()
        },
        custom: None,
        additional_settings: Vec::new(),
    }
}

pub fn text_item(id: &str, message: &str) -> PostItem {
    PostItem {
        id: id.into(),
        message: message.into(),
        media: Vec::new(),
        settings: serde_json::json!({}),
    }
}

pub fn media(
    kind: MediaKind,
    mime: &str,
    name: &str,
    bytes: &'static [u8],
    alt: Option<&str>,
) -> MediaItem {
    MediaItem {
        kind,
        mime_type: mime.into(),
        url: format!("https://uploads.example.com/files/{name}"),
        alt: alt.map(str::to_string),
        thumbnail_url: None,
        source: Arc::new(InMemoryMedia(bytes.into())),
    }
}

/// A Status as Mastodon answers it (the fields that matter and a few more).
pub fn status_json(instance: &str, id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "created_at": "2019-12-05T11:34:47.196Z",
        "in_reply_to_id": null,
        "visibility": "public",
        "uri": format!("{instance}/users/alice/statuses/{id}"),
        "url": format!("{instance}/@alice/{id}"),
        "content": "<p>test content</p>",
        "media_attachments": [],
        "application": {"name": "Postiz", "website": null}
    })
}

/// A MediaAttachment; `url` null while processing.
pub fn media_json(instance: &str, id: &str, ready: bool) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "type": "image",
        "url": if ready { serde_json::Value::String(format!("{instance}/system/media/{id}/original.png")) } else { serde_json::Value::Null },
        "preview_url": format!("{instance}/system/media/{id}/small.png"),
        "remote_url": null,
        "text_url": null,
        "meta": {},
        "description": null,
        "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}"
    })
}

/// Mounts `POST /api/v1/statuses` answering a status with `id`, once.
pub async fn mount_status(server: &MockServer, id: &str) {
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_json(&server.uri(), id)))
        .up_to_n_times(1)
        .mount(server)
        .await;
}

/// The decoded `application/x-www-form-urlencoded` body of a request.
pub fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

pub fn values(form: &[(String, String)], key: &str) -> Vec<String> {
    form.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

pub async fn requests_to(
    server: &MockServer,
    method_name: &str,
    p: &str,
) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == method_name && r.url.path() == p)
        .collect()
}

pub fn header_of(r: &wiremock::Request, name: &str) -> Option<String> {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
