//! Connecting a channel: authorization URL, code exchange, account, refresh.

mod common;

use common::{TOKEN, requests_to};
use postiz_provider::oauth::pkce_challenge;
use postiz_provider::{AuthFlow, AuthUrlRequest, AuthenticateRequest, ProviderError, TokenSet};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn query(url: &str) -> Vec<(String, String)> {
    let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{e}: {url}"));
    parsed.query_pairs().into_owned().collect()
}

fn one(pairs: &[(String, String)], key: &str) -> Option<String> {
    let found: Vec<&String> = pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v)
        .collect();
    assert!(found.len() <= 1, "{key} appears {} times", found.len());
    found.first().map(|v| (*v).clone())
}

#[tokio::test]
async fn auth_url_carries_client_scopes_state_pkce_and_redirect() {
    let provider = common::provider_with("https://social.example.org/", &[]);
    assert_eq!(
        provider.capabilities().auth_flow,
        AuthFlow::OAuth2 { pkce: true }
    );
    let auth = provider
        .auth_url(AuthUrlRequest {
            redirect_uri: "https://app.example.com/integrations/social/mastodon".into(),
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        auth.url
            .starts_with("https://social.example.org/oauth/authorize?"),
        "{}",
        auth.url
    );
    let q = query(&auth.url);
    assert_eq!(one(&q, "client_id").as_deref(), Some("client-key"));
    assert_eq!(one(&q, "response_type").as_deref(), Some("code"));
    assert_eq!(
        one(&q, "redirect_uri").as_deref(),
        Some("https://app.example.com/integrations/social/mastodon")
    );
    assert_eq!(
        one(&q, "scope").as_deref(),
        Some("write:statuses profile write:media")
    );
    assert_eq!(one(&q, "state"), Some(auth.state.clone()));
    assert!(auth.state.len() >= 16);
    assert_eq!(one(&q, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(
        one(&q, "code_challenge"),
        Some(pkce_challenge(&auth.code_verifier))
    );
    assert!(auth.code_verifier.len() >= 43);
    // Never the secret.
    assert!(!auth.url.contains("client-secret"));

    let again = provider
        .auth_url(AuthUrlRequest::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(again.state, auth.state);
    // Without a redirect in the request, the frontend's Postiz callback is used.
    assert_eq!(
        one(&query(&again.url), "redirect_uri").as_deref(),
        Some("https://app.example.com/integrations/social/mastodon")
    );
}

#[tokio::test]
async fn pkce_can_be_switched_off() {
    let provider = common::provider_with("https://social.example.org", &[("pkce", "false")]);
    assert_eq!(
        provider.capabilities().auth_flow,
        AuthFlow::OAuth2 { pkce: false }
    );
    let auth = provider
        .auth_url(AuthUrlRequest::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let q = query(&auth.url);
    assert_eq!(one(&q, "code_challenge"), None);
    assert_eq!(one(&q, "code_challenge_method"), None);
    assert_eq!(one(&q, "state"), Some(auth.state));
    assert!(auth.code_verifier.is_empty());
}

async fn mount_token_and_account(server: &MockServer, display_name: &str) {
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": TOKEN,
            "token_type": "Bearer",
            "scope": "write:statuses profile write:media",
            "created_at": 1573979017
        })))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/verify_credentials"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "14715",
            "username": "trwnh",
            "acct": "trwnh",
            "display_name": display_name,
            "locked": false,
            "bot": false,
            "url": "https://mastodon.social/@trwnh",
            "avatar": "https://files.mastodon.social/accounts/avatars/000/014/715/original/34aa222f4ae2e0a9.png",
            "followers_count": 821,
            "source": {"privacy": "public", "sensitive": false, "language": "", "note": "", "fields": []}
        })))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn code_exchange_posts_the_documented_form_and_resolves_the_account() {
    let server = MockServer::start().await;
    mount_token_and_account(&server, "infinite love ⴳ").await;
    let provider = common::provider(&server);
    let account = provider
        .authenticate(AuthenticateRequest {
            code: "qDFUEaYrRK5c-HNmTCJbAzazwLRInJ7VHFat0wcMgCU".into(),
            code_verifier: "the-verifier-kept-with-the-state-0123456789abcdefghijklmnop".into(),
            redirect_uri: "https://app.example.com/integrations/social/mastodon".into(),
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let token_calls = requests_to(&server, "POST", "/oauth/token").await;
    assert_eq!(token_calls.len(), 1);
    let form = common::form(&token_calls[0].body);
    let get = |k: &str| common::values(&form, k);
    assert_eq!(get("grant_type"), vec!["authorization_code"]);
    assert_eq!(
        get("code"),
        vec!["qDFUEaYrRK5c-HNmTCJbAzazwLRInJ7VHFat0wcMgCU"]
    );
    assert_eq!(get("client_id"), vec!["client-key"]);
    assert_eq!(get("client_secret"), vec!["client-secret"]);
    assert_eq!(
        get("redirect_uri"),
        vec!["https://app.example.com/integrations/social/mastodon"]
    );
    assert_eq!(
        get("code_verifier"),
        vec!["the-verifier-kept-with-the-state-0123456789abcdefghijklmnop"]
    );

    assert_eq!(account.id, "14715");
    assert_eq!(account.name, "infinite love ⴳ");
    assert_eq!(account.username, "trwnh");
    assert_eq!(
        account.picture.as_deref(),
        Some(
            "https://files.mastodon.social/accounts/avatars/000/014/715/original/34aa222f4ae2e0a9.png"
        )
    );
    assert_eq!(account.tokens.access_token, TOKEN);
    assert_eq!(account.tokens.refresh_token, None);
    assert_eq!(account.tokens.expires_in, None);
    assert_eq!(
        account.custom,
        Some(serde_json::json!({ "instance": server.uri() }))
    );
}

#[tokio::test]
async fn display_name_falls_back_to_username_and_verifier_is_optional() {
    let server = MockServer::start().await;
    mount_token_and_account(&server, "").await;
    let provider = common::provider(&server);
    let account = provider
        .authenticate(AuthenticateRequest {
            code: "code-1".into(),
            code_verifier: String::new(),
            redirect_uri: String::new(),
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(account.name, "trwnh");
    let token_calls = requests_to(&server, "POST", "/oauth/token").await;
    let form = common::form(&token_calls[0].body);
    assert!(common::values(&form, "code_verifier").is_empty());
    assert_eq!(
        common::values(&form, "redirect_uri"),
        vec!["https://app.example.com/integrations/social/mastodon"]
    );
}

#[tokio::test]
async fn invalid_grant_is_rejected_with_the_description() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant",
            "error_description": "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
        })))
        .mount(&server)
        .await;
    let err = common::provider(&server)
        .authenticate(AuthenticateRequest {
            code: "used".into(),
            ..Default::default()
        })
        .await
        .err();
    match err {
        Some(ProviderError::Rejected(m)) => {
            assert!(
                m.starts_with("invalid_grant: The provided authorization grant is invalid"),
                "{m}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn invalid_client_is_a_configuration_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."
        })))
        .mount(&server)
        .await;
    let err = common::provider(&server)
        .authenticate(AuthenticateRequest {
            code: "c".into(),
            ..Default::default()
        })
        .await
        .err();
    assert_eq!(err.as_ref().map(ProviderError::class), Some("config"));
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("Client authentication failed"), "{text}");
    assert!(!text.contains("client-secret"), "{text}");
}

