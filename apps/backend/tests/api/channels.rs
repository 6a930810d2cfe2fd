//! Channels (`/integrations`): connecting X (OAuth 1.0a), a LinkedIn page (between steps),
//! Bluesky (credentials) and Mastodon (OAuth 2 + PKCE) against mock networks, listing them as
//! the dashboard reads them, and managing them.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use postiz_entity::{customer, integration};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::{Options, Res, Session, TestApp, spawn_app_with};

// ---- mock networks ----

pub const X_ACCESS: &str = "6253282-x-access-token-SECRET";
pub const X_SECRET: &str = "x-access-secret-SECRET";
pub const LI_ACCESS: &str = "li-access-token-SECRET";
pub const LI_REFRESH: &str = "li-refresh-token-SECRET";
pub const BSKY_PASSWORD: &str = "abcd-efgh-ijkl-SECRET";
pub const BSKY_ACCESS: &str = "bsky-access-jwt-SECRET";
pub const BSKY_REFRESH: &str = "bsky-refresh-jwt-SECRET";
pub const MASTO_ACCESS: &str = "masto-access-token-SECRET";
const LI_SCOPES: &str = "openid,profile,w_member_social,r_basicprofile,rw_organization_admin,w_organization_social,r_organization_social";

/// One mock server per network.
pub struct Networks {
    pub x: MockServer,
    pub linkedin: MockServer,
    pub bluesky: MockServer,
    pub mastodon: MockServer,
}

impl Networks {
    pub async fn start() -> Self {
        Self {
            x: MockServer::start().await,
            linkedin: MockServer::start().await,
            bluesky: MockServer::start().await,
            mastodon: MockServer::start().await,
        }
    }

    /// Every provider configured and pointed at its mock.
    pub fn options(&self) -> Options {
        let mut o = Options::default()
            .with_env("X_API_KEY", "x-consumer-key")
            .with_env("X_API_SECRET", "x-consumer-secret")
            .with_env("LINKEDIN_CLIENT_ID", "li-client")
            .with_env("LINKEDIN_CLIENT_SECRET", "li-client-secret")
            .with_env("MASTODON_CLIENT_ID", "masto-client")
            .with_env("MASTODON_CLIENT_SECRET", "masto-client-secret")
            .with_env("MASTODON_URL", &self.mastodon.uri())
            .with_env(
                "POSTIZ__PROVIDERS__BLUESKY__URLS__SERVICE",
                &self.bluesky.uri(),
            );
        for name in ["API", "UPLOAD", "OAUTH"] {
            o = o.with_env(
                &format!("POSTIZ__PROVIDERS__X__URLS__{name}"),
                &self.x.uri(),
            );
        }
        for id in ["LINKEDIN", "LINKEDIN-PAGE"] {
            for name in ["AUTH", "API"] {
                o = o.with_env(
                    &format!("POSTIZ__PROVIDERS__{id}__URLS__{name}"),
                    &self.linkedin.uri(),
                );
            }
        }
        o
    }
}

pub async fn mount_x(server: &MockServer, request_token: &str, user_id: &str, username: &str) {
    Mock::given(method("POST"))
        .and(path("/oauth/request_token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            "oauth_token={request_token}&oauth_token_secret=rt-secret&oauth_callback_confirmed=true"
        )))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            "oauth_token={X_ACCESS}&oauth_token_secret={X_SECRET}&user_id={user_id}&screen_name={username}"
        )))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/users/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {
                "id": user_id, "name": "X User", "username": username, "verified": false,
                "profile_image_url": "https://pbs.twimg.com/profile_images/1/x_normal.jpg"
            }
        })))
        .mount(server)
        .await;
}

/// LinkedIn's code exchange (`expires_in` seconds, optional refresh token) and the member.
pub async fn mount_linkedin_member(
    server: &MockServer,
    access: &str,
    refresh: Option<&str>,
    expires_in: u64,
) {
    let mut token = json!({"access_token": access, "expires_in": expires_in, "scope": LI_SCOPES});
    if let Some(r) = refresh {
        token["refresh_token"] = json!(r);
        token["refresh_token_expires_in"] = json!(31_536_000);
    }
    Mock::given(method("POST"))
        .and(path("/oauth/v2/accessToken"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/userinfo"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "sub": "member-1", "name": "Jane Doe",
            "picture": "https://media.licdn.com/jane.jpg"
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/me"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "member-1", "vanityName": "jane-doe"})),
        )
        .mount(server)
        .await;
}

pub async fn mount_linkedin_pages(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/rest/organizationAcls"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "elements": [
                {"roleAssignee": "urn:li:person:member-1", "state": "APPROVED",
                 "role": "ADMINISTRATOR", "organization": "urn:li:organization:111"},
                {"roleAssignee": "urn:li:person:member-1", "state": "APPROVED",
                 "role": "ADMINISTRATOR", "organization": "urn:li:organization:222"}
            ]
        })))
        .mount(server)
        .await;
    for (id, name, vanity) in [("111", "Acme Corp", "acme"), ("222", "Beta Ltd", "beta")] {
        Mock::given(method("GET"))
            .and(path(format!("/rest/organizations/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": id.parse::<u64>().unwrap(), "localizedName": name, "vanityName": vanity
            })))
            .mount(server)
            .await;
    }
}

pub async fn mount_bluesky(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.server.createSession"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "did": "did:plc:alice", "handle": "alice.bsky.social",
            "accessJwt": BSKY_ACCESS, "refreshJwt": BSKY_REFRESH, "active": true
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/xrpc/app.bsky.actor.getProfile"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "did": "did:plc:alice", "handle": "alice.bsky.social",
            "displayName": "Alice", "avatar": "https://cdn.bsky.app/alice.jpg"
        })))
        .mount(server)
        .await;
}

