//! Connecting a channel, token refresh and the factory.

mod common;

use std::collections::BTreeMap;

use common::{ACCESS, DID, HANDLE, PASSWORD, REFRESH};
use postiz_provider::config::ConfigField;
use postiz_provider::oauth::encode_credentials;
use postiz_provider::{
    AuthFlow, AuthUrlRequest, AuthenticateRequest, ChannelAuth, FieldType, ProviderConfig,
    ProviderContext, ProviderError, ProviderFactory,
};
use postiz_provider_bluesky::BlueskyFactory;
use serde_json::json;
use wiremock::matchers::{bearer_token, body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CREATE_SESSION: &str = "/xrpc/com.atproto.server.createSession";
const REFRESH_SESSION: &str = "/xrpc/com.atproto.server.refreshSession";
const GET_PROFILE: &str = "/xrpc/app.bsky.actor.getProfile";

fn code(service: Option<&str>, identifier: &str, password: &str) -> String {
    let mut fields = BTreeMap::new();
    if let Some(service) = service {
        fields.insert("service".to_string(), service.to_string());
    }
    fields.insert("identifier".to_string(), identifier.to_string());
    fields.insert("password".to_string(), password.to_string());
    encode_credentials(&fields)
}

fn authenticate_request(code: String) -> AuthenticateRequest {
    AuthenticateRequest {
        code,
        code_verifier: String::new(),
        redirect_uri: "http://localhost:4200/integrations/social/bluesky".into(),
    }
}

fn session_body(access: &str, refresh: &str) -> serde_json::Value {
    json!({
        "accessJwt": access,
        "refreshJwt": refresh,
        "handle": HANDLE,
        "did": DID,
        "email": "alice@example.com",
        "emailConfirmed": true,
        "active": true
    })
}

#[tokio::test]
async fn auth_url_is_a_bare_state_without_verifier() {
    let server = MockServer::start().await;
    let provider = common::provider(&server);
    let a = provider
        .auth_url(AuthUrlRequest::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let b = provider
        .auth_url(AuthUrlRequest::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.url, a.state);
    assert_eq!(a.state.len(), 32);
    assert!(a.code_verifier.is_empty());
    assert_ne!(a.state, b.state);
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn capabilities_match_postiz() {
    let server = MockServer::start().await;
    let provider = common::provider(&server);
    let caps = provider.capabilities();
    assert_eq!(caps.identifier, "bluesky");
    assert_eq!(caps.name, "Bluesky");
    assert_eq!(caps.auth_flow, AuthFlow::Credentials);
    assert_eq!(caps.max_concurrent_jobs, 2);
    assert!(caps.supports_comments && caps.refreshable && caps.async_processing);
    assert_eq!((caps.media.max_images, caps.media.max_videos), (4, 1));
    assert!(!caps.media.allow_mixed);
    let fields = serde_json::to_value(&caps.custom_fields).unwrap_or_default();
    assert_eq!(
        fields,
        json!([
            {"key": "service", "label": "Service", "defaultValue": "https://bsky.social",
             "validation": r"/^(https?:\/\/)?((([a-zA-Z0-9\-_]{1,256}\.[a-zA-Z]{2,6})|(([0-9]{1,3}\.){3}[0-9]{1,3}))(:[0-9]{1,5})?)(\/[^\s]*)?$/",
             "type": "text"},
            {"key": "identifier", "label": "Identifier", "validation": "/^.+$/", "type": "text"},
            {"key": "password", "label": "Password", "validation": "/^.{3,}$/", "type": "password"}
        ])
    );
    assert_eq!(caps.custom_fields[2].field_type, FieldType::Password);
    let channel = common::channel(&server.uri());
    assert_eq!(provider.max_length(&channel, &json!({})), 300);
}

#[tokio::test]
async fn text_length_counts_graphemes() {
    let server = MockServer::start().await;
    let provider = common::provider(&server);
    assert_eq!(provider.text_length("abc"), 3);
    // A family emoji (7 code points) and a decomposed é (2 code points) are one grapheme each.
    assert_eq!(provider.text_length("👨‍👩‍👧‍👦"), 1);
    assert_eq!(provider.text_length("e\u{301}t\u{e9}"), 3);
    assert_eq!(provider.text_length(&"🇫🇷".repeat(300)), 300);
}

#[tokio::test]
async fn authenticate_logs_in_and_reads_the_profile() {
    let server = MockServer::start().await;
    let access = common::jwt(DID, 7200);
    Mock::given(method("POST"))
        .and(path(CREATE_SESSION))
        .and(body_json(
            json!({"identifier": HANDLE, "password": PASSWORD}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_body(&access, REFRESH)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(GET_PROFILE))
        .and(query_param("actor", DID))
        .and(bearer_token(access.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "did": DID,
            "handle": HANDLE,
            "displayName": "Alice",
            "avatar": "https://cdn.bsky.app/img/avatar/plain/did:plc:alice123/abc@jpeg"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let provider = common::provider_with("https://unused.example", &server.uri(), &[]);
    let account = provider
        .authenticate(authenticate_request(code(
            Some(&format!("{}/", server.uri())),
            HANDLE,
            PASSWORD,
        )))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(account.id, DID);
    assert_eq!(account.username, HANDLE);
    assert_eq!(account.name, "Alice");
    assert_eq!(
        account.picture.as_deref(),
        Some("https://cdn.bsky.app/img/avatar/plain/did:plc:alice123/abc@jpeg")
    );
    assert_eq!(account.tokens.access_token, access);
    assert_eq!(account.tokens.refresh_token.as_deref(), Some(REFRESH));
    let left = account.tokens.expires_in.map(|d| d.as_secs());
    assert!(matches!(left, Some(7190..=7200)), "{left:?}");
    assert_eq!(
        account.custom,
        Some(json!({"service": server.uri(), "identifier": HANDLE, "password": PASSWORD}))
    );
}

#[tokio::test]
async fn authenticate_falls_back_to_the_handle_and_default_service() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CREATE_SESSION))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_body(ACCESS, REFRESH)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(GET_PROFILE))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error": "InternalServerError", "message": "boom"})),
        )
        .mount(&server)
        .await;
    let provider = common::provider(&server);
    let account = provider
        .authenticate(authenticate_request(code(None, HANDLE, PASSWORD)))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(account.name, HANDLE);
    assert_eq!(account.picture, None);
    // Not a JWT: no known lifetime.
    assert_eq!(account.tokens.expires_in, None);
    assert_eq!(
        account
            .custom
            .as_ref()
            .and_then(|c| c.get("service"))
            .cloned(),
        Some(json!(server.uri()))
    );
}

#[tokio::test]
async fn wrong_password_is_rejected_with_the_network_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CREATE_SESSION))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "AuthenticationRequired",
            "message": "Invalid identifier or password"
        })))
        .mount(&server)
        .await;
    let provider = common::provider(&server);
    let err = provider
        .authenticate(authenticate_request(code(
            Some(&server.uri()),
            HANDLE,
            "bad",
        )))
        .await
        .err();
    assert_eq!(
        err,
        Some(ProviderError::Rejected(
            "Bluesky login failed: Invalid identifier or password".into()
        ))
    );
}

