//! Publishing end to end: posts saved through `/posts` are published by the in-process workers
//! to mock networks, which record what they received.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::channels::{
    Networks, by_identifier, connect_bluesky, connect_linkedin, connect_mastodon, connect_x, list,
    mount_bluesky, mount_linkedin_member, mount_mastodon, mount_x, received,
};
use crate::helpers::{Session, TestApp, spawn_app_with};

/// Answers each creation with a new id, as a network does.
struct Created {
    count: Arc<AtomicUsize>,
    body: fn(usize) -> Value,
    status: u16,
}

impl Respond for Created {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(self.status).set_body_json((self.body)(n))
    }
}

fn mastodon_status(n: usize) -> Value {
    json!({"id": format!("1100{n}"), "url": format!("https://mastodon.example/@bob/1100{n}"),
           "uri": format!("https://mastodon.example/users/bob/statuses/1100{n}")})
}

fn tweet(n: usize) -> Value {
    json!({"data": {"id": format!("77{n}"), "text": "t"}})
}

fn bsky_record(n: usize) -> Value {
    json!({"uri": format!("at://did:plc:alice/app.bsky.feed.post/rk{n}"), "cid": format!("bafycid{n}")})
}

async fn mount_posting(nets: &Networks) {
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(Created {
            count: Arc::default(),
            body: mastodon_status,
            status: 200,
        })
        .mount(&nets.mastodon)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(Created {
            count: Arc::default(),
            body: tweet,
            status: 201,
        })
        .mount(&nets.x)
        .await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.createRecord"))
        .respond_with(Created {
            count: Arc::default(),
            body: bsky_record,
            status: 200,
        })
        .mount(&nets.bluesky)
        .await;
    Mock::given(method("GET"))
        .and(path("/xrpc/com.atproto.repo.getRecord"))
        .respond_with(|req: &Request| {
            let rkey = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "rkey")
                .map(|(_, v)| v.to_string())
                .unwrap_or_default();
            let n = rkey.trim_start_matches("rk").to_string();
            ResponseTemplate::new(200).set_body_json(json!({
                "uri": format!("at://did:plc:alice/app.bsky.feed.post/{rkey}"),
                "cid": format!("bafycid{n}"),
                "value": {"text": "x"}
            }))
        })
        .mount(&nets.bluesky)
        .await;
}

struct World {
    nets: Networks,
    app: TestApp,
    owner: Session,
    hook: MockServer,
    hook_secret: String,
}