pub async fn mount_mastodon(server: &MockServer, scope: &str) {
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": MASTO_ACCESS, "token_type": "Bearer",
            "scope": scope, "created_at": 1_700_000_000
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/verify_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "109", "username": "bob", "acct": "bob",
            "display_name": "Bob", "avatar": "https://files.mastodon.social/bob.png"
        })))
        .mount(server)
        .await;
}

// ---- dashboard steps ----

/// A query parameter of an absolute URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.to_string())
}

/// `GET /integrations/social/:provider` as the dashboard calls it; returns `url`.
pub async fn auth_url(app: &TestApp, session: &Session, path: &str) -> String {
    let res = app
        .get(&format!("/integrations/social/{path}"), Some(session))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
    res.json()["url"]
        .as_str()
        .unwrap_or_else(|| panic!("no url: {}", res.text))
        .to_string()
}

/// The callback page's `POST /integrations/social-connect/:provider`.
pub async fn social_connect(app: &TestApp, provider: &str, state: &str, code: &str) -> Res {
    app.post(
        &format!("/integrations/social-connect/{provider}"),
        None,
        json!({"state": state, "code": code, "timezone": "120"}),
    )
    .await
}

/// Connects X: request token, user authorizes, verifier posted back. Returns the response.
pub async fn connect_x(app: &TestApp, session: &Session) -> Res {
    let url = auth_url(app, session, "x").await;
    let token = query_param(&url, "oauth_token").expect("oauth_token");
    social_connect(app, "x", &token, "x-verifier-123").await
}

/// Connects the personal LinkedIn profile (refreshable token).
pub async fn connect_linkedin(app: &TestApp, session: &Session, path: &str) -> Res {
    let url = auth_url(app, session, path).await;
    let state = query_param(&url, "state").expect("state");
    let provider = path.split('?').next().unwrap_or(path);
    social_connect(app, provider, &state, "li-code").await
}