#[tokio::test]
async fn private_service_urls_are_refused_without_the_opt_out() {
    let server = MockServer::start().await;
    // Default service left at https://bsky.social; the user types the mock's private address.
    let config = ProviderConfig::default();
    let provider = postiz_provider_bluesky::BlueskyProvider::new(&config, common::http())
        .unwrap_or_else(|e| panic!("{e}"));
    let err = postiz_provider::Provider::authenticate(
        &provider,
        authenticate_request(code(Some(&server.uri()), HANDLE, PASSWORD)),
    )
    .await
    .err();
    assert!(
        matches!(&err, Some(ProviderError::Rejected(m)) if m.contains("public HTTPS")),
        "{err:?}"
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn the_configured_default_service_is_trusted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CREATE_SESSION))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_body(ACCESS, REFRESH)))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = ProviderConfig::default();
    config.urls.insert("service".into(), server.uri());
    let provider = postiz_provider_bluesky::BlueskyProvider::new(&config, common::http())
        .unwrap_or_else(|e| panic!("{e}"));
    let account = postiz_provider::Provider::authenticate(
        &provider,
        authenticate_request(code(None, HANDLE, PASSWORD)),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(account.id, DID);
}

#[tokio::test]
async fn refresh_uses_the_refresh_jwt() {
    for with_new_refresh in [true, false] {
        let server = MockServer::start().await;
        let mut body = session_body("access-jwt-2", "refresh-jwt-2");
        if !with_new_refresh {
            body.as_object_mut().map(|o| o.remove("refreshJwt"));
        }
        Mock::given(method("POST"))
            .and(path(REFRESH_SESSION))
            .and(bearer_token(REFRESH))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
        let provider = common::provider(&server);
        let channel = common::channel(&server.uri());
        let tokens = provider
            .refresh(&channel)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tokens.access_token, "access-jwt-2");
        let merged = channel.tokens.merged_after_refresh(tokens);
        let expected = if with_new_refresh {
            "refresh-jwt-2"
        } else {
            REFRESH
        };
        assert_eq!(merged.refresh_token.as_deref(), Some(expected));
        assert_eq!(common::hits(&server, CREATE_SESSION).await, 0);
        // No body is sent to refreshSession.
        let received = server.received_requests().await.unwrap_or_default();
        assert!(received.iter().all(|r| r.body.is_empty()));
    }
}

