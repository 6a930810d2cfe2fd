//! Factory, authorization URL, code exchange and token refresh.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use postiz_provider::{
    AuthFlow, AuthUrlRequest, AuthenticateRequest, BuildError, ConfigField, ProviderConfig,
    ProviderError, ProviderFactory, RetryPolicy,
};
use postiz_provider_linkedin::{LinkedInFactory, PAGE, PERSONAL, SCOPES};
use wiremock::matchers::{bearer_token, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{CLIENT_ID, CLIENT_SECRET, Must, REFRESH_TOKEN, error_body, form, received};

const ALL_SCOPES: &str = "openid,profile,w_member_social,r_basicprofile,rw_organization_admin,w_organization_social,r_organization_social";

fn query(url: &str) -> BTreeMap<String, String> {
    let parsed = url::Url::parse(url).must();
    parsed
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[test]
fn factory_identifiers_and_env_bindings() {
    assert_eq!(
        LinkedInFactory.identifiers(),
        &["linkedin", "linkedin-page"]
    );
    for identifier in ["linkedin", "linkedin-page"] {
        let bindings = LinkedInFactory.env_bindings(identifier);
        assert_eq!(bindings.len(), 2);
        assert_eq!(bindings[0].var, "LINKEDIN_CLIENT_ID");
        assert_eq!(bindings[0].field, ConfigField::ClientId);
        assert_eq!(bindings[1].var, "LINKEDIN_CLIENT_SECRET");
        assert_eq!(bindings[1].field, ConfigField::ClientSecret);
    }
    assert!(LinkedInFactory.env_bindings("x").is_empty());
}

#[test]
fn factory_rejects_missing_credentials_unknown_identifiers_and_bad_versions() {
    let ctx = common::context(RetryPolicy::none());
    let no_creds = ProviderConfig::default();
    assert_eq!(
        LinkedInFactory.build(PERSONAL, &no_creds, &ctx).err(),
        Some(BuildError::MissingCredentials)
    );
    let creds = ProviderConfig {
        client_id: Some("id".into()),
        client_secret: Some("secret".into()),
        ..Default::default()
    };
    assert!(matches!(
        LinkedInFactory.build("x", &creds, &ctx).err(),
        Some(BuildError::Invalid(_))
    ));
    let mut bad_version = creds.clone();
    bad_version
        .options
        .insert("version".into(), "2026-03".into());
    assert!(matches!(
        LinkedInFactory.build(PAGE, &bad_version, &ctx).err(),
        Some(BuildError::Invalid(_))
    ));
    let page = LinkedInFactory.build(PAGE, &creds, &ctx).must();
    let caps = page.capabilities();
    assert_eq!(caps.identifier, "linkedin-page");
    assert_eq!(caps.name, "LinkedIn Page");
    assert!(caps.between_steps);
    assert!(caps.refreshable);
    assert!(caps.supports_comments);
    assert!(caps.async_processing);
    assert_eq!(caps.max_concurrent_jobs, 2);
    assert_eq!(caps.auth_flow, AuthFlow::OAuth2 { pkce: false });
    let personal = LinkedInFactory.build(PERSONAL, &creds, &ctx).must();
    assert_eq!(personal.capabilities().name, "LinkedIn");
    assert!(!personal.capabilities().between_steps);
    assert_eq!(
        personal.max_length(&common::personal_channel(), &serde_json::json!({})),
        3000
    );
}

#[tokio::test]
async fn auth_url_carries_client_scopes_state_and_redirect() {
    let server = MockServer::start().await;
    let provider = common::provider(&server, PERSONAL);
    let redirect = "http://localhost:4200/integrations/social/linkedin";
    let auth = provider
        .auth_url(AuthUrlRequest {
            redirect_uri: redirect.into(),
        })
        .await
        .must();
    assert!(
        auth.url
            .starts_with(&format!("{}/oauth/v2/authorization?", server.uri())),
        "{}",
        auth.url
    );
    let q = query(&auth.url);
    assert_eq!(q.get("response_type").map(String::as_str), Some("code"));
    assert_eq!(q.get("client_id").map(String::as_str), Some(CLIENT_ID));
    assert_eq!(q.get("redirect_uri").map(String::as_str), Some(redirect));
    assert_eq!(q.get("state"), Some(&auth.state));
    assert_eq!(auth.state.len(), 32);
    assert_eq!(
        q.get("scope").map(String::as_str),
        Some(
            "openid profile w_member_social r_basicprofile rw_organization_admin w_organization_social r_organization_social"
        )
    );
    // Spaces as %20, as LinkedIn's examples encode them.
    assert!(
        auth.url
            .contains("scope=openid%20profile%20w_member_social")
    );
    assert!(!auth.url.contains("code_challenge"));
    assert!(auth.code_verifier.is_empty());
    // Nothing is called to build the URL.
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );

    let second = provider
        .auth_url(AuthUrlRequest {
            redirect_uri: redirect.into(),
        })
        .await
        .must();
    assert_ne!(second.state, auth.state);
}

#[tokio::test]
async fn page_auth_url_defaults_to_its_own_redirect() {
    let server = MockServer::start().await;
    let provider = common::provider(&server, PAGE);
    let auth = provider.auth_url(AuthUrlRequest::default()).await.must();
    let q = query(&auth.url);
    assert_eq!(
        q.get("redirect_uri").map(String::as_str),
        Some("http://localhost:4200/integrations/social/linkedin-page")
    );
    assert_eq!(
        q.get("scope").map(|s| s.split(' ').count()),
        Some(SCOPES.len())
    );
}

async fn mount_profile(server: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path("/v2/userinfo"))
        .and(bearer_token(token))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "sub": "782bbtaQ",
            "name": "Jane Doe",
            "given_name": "Jane",
            "family_name": "Doe",
            "picture": "https://media.licdn.com/dms/image/jane.jpg",
            "locale": "en-US",
            "email_verified": true
        })))
        .mount(server)
        .await;
}