/// The dashboard's `code` for a credential network: base64 JSON of the custom fields.
pub fn bluesky_code(service: &str) -> String {
    let fields = [
        ("service", service),
        ("identifier", "alice.bsky.social"),
        ("password", BSKY_PASSWORD),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    postiz_provider::oauth::encode_credentials(&fields)
}

pub async fn connect_bluesky(app: &TestApp, session: &Session, service: &str) -> Res {
    let state = auth_url(app, session, "bluesky").await;
    social_connect(app, "bluesky", &state, &bluesky_code(service)).await
}

pub async fn connect_mastodon(app: &TestApp, session: &Session) -> Res {
    let url = auth_url(app, session, "mastodon").await;
    let state = query_param(&url, "state").expect("state");
    social_connect(app, "mastodon", &state, "masto-code").await
}

pub async fn list(app: &TestApp, session: &Session) -> Vec<Value> {
    let res = app.get("/integrations/list", Some(session)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()["integrations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

pub fn by_identifier<'a>(list: &'a [Value], identifier: &str) -> &'a Value {
    list.iter()
        .find(|c| c["identifier"] == identifier)
        .unwrap_or_else(|| panic!("no {identifier} channel in {list:?}"))
}

pub async fn received(server: &MockServer, http_method: &str, route: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == http_method && r.url.path() == route)
        .collect()
}

fn form(request: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn form_value(request: &Request, name: &str) -> Option<String> {
    form(request)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

async fn channel_rows(app: &TestApp) -> u64 {
    integration::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap()
}

fn secrets() -> [&'static str; 8] {
    [
        X_ACCESS,
        X_SECRET,
        LI_ACCESS,
        LI_REFRESH,
        BSKY_PASSWORD,
        BSKY_ACCESS,
        BSKY_REFRESH,
        MASTO_ACCESS,
    ]
}

fn assert_no_secret(body: &str) {
    for secret in secrets() {
        assert!(!body.contains(secret), "a secret leaked: {body}");
    }
    assert!(!body.contains("rt-secret"), "a secret leaked: {body}");
}

/// Records channel deletions, as the posts module's hook would act on them.
struct DeletionLog(Arc<Mutex<Vec<(String, String)>>>);

#[postiz_provider::async_trait]
impl postiz_channels::ChannelHooks for DeletionLog {
    async fn channel_deleted(&self, organization_id: &str, channel_id: &str) -> anyhow::Result<()> {
        self.0
            .lock()
            .unwrap()
            .push((organization_id.to_string(), channel_id.to_string()));
        Ok(())
    }
}

// ---- tests ----

#[tokio::test]
async fn the_catalogue_lists_configured_providers_and_hides_hidden_ones() {
    let nets = Networks::start().await;
    let app = spawn_app_with(nets.options().with_env("HIDDEN_PROVIDERS", "mastodon")).await;
    let res = app.get("/integrations", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let body = res.json();
    assert_eq!(body["article"], json!([]));
    let social = body["social"].as_array().unwrap();
    let ids: Vec<&str> = social
        .iter()
        .map(|p| p["identifier"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["bluesky", "linkedin", "linkedin-page", "x"]);
    let linkedin = &social[1];
    let keys: BTreeSet<&str> = linkedin
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "name",
            "identifier",
            "editor",
            "isExternal",
            "isWeb3",
            "isChromeExtension"
        ])
    );
    assert_eq!(linkedin["name"], "LinkedIn");
    assert_eq!(linkedin["editor"], "normal");
    assert_eq!(linkedin["isExternal"], false);
    assert_eq!(linkedin["isWeb3"], false);
    let x = &social[3];
    assert_eq!(x["name"], "X");
    assert_eq!(x["editor"], "html");
    assert!(x["toolTip"].is_string());
    assert!(x.get("customFields").is_none());
    let bluesky = &social[0];
    assert!(bluesky["toolTip"].is_string());
    let fields: Vec<&str> = bluesky["customFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["service", "identifier", "password"]);
    assert_eq!(bluesky["customFields"][2]["type"], "password");
    assert_eq!(
        bluesky["customFields"][0]["defaultValue"],
        "https://bsky.social"
    );

    // A hidden provider takes no new connection.
    let owner = app.register("owner@example.com", "Acme").await;
    let res = app.get("/integrations/social/mastodon", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);

    // Without credentials, only Bluesky (whose users bring their own) is offered.
    let bare = spawn_app_with(Options::default()).await;
    let body = bare.get("/integrations", None).await.json();
    let ids: Vec<&str> = body["social"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["identifier"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["bluesky"]);
    let owner = bare.register("owner@example.com", "Acme").await;
    let res = bare.get("/integrations/social/x", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert_eq!(res.json()["message"], "Integration not allowed");
}

#[tokio::test]
async fn an_organization_connects_four_networks_and_lists_them_as_the_dashboard_reads_them() {
    let nets = Networks::start().await;
    mount_x(&nets.x, "req-token-1", "6253282", "xdev").await;
    mount_linkedin_member(&nets.linkedin, LI_ACCESS, Some(LI_REFRESH), 5_184_000).await;
    mount_linkedin_pages(&nets.linkedin).await;
    mount_bluesky(&nets.bluesky).await;
    mount_mastodon(&nets.mastodon, "write:statuses profile write:media").await;
    let app = spawn_app_with(nets.options()).await;
    let owner = app.register("owner@example.com", "Acme").await;
    let mut bodies: Vec<String> = Vec::new();

    // X, OAuth 1.0a.
    let url = auth_url(&app, &owner, "x").await;
    assert!(url.starts_with(&format!(
        "{}/oauth/authenticate?oauth_token=req-token-1",
        nets.x.uri()
    )));
    let token_request = &received(&nets.x, "POST", "/oauth/request_token").await[0];
    let authorization = token_request
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(authorization.starts_with("OAuth "), "{authorization}");
    assert!(
        authorization.contains(
            "oauth_callback=\"http%3A%2F%2Flocalhost%3A4200%2Fintegrations%2Fsocial%2Fx\""
        ),
        "{authorization}"
    );
    let res = social_connect(&app, "x", "req-token-1", "x-verifier-123").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    bodies.push(res.text.clone());
    let x = res.json();
    assert_eq!(x["internalId"], "6253282");
    assert_eq!(x["providerIdentifier"], "x");
    assert_eq!(x["inBetweenSteps"], false);
    assert_eq!(x["pages"], json!([]));
    assert_eq!(x["onboarding"], false);
    let exchange = &received(&nets.x, "POST", "/oauth/access_token").await[0];
    let authorization = exchange
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        authorization.contains("oauth_verifier=\"x-verifier-123\""),
        "{authorization}"
    );
    assert!(
        authorization.contains("oauth_token=\"req-token-1\""),
        "{authorization}"
    );

    // LinkedIn page: authorize as the member, then pick a page.
    let url = auth_url(&app, &owner, "linkedin-page?onboarding=true").await;
    assert!(url.starts_with(&format!("{}/oauth/v2/authorization?", nets.linkedin.uri())));
    assert_eq!(
        query_param(&url, "redirect_uri").as_deref(),
        Some("http://localhost:4200/integrations/social/linkedin-page")
    );
    let state = query_param(&url, "state").unwrap();
    let res = social_connect(&app, "linkedin-page", &state, "li-code").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    bodies.push(res.text.clone());
    let pending = res.json();
    assert_eq!(pending["inBetweenSteps"], true);
    assert_eq!(pending["onboarding"], true);
    let pages = pending["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0]["id"], "111");
    assert_eq!(pages[0]["name"], "Acme Corp");
    let code_exchange = &received(&nets.linkedin, "POST", "/oauth/v2/accessToken").await[0];
    assert_eq!(
        form_value(code_exchange, "code").as_deref(),
        Some("li-code")
    );
    assert_eq!(
        form_value(code_exchange, "client_id").as_deref(),
        Some("li-client")
    );
    let pending_id = pending["id"].as_str().unwrap().to_string();
    let listed = list(&app, &owner).await;
    assert_eq!(
        by_identifier(&listed, "linkedin-page")["inBetweenSteps"],
        true
    );
    // The "continue" dialog lists the pages through the provider function.
    let res = app
        .post(
            "/integrations/function",
            Some(&owner),
            json!({"id": pending_id, "name": "companies"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json().as_array().unwrap().len(), 2);
    assert_eq!(res.json()[1]["page"], "222");
    let res = app
        .post(
            "/integrations/function",
            Some(&owner),
            json!({"id": pending_id, "name": "deleteEverything"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    // The dashboard posts the callback parameters with the pick.
    let res = app
        .post(
            &format!("/integrations/provider/{pending_id}/connect"),
            Some(&owner),
            json!({"state": state, "code": "li-code", "page": "111"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json(), json!({"success": true}));
    // A page is picked once.
    let again = app
        .post(
            &format!("/integrations/provider/{pending_id}/connect"),
            Some(&owner),
            json!({"page": "222"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.text);

    // Bluesky, credentials in the custom fields.
    let state = auth_url(&app, &owner, "bluesky").await;
    let res = social_connect(&app, "bluesky", &state, &bluesky_code(&nets.bluesky.uri())).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    bodies.push(res.text.clone());
    assert_eq!(res.json()["internalId"], "did:plc:alice");
    let login = &received(
        &nets.bluesky,
        "POST",
        "/xrpc/com.atproto.server.createSession",
    )
    .await[0];
    let sent: Value = serde_json::from_slice(&login.body).unwrap();
    assert_eq!(
        sent,
        json!({"identifier": "alice.bsky.social", "password": BSKY_PASSWORD})
    );

    // Mastodon, OAuth 2 with PKCE.
    let url = auth_url(&app, &owner, "mastodon").await;
    assert!(url.starts_with(&format!("{}/oauth/authorize?", nets.mastodon.uri())));
    let challenge = query_param(&url, "code_challenge").unwrap();
    let state = query_param(&url, "state").unwrap();
    let res = social_connect(&app, "mastodon", &state, "masto-code").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    bodies.push(res.text.clone());
    let token = &received(&nets.mastodon, "POST", "/oauth/token").await[0];
    assert_eq!(form_value(token, "code").as_deref(), Some("masto-code"));
    let verifier = form_value(token, "code_verifier").unwrap();
    assert_eq!(postiz_provider::oauth::pkce_challenge(&verifier), challenge);

    // The list, field by field as the dashboard reads it.
    let res = app.get("/integrations/list", Some(&owner)).await;
    bodies.push(res.text.clone());
    let listed = res.json()["integrations"].as_array().cloned().unwrap();
    assert_eq!(listed.len(), 4);
    let expected: BTreeSet<&str> = BTreeSet::from([
        "name",
        "id",
        "internalId",
        "disabled",
        "editor",
        "stripLinks",
        "picture",
        "identifier",
        "inBetweenSteps",
        "refreshNeeded",
        "isCustomFields",
        "display",
        "type",
        "time",
        "changeProfilePicture",
        "changeNickName",
        "customer",
        "additionalSettings",
    ]);
    for channel in &listed {
        let mut keys: BTreeSet<&str> = channel
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        if channel["identifier"] == "bluesky" {
            assert!(keys.remove("customFields"), "{channel}");
            assert_eq!(channel["isCustomFields"], true);
        } else {
            assert_eq!(channel["isCustomFields"], false);
        }
        assert_eq!(keys, expected, "{channel}");
        assert_eq!(channel["type"], "social");
        assert_eq!(channel["disabled"], false);
        assert_eq!(channel["refreshNeeded"], false);
        assert_eq!(channel["inBetweenSteps"], false);
        assert_eq!(channel["customer"], Value::Null);
        assert!(channel["additionalSettings"].is_string());
        // timezone "120": 09:20, 14:10 and 19:00 at UTC+2.
        assert_eq!(
            channel["time"],
            json!([{"time": 440}, {"time": 730}, {"time": 1020}])
        );
    }
    let x = by_identifier(&listed, "x");
    assert_eq!(x["name"], "X User");
    assert_eq!(x["display"], "xdev");
    assert_eq!(x["editor"], "html");
    assert_eq!(
        x["picture"],
        "https://pbs.twimg.com/profile_images/1/x_normal.jpg"
    );
    let x_settings: Value =
        serde_json::from_str(x["additionalSettings"].as_str().unwrap()).unwrap();
    assert_eq!(x_settings[0]["title"], "Verified");
    let page = by_identifier(&listed, "linkedin-page");
    assert_eq!(page["internalId"], "111");
    assert_eq!(page["name"], "Acme Corp");
    assert_eq!(page["display"], "acme");
    assert_eq!(page["id"], pending_id.as_str());
    let bluesky = by_identifier(&listed, "bluesky");
    assert_eq!(bluesky["display"], "alice.bsky.social");
    assert_eq!(bluesky["name"], "Alice");
    let mastodon = by_identifier(&listed, "mastodon");
    assert_eq!(mastodon["internalId"], "109");
    assert_eq!(mastodon["editor"], "normal");

    // Secrets never leave the server, and are sealed at rest.
    for body in &bodies {
        assert_no_secret(body);
    }
    let rows = integration::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    for row in &rows {
        assert_no_secret(&row.tokens_sealed);
        assert_no_secret(row.custom_sealed.as_deref().unwrap_or_default());
        assert!(row.tokens_sealed.starts_with("v1:"));
    }
    let bsky = rows
        .iter()
        .find(|r| r.provider_identifier == "bluesky")
        .unwrap();
    let custom = app
        .state
        .sealer
        .open(bsky.custom_sealed.as_deref().unwrap())
        .unwrap();
    assert!(custom.contains(BSKY_PASSWORD));
    let x_row = rows.iter().find(|r| r.provider_identifier == "x").unwrap();
    let tokens = app.state.sealer.open(&x_row.tokens_sealed).unwrap();
    assert!(tokens.contains(X_ACCESS) && tokens.contains(X_SECRET));
}

#[tokio::test]
async fn channels_are_disabled_enabled_and_deleted_and_other_organizations_get_404() {
    let nets = Networks::start().await;
    mount_mastodon(&nets.mastodon, "write:statuses profile write:media").await;
    mount_bluesky(&nets.bluesky).await;
    let app = spawn_app_with(nets.options()).await;
    let owner = app.register("owner@example.com", "Acme").await;
    let other = app.register("other@example.com", "Other").await;
    let res = connect_mastodon(&app, &owner).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.json()["id"].as_str().unwrap().to_string();
    let res = connect_bluesky(&app, &other, &nets.bluesky.uri()).await;
    let others_id = res.json()["id"].as_str().unwrap().to_string();

    let res = app
        .post("/integrations/disable", Some(&owner), json!({"id": id}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.text, "");
    assert_eq!(list(&app, &owner).await[0]["disabled"], true);
    let res = app
        .post("/integrations/enable", Some(&owner), json!({"id": id}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(list(&app, &owner).await[0]["disabled"], false);

    // Another organization's channel is not found by any route.
    for (m, route, body) in [
        (
            Method::POST,
            "/integrations/disable".to_string(),
            json!({"id": others_id}),
        ),
        (
            Method::POST,
            "/integrations/enable".to_string(),
            json!({"id": others_id}),
        ),
        (
            Method::DELETE,
            "/integrations".to_string(),
            json!({"id": others_id}),
        ),
        (
            Method::POST,
            format!("/integrations/{others_id}/time"),
            json!({"time": [{"time": 60}]}),
        ),
        (
            Method::POST,
            format!("/integrations/{others_id}/settings"),
            json!({"additionalSettings": "[]"}),
        ),
        (
            Method::PUT,
            format!("/integrations/{others_id}/group"),
            json!({"group": ""}),
        ),
        (
            Method::PUT,
            format!("/integrations/{others_id}/customer-name"),
            json!({"name": "Client"}),
        ),
        (
            Method::POST,
            format!("/integrations/provider/{others_id}/connect"),
            json!({"page": "1"}),
        ),
        (
            Method::POST,
            "/integrations/function".to_string(),
            json!({"id": others_id, "name": "pages"}),
        ),
    ] {
        let res = app.call(m.clone(), &route, Some(&owner), Some(body)).await;
        assert_eq!(
            res.status,
            StatusCode::NOT_FOUND,
            "{m} {route}: {}",
            res.text
        );
    }
    let theirs = list(&app, &other).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["disabled"], false);
    assert_eq!(
        theirs[0]["time"],
        json!([{"time": 440}, {"time": 730}, {"time": 1020}])
    );
    assert_eq!(theirs[0]["customer"], Value::Null);
    assert_eq!(
        customer::Entity::find().count(&app.state.db).await.unwrap(),
        0
    );

    let deleted = Arc::new(Mutex::new(Vec::new()));
    app.state
        .channels
        .register_hooks(Arc::new(DeletionLog(deleted.clone())));
    let res = app
        .call(
            Method::DELETE,
            "/integrations",
            Some(&owner),
            Some(json!({"id": id})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_no_secret(&res.text);
    // The posts module's hook hears about it, once.
    assert_eq!(
        deleted.lock().unwrap().clone(),
        vec![(owner.org_id.clone(), id.clone())]
    );
    assert!(res.json()["deletedAt"].is_string());
    assert!(list(&app, &owner).await.is_empty());
    let res = app
        .call(
            Method::DELETE,
            "/integrations",
            Some(&owner),
            Some(json!({"id": id})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    // Deleted channels cannot be switched back on.
    let res = app
        .post("/integrations/enable", Some(&owner), json!({"id": id}))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
}

#[tokio::test]
async fn reconnecting_updates_in_place_keeps_the_refresh_token_and_revives_deleted_channels() {
    let nets = Networks::start().await;
    mount_linkedin_member(&nets.linkedin, LI_ACCESS, Some(LI_REFRESH), 5_184_000).await;
    let app = spawn_app_with(nets.options()).await;
    let owner = app.register("owner@example.com", "Acme").await;
    let res = connect_linkedin(&app, &owner, "linkedin").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let first = res.json();
    let id = first["id"].as_str().unwrap().to_string();
    assert_eq!(first["internalId"], "member-1");
    app.post(
        &format!("/integrations/{id}/time"),
        Some(&owner),
        json!({"time": [{"time": 61}]}),
    )
    .await;
    app.state
        .channels
        .mark_disconnected(&id, "revoked")
        .await
        .unwrap();
    assert_eq!(list(&app, &owner).await[0]["refreshNeeded"], true);

    // The network answers the reconnection without a refresh token.
    nets.linkedin.reset().await;
    mount_linkedin_member(&nets.linkedin, "li-access-2", None, 5_184_000).await;
    let res = connect_linkedin(&app, &owner, "linkedin?refresh=member-1").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["id"], id.as_str());
    let listed = list(&app, &owner).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["refreshNeeded"], false);
    assert_eq!(listed[0]["time"], json!([{"time": 61}]));
    let (_, auth) = app.state.channels.channel_auth(&id).await.unwrap();
    assert_eq!(auth.tokens.access_token, "li-access-2");
    assert_eq!(auth.tokens.refresh_token.as_deref(), Some(LI_REFRESH));

    // Reconnecting an account the organization does not have is refused, with nothing written.
    let res = app
        .get(
            "/integrations/social/linkedin?refresh=someone-else",
            Some(&owner),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);

    // A deleted channel comes back (same id, switched on) when the account is connected again.
    let res = app
        .post("/integrations/disable", Some(&owner), json!({"id": id}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let res = app
        .call(
            Method::DELETE,
            "/integrations",
            Some(&owner),
            Some(json!({"id": id})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let res = connect_linkedin(&app, &owner, "linkedin").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["id"], id.as_str());
    let listed = list(&app, &owner).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["disabled"], false);
    assert_eq!(channel_rows(&app).await, 1);
}

#[tokio::test]
async fn a_reconnection_with_another_account_is_refused_with_409_and_writes_nothing() {
    let nets = Networks::start().await;
    mount_x(&nets.x, "req-token-1", "6253282", "xdev").await;
    let app = spawn_app_with(nets.options()).await;
    let owner = app.register("owner@example.com", "Acme").await;
    let first = connect_x(&app, &owner).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);

    nets.x.reset().await;
    mount_x(&nets.x, "req-token-2", "999", "someone-else").await;
    let url = auth_url(&app, &owner, "x?refresh=6253282").await;
    let token = query_param(&url, "oauth_token").unwrap();
    let res = social_connect(&app, "x", &token, "v").await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    assert_eq!(
        res.json()["msg"],
        "Please refresh the channel that needs to be refreshed"
    );
    assert_eq!(channel_rows(&app).await, 1);
    let listed = list(&app, &owner).await;
    assert_eq!(listed[0]["internalId"], "6253282");
}

#[tokio::test]
async fn states_are_single_use_bound_to_their_provider_and_bad_connections_write_nothing() {
    let nets = Networks::start().await;
    mount_mastodon(&nets.mastodon, "read").await;
    mount_bluesky(&nets.bluesky).await;
    let app = spawn_app_with(nets.options()).await;
    let owner = app.register("owner@example.com", "Acme").await;

    // Missing permissions: 409 {msg} as Postiz.
    let res = connect_mastodon(&app, &owner).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    assert!(
        res.json()["msg"]
            .as_str()
            .unwrap()
            .contains("write:statuses"),
        "{}",
        res.text
    );
    assert_eq!(channel_rows(&app).await, 0);

    // Unknown state, a state of another provider, a replayed state.
    let res = social_connect(
        &app,
        "bluesky",
        "no-such-state",
        &bluesky_code(&nets.bluesky.uri()),
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert_eq!(res.json()["message"], "Invalid or expired state");
    let state = auth_url(&app, &owner, "bluesky").await;
    let res = social_connect(&app, "mastodon", &state, "code").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    let state = auth_url(&app, &owner, "bluesky").await;
    let res = social_connect(&app, "bluesky", &state, &bluesky_code(&nets.bluesky.uri())).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let replay = social_connect(&app, "bluesky", &state, &bluesky_code(&nets.bluesky.uri())).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST, "{}", replay.text);
    assert_eq!(channel_rows(&app).await, 1);

    // The network cannot be reached: `{err: true}` as Postiz, which the dashboard shows.
    let res = app.get("/integrations/social/x", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), json!({"err": true}));

    // Malformed bodies and unknown providers.
    for body in [
        json!({"code": "c", "timezone": "0"}),
        json!({"state": "s"}),
        json!({"state": 5, "code": "c"}),
        json!([]),
    ] {
        let res = app
            .post("/integrations/social-connect/bluesky", None, body.clone())
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {}", res.text);
    }
    let res = social_connect(&app, "myspace", "s", "c").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    let res = app.get("/integrations/social/myspace", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);

    // Bad Bluesky credentials: the network refuses, nothing is written.
    nets.bluesky.reset().await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.server.createSession"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "AuthenticationRequired", "message": "Invalid identifier or password"}),
        ))
        .mount(&nets.bluesky)
        .await;
    let state = auth_url(&app, &owner, "bluesky").await;
    let res = social_connect(&app, "bluesky", &state, &bluesky_code(&nets.bluesky.uri())).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    assert!(
        res.json()["msg"]
            .as_str()
            .unwrap()
            .contains("Invalid identifier or password")
    );
    assert_eq!(channel_rows(&app).await, 1);

    // The auth URL needs a session; onboarding and the return URL come back after connecting.
    assert_eq!(
        app.get("/integrations/social/bluesky", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .get(
            "/integrations/social/bluesky?redirectUrl=https%3A%2F%2Fevil.example.com%2F",
            Some(&owner),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    nets.bluesky.reset().await;
    mount_bluesky(&nets.bluesky).await;
    let state = auth_url(
        &app,
        &owner,
        "bluesky?onboarding=true&redirectUrl=%2Flaunches%3Fx%3D1&externalUrl=undefined",
    )
    .await;
    let res = social_connect(&app, "bluesky", &state, &bluesky_code(&nets.bluesky.uri())).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["onboarding"], true);
    assert_eq!(res.json()["returnURL"], "/launches?x=1");
}

#[tokio::test]
async fn posting_times_settings_and_customers_are_stored_as_postiz_stores_them() {
    let nets = Networks::start().await;
    mount_bluesky(&nets.bluesky).await;
    mount_mastodon(&nets.mastodon, "write:statuses profile write:media").await;
    let app = spawn_app_with(nets.options()).await;
    let owner = app.register("owner@example.com", "Acme").await;
    let bsky = connect_bluesky(&app, &owner, &nets.bluesky.uri())
        .await
        .json();
    let bsky_id = bsky["id"].as_str().unwrap().to_string();
    let masto = connect_mastodon(&app, &owner).await.json();
    let masto_id = masto["id"].as_str().unwrap().to_string();

    let res = app
        .post(
            &format!("/integrations/{bsky_id}/time"),
            Some(&owner),
            json!({"time": [{"time": 0}, {"time": 1439}, {"time": -60}]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json(), json!({"id": bsky_id}));
    for bad in [
        json!({"time": [{"time": "noon"}]}),
        json!({"time": [{"time": 99999}]}),
        json!({"time": 5}),
        json!({}),
    ] {
        let res = app
            .post(
                &format!("/integrations/{bsky_id}/time"),
                Some(&owner),
                bad.clone(),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}: {}", res.text);
    }

    let settings =
        json!([{"title": "Verified", "description": "Premium", "type": "checkbox", "value": true}])
            .to_string();
    let res = app
        .post(
            &format!("/integrations/{bsky_id}/settings"),
            Some(&owner),
            json!({"additionalSettings": settings}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    for bad in [
        json!({"additionalSettings": "{not json"}),
        json!({"additionalSettings": "{}"}),
        json!({"additionalSettings": []}),
    ] {
        let res = app
            .post(
                &format!("/integrations/{bsky_id}/settings"),
                Some(&owner),
                bad.clone(),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}: {}", res.text);
    }

    // Customers: by name (created once), by id, removed.
    let res = app
        .call(
            Method::PUT,
            &format!("/integrations/{bsky_id}/customer-name"),
            Some(&owner),
            Some(json!({"name": "Client A"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_no_secret(&res.text);
    let customer_id = res.json()["customerId"].as_str().unwrap().to_string();
    let res = app
        .call(
            Method::PUT,
            &format!("/integrations/{masto_id}/customer-name"),
            Some(&owner),
            Some(json!({"name": "Client A"})),
        )
        .await;
    assert_eq!(res.json()["customerId"], customer_id.as_str());
    let customers = app
        .get("/integrations/customers", Some(&owner))
        .await
        .json();
    assert_eq!(customers.as_array().unwrap().len(), 1);
    assert_eq!(customers[0]["name"], "Client A");
    assert_eq!(customers[0]["id"], customer_id.as_str());
    assert_eq!(customers[0]["orgId"], owner.org_id.as_str());

    let res = app
        .call(
            Method::PUT,
            &format!("/integrations/{masto_id}/group"),
            Some(&owner),
            Some(json!({"group": ""})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["customerId"], Value::Null);
    let res = app
        .call(
            Method::PUT,
            &format!("/integrations/{masto_id}/group"),
            Some(&owner),
            Some(json!({"group": "no-such-customer"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    let res = app
        .call(
            Method::PUT,
            &format!("/integrations/{masto_id}/group"),
            Some(&owner),
            Some(json!({"group": customer_id})),
        )
        .await;
    assert_eq!(res.json()["customerId"], customer_id.as_str());

    // Another organization cannot use this organization's customer.
    let other = app.register("other@example.com", "Other").await;
    let theirs = connect_bluesky(&app, &other, &nets.bluesky.uri())
        .await
        .json();
    let res = app
        .call(
            Method::PUT,
            &format!("/integrations/{}/group", theirs["id"].as_str().unwrap()),
            Some(&other),
            Some(json!({"group": customer_id})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    assert_eq!(
        app.get("/integrations/customers", Some(&other))
            .await
            .json(),
        json!([])
    );

    let listed = list(&app, &owner).await;
    let b = listed.iter().find(|c| c["id"] == bsky_id.as_str()).unwrap();
    assert_eq!(
        b["time"],
        json!([{"time": 0}, {"time": 1439}, {"time": -60}])
    );
    assert_eq!(b["additionalSettings"].as_str().unwrap(), settings);
    assert_eq!(
        b["customer"],
        json!({"id": customer_id, "name": "Client A"})
    );
    let m = listed
        .iter()
        .find(|c| c["id"] == masto_id.as_str())
        .unwrap();
    assert_eq!(
        m["customer"],
        json!({"id": customer_id, "name": "Client A"})
    );

    let res = app
        .call(
            Method::PUT,
            &format!("/integrations/{bsky_id}/customer-name"),
            Some(&owner),
            Some(json!({"name": ""})),
        )
        .await;
    assert_eq!(res.json()["customerId"], Value::Null);
    let stored = integration::Entity::find()
        .filter(integration::Column::Id.eq(bsky_id.as_str()))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.customer_id, None);
}

#[tokio::test]
async fn a_user_manages_channels_of_their_organization_only() {
    let nets = Networks::start().await;
    mount_bluesky(&nets.bluesky).await;
    mount_mastodon(&nets.mastodon, "write:statuses profile write:media").await;
    let app = spawn_app_with(nets.options()).await;
    let owner = app.register("owner@example.com", "Acme").await;
    let user = app.add_member(&owner, "user@example.com", "USER").await;
    let outsider = app.register("outsider@example.com", "Elsewhere").await;
    let theirs = connect_bluesky(&app, &outsider, &nets.bluesky.uri())
        .await
        .json();
    let theirs_id = theirs["id"].as_str().unwrap().to_string();

    // A USER connects and manages the organization's channels.
    let res = connect_mastodon(&app, &user).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["organizationId"], owner.org_id.as_str());
    let id = res.json()["id"].as_str().unwrap().to_string();
    let res = app
        .post("/integrations/disable", Some(&user), json!({"id": id}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(list(&app, &owner).await[0]["disabled"], true);
    let res = app
        .post(
            &format!("/integrations/{id}/time"),
            Some(&user),
            json!({"time": [{"time": 5}]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);

    // ... but not another organization's.
    for route in ["/integrations/disable", "/integrations/enable"] {
        let res = app.post(route, Some(&user), json!({"id": theirs_id})).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{route}: {}", res.text);
    }
    let res = app
        .call(
            Method::DELETE,
            "/integrations",
            Some(&user),
            Some(json!({"id": theirs_id})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(list(&app, &outsider).await[0]["disabled"], false);
    // Asking for another organization with `showorg` falls back to the user's own.
    let mut forged = user.clone();
    forged.org_id = outsider.org_id.clone();
    let seen = list(&app, &forged).await;
    assert!(seen.iter().all(|c| c["id"] != theirs_id.as_str()));
    // Without a session, nothing.
    assert_eq!(
        app.get("/integrations/list", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .post("/integrations/disable", None, json!({"id": id}))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_linkedin_page_is_picked_with_the_state_reconnected_and_revived_in_place() {
    let nets = Networks::start().await;
    mount_linkedin_member(&nets.linkedin, LI_ACCESS, Some(LI_REFRESH), 5_184_000).await;
    mount_linkedin_pages(&nets.linkedin).await;
    let app = spawn_app_with(nets.options()).await;
    let owner = app.register("owner@example.com", "Acme").await;

    // A connect link used by someone without a session: the state authorizes the pick.
    let url = auth_url(&app, &owner, "linkedin-page").await;
    let state = query_param(&url, "state").unwrap();
    let pending = social_connect(&app, "linkedin-page", &state, "li-code")
        .await
        .json();
    let id = pending["id"].as_str().unwrap().to_string();
    let res = app
        .post(
            &format!("/integrations/public/provider/{id}/connect"),
            None,
            json!({"state": "forged", "page": "111"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    let res = app
        .post(
            &format!("/integrations/public/provider/{id}/connect"),
            None,
            json!({"state": state, "code": "li-code", "page": "111"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app
        .post(
            &format!("/integrations/public/provider/{id}/connect"),
            None,
            json!({"state": state, "page": "222"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    let listed = list(&app, &owner).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["internalId"], "111");

    // Reconnecting the page: authorize as the member, the same page is resolved again.
    app.state
        .channels
        .mark_disconnected(&id, "revoked")
        .await
        .unwrap();
    nets.linkedin.reset().await;
    mount_linkedin_member(&nets.linkedin, "li-access-2", None, 5_184_000).await;
    mount_linkedin_pages(&nets.linkedin).await;
    let res = connect_linkedin(&app, &owner, "linkedin-page?refresh=111").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let body = res.json();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["inBetweenSteps"], false);
    assert_eq!(body["refreshNeeded"], false);
    let (_, auth) = app.state.channels.channel_auth(&id).await.unwrap();
    assert_eq!(auth.internal_id, "111");
    assert_eq!(auth.tokens.access_token, "li-access-2");
    assert_eq!(auth.tokens.refresh_token.as_deref(), Some(LI_REFRESH));

    // Deleted, connected again and the same page picked: the old channel comes back.
    let res = app
        .call(
            Method::DELETE,
            "/integrations",
            Some(&owner),
            Some(json!({"id": id})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let url = auth_url(&app, &owner, "linkedin-page").await;
    let state = query_param(&url, "state").unwrap();
    let pending = social_connect(&app, "linkedin-page", &state, "li-code")
        .await
        .json();
    let placeholder = pending["id"].as_str().unwrap().to_string();
    assert_ne!(placeholder, id);
    let res = app
        .post(
            &format!("/integrations/provider/{placeholder}/connect"),
            Some(&owner),
            json!({"page": 111}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let listed = list(&app, &owner).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["inBetweenSteps"], false);

    // A page the member does not administer is refused and nothing changes.
    let url = auth_url(&app, &owner, "linkedin-page").await;
    let state = query_param(&url, "state").unwrap();
    let pending = social_connect(&app, "linkedin-page", &state, "li-code")
        .await
        .json();
    let placeholder = pending["id"].as_str().unwrap().to_string();
    let res = app
        .post(
            &format!("/integrations/provider/{placeholder}/connect"),
            Some(&owner),
            json!({"page": "999"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    let res = app
        .post(
            &format!("/integrations/provider/{placeholder}/connect"),
            Some(&owner),
            json!({"nothing": true}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    let listed = list(&app, &owner).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["internalId"], "111");
    assert_eq!(listed[1]["id"], placeholder.as_str());
    assert_eq!(listed[1]["inBetweenSteps"], true);
}

#[tokio::test]
async fn migrate_providers_moves_a_channel_in_place_on_reconnect_and_on_connect() {
    let nets = Networks::start().await;
    mount_mastodon(&nets.mastodon, "write:statuses profile write:media").await;
    mount_x(&nets.x, "req-token-1", "777", "bob").await;
    let app = spawn_app_with(nets.options().with_env("MIGRATE_PROVIDERS", "mastodon:x")).await;
    let owner = app.register("owner@example.com", "Acme").await;
    let masto = connect_mastodon(&app, &owner).await.json();
    let id = masto["id"].as_str().unwrap().to_string();
    app.post(
        &format!("/integrations/{id}/time"),
        Some(&owner),
        json!({"time": [{"time": 7}]}),
    )
    .await;

    // Reconnecting the Mastodon channel goes through X's authorization.
    let url = auth_url(&app, &owner, "mastodon?refresh=109").await;
    assert!(url.starts_with(&nets.x.uri()), "{url}");
    let token = query_param(&url, "oauth_token").unwrap();
    let res = social_connect(&app, "x", &token, "v").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["id"], id.as_str());
    let listed = list(&app, &owner).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["identifier"], "x");
    assert_eq!(listed[0]["internalId"], "777");
    assert_eq!(listed[0]["time"], json!([{"time": 7}]));

    // A fresh connection of the target adopts a source channel of the same handle.
    let other = app.register("other@example.com", "Other").await;
    let theirs = connect_mastodon(&app, &other).await.json();
    let res = connect_x(&app, &other).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json()["id"], theirs["id"]);
    let listed = list(&app, &other).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["identifier"], "x");
}

#[tokio::test]
async fn the_integrations_routes_are_documented() {
    let app = spawn_app_with(Options::default()).await;
    let res = app.get("/docs/openapi.json", None).await;
    assert_eq!(res.status, StatusCode::OK);
    let spec: openapiv3::OpenAPI = serde_json::from_str(&res.text).expect("OpenAPI 3");
    for (m, route) in [
        ("get", "/integrations"),
        ("delete", "/integrations"),
        ("get", "/integrations/list"),
        ("get", "/integrations/customers"),
        ("post", "/integrations/disable"),
        ("post", "/integrations/enable"),
        ("post", "/integrations/function"),
        ("get", "/integrations/social/{integration}"),
        ("post", "/integrations/social-connect/{integration}"),
        ("post", "/integrations/provider/{id}/connect"),
        ("post", "/integrations/public/provider/{id}/connect"),
        ("post", "/integrations/{id}/time"),
        ("post", "/integrations/{id}/settings"),
        ("put", "/integrations/{id}/group"),
        ("put", "/integrations/{id}/customer-name"),
    ] {
        let item = spec
            .paths
            .paths
            .get(route)
            .and_then(|i| i.as_item())
            .unwrap_or_else(|| panic!("{route} is not documented"));
        let op = match m {
            "get" => item.get.as_ref(),
            "post" => item.post.as_ref(),
            "put" => item.put.as_ref(),
            "delete" => item.delete.as_ref(),
            _ => None,
        };
        let op = op.unwrap_or_else(|| panic!("{m} {route} is not documented"));
        assert_eq!(op.tags, vec!["Integrations".to_string()], "{m} {route}");
    }
    let list = spec.paths.paths["/integrations/list"]
        .as_item()
        .unwrap()
        .get
        .as_ref()
        .unwrap();
    assert!(list.security.as_ref().is_some_and(|s| !s.is_empty()));
}
