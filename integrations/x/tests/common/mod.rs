//! Shared helpers of the X provider tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use postiz_provider::{
    AdditionalSetting, ChannelAuth, HttpClient, HttpSettings, InMemoryMedia, MediaItem, MediaKind,
    PostItem, Provider, ProviderConfig, ProviderContext, ProviderFactory, RetryPolicy, TokenSet,
};
use postiz_provider_x::XFactory;
use postiz_provider_x::oauth1::{hmac_sha1_signature, signature_base_string};
use wiremock::{MockServer, Request};

pub const CONSUMER_KEY: &str = "consumer-key";
pub const CONSUMER_SECRET: &str = "consumer-secret";
pub const ACCESS_TOKEN: &str = "1234-access-token";
pub const ACCESS_SECRET: &str = "access-secret";

pub fn context() -> ProviderContext {
    ProviderContext {
        http: HttpClient::new(HttpSettings {
            request_timeout: Duration::from_secs(10),
            retry: RetryPolicy::none(),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{e}")),
        frontend_url: "https://app.example.com".into(),
    }
}

pub fn config(server: &MockServer, options: &[(&str, &str)]) -> ProviderConfig {
    let mut config = ProviderConfig {
        client_id: Some(CONSUMER_KEY.into()),
        client_secret: Some(CONSUMER_SECRET.into()),
        ..Default::default()
    };
    for name in ["api", "upload", "oauth"] {
        config.urls.insert(name.into(), server.uri());
    }
    for (k, v) in options {
        config.options.insert((*k).into(), (*v).into());
    }
    config
}

pub fn provider_with(server: &MockServer, options: &[(&str, &str)]) -> Arc<dyn Provider> {
    XFactory
        .build("x", &config(server, options), &context())
        .unwrap_or_else(|e| panic!("{e}"))
}

pub fn provider(server: &MockServer) -> Arc<dyn Provider> {
    provider_with(server, &[])
}

pub fn channel() -> ChannelAuth {
    ChannelAuth {
        internal_id: "2244994945".into(),
        username: "jack".into(),
        tokens: TokenSet {
            access_token: ACCESS_TOKEN.into(),
            access_secret: Some(ACCESS_SECRET.into()),
            refresh_token: None,
            expires_in: None,
        },
        custom: None,
        additional_settings: vec![AdditionalSetting {
            title: "Verified".into(),
            description: "Is this a verified user? (Premium)".into(),
            setting_type: "checkbox".into(),
            value: serde_json::Value::Bool(false),
            regex: None,
        }],
    }
}

pub fn item(message: &str, settings: serde_json::Value, media: Vec<MediaItem>) -> PostItem {
    PostItem {
        id: "post-1".into(),
        message: message.into(),
        media,
        settings,
    }
}

pub fn media(kind: MediaKind, mime: &str, bytes: &'static [u8], alt: Option<&str>) -> MediaItem {
    MediaItem {
        kind,
        mime_type: mime.into(),
        url: "https://uploads.example.com/f".into(),
        alt: alt.map(str::to_string),
        thumbnail_url: None,
        source: Arc::new(InMemoryMedia(Bytes::from_static(bytes))),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
            out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The decoded parameters of an `Authorization: OAuth ...` header.
pub fn oauth_params(request: &Request) -> Vec<(String, String)> {
    let header = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Authorization header on {}", request.url));
    let rest = header
        .strip_prefix("OAuth ")
        .unwrap_or_else(|| panic!("not an OAuth header: {header}"));
    rest.split(", ")
        .map(|pair| {
            let (k, v) = pair
                .split_once('=')
                .unwrap_or_else(|| panic!("bad pair {pair}"));
            (percent_decode(k), percent_decode(v.trim_matches('"')))
        })
        .collect()
}

pub fn oauth_param(request: &Request, name: &str) -> Option<String> {
    oauth_params(request)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Recomputes the HMAC-SHA1 signature of a received request from its method, URL, query and
/// protocol parameters, and checks it against the one sent.
pub fn assert_signed(request: &Request, token_secret: &str) {
    let mut params = oauth_params(request);
    let position = params
        .iter()
        .position(|(k, _)| k == "oauth_signature")
        .unwrap_or_else(|| panic!("unsigned request to {}", request.url));
    let (_, sent) = params.remove(position);
    assert_eq!(
        oauth_param(request, "oauth_consumer_key").as_deref(),
        Some(CONSUMER_KEY)
    );
    assert_eq!(
        oauth_param(request, "oauth_signature_method").as_deref(),
        Some("HMAC-SHA1")
    );
    assert!(oauth_param(request, "oauth_nonce").is_some_and(|n| n.len() >= 16));
    params.extend(
        request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned())),
    );
    // wiremock reports the URL as http://localhost/...: rebuild it from the Host header the
    // client signed for.
    let host = request
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Host header"));
    let mut url = request.url.clone();
    url.set_host(Some(host.split(':').next().unwrap_or(host)))
        .unwrap_or_else(|e| panic!("{e}"));
    let port = host.split(':').nth(1).and_then(|p| p.parse::<u16>().ok());
    url.set_port(port).unwrap_or_else(|()| panic!("port"));
    let base = signature_base_string(request.method.as_str(), &url, &params);
    assert_eq!(
        hmac_sha1_signature(&base, CONSUMER_SECRET, token_secret),
        sent,
        "bad signature for {} {}",
        request.method,
        request.url
    );
}

pub async fn requests_to(server: &MockServer, path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}

pub fn json_body(request: &Request) -> serde_json::Value {
    serde_json::from_slice(&request.body)
        .unwrap_or_else(|e| panic!("body of {} is not JSON: {e}", request.url))
}