#[tokio::test]
async fn code_exchange_posts_the_documented_form_and_resolves_the_member() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/v2/accessToken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "AQUvlL_DYEzvT2wz1QJiEPeLioeA",
            "expires_in": 5_184_000,
            "refresh_token": "AQWAft_WjYZKwuWXLC5hQlghgTam",
            "refresh_token_expires_in": 31_536_000,
            "scope": ALL_SCOPES
        })))
        .mount(&server)
        .await;
    mount_profile(&server, "AQUvlL_DYEzvT2wz1QJiEPeLioeA").await;
    Mock::given(method("GET"))
        .and(path("/v2/me"))
        .and(bearer_token("AQUvlL_DYEzvT2wz1QJiEPeLioeA"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "782bbtaQ",
            "localizedFirstName": "Jane",
            "localizedLastName": "Doe",
            "vanityName": "jane-doe"
        })))
        .mount(&server)
        .await;

    let provider = common::provider(&server, PERSONAL);
    let account = provider
        .authenticate(AuthenticateRequest {
            code: "auth-code-1".into(),
            code_verifier: String::new(),
            redirect_uri: "http://localhost:4200/integrations/social/linkedin".into(),
        })
        .await
        .must();
    assert_eq!(account.id, "782bbtaQ");
    assert_eq!(account.name, "Jane Doe");
    assert_eq!(account.username, "jane-doe");
    assert_eq!(
        account.picture.as_deref(),
        Some("https://media.licdn.com/dms/image/jane.jpg")
    );
    assert_eq!(account.tokens.access_token, "AQUvlL_DYEzvT2wz1QJiEPeLioeA");
    assert_eq!(
        account.tokens.refresh_token.as_deref(),
        Some("AQWAft_WjYZKwuWXLC5hQlghgTam")
    );
    assert_eq!(
        account.tokens.expires_in,
        Some(Duration::from_secs(5_184_000))
    );

    let token_calls = received(&server, "POST", "/oauth/v2/accessToken").await;
    assert_eq!(token_calls.len(), 1);
    assert_eq!(
        common::header(&token_calls[0], "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let sent = form(&token_calls[0]);
    let expected: BTreeMap<String, String> = [
        ("grant_type", "authorization_code"),
        ("code", "auth-code-1"),
        (
            "redirect_uri",
            "http://localhost:4200/integrations/social/linkedin",
        ),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(sent, expected);
}

#[tokio::test]
async fn a_profile_without_handle_falls_back_to_the_member_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/v2/accessToken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "tok",
            "expires_in": 5_184_000,
            "scope": ALL_SCOPES
        })))
        .mount(&server)
        .await;
    mount_profile(&server, "tok").await;
    Mock::given(method("GET"))
        .and(path("/v2/me"))
        .respond_with(ResponseTemplate::new(403).set_body_json(error_body(
            403,
            "ACCESS_DENIED",
            "Not enough permissions to access: me.GET.NO_VERSION",
        )))
        .mount(&server)
        .await;
    let account = common::provider(&server, PAGE)
        .authenticate(AuthenticateRequest {
            code: "c".into(),
            ..Default::default()
        })
        .await
        .must();
    assert_eq!(account.id, "782bbtaQ");
    assert_eq!(account.username, "782bbtaQ");
    assert_eq!(account.tokens.refresh_token, None);
    // The default redirect of the page provider was used.
    let sent = form(&received(&server, "POST", "/oauth/v2/accessToken").await[0]);
    assert_eq!(
        sent.get("redirect_uri").map(String::as_str),
        Some("http://localhost:4200/integrations/social/linkedin-page")
    );
}