impl World {
    async fn start() -> Self {
        let nets = Networks::start().await;
        mount_x(&nets.x, "rt-1", "6253282", "acme").await;
        mount_mastodon(&nets.mastodon, "write:statuses profile write:media").await;
        mount_bluesky(&nets.bluesky).await;
        mount_posting(&nets).await;
        let app = spawn_app_with(
            nets.options()
                .with_env("DISABLE_SSRF_PROTECTION", "true")
                .with_env("POSTIZ__WORKERS__RETRY_BASE_SECS", "1"),
        )
        .await;
        let owner = app.register("owner@example.com", "Acme").await;
        for res in [
            connect_x(&app, &owner).await,
            connect_mastodon(&app, &owner).await,
            connect_bluesky(&app, &owner, &nets.bluesky.uri()).await,
        ] {
            assert!(res.status.is_success(), "connect: {}", res.text);
        }
        let hook = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/hook"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&hook)
            .await;
        let created = app
            .post(
                "/webhooks",
                Some(&owner),
                json!({"name": "all", "url": format!("{}/hook", hook.uri()), "integrations": []}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let hook_secret = created.json()["secret"].as_str().unwrap().to_string();
        Self {
            nets,
            app,
            owner,
            hook,
            hook_secret,
        }
    }

    async fn channel(&self, identifier: &str) -> String {
        let channels = list(&self.app, &self.owner).await;
        by_identifier(&channels, identifier)["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Saves a post; returns the created `[{postId, integration}]`.
    async fn save(&self, body: Value) -> Vec<Value> {
        let res = self.app.post("/posts", Some(&self.owner), body).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        res.json().as_array().cloned().unwrap()
    }

    async fn post(&self, id: &str) -> Value {
        let res = self
            .app
            .get(&format!("/posts/{id}"), Some(&self.owner))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        res.json()
    }

    /// Waits until every item of the post reaches `state` (or times out with the last view).
    async fn wait_state(&self, id: &str, state: &str, within: Duration) -> Value {
        let start = Instant::now();
        loop {
            let view = self.post(id).await;
            let posts = view["posts"].as_array().cloned().unwrap_or_default();
            if !posts.is_empty() && posts.iter().all(|p| p["state"] == state) {
                return view;
            }
            if start.elapsed() > within {
                panic!("post {id} did not reach {state}: {view}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn at(offset_ms: i64) -> String {
    (Utc::now() + chrono::Duration::milliseconds(offset_ms))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn thread_for(channels: &[&str], first: &str, second: &str) -> Value {
    Value::Array(
        channels
            .iter()
            .map(|id| {
                json!({"integration": {"id": id}, "settings": {},
                       "value": [{"content": format!("<p>{first}</p>"), "image": []},
                                 {"content": format!("<p>{second}</p>"), "image": [], "delay": 0}]})
            })
            .collect(),
    )
}

fn body_json(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

fn form_value(request: &Request, name: &str) -> Option<String> {
    url::form_urlencoded::parse(&request.body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.to_string())
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

async fn wait_requests(
    server: &MockServer,
    method_name: &str,
    route: &str,
    n: usize,
) -> Vec<Request> {
    let start = Instant::now();
    loop {
        let got = received(server, method_name, route).await;
        if got.len() >= n || start.elapsed() > Duration::from_secs(15) {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_thread_scheduled_ahead_on_three_channels_is_published_once_on_time() {
    let w = World::start().await;
    let (x, masto, bsky) = (
        w.channel("x").await,
        w.channel("mastodon").await,
        w.channel("bluesky").await,
    );
    let date = at(2500);
    let scheduled = chrono::DateTime::parse_from_rfc3339(&date)
        .unwrap()
        .with_timezone(&Utc);
    let created = w
        .save(
            json!({"type": "schedule", "shortLink": false, "date": date, "tags": [],
                     "posts": thread_for(&[&x, &masto, &bsky], "Hello world", "And a reply")}),
        )
        .await;
    assert_eq!(created.len(), 3);
    // Nothing goes out before the time.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        received(&w.nets.mastodon, "POST", "/api/v1/statuses")
            .await
            .is_empty()
    );

    for entry in &created {
        let id = entry["postId"].as_str().unwrap();
        let view = w.wait_state(id, "PUBLISHED", Duration::from_secs(20)).await;
        let posts = view["posts"].as_array().unwrap();
        assert_eq!(posts.len(), 2);
        assert!(posts.iter().all(|p| {
            p["releaseURL"]
                .as_str()
                .is_some_and(|u| u.starts_with("http"))
        }));
    }
    let published_at = Utc::now();
    assert!(published_at >= scheduled);

    // Each network received exactly the root and one reply to it.
    let statuses = wait_requests(&w.nets.mastodon, "POST", "/api/v1/statuses", 2).await;
    assert_eq!(statuses.len(), 2, "mastodon posts");
    let root_id = "11001";
    let reply = statuses
        .iter()
        .find(|r| form_value(r, "in_reply_to_id").is_some())
        .expect("a reply");
    assert_eq!(
        form_value(reply, "in_reply_to_id").as_deref(),
        Some(root_id)
    );
    assert_eq!(form_value(reply, "status").as_deref(), Some("And a reply"));
    assert!(
        statuses
            .iter()
            .all(|r| r.headers.get("authorization").is_some())
    );

    let tweets = wait_requests(&w.nets.x, "POST", "/2/tweets", 2).await;
    assert_eq!(tweets.len(), 2, "tweets");
    let first = tweets
        .iter()
        .find(|r| body_json(r)["reply"].is_null())
        .expect("root tweet");
    assert_eq!(body_json(first)["text"], "Hello world");
    let second = tweets
        .iter()
        .find(|r| !body_json(r)["reply"].is_null())
        .expect("reply tweet");
    assert_eq!(body_json(second)["reply"]["in_reply_to_tweet_id"], "771");

    let records = wait_requests(
        &w.nets.bluesky,
        "POST",
        "/xrpc/com.atproto.repo.createRecord",
        2,
    )
    .await;
    assert_eq!(records.len(), 2, "bluesky records");
    let reply = records
        .iter()
        .map(body_json)
        .find(|b| !b["record"]["reply"].is_null())
        .expect("bluesky reply");
    assert_eq!(
        reply["record"]["reply"]["root"]["uri"],
        "at://did:plc:alice/app.bsky.feed.post/rk1"
    );
    assert_eq!(reply["record"]["reply"]["parent"]["cid"], "bafycid1");

    // A notification per published post, and a signed webhook per post with its channel.
    let notes = w
        .app
        .get("/notifications/list", Some(&w.owner))
        .await
        .json();
    let texts = notes["notifications"].to_string();
    assert!(texts.contains("published on X"), "{texts}");
    assert!(texts.contains("published on Mastodon"), "{texts}");
    let deliveries = wait_requests(&w.hook, "POST", "/hook", 3).await;
    assert_eq!(deliveries.len(), 3);
    for d in &deliveries {
        let signature = d
            .headers
            .get("x-postiz-signature")
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(
            signature,
            format!("sha256={}", hmac_hex(&w.hook_secret, &d.body))
        );
        let payload = body_json(d);
        assert_eq!(payload[0]["state"], "PUBLISHED");
        assert!(payload[0]["releaseURL"].as_str().is_some());
        assert!(
            payload[0]["integration"]["providerIdentifier"]
                .as_str()
                .is_some()
        );
    }

    // Waiting longer publishes nothing more.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        received(&w.nets.mastodon, "POST", "/api/v1/statuses")
            .await
            .len(),
        2
    );
    assert_eq!(received(&w.nets.x, "POST", "/2/tweets").await.len(), 2);
}

#[tokio::test]
async fn drafts_stay_drafts_and_posts_for_now_go_out_at_once() {
    let w = World::start().await;
    let masto = w.channel("mastodon").await;
    let draft = w
        .save(json!({"type": "draft", "shortLink": false, "date": at(500), "tags": [],
                     "posts": [{"integration": {"id": masto}, "value": [{"content": "<p>Later</p>", "image": []}]}]}))
        .await;
    let now = w
        .save(json!({"type": "now", "shortLink": false, "date": at(0), "tags": [],
                     "posts": [{"integration": {"id": masto}, "value": [{"content": "<p>Now</p>", "image": []}]}]}))
        .await;
    w.wait_state(
        now[0]["postId"].as_str().unwrap(),
        "PUBLISHED",
        Duration::from_secs(10),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let draft_view = w.post(draft[0]["postId"].as_str().unwrap()).await;
    assert_eq!(draft_view["posts"][0]["state"], "DRAFT");
    let statuses = received(&w.nets.mastodon, "POST", "/api/v1/statuses").await;
    assert_eq!(statuses.len(), 1);
    assert_eq!(form_value(&statuses[0], "status").as_deref(), Some("Now"));
}

#[tokio::test]
async fn a_rescheduled_post_goes_out_at_the_new_time_only_and_a_deleted_one_never() {
    let w = World::start().await;
    let masto = w.channel("mastodon").await;
    let moved = w
        .save(json!({"type": "schedule", "shortLink": false, "date": at(1500), "tags": [],
                     "posts": [{"integration": {"id": masto}, "value": [{"content": "<p>Moved</p>", "image": []}]}]}))
        .await;
    let deleted = w
        .save(json!({"type": "schedule", "shortLink": false, "date": at(1500), "tags": [],
                     "posts": [{"integration": {"id": masto}, "value": [{"content": "<p>Deleted</p>", "image": []}]}]}))
        .await;
    let moved_id = moved[0]["postId"].as_str().unwrap();
    let res = w
        .app
        .call(
            Method::PUT,
            &format!("/posts/{moved_id}/date"),
            Some(&w.owner),
            Some(json!({"date": at(4000), "action": "schedule"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let group = w.post(deleted[0]["postId"].as_str().unwrap()).await["group"]
        .as_str()
        .unwrap()
        .to_string();
    let res = w
        .app
        .call(
            Method::DELETE,
            &format!("/posts/{group}"),
            Some(&w.owner),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    // At the old time: nothing.
    tokio::time::sleep(Duration::from_millis(2800)).await;
    assert!(
        received(&w.nets.mastodon, "POST", "/api/v1/statuses")
            .await
            .is_empty()
    );
    w.wait_state(moved_id, "PUBLISHED", Duration::from_secs(10))
        .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let statuses = received(&w.nets.mastodon, "POST", "/api/v1/statuses").await;
    assert_eq!(
        statuses.len(),
        1,
        "the moved post once, the deleted one never"
    );
    assert_eq!(form_value(&statuses[0], "status").as_deref(), Some("Moved"));
    let res = w
        .app
        .get(
            &format!("/posts/{}", deleted[0]["postId"].as_str().unwrap()),
            Some(&w.owner),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_repeating_post_is_queued_again_for_its_next_occurrence() {
    let w = World::start().await;
    let masto = w.channel("mastodon").await;
    let created = w
        .save(json!({"type": "now", "shortLink": false, "date": at(0), "tags": [], "inter": 7,
                     "timezone": "Europe/Paris",
                     "posts": [{"integration": {"id": masto}, "value": [{"content": "<p>Weekly</p>", "image": []}]}]}))
        .await;
    let id = created[0]["postId"].as_str().unwrap();
    wait_requests(&w.nets.mastodon, "POST", "/api/v1/statuses", 1).await;
    let view = w.wait_state(id, "QUEUE", Duration::from_secs(10)).await;
    let next =
        chrono::DateTime::parse_from_rfc3339(view["posts"][0]["publishDate"].as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc);
    let days = (next - Utc::now()).num_hours();
    assert!(
        (6 * 24..=7 * 24 + 2).contains(&days),
        "next occurrence in a week, got {days} h"
    );
    assert_eq!(view["posts"][0]["intervalInDays"], 7);
    assert_eq!(
        received(&w.nets.mastodon, "POST", "/api/v1/statuses")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_rejected_post_ends_in_error_with_the_networks_message() {
    let w = World::start().await;
    w.nets.mastodon.reset().await;
    mount_mastodon(&w.nets.mastodon, "write:statuses profile write:media").await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(ResponseTemplate::new(422).set_body_json(
            json!({"error": "Validation failed: Text character limit of 500 exceeded"}),
        ))
        .mount(&w.nets.mastodon)
        .await;
    let masto = w.channel("mastodon").await;
    let created = w
        .save(json!({"type": "now", "shortLink": false, "date": at(0), "tags": [],
                     "posts": [{"integration": {"id": masto}, "value": [{"content": "<p>Too much</p>", "image": []}]}]}))
        .await;
    let id = created[0]["postId"].as_str().unwrap();
    let view = w.wait_state(id, "ERROR", Duration::from_secs(10)).await;
    assert!(
        view["posts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("Text character limit of 500 exceeded")
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        received(&w.nets.mastodon, "POST", "/api/v1/statuses")
            .await
            .len(),
        1,
        "never retried"
    );
    let notes = w
        .app
        .get("/notifications/list", Some(&w.owner))
        .await
        .json()
        .to_string();
    assert!(notes.contains("Error posting on Mastodon"), "{notes}");
    let deliveries = wait_requests(&w.hook, "POST", "/hook", 1).await;
    let payload = body_json(&deliveries[0]);
    assert_eq!(payload[0]["state"], "ERROR");
    assert_eq!(payload[0]["event"], "failed");
}

#[tokio::test]
async fn a_transient_failure_is_retried_with_backoff_then_succeeds() {
    let w = World::start().await;
    w.nets.mastodon.reset().await;
    mount_mastodon(&w.nets.mastodon, "write:statuses profile write:media").await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&w.nets.mastodon)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(Created {
            count: Arc::default(),
            body: mastodon_status,
            status: 200,
        })
        .mount(&w.nets.mastodon)
        .await;
    let masto = w.channel("mastodon").await;
    let created = w
        .save(json!({"type": "now", "shortLink": false, "date": at(0), "tags": [],
                     "posts": [{"integration": {"id": masto}, "value": [{"content": "<p>Again</p>", "image": []}]}]}))
        .await;
    w.wait_state(
        created[0]["postId"].as_str().unwrap(),
        "PUBLISHED",
        Duration::from_secs(15),
    )
    .await;
    let statuses = received(&w.nets.mastodon, "POST", "/api/v1/statuses").await;
    assert_eq!(statuses.len(), 2, "one 503, then success");
    // The same idempotency key both times, so the network can drop a duplicate.
    assert_eq!(
        statuses[0].headers.get("idempotency-key"),
        statuses[1].headers.get("idempotency-key")
    );
}

#[tokio::test]
async fn an_attempt_that_died_without_an_outcome_ends_in_error_and_is_not_published_again() {
    use postiz_entity::post;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let w = World::start().await;
    let masto = w.channel("mastodon").await;
    let created = w
        .save(json!({"type": "schedule", "shortLink": false, "date": at(2000), "tags": [],
                     "posts": [{"integration": {"id": masto}, "value": [{"content": "<p>Lost</p>", "image": []}]}]}))
        .await;
    let id = created[0]["postId"].as_str().unwrap().to_string();
    // A worker claimed the post and died: its claim expired without an outcome.
    post::Entity::update_many()
        .col_expr(
            post::Column::ClaimedUntil,
            Expr::value(Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(post::Column::Id.eq(id.clone()))
        .exec(&w.app.state.db)
        .await
        .unwrap();
    let view = w.wait_state(&id, "ERROR", Duration::from_secs(10)).await;
    assert!(
        view["posts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("couldn't confirm")
    );
    assert!(
        received(&w.nets.mastodon, "POST", "/api/v1/statuses")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_the_post_then_succeeds() {
    let nets = Networks::start().await;
    mount_linkedin_member(
        &nets.linkedin,
        "li-old-token",
        Some("li-refresh-1"),
        5_184_000,
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/oauth/v2/accessToken"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "li-new-token", "expires_in": 5_184_000})),
        )
        .mount(&nets.linkedin)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .and(header("authorization", "Bearer li-old-token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"status": 401, "serviceErrorCode": 65601, "message": "The token used in the request has expired"}),
        ))
        .mount(&nets.linkedin)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .and(header("authorization", "Bearer li-new-token"))
        .respond_with(ResponseTemplate::new(201).insert_header("x-restli-id", "urn:li:share:42"))
        .mount(&nets.linkedin)
        .await;
    let app = spawn_app_with(nets.options()).await;
    let owner = app.register("owner@example.com", "Acme").await;
    let res = connect_linkedin(&app, &owner, "linkedin").await;
    assert!(res.status.is_success(), "{}", res.text);
    let channels = list(&app, &owner).await;
    let li = by_identifier(&channels, "linkedin")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .post(
            "/posts",
            Some(&owner),
            json!({"type": "now", "shortLink": false, "date": at(0), "tags": [],
                   "posts": [{"integration": {"id": li}, "value": [{"content": "<p>Fresh</p>", "image": []}]}]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.json()[0]["postId"].as_str().unwrap().to_string();
    let start = Instant::now();
    loop {
        let view = app.get(&format!("/posts/{id}"), Some(&owner)).await.json();
        if view["posts"][0]["state"] == "PUBLISHED" {
            assert_eq!(view["posts"][0]["releaseId"], "urn:li:share:42");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "not published: {view}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let posts = received(&nets.linkedin, "POST", "/rest/posts").await;
    assert_eq!(posts.len(), 2, "once with the old token, once with the new");
    let refreshes: Vec<Request> = received(&nets.linkedin, "POST", "/oauth/v2/accessToken")
        .await
        .into_iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("grant_type=refresh_token"))
        .collect();
    assert_eq!(refreshes.len(), 1);
    assert!(String::from_utf8_lossy(&refreshes[0].body).contains("refresh_token=li-refresh-1"));
}

#[tokio::test]
async fn posts_breaking_a_channels_rules_are_refused_and_nothing_is_written() {
    use postiz_entity::post;
    use sea_orm::{EntityTrait, PaginatorTrait};
    let w = World::start().await;
    let x = w.channel("x").await;
    let masto = w.channel("mastodon").await;
    let long = "a".repeat(300);
    let res = w
        .app
        .post(
            "/posts",
            Some(&w.owner),
            json!({"type": "schedule", "shortLink": false, "date": at(60_000), "tags": [],
                   "posts": [
                     {"integration": {"id": masto}, "value": [{"content": "<p>fine</p>", "image": []}]},
                     {"integration": {"id": x}, "value": [{"content": format!("<p>{long}</p>"), "image": []}]}
                   ]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    let body = res.json();
    assert_eq!(body["provider"], "x");
    assert!(
        body["message"].as_str().unwrap().contains("too long"),
        "{body}"
    );
    let res = w
        .app
        .post(
            "/posts",
            Some(&w.owner),
            json!({"type": "schedule", "shortLink": false, "date": at(60_000), "tags": [],
                   "posts": [{"integration": {"id": masto}, "value": [{"content": "<p></p>", "image": []}]}]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text.contains("at least one character"), "{}", res.text);
    assert_eq!(
        post::Entity::find().count(&w.app.state.db).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn a_published_posts_job_is_purged_after_the_retention_and_the_post_stays_published() {
    use postiz_entity::post;
    use postiz_jobs::{BackendKind, CancellationToken};
    use postiz_posts::publisher::QUEUE_NAME;
    use sea_orm::{ConnectionTrait, EntityTrait};
    let w = World::start().await;
    let masto = w.channel("mastodon").await;
    let created = w
        .save(json!({"type": "now", "shortLink": false, "date": at(0), "tags": [],
                     "posts": [{"integration": {"id": masto}, "value": [{"content": "<p>Once</p>", "image": []}]}]}))
        .await;
    let id = created[0]["postId"].as_str().unwrap().to_string();
    w.wait_state(&id, "PUBLISHED", Duration::from_secs(10))
        .await;
    let root = post::Entity::find_by_id(id.clone())
        .one(&w.app.state.db)
        .await
        .unwrap()
        .unwrap();
    let key = format!("post:{}:v{}:publish", root.id, root.version);
    let jobs = w.app.state.jobs.clone();
    let mut status = None;
    for _ in 0..100 {
        status = jobs.find(QUEUE_NAME, &key).await.unwrap().map(|r| r.status);
        if status.as_deref() == Some("Done") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status.as_deref(), Some("Done"));

    // Make the job a week and two days old: created ten days ago (its id), ended nine.
    let ten_days_ago = (Utc::now() - chrono::Duration::days(10)).timestamp_millis() as u64;
    let old_id = ulid::Ulid::from_parts(ten_days_ago, 1).to_string();
    let (table, ended) = match jobs.backend() {
        BackendKind::Sqlite => ("Jobs", "CAST(strftime('%s', 'now') AS INTEGER) - 777600"),
        BackendKind::Postgres => ("apalis.jobs", "now() - interval '9 days'"),
    };
    let aged = w
        .app
        .state
        .db
        .execute_unprepared(&format!(
            "UPDATE {table} SET id = '{old_id}', done_at = {ended} WHERE idempotency_key = '{key}'"
        ))
        .await
        .unwrap();
    assert_eq!(aged.rows_affected(), 1);

    // Workers starting (another process' or a restart) purge at once, with the default
    // retention of a week.
    let workers = w.app.state.start_workers(CancellationToken::new()).unwrap();
    let mut gone = false;
    for _ in 0..100 {
        if jobs.find(QUEUE_NAME, &key).await.unwrap().is_none() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    workers.shutdown().await;
    assert!(gone, "the job that ended nine days ago is still stored");
    let view = w.post(&id).await;
    assert_eq!(view["posts"][0]["state"], "PUBLISHED");
    assert_eq!(
        received(&w.nets.mastodon, "POST", "/api/v1/statuses")
            .await
            .len(),
        1
    );
}
