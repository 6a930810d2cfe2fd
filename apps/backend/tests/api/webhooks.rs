//! Outgoing webhooks: `/webhooks` in Postiz's shapes, admins only, other organizations' ids
//! 404, SSRF refusals at save time, test send and delivery; signed deliveries with retries,
//! run by the job engine against a real local HTTP server.

use std::time::Duration;

use hmac::{Hmac, Mac};
use postiz_core::ids::new_id;
use postiz_entity::{integration, webhook, webhook_delivery};
use postiz_jobs::{CancellationToken, JobQueue, JobsConfig, RunningWorkers, WorkerRuntime};
use postiz_notifications::{RetryPolicy, WebhookConfig, WebhookService};
use postiz_posts::ports::{PostEvent, PostEventChannel, PostListener};
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use serde_json::{Value, json};
use sha2::Sha256;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::{Options, Session, TestApp, spawn_app, spawn_app_with};

/// A connected channel, written straight into the database (the channels module's connect
/// flows are tested elsewhere).
async fn channel(app: &TestApp, org_id: &str, name: &str, provider: &str) -> String {
    let id = new_id();
    let at = chrono::Utc::now();
    integration::ActiveModel {
        id: Set(id.clone()),
        organization_id: Set(org_id.to_string()),
        internal_id: Set(format!("acct-{id}")),
        provider_identifier: Set(provider.to_string()),
        kind: Set("social".into()),
        name: Set(name.to_string()),
        picture: Set(Some(format!("https://cdn.example.com/{name}.png"))),
        profile: Set(Some(name.to_string())),
        tokens_sealed: Set(app.state.sealer.seal("{}")),
        token_expires_at: Set(None),
        custom_sealed: Set(None),
        disabled: Set(false),
        in_between_steps: Set(false),
        refresh_needed: Set(false),
        posting_times: Set(json!([{"time": 120}])),
        additional_settings: Set(json!([])),
        customer_id: Set(None),
        root_internal_id: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(&app.state.db)
    .await
    .expect("channel");
    id
}

async fn webhook_rows(app: &TestApp) -> u64 {
    webhook::Entity::find()
        .count(&app.state.db)
        .await
        .expect("count")
}

async fn list(app: &TestApp, session: &Session) -> Vec<Value> {
    let res = app.get("/webhooks", Some(session)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json().as_array().cloned().expect("array")
}

async fn create(app: &TestApp, session: &Session, body: Value) -> Value {
    let res = app.post("/webhooks", Some(session), body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()
}

fn event(org_id: &str, channel_id: &str, state: &str) -> PostEvent {
    PostEvent {
        id: new_id(),
        organization_id: org_id.to_string(),
        group: "group-1".into(),
        content: "<p>Hello from Postiz</p>".into(),
        publish_date: "2026-11-22T10:00:00.000Z".into(),
        state: state.into(),
        release_url: (state == "PUBLISHED").then(|| "https://x.com/acme/status/42".to_string()),
        release_id: (state == "PUBLISHED").then(|| "42".to_string()),
        error: (state == "ERROR").then(|| "The network refused the post".to_string()),
        integration: PostEventChannel {
            id: channel_id.to_string(),
            name: "Acme on X".into(),
            provider_identifier: "x".into(),
            picture: Some("https://cdn.example.com/acme.png".into()),
            kind: "social".into(),
        },
    }
}

/// An app whose webhooks may reach local servers (the endpoints of these tests), with no
/// workers of its own.
async fn app_with_local_endpoints() -> TestApp {
    spawn_app_with(
        Options::default()
            .without_workers()
            .with_env("DISABLE_SSRF_PROTECTION", "true"),
    )
    .await
}

/// An endpoint that accepts every delivery.
async fn accepting_endpoint() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&server)
        .await;
    server
}

/// An app whose webhooks may reach local endpoints, the owner of "Acme" with an X channel (its
/// id), and an endpoint accepting every delivery.
async fn acme_with_x_and_an_endpoint() -> (TestApp, Session, String, MockServer) {
    let app = app_with_local_endpoints().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let x = channel(&app, &owner.org_id, "Acme X", "x").await;
    (app, owner, x, accepting_endpoint().await)
}

/// A webhook of all the owner's channels to `server`'s `/all`; its id.
async fn all_channels_hook(app: &TestApp, owner: &Session, server: &MockServer) -> String {
    let hook = create(
        app,
        owner,
        json!({"name": "All", "url": format!("{}/all", server.uri()), "integrations": []}),
    )
    .await;
    hook["id"].as_str().unwrap().to_string()
}

/// A webhook service with quick retries on its own job engine, and the running workers.
async fn delivery_engine(app: &TestApp, retry: RetryPolicy) -> (WebhookService, RunningWorkers) {
    let mut config = WebhookConfig::from_settings(&app.state.settings);
    config.retry = retry;
    delivery_engine_with(app, config).await
}

/// [`delivery_engine`] with the given configuration: a second process beside the app's.
async fn delivery_engine_with(
    app: &TestApp,
    config: WebhookConfig,
) -> (WebhookService, RunningWorkers) {
    let jobs = JobQueue::from_connection(
        &app.state.db,
        JobsConfig {
            poll_interval: Duration::from_millis(100),
            ..JobsConfig::default()
        },
    )
    .expect("jobs");
    jobs.migrate().await.expect("job tables");
    let service = WebhookService::new(
        app.state.db.clone(),
        app.state.sealer.clone(),
        jobs.clone(),
        config,
    )
    .expect("service");
    let mut runtime = WorkerRuntime::new(jobs);
    service.register(&mut runtime);
    let running = runtime.start(CancellationToken::new()).expect("workers");
    (service, running)
}

async fn wait_for_requests(server: &MockServer, n: usize) -> Vec<Request> {
    for _ in 0..300 {
        let got = server.received_requests().await.unwrap_or_default();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the endpoint did not receive {n} requests");
}

async fn wait_for_status(
    service: &WebhookService,
    webhook_id: &str,
    status: &str,
) -> webhook_delivery::Model {
    for _ in 0..300 {
        let deliveries = service.deliveries(webhook_id).await.expect("deliveries");
        if let Some(d) = deliveries.iter().find(|d| d.status == status) {
            return d.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no delivery of {webhook_id} reached {status}");
}

fn header(request: &Request, name: &str) -> String {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn webhooks_are_created_listed_updated_and_deleted_in_postiz_shapes() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let x = channel(&app, &owner.org_id, "Acme X", "x").await;
    let linkedin = channel(&app, &owner.org_id, "Acme LinkedIn", "linkedin").await;
    assert!(list(&app, &owner).await.is_empty());

    let all = create(
        &app,
        &owner,
        json!({"name": "Everything", "url": "https://93.184.216.34/hooks/all", "integrations": []}),
    )
    .await;
    let all_id = all["id"].as_str().expect("id").to_string();
    let secret = all["secret"].as_str().expect("secret").to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 30,
        "{secret}"
    );
    // The dashboard sends whole channel objects; only their ids count.
    let one = create(
        &app,
        &owner,
        json!({"name": "Only X", "url": "http://93.184.216.34:8080/x?token=1",
               "integrations": [{"id": x, "name": "Acme X", "picture": "p", "identifier": "x"}]}),
    )
    .await;
    let one_id = one["id"].as_str().unwrap().to_string();
    assert_ne!(one["secret"], all["secret"]);

    let hooks = list(&app, &owner).await;
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0]["id"], all_id.as_str());
    assert_eq!(hooks[0]["name"], "Everything");
    assert_eq!(hooks[0]["url"], "https://93.184.216.34/hooks/all");
    assert_eq!(hooks[0]["organizationId"], owner.org_id.as_str());
    assert_eq!(hooks[0]["integrations"], json!([]));
    assert_eq!(hooks[0]["deletedAt"], Value::Null);
    assert_eq!(hooks[0]["secret"], secret.as_str(), "admins see the secret");
    for key in ["createdAt", "updatedAt"] {
        let t = hooks[0][key].as_str().expect(key);
        assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{t}");
    }
    assert_eq!(
        hooks[1]["integrations"],
        json!([{"integration": {"id": x, "name": "Acme X",
            "picture": "https://cdn.example.com/Acme X.png", "providerIdentifier": "x"}}])
    );

    // PUT changes name, URL and channels; the secret stays.
    let res = app
        .call(
            Method::PUT,
            "/webhooks",
            Some(&owner),
            Some(
                json!({"id": one_id, "name": "LinkedIn only", "url": "https://93.184.216.35/li",
                        "integrations": [{"id": linkedin}]}),
            ),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), json!({"id": one_id}));
    let hooks = list(&app, &owner).await;
    assert_eq!(hooks[1]["name"], "LinkedIn only");
    assert_eq!(hooks[1]["url"], "https://93.184.216.35/li");
    assert_eq!(hooks[1]["secret"], one["secret"]);
    assert_eq!(
        hooks[1]["integrations"][0]["integration"]["id"],
        linkedin.as_str()
    );
    assert_eq!(hooks[1]["integrations"].as_array().unwrap().len(), 1);

    // DELETE is soft and answers the row with deletedAt.
    let res = app
        .call(
            Method::DELETE,
            &format!("/webhooks/{all_id}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["id"], all_id.as_str());
    assert!(res.json()["deletedAt"].is_string());
    assert!(res.json().get("secret").is_none());
    let hooks = list(&app, &owner).await;
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["id"], one_id.as_str());
    let res = app
        .call(
            Method::DELETE,
            &format!("/webhooks/{all_id}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .call(
            Method::PUT,
            "/webhooks",
            Some(&owner),
            Some(json!({"id": all_id, "name": "n", "url": "https://93.184.216.34/", "integrations": []})),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::NOT_FOUND,
        "a deleted webhook is gone"
    );

    // A deleted channel disappears from the webhook's list.
    integration::Entity::update(integration::ActiveModel {
        id: Set(linkedin.clone()),
        deleted_at: Set(Some(chrono::Utc::now())),
        ..Default::default()
    })
    .exec(&app.state.db)
    .await
    .unwrap();
    assert_eq!(list(&app, &owner).await[0]["integrations"], json!([]));
}

#[tokio::test]
async fn only_admins_manage_webhooks_and_other_organizations_get_404() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let admin = app.add_member(&owner, "admin@example.com", "ADMIN").await;
    let user = app.add_member(&owner, "user@example.com", "USER").await;
    let stranger = app.register("stranger@example.com", "Other").await;
    let x = channel(&app, &owner.org_id, "Acme X", "x").await;
    let theirs = channel(&app, &stranger.org_id, "Other X", "x").await;

    let created = create(
        &app,
        &admin,
        json!({"name": "By admin", "url": "https://93.184.216.34/a", "integrations": [{"id": x}]}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(list(&app, &admin).await.len(), 1);

    // USER: refused on every route, nothing written.
    let body = json!({"name": "n", "url": "https://93.184.216.34/u", "integrations": []});
    for (m, p, b) in [
        (Method::GET, "/webhooks".to_string(), None),
        (Method::POST, "/webhooks".to_string(), Some(body.clone())),
        (
            Method::PUT,
            "/webhooks".to_string(),
            Some(
                json!({"id": id, "name": "n", "url": "https://93.184.216.34/u", "integrations": []}),
            ),
        ),
        (Method::DELETE, format!("/webhooks/{id}"), None),
        (
            Method::POST,
            "/webhooks/send?url=https%3A%2F%2F93.184.216.34%2F".to_string(),
            Some(json!([])),
        ),
    ] {
        let res = app.call(m.clone(), &p, Some(&user), b.clone()).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{m} {p}: {}", res.text);
        let res = app.call(m.clone(), &p, None, b).await;
        assert_eq!(
            res.status,
            StatusCode::UNAUTHORIZED,
            "{m} {p} without a session"
        );
    }
    assert_eq!(webhook_rows(&app).await, 1);

    // Another organization: sees nothing, cannot touch the webhook, cannot use our channels.
    assert!(list(&app, &stranger).await.is_empty());
    let res = app
        .call(
            Method::PUT,
            "/webhooks",
            Some(&stranger),
            Some(json!({"id": id, "name": "stolen", "url": "https://93.184.216.34/s", "integrations": []})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    let res = app
        .call(
            Method::DELETE,
            &format!("/webhooks/{id}"),
            Some(&stranger),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .post(
            "/webhooks",
            Some(&stranger),
            json!({"name": "n", "url": "https://93.184.216.34/s", "integrations": [{"id": x}]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    let res = app
        .call(
            Method::PUT,
            "/webhooks",
            Some(&owner),
            Some(json!({"id": id, "name": "n", "url": "https://93.184.216.34/s", "integrations": [{"id": theirs}]})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    assert_eq!(webhook_rows(&app).await, 1);
    let hooks = list(&app, &owner).await;
    assert_eq!(hooks[0]["name"], "By admin");
    assert_eq!(hooks[0]["integrations"][0]["integration"]["id"], x.as_str());
}

#[tokio::test]
async fn bad_input_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    for body in [
        json!({"url": "https://93.184.216.34/", "integrations": []}),
        json!({"name": "n", "integrations": []}),
        json!({"name": "n", "url": "https://93.184.216.34/"}),
        json!({"name": "   ", "url": "https://93.184.216.34/", "integrations": []}),
        json!({"name": "n", "url": "", "integrations": []}),
        json!({"name": "n", "url": "not a url", "integrations": []}),
        json!({"name": "n", "url": "ftp://93.184.216.34/x", "integrations": []}),
        json!({"name": "n", "url": "javascript:alert(1)", "integrations": []}),
        json!({"name": "n", "url": "https://93.184.216.34/", "integrations": [{"name": "no id"}]}),
        json!({"name": "n", "url": "https://93.184.216.34/", "integrations": "all"}),
        json!({"name": 5, "url": "https://93.184.216.34/", "integrations": []}),
        json!([]),
    ] {
        let res = app.post("/webhooks", Some(&owner), body.clone()).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {}", res.text);
        assert_eq!(res.json()["statusCode"], 400);
    }
    let res = app
        .post(
            "/webhooks",
            Some(&owner),
            json!({"name": "n", "url": "https://93.184.216.34/", "integrations": [{"id": new_id()}]}),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::NOT_FOUND,
        "unknown channel: {}",
        res.text
    );
    let res = app
        .call(
            Method::PUT,
            "/webhooks",
            Some(&owner),
            Some(json!({"name": "n", "url": "https://93.184.216.34/", "integrations": []})),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "PUT needs the id");
    let res = app
        .call(
            Method::POST,
            "/webhooks/send?url=https%3A%2F%2F93.184.216.34%2F",
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::BAD_REQUEST,
        "test send needs a JSON body"
    );
    let res = app.post("/webhooks/send", Some(&owner), json!([])).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "test send needs ?url=");
    assert_eq!(webhook_rows(&app).await, 0);
}

#[tokio::test]
async fn private_and_metadata_addresses_are_refused_with_400() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let port = server.address().port();
    let refused = [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://[::1]:{port}/hook"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://10.0.0.8/hook".to_string(),
        "http://172.16.4.2/hook".to_string(),
        "https://192.168.1.10/hook".to_string(),
        "http://100.64.0.1/hook".to_string(),
        "http://0.0.0.0/hook".to_string(),
        "http://[fd00::1]/hook".to_string(),
        "http://[::ffff:127.0.0.1]/hook".to_string(),
        "http://2130706433/hook".to_string(),
    ];
    for url in &refused {
        let res = app
            .post(
                "/webhooks",
                Some(&owner),
                json!({"name": "n", "url": url, "integrations": []}),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{url}: {}", res.text);
        let message = res.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            message.starts_with("Webhook URL refused:"),
            "{url}: {message}"
        );
        assert!(message.contains("is not allowed"), "{url}: {message}");
    }
    // Loopback and metadata are named.
    let res = app
        .post(
            "/webhooks",
            Some(&owner),
            json!({"name": "n", "url": "http://169.254.169.254/", "integrations": []}),
        )
        .await;
    assert!(res.text.contains("cloud metadata"), "{}", res.text);
    assert_eq!(webhook_rows(&app).await, 0);

    // An update to a private address is refused and changes nothing.
    let created = create(
        &app,
        &owner,
        json!({"name": "ok", "url": "https://93.184.216.34/ok", "integrations": []}),
    )
    .await;
    let res = app
        .call(
            Method::PUT,
            "/webhooks",
            Some(&owner),
            Some(
                json!({"id": created["id"], "name": "evil", "url": refused[0], "integrations": []}),
            ),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    let hooks = list(&app, &owner).await;
    assert_eq!(hooks[0]["name"], "ok");
    assert_eq!(hooks[0]["url"], "https://93.184.216.34/ok");

    // The test send is checked the same way and sends nothing.
    for url in &refused[..4] {
        let res = app
            .post(
                &format!(
                    "/webhooks/send?url={}",
                    url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>()
                ),
                Some(&owner),
                json!([{"id": "x"}]),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{url}: {}", res.text);
        assert!(res.text.contains("URL refused"), "{}", res.text);
    }
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn deliveries_are_checked_again_when_they_run() {
    // A webhook whose address became private after it was saved (here: written directly).
    let app = spawn_app_with(Options::default().without_workers()).await;
    let owner = app.register("owner@example.com", "Acme").await;
    let x = channel(&app, &owner.org_id, "Acme X", "x").await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let id = new_id();
    let at = chrono::Utc::now();
    webhook::ActiveModel {
        id: Set(id.clone()),
        organization_id: Set(owner.org_id.clone()),
        name: Set("rebound".into()),
        url: Set(format!("{}/hook", server.uri())),
        secret_sealed: Set(app.state.sealer.seal("whsec_test")),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    let (service, running) = delivery_engine(
        &app,
        RetryPolicy {
            max_attempts: 3,
            first_delay: Duration::from_secs(1),
            factor: 1,
        },
    )
    .await;
    service
        .published(&event(&owner.org_id, &x, "PUBLISHED"))
        .await;
    let failed = wait_for_status(&service, &id, "failed").await;
    assert_eq!(failed.attempts, 1, "a refused address is not retried");
    let error = failed.last_error.unwrap_or_default();
    assert!(error.contains("loopback"), "{error}");
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    running.shutdown().await;
}

#[tokio::test]
async fn the_test_send_posts_the_body_to_the_url() {
    let app = spawn_app_with(Options::default().with_env("DISABLE_SSRF_PROTECTION", "true")).await;
    let owner = app.register("owner@example.com", "Acme").await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/test"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let sample = json!([{"id": "cm6tcts4f0005qcwit25cis26", "content": "This is the first post",
        "publishDate": "2025-02-06T13:09:00.000Z", "releaseURL": "https://facebook.com/release",
        "state": "PUBLISHED", "integration": {"id": "i1", "name": "test",
        "providerIdentifier": "instagram", "picture": "https://uploads.gitroom.com/a.jpeg", "type": "social"}}]);
    let url = format!("{}/test", server.uri());
    let res = app
        .post(
            &format!(
                "/webhooks/send?url={}",
                url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>()
            ),
            Some(&owner),
            sample.clone(),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json(), json!({"send": true, "status": 204}));
    let got = server.received_requests().await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        serde_json::from_slice::<Value>(&got[0].body).unwrap(),
        sample
    );
    assert_eq!(header(&got[0], "content-type"), "application/json");
    assert_eq!(header(&got[0], "x-postiz-event"), "test");

    // An endpoint that does not answer is not an error (Postiz answers {send: true}).
    let res = app
        .post(
            "/webhooks/send?url=http%3A%2F%2F127.0.0.1%3A9%2Fnothing",
            Some(&owner),
            json!([]),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json(), json!({"send": true, "status": null}));

    // Metadata endpoints stay refused even with the protection disabled.
    let res = app
        .post(
            "/webhooks/send?url=http%3A%2F%2F169.254.169.254%2F",
            Some(&owner),
            json!([]),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
}

#[tokio::test]
async fn a_published_post_is_delivered_signed_and_retried_after_a_500() {
    let app = app_with_local_endpoints().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let x = channel(&app, &owner.org_id, "Acme X", "x").await;
    let linkedin = channel(&app, &owner.org_id, "Acme LinkedIn", "linkedin").await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/linkedin-only"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let hook = create(
        &app,
        &owner,
        json!({"name": "X", "url": format!("{}/hook", server.uri()), "integrations": [{"id": x}]}),
    )
    .await;
    let hook_id = hook["id"].as_str().unwrap().to_string();
    let secret = hook["secret"].as_str().unwrap().to_string();
    let other = create(
        &app,
        &owner,
        json!({"name": "LinkedIn", "url": format!("{}/linkedin-only", server.uri()),
               "integrations": [{"id": linkedin}]}),
    )
    .await;
    let (service, running) = delivery_engine(
        &app,
        RetryPolicy {
            max_attempts: 5,
            first_delay: Duration::from_secs(1),
            factor: 2,
        },
    )
    .await;

    let published = event(&owner.org_id, &x, "PUBLISHED");
    service.published(&published).await;
    let delivered = wait_for_status(&service, &hook_id, "delivered").await;
    assert_eq!(delivered.attempts, 2, "one 500, then success");
    assert_eq!(delivered.response_status, Some(200));
    assert!(delivered.finished_at.is_some());

    let got = wait_for_requests(&server, 2).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, got[1].body, "a retry sends the same bytes");
    for request in &got {
        assert_eq!(request.url.path(), "/hook");
        // The signature is the HMAC of the exact bytes received.
        assert_eq!(
            header(request, "x-postiz-signature"),
            format!("sha256={}", hmac_hex(&secret, &request.body))
        );
        assert_eq!(header(request, "x-postiz-event"), "published");
        assert_eq!(header(request, "x-postiz-delivery"), delivered.id);
        assert_eq!(header(request, "content-type"), "application/json");
    }
    let body: Value = serde_json::from_slice(&got[1].body).unwrap();
    assert_eq!(
        body,
        json!([{
            "id": published.id,
            "content": "<p>Hello from Postiz</p>",
            "publishDate": "2026-11-22T10:00:00.000Z",
            "releaseURL": "https://x.com/acme/status/42",
            "state": "PUBLISHED",
            "integration": {"id": x, "name": "Acme on X",
                "providerIdentifier": "x", "picture": "https://cdn.example.com/acme.png", "type": "social"},
            "event": "published"
        }])
    );
    // The webhook limited to another channel got nothing.
    let other_id = other["id"].as_str().unwrap();
    assert!(service.deliveries(other_id).await.unwrap().is_empty());

    // A failed post is sent with its reason; an always-failing endpoint is given up on and
    // recorded after the last attempt.
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    running.shutdown().await;
    let (service, running) = delivery_engine(
        &app,
        RetryPolicy {
            max_attempts: 2,
            first_delay: Duration::from_secs(1),
            factor: 1,
        },
    )
    .await;
    service.failed(&event(&owner.org_id, &x, "ERROR")).await;
    let failed = wait_for_status(&service, &hook_id, "failed").await;
    assert_eq!(failed.attempts, 2);
    assert_eq!(failed.response_status, Some(503));
    assert!(
        failed.last_error.unwrap_or_default().contains("503"),
        "the last error is recorded"
    );
    let got = server.received_requests().await.unwrap();
    assert_eq!(got.len(), 2);
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body[0]["event"], "failed");
    assert_eq!(body[0]["state"], "ERROR");
    assert_eq!(body[0]["error"], "The network refused the post");
    assert_eq!(header(&got[0], "x-postiz-event"), "failed");

    // A deleted webhook receives nothing more.
    let res = app
        .call(
            Method::DELETE,
            &format!("/webhooks/{hook_id}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    service.published(&published).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    running.shutdown().await;
}

#[tokio::test]
async fn a_webhook_for_all_channels_receives_every_channel_and_other_organizations_nothing() {
    let app = app_with_local_endpoints().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let stranger = app.register("stranger@example.com", "Other").await;
    let x = channel(&app, &owner.org_id, "Acme X", "x").await;
    let linkedin = channel(&app, &owner.org_id, "Acme LinkedIn", "linkedin").await;
    let theirs = channel(&app, &stranger.org_id, "Other X", "x").await;
    let server = accepting_endpoint().await;
    let hook = create(
        &app,
        &owner,
        json!({"name": "All", "url": format!("{}/all", server.uri()), "integrations": []}),
    )
    .await;
    let (service, running) = delivery_engine(&app, RetryPolicy::default()).await;
    service
        .published(&event(&owner.org_id, &x, "PUBLISHED"))
        .await;
    service
        .published(&event(&owner.org_id, &linkedin, "PUBLISHED"))
        .await;
    service
        .published(&event(&stranger.org_id, &theirs, "PUBLISHED"))
        .await;
    let got = wait_for_requests(&server, 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    let channels: Vec<String> = got
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(body.as_array().map(Vec::len), Some(1), "never empty");
            body[0]["integration"]["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(channels.contains(&x) && channels.contains(&linkedin));
    let deliveries = service
        .deliveries(hook["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries.iter().all(|d| d.status == "delivered"));
    running.shutdown().await;
}

#[tokio::test]
async fn a_process_reads_an_organizations_webhooks_once_per_cache_time() {
    let (app, owner, x, server) = acme_with_x_and_an_endpoint().await;
    // A worker process of its own: webhooks written through the API do not clear its cache.
    let mut config = WebhookConfig::from_settings(&app.state.settings);
    let ttl = Duration::from_secs(2);
    config.lookup_ttl = ttl;
    let (worker, running) = delivery_engine_with(&app, config).await;

    // Read once: the organization has no webhook yet.
    // The entry is stored between these two instants.
    let before_read = std::time::Instant::now();
    worker
        .published(&event(&owner.org_id, &x, "PUBLISHED"))
        .await;
    let after_read = std::time::Instant::now();
    let hook_id = all_channels_hook(&app, &owner, &server).await;
    // Within the cache time the worker still knows no webhook: nothing is queued. (A machine
    // too slow to get here within it checks the rest only.)
    worker
        .published(&event(&owner.org_id, &x, "PUBLISHED"))
        .await;
    if before_read.elapsed() < ttl {
        assert!(worker.deliveries(&hook_id).await.unwrap().is_empty());
    }

    // Past it, the new webhook is read and receives the next publication.
    tokio::time::sleep(ttl.saturating_sub(after_read.elapsed())).await;
    worker
        .published(&event(&owner.org_id, &x, "PUBLISHED"))
        .await;
    wait_for_requests(&server, 1).await;
    assert_eq!(worker.deliveries(&hook_id).await.unwrap().len(), 1);

    // A change through the worker's own service applies at once.
    worker.delete(&owner.org_id, &hook_id).await.unwrap();
    worker
        .published(&event(&owner.org_id, &x, "PUBLISHED"))
        .await;
    assert_eq!(worker.deliveries(&hook_id).await.unwrap().len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    running.shutdown().await;
}

#[tokio::test]
async fn finished_deliveries_are_purged_after_the_retention_and_pending_ones_kept() {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, QueryFilter};
    let (app, owner, x, server) = acme_with_x_and_an_endpoint().await;
    let hook_id = all_channels_hook(&app, &owner, &server).await;
    let (service, running) = delivery_engine(&app, RetryPolicy::default()).await;
    for _ in 0..2 {
        service
            .published(&event(&owner.org_id, &x, "PUBLISHED"))
            .await;
    }
    wait_for_requests(&server, 2).await;
    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered = service.deliveries(&hook_id).await.unwrap();
        if delivered.iter().all(|d| d.status == "delivered") && delivered.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(delivered.len(), 2);
    running.shutdown().await;
    // One delivery ended eight days ago; another, created a month ago, is still pending.
    let old = delivered[0].id.clone();
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::FinishedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::days(8)),
        )
        .filter(webhook_delivery::Column::Id.eq(old.clone()))
        .exec(&app.state.db)
        .await
        .unwrap();
    let month_ago = chrono::Utc::now() - chrono::Duration::days(30);
    let pending = webhook_delivery::ActiveModel {
        id: Set(new_id()),
        webhook_id: Set(hook_id.clone()),
        organization_id: Set(owner.org_id.clone()),
        event: Set("post.published".into()),
        payload: Set("[]".into()),
        status: Set("pending".into()),
        attempts: Set(3),
        response_status: Set(None),
        last_error: Set(None),
        created_at: Set(month_ago),
        updated_at: Set(month_ago),
        finished_at: Set(None),
    }
    .insert(&app.state.db)
    .await
    .unwrap();

    // A process starting its workers purges at once (default retention: a week).
    let (service, running) = delivery_engine(&app, RetryPolicy::default()).await;
    let mut kept = Vec::new();
    for _ in 0..100 {
        kept = service.deliveries(&hook_id).await.unwrap();
        if kept.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.shutdown().await;
    let mut kept_ids: Vec<String> = kept.into_iter().map(|d| d.id).collect();
    kept_ids.sort();
    let mut expected = vec![delivered[1].id.clone(), pending.id];
    expected.sort();
    assert_eq!(
        kept_ids, expected,
        "the delivery that ended eight days ago went"
    );
    assert_eq!(service.purge_finished_deliveries().await.unwrap(), 0);
}