#[tokio::test]
async fn missing_scopes_are_reported_and_nothing_else_is_called() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/v2/accessToken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "tok",
            "expires_in": 5_184_000,
            "scope": "openid,profile,w_member_social"
        })))
        .mount(&server)
        .await;
    let err = common::provider(&server, PERSONAL)
        .authenticate(AuthenticateRequest {
            code: "c".into(),
            ..Default::default()
        })
        .await
        .err();
    assert_eq!(
        err,
        Some(ProviderError::InsufficientScopes(
            "r_basicprofile, rw_organization_admin, w_organization_social, r_organization_social"
                .into()
        ))
    );
    assert!(received(&server, "GET", "/v2/userinfo").await.is_empty());
}

#[tokio::test]
async fn a_refused_code_is_rejected_with_linkedins_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/v2/accessToken"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_request",
            "error_description": "Unable to retrieve access token: authorization code not found"
        })))
        .mount(&server)
        .await;
    let err = common::provider(&server, PERSONAL)
        .authenticate(AuthenticateRequest {
            code: "stale".into(),
            ..Default::default()
        })
        .await
        .err();
    assert_eq!(
        err,
        Some(ProviderError::Rejected(
            "Unable to retrieve access token: authorization code not found".into()
        ))
    );
}

async fn refresh_with(answer: serde_json::Value) -> (MockServer, postiz_provider::TokenSet) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/v2/accessToken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(&server)
        .await;
    let refreshed = common::provider(&server, PERSONAL)
        .refresh(&common::personal_channel())
        .await
        .must();
    (server, refreshed)
}

#[tokio::test]
async fn refresh_posts_the_refresh_grant_and_returns_the_new_tokens() {
    let (server, refreshed) = refresh_with(serde_json::json!({
        "access_token": "fresh-access",
        "expires_in": 5_184_000,
        "refresh_token": "fresh-refresh",
        "refresh_token_expires_in": 30_000_000
    }))
    .await;
    assert_eq!(refreshed.access_token, "fresh-access");
    assert_eq!(refreshed.refresh_token.as_deref(), Some("fresh-refresh"));
    assert_eq!(refreshed.expires_in, Some(Duration::from_secs(5_184_000)));
    let sent = form(&received(&server, "POST", "/oauth/v2/accessToken").await[0]);
    let expected: BTreeMap<String, String> = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(sent, expected);
}

#[tokio::test]
async fn refresh_without_a_new_refresh_token_keeps_the_stored_one_after_merge() {
    let (_server, refreshed) = refresh_with(serde_json::json!({
        "access_token": "fresh-access",
        "expires_in": 3600
    }))
    .await;
    assert_eq!(refreshed.refresh_token, None);
    let merged = common::tokens().merged_after_refresh(refreshed);
    assert_eq!(merged.access_token, "fresh-access");
    assert_eq!(merged.refresh_token.as_deref(), Some(REFRESH_TOKEN));
    assert_eq!(merged.expires_in, Some(Duration::from_secs(3600)));
}

#[tokio::test]
async fn refresh_failures_disconnect_the_channel() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/v2/accessToken"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_request",
            "error_description": "The provided authorization grant or refresh token is invalid, expired or revoked"
        })))
        .mount(&server)
        .await;
    let provider = common::provider(&server, PERSONAL);
    let err = provider.refresh(&common::personal_channel()).await.err();
    assert_eq!(
        err,
        Some(ProviderError::Disconnected(
            "The provided authorization grant or refresh token is invalid, expired or revoked"
                .into()
        ))
    );

    // No stored refresh token: nothing to send.
    let mut channel = common::personal_channel();
    channel.tokens.refresh_token = None;
    let before = server.received_requests().await.unwrap_or_default().len();
    let err = provider.refresh(&channel).await.err();
    assert_eq!(err.map(|e| e.class()), Some("disconnected"));
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        before
    );
}