#[tokio::test]
async fn missing_granted_scope_is_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": TOKEN,
            "token_type": "Bearer",
            "scope": "write:statuses profile",
            "created_at": 1573979017
        })))
        .mount(&server)
        .await;
    let err = common::provider(&server)
        .authenticate(AuthenticateRequest {
            code: "c".into(),
            ..Default::default()
        })
        .await
        .err();
    assert_eq!(
        err,
        Some(ProviderError::InsufficientScopes("write:media".into()))
    );
    // The account was not even looked up.
    assert!(
        requests_to(&server, "GET", "/api/v1/accounts/verify_credentials")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn refresh_returns_the_stored_tokens_without_calling_the_network() {
    let server = MockServer::start().await;
    let provider = common::provider(&server);
    assert!(!provider.capabilities().refreshable);
    let mut channel = common::channel();
    channel.tokens = TokenSet {
        access_token: TOKEN.into(),
        refresh_token: Some("null".into()),
        ..Default::default()
    };
    let refreshed = provider
        .refresh(&channel)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refreshed, channel.tokens);
    let merged = channel.tokens.merged_after_refresh(refreshed);
    assert_eq!(merged.access_token, TOKEN);
    assert_eq!(merged.refresh_token.as_deref(), Some("null"));
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    // Without a refresh token too.
    let plain = common::channel();
    let again = provider
        .refresh(&plain)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.access_token, TOKEN);
    assert_eq!(again.refresh_token, None);
}