#[tokio::test]
async fn expired_refresh_jwt_logs_in_again_with_the_stored_app_password() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(REFRESH_SESSION))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "ExpiredToken", "message": "Token has expired"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(CREATE_SESSION))
        .and(body_json(
            json!({"identifier": HANDLE, "password": PASSWORD}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(session_body("access-jwt-3", "refresh-jwt-3")),
        )
        .expect(1)
        .mount(&server)
        .await;
    // The channel's stored service is used, not the provider default.
    let provider = common::provider_with("https://unused.example", &server.uri(), &[]);
    let tokens = provider
        .refresh(&common::channel(&server.uri()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tokens.access_token, "access-jwt-3");
    assert_eq!(tokens.refresh_token.as_deref(), Some("refresh-jwt-3"));
}

#[tokio::test]
async fn revoked_app_password_disconnects_the_channel() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(REFRESH_SESSION))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "InvalidToken", "message": "Token has been revoked"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(CREATE_SESSION))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "AuthenticationRequired", "message": "Invalid identifier or password"
        })))
        .mount(&server)
        .await;
    let provider = common::provider(&server);
    let err = provider
        .refresh(&common::channel(&server.uri()))
        .await
        .err();
    assert_eq!(
        err.as_ref().map(|e| e.class()),
        Some("disconnected"),
        "{err:?}"
    );
    let debug = format!("{err:?}");
    assert!(!debug.contains(PASSWORD) && !debug.contains(REFRESH));
}

#[tokio::test]
async fn refresh_without_stored_credentials_disconnects() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(REFRESH_SESSION))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "ExpiredToken", "message": "Token has expired"
        })))
        .mount(&server)
        .await;
    let provider = common::provider(&server);
    let mut channel = common::channel(&server.uri());
    channel.custom = Some(json!({"service": server.uri()}));
    let err = provider.refresh(&channel).await.err();
    assert_eq!(err.map(|e| e.class()), Some("disconnected"));
    assert_eq!(common::hits(&server, CREATE_SESSION).await, 0);
}

#[tokio::test]
async fn refresh_server_errors_stay_transient() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(REFRESH_SESSION))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let provider = common::provider(&server);
    let err = provider
        .refresh(&common::channel(&server.uri()))
        .await
        .err();
    assert_eq!(err.map(|e| e.class()), Some("transient"));
    assert_eq!(common::hits(&server, CREATE_SESSION).await, 0);
}

#[tokio::test]
async fn refresh_of_a_taken_down_account_disconnects() {
    let server = MockServer::start().await;
    let mut body = session_body("a", "r");
    body["active"] = json!(false);
    body["status"] = json!("takendown");
    Mock::given(method("POST"))
        .and(path(REFRESH_SESSION))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let provider = common::provider(&server);
    let err = provider
        .refresh(&common::channel(&server.uri()))
        .await
        .err();
    assert!(
        matches!(&err, Some(ProviderError::Disconnected(m)) if m.contains("takendown")),
        "{err:?}"
    );
}

#[test]
fn factory_builds_without_client_credentials() {
    let factory = BlueskyFactory;
    assert_eq!(factory.identifiers(), &["bluesky"]);
    let bindings = factory.env_bindings("bluesky");
    assert_eq!(bindings.len(), 1);
    assert_eq!(bindings[0].var, "DISABLE_SSRF_PROTECTION");
    assert_eq!(
        bindings[0].field,
        ConfigField::Option("disable_ssrf_protection")
    );
    assert!(factory.env_bindings("x").is_empty());
    let context = ProviderContext {
        http: common::http(),
        frontend_url: "http://localhost:4200".into(),
    };
    let built = factory.build("bluesky", &ProviderConfig::default(), &context);
    assert_eq!(built.map(|p| p.identifier()).ok(), Some("bluesky"));
    assert!(
        factory
            .build("x", &ProviderConfig::default(), &context)
            .is_err()
    );
}

#[test]
fn channel_debug_hides_the_password() {
    let channel: ChannelAuth = common::channel("https://bsky.social");
    let debug = format!("{channel:?}");
    assert!(!debug.contains(PASSWORD));
    assert!(!debug.contains(ACCESS));
}
