//! The public API's rules: API-key authentication (401 and nothing else), tenancy (another
//! organization's ids are 404), refused input that writes nothing, idempotent creations and the
//! hourly post limit.

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

use crate::channels::{Networks, connect_mastodon, mount_mastodon};
use crate::helpers::{Session, TestApp, spawn_app_with};
use crate::public_api::{api_key, at, call, call_with, get, live_posts};

/// An app with Mastodon configured; returns it with the networks (kept alive).
async fn app_with_mastodon(extra: &[(&str, &str)]) -> (TestApp, Networks) {
    let nets = Networks::start().await;
    mount_mastodon(&nets.mastodon, "write:statuses profile write:media").await;
    let mut options = nets.options();
    for (k, v) in extra {
        options = options.with_env(k, v);
    }
    (spawn_app_with(options).await, nets)
}

/// Registers an organization, connects Mastodon; returns the session, the key and the channel.
async fn organization(app: &TestApp, email: &str) -> (Session, String, String) {
    let owner = app.register(email, &format!("{email} org")).await;
    let res = connect_mastodon(app, &owner).await;
    assert!(res.status.is_success(), "{}", res.text);
    let key = api_key(app, &owner).await;
    let list = get(app, "/public/v1/integrations", &key).await.json();
    let channel = list[0]["id"].as_str().expect("channel").to_string();
    (owner, key, channel)
}

fn draft(channel: &str, text: &str) -> Value {
    json!({
        "type": "draft", "date": at(chrono::Duration::days(3)), "shortLink": false, "tags": [],
        "posts": [{"integration": {"id": channel},
                   "value": [{"content": format!("<p>{text}</p>"), "image": []}]}]
    })
}

async fn create(
    app: &TestApp,
    key: &str,
    body: Value,
    idempotency: Option<&str>,
) -> crate::helpers::Res {
    let headers: Vec<(&str, &str)> = idempotency
        .map(|k| ("idempotency-key", k))
        .into_iter()
        .collect();
    call_with(
        app,
        Method::POST,
        "/public/v1/posts",
        Some(key),
        Some(body),
        &headers,
    )
    .await
}

// ---- authentication ----

/// Every public route, with ids that need not exist.
fn routes() -> Vec<(Method, &'static str, Option<Value>)> {
    let body = Some(json!({}));
    vec![
        (Method::GET, "/public/v1/is-connected", None),
        (Method::GET, "/public/v1/integrations", None),
        (Method::DELETE, "/public/v1/integrations/abc", None),
        (Method::GET, "/public/v1/groups", None),
        (Method::GET, "/public/v1/social/mastodon", None),
        (Method::GET, "/public/v1/integration-settings/abc", None),
        (
            Method::POST,
            "/public/v1/integration-trigger/abc",
            body.clone(),
        ),
        (Method::GET, "/public/v1/find-slot/abc", None),
        (
            Method::GET,
            "/public/v1/posts?startDate=2026-01-01&endDate=2026-01-02",
            None,
        ),
        (Method::POST, "/public/v1/posts", body.clone()),
        (Method::GET, "/public/v1/posts/abc", None),
        (Method::PUT, "/public/v1/posts/abc", body.clone()),
        (Method::DELETE, "/public/v1/posts/abc", None),
        (Method::DELETE, "/public/v1/posts/group/abc", None),
        (Method::PUT, "/public/v1/posts/abc/settings", body.clone()),
        (Method::PUT, "/public/v1/posts/abc/status", body.clone()),
        (Method::GET, "/public/v1/posts/abc/missing", None),
        (Method::PUT, "/public/v1/posts/abc/release-id", body.clone()),
        (Method::POST, "/public/v1/upload", None),
        (Method::POST, "/public/v1/upload-from-url", body.clone()),
        (Method::GET, "/public/v1/media", None),
        (Method::GET, "/public/v1/notifications", None),
        (Method::GET, "/public/v1/analytics/abc?date=7", None),
        (Method::GET, "/public/v1/analytics/post/abc?date=7", None),
    ]
}

#[tokio::test]
async fn a_missing_or_wrong_key_gets_401_and_nothing_else() {
    let (app, _nets) = app_with_mastodon(&[]).await;
    let (owner, key, _) = organization(&app, "keys@example.com").await;
    let before = live_posts(&app).await;
    for (m, route, body) in routes() {
        for (auth, says) in [
            (None, "No API Key found"),
            (Some(""), "No API Key found"),
            (Some("wrong-key"), "Invalid API key"),
            (Some("Bearer wrong-key"), "Invalid API key"),
            (Some(&key[..40]), "Invalid API key"),
        ] {
            let res = call(&app, m.clone(), route, auth, body.clone()).await;
            assert_eq!(
                res.status,
                StatusCode::UNAUTHORIZED,
                "{m} {route} {auth:?}: {}",
                res.text
            );
            let json = res.json();
            assert_eq!(json["statusCode"], 401);
            assert_eq!(json["msg"], says, "{m} {route}");
            assert!(
                res.header("logout").is_none(),
                "no dashboard logout on {route}"
            );
            assert!(res.cookies().is_empty(), "no cookie on {route}");
        }
        // A dashboard session is not an API key.
        let res = app
            .call_with(m.clone(), route, Some(&owner), body.clone(), &[])
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNAUTHORIZED,
            "{m} {route} with a session"
        );
    }
    assert_eq!(live_posts(&app).await, before);

    // The key works raw and as a bearer token.
    assert_eq!(
        get(&app, "/public/v1/is-connected", &key).await.status,
        StatusCode::OK
    );
    let bearer = format!("Bearer {key}");
    assert_eq!(
        get(&app, "/public/v1/is-connected", &bearer).await.status,
        StatusCode::OK
    );

    // Rotating the key in the dashboard retires the old one at once.
    let rotated = app
        .post("/user/api-key/rotate", Some(&owner), json!({}))
        .await;
    assert!(rotated.status.is_success(), "{}", rotated.text);
    let res = get(&app, "/public/v1/is-connected", &key).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let new_key = api_key(&app, &owner).await;
    assert_ne!(new_key, key);
    assert_eq!(
        get(&app, "/public/v1/is-connected", &new_key).await.status,
        StatusCode::OK
    );
}

// ---- tenancy ----

#[tokio::test]
async fn another_organizations_ids_are_404_and_stay_untouched() {
    let (app, _nets) = app_with_mastodon(&[]).await;
    let (_a, key_a, channel_a) = organization(&app, "alice@example.com").await;
    let res = create(&app, &key_a, draft(&channel_a, "Mine"), None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let post_a = res.json()[0]["postId"].as_str().unwrap().to_string();
    let view_a = get(&app, &format!("/public/v1/posts/{post_a}"), &key_a)
        .await
        .json();
    let group_a = view_a["group"].as_str().unwrap().to_string();
    let internal_a =
        app.get("/integrations/list", Some(&_a)).await.json()["integrations"][0]["internalId"]
            .as_str()
            .unwrap()
            .to_string();

    let bob = app.register("bob@example.com", "Bob Co").await;
    let key_b = api_key(&app, &bob).await;
    for (m, route, body) in [
        (Method::GET, format!("/public/v1/posts/{post_a}"), None),
        (
            Method::PUT,
            format!("/public/v1/posts/{post_a}"),
            Some(json!({"content": "<p>Hijack</p>"})),
        ),
        (Method::DELETE, format!("/public/v1/posts/{post_a}"), None),
        (
            Method::DELETE,
            format!("/public/v1/posts/group/{group_a}"),
            None,
        ),
        (
            Method::PUT,
            format!("/public/v1/posts/{post_a}/settings"),
            Some(json!({"settings": {"a": 1}})),
        ),
        (
            Method::PUT,
            format!("/public/v1/posts/{post_a}/status"),
            Some(json!({"status": "schedule"})),
        ),
        (
            Method::GET,
            format!("/public/v1/posts/{post_a}/missing"),
            None,
        ),
        (
            Method::PUT,
            format!("/public/v1/posts/{post_a}/release-id"),
            Some(json!({"releaseId": "1"})),
        ),
        (
            Method::GET,
            format!("/public/v1/analytics/post/{post_a}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/public/v1/integrations/{channel_a}"),
            None,
        ),
        (
            Method::GET,
            format!("/public/v1/find-slot/{channel_a}"),
            None,
        ),
        (
            Method::GET,
            format!("/public/v1/integration-settings/{channel_a}"),
            None,
        ),
        (
            Method::POST,
            format!("/public/v1/integration-trigger/{channel_a}"),
            Some(json!({"methodName": "getSubreddits"})),
        ),
        (
            Method::GET,
            format!("/public/v1/analytics/{channel_a}"),
            None,
        ),
        (
            Method::GET,
            format!("/public/v1/social/mastodon?refresh={internal_a}"),
            None,
        ),
    ] {
        let res = call(&app, m.clone(), &route, Some(&key_b), body).await;
        assert_eq!(
            res.status,
            StatusCode::NOT_FOUND,
            "{m} {route}: {}",
            res.text
        );
        assert_eq!(res.json()["statusCode"], 404);
    }
    // Posting to another organization's channel is a bad request, as in Postiz.
    let res = create(&app, &key_b, draft(&channel_a, "Not yours"), None).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    // Bob sees nothing of Alice's.
    assert_eq!(
        get(&app, "/public/v1/integrations", &key_b).await.json(),
        json!([])
    );
    let range = format!(
        "/public/v1/posts?startDate={}&endDate={}",
        at(chrono::Duration::days(-1)),
        at(chrono::Duration::days(10))
    );
    assert_eq!(get(&app, &range, &key_b).await.json(), json!({"posts": []}));
    // Alice's post and channel are as they were.
    let after = get(&app, &format!("/public/v1/posts/{post_a}"), &key_a)
        .await
        .json();
    assert_eq!(after, view_a);
    assert_eq!(
        get(&app, "/public/v1/integrations", &key_a)
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        get(&app, &range, &key_a).await.json()["posts"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

// ---- bad input ----

#[tokio::test]
async fn bad_input_is_refused_and_writes_nothing() {
    let (app, _nets) = app_with_mastodon(&[("POSTIZ__WORKERS__IN_SERVE", "false")]).await;
    let (_owner, key, channel) = organization(&app, "input@example.com").await;
    let raw = |body: &'static str, content_type: &'static str| {
        let app = &app;
        let key = key.clone();
        async move {
            app.client
                .post(app.url("/public/v1/posts"))
                .header("authorization", key)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(raw("{", "application/json").await, StatusCode::BAD_REQUEST);
    assert_eq!(raw("", "application/json").await, StatusCode::BAD_REQUEST);
    assert_eq!(raw("[]", "application/json").await, StatusCode::BAD_REQUEST);
    assert_eq!(
        raw("{\"type\":\"draft\"}", "text/plain").await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );

    let valid = draft(&channel, "Fine");
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut no_posts = valid.clone();
    no_posts.as_object_mut().unwrap().remove("posts");
    cases.push((no_posts, "posts"));
    let mut empty_posts = valid.clone();
    empty_posts["posts"] = json!([]);
    cases.push((empty_posts, "posts"));
    let mut bad_type = valid.clone();
    bad_type["type"] = json!("publish");
    cases.push((bad_type, "type"));
    let mut bad_date = valid.clone();
    bad_date["date"] = json!("yesterday");
    cases.push((bad_date, "date"));
    let mut unknown_channel = valid.clone();
    unknown_channel["posts"][0]["integration"]["id"] = json!("no-such-channel");
    cases.push((unknown_channel, "no-such-channel"));
    let mut too_long = valid.clone();
    too_long["type"] = json!("schedule");
    too_long["posts"][0]["value"][0]["content"] = json!(format!("<p>{}</p>", "a".repeat(600)));
    cases.push((too_long, ""));
    let mut private_media = valid.clone();
    private_media["type"] = json!("schedule");
    private_media["posts"][0]["value"][0]["image"] =
        json!([{"id": "x1", "path": "http://127.0.0.1:9/secret.png"}]);
    cases.push((private_media, ""));
    let mut wrong_shape = valid.clone();
    wrong_shape["posts"][0]["value"] = json!("text");
    cases.push((wrong_shape, "posts[0].value"));
    for (body, mentions) in cases {
        let res = create(&app, &key, body.clone(), None).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {}", res.text);
        assert!(res.text.contains(mentions), "{mentions}: {}", res.text);
    }
    let res = create(&app, &key, valid.clone(), Some(&"k".repeat(300))).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert!(res.text.contains("Idempotency-Key"));
    assert_eq!(live_posts(&app).await, 0, "nothing was written");

    // Lists.
    for route in [
        "/public/v1/posts".to_string(),
        "/public/v1/posts?startDate=2026-01-10&endDate=2026-01-01".to_string(),
        "/public/v1/posts?startDate=2025-01-01&endDate=2026-06-01".to_string(),
        "/public/v1/posts?startDate=nope&endDate=2026-06-01".to_string(),
        "/public/v1/notifications?page=abc".to_string(),
        "/public/v1/notifications?page=-1".to_string(),
        format!("/public/v1/analytics/{channel}?date=abc"),
        format!("/public/v1/analytics/{channel}?date=0"),
        "/public/v1/media?page=x".to_string(),
    ] {
        let res = get(&app, &route, &key).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{route}: {}", res.text);
    }

    // Edits.
    let res = create(&app, &key, valid, None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.json()[0]["postId"].as_str().unwrap().to_string();
    let route = format!("/public/v1/posts/{id}");
    let view = get(&app, &route, &key).await.json();
    for body in [
        json!({}),
        json!({"content": "<p>a</p>", "value": [{"content": "<p>b</p>"}]}),
        json!({"settings": 5}),
        json!({"date": "soon"}),
        json!({"value": []}),
        json!({"value": [{"id": "not-an-item", "content": "<p>x</p>"}]}),
        json!({"value": [{"id": id, "content": "<p>x</p>"}, {"id": id, "content": "<p>y</p>"}]}),
        json!({"colour": "red"}),
        json!({"tags": [{"value": "", "label": ""}]}),
    ] {
        let res = call(&app, Method::PUT, &route, Some(&key), Some(body.clone())).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {}", res.text);
    }
    for (suffix, body) in [
        ("status", json!({"status": "published"})),
        ("status", json!({})),
        ("settings", json!({"settings": [1]})),
        ("settings", json!({})),
        ("release-id", json!({})),
    ] {
        let res = call(
            &app,
            Method::PUT,
            &format!("{route}/{suffix}"),
            Some(&key),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            res.status,
            StatusCode::BAD_REQUEST,
            "{suffix} {body}: {}",
            res.text
        );
    }
    assert_eq!(
        get(&app, &route, &key).await.json(),
        view,
        "the post is unchanged"
    );

    // Published posts, and scheduled ones already due, are not edited.
    let mut due = draft(&channel, "Due");
    due["type"] = json!("schedule");
    due["date"] = json!(at(chrono::Duration::minutes(-5)));
    let res = create(&app, &key, due, None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let due_id = res.json()[0]["postId"].as_str().unwrap().to_string();
    let res = call(
        &app,
        Method::PUT,
        &format!("/public/v1/posts/{due_id}"),
        Some(&key),
        Some(json!({"date": at(chrono::Duration::days(1))})),
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert!(res.text.contains("already passed"), "{}", res.text);
    let row = postiz_entity::post::Entity::find_by_id(id.clone())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut published: postiz_entity::post::ActiveModel = row.into();
    published.state = Set("PUBLISHED".into());
    published.update(&app.state.db).await.unwrap();
    for (suffix, body) in [
        ("", json!({"content": "<p>Again</p>"})),
        ("/settings", json!({"settings": {"a": 1}})),
        ("/status", json!({"status": "schedule"})),
        ("/status", json!({"status": "draft"})),
    ] {
        let res = call(
            &app,
            Method::PUT,
            &format!("{route}{suffix}"),
            Some(&key),
            Some(body),
        )
        .await;
        assert_eq!(
            res.status,
            StatusCode::BAD_REQUEST,
            "{suffix}: {}",
            res.text
        );
    }
}

// ---- idempotency ----

#[tokio::test]
async fn idempotent_retries_create_the_posts_once() {
    let (app, _nets) = app_with_mastodon(&[("POSTIZ__WORKERS__IN_SERVE", "false")]).await;
    let (_owner, key, channel) = organization(&app, "retry@example.com").await;
    let body = draft(&channel, "Once");

    let first = create(&app, &key, body.clone(), Some("order-1")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert!(first.header("idempotent-replayed").is_none());
    let again = create(&app, &key, body.clone(), Some("order-1")).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.json(), first.json(), "the first answer is replayed");
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    // The same request serialized differently is still the same request.
    let reordered: Value = serde_json::from_str(&{
        let mut pairs: Vec<(String, Value)> =
            body.as_object().unwrap().clone().into_iter().collect();
        pairs.reverse();
        let mut text = String::from("{");
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str(&format!("{}: {}", Value::String(k.clone()), v));
        }
        text.push('}');
        text
    })
    .unwrap();
    let res = create(&app, &key, reordered, Some("order-1")).await;
    assert_eq!(res.json(), first.json());
    assert_eq!(live_posts(&app).await, 1);

    // The same key with another body is refused.
    let res = create(&app, &key, draft(&channel, "Other"), Some("order-1")).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(res.json()["statusCode"], 422);
    assert_eq!(live_posts(&app).await, 1);

    // Concurrent duplicates create one post.
    let body2 = draft(&channel, "Concurrent");
    let answers =
        join_all((0..4).map(|_| create(&app, &key, body2.clone(), Some("order-2")))).await;
    let created: Vec<&crate::helpers::Res> = answers
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .collect();
    assert!(!created.is_empty());
    for res in &answers {
        assert!(
            res.status == StatusCode::CREATED || res.status == StatusCode::CONFLICT,
            "{}: {}",
            res.status,
            res.text
        );
    }
    for res in &created {
        assert_eq!(res.json(), created[0].json());
    }
    assert_eq!(
        live_posts(&app).await,
        2,
        "one post for four concurrent requests"
    );

    // A refused request frees its key: the corrected request runs.
    let mut wrong = draft(&channel, "Fixed");
    wrong["posts"][0]["integration"]["id"] = json!("no-such-channel");
    let res = create(&app, &key, wrong, Some("order-3")).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    let res = create(&app, &key, draft(&channel, "Fixed"), Some("order-3")).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(live_posts(&app).await, 3);

    // Keys belong to their organization.
    let (_other, other_key, other_channel) = organization(&app, "other@example.com").await;
    let res = create(
        &app,
        &other_key,
        draft(&other_channel, "Once"),
        Some("order-1"),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert!(res.header("idempotent-replayed").is_none());
    assert_ne!(res.json(), first.json());
    assert_eq!(live_posts(&app).await, 4);

    // Without a key, a repeated request is a new request.
    let body3 = draft(&channel, "Twice");
    for _ in 0..2 {
        assert_eq!(
            create(&app, &key, body3.clone(), None).await.status,
            StatusCode::CREATED
        );
    }
    assert_eq!(live_posts(&app).await, 6);
}

// ---- rate limit ----

#[tokio::test]
async fn post_creation_is_limited_per_organization_per_hour() {
    let (app, _nets) =
        app_with_mastodon(&[("API_LIMIT", "2"), ("POSTIZ__WORKERS__IN_SERVE", "false")]).await;
    let (_owner, key, channel) = organization(&app, "busy@example.com").await;
    let one = draft(&channel, "One");
    let res = create(&app, &key, one.clone(), Some("first")).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let first = res.json();
    let res = create(&app, &key, draft(&channel, "Two"), None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);

    let res = create(&app, &key, draft(&channel, "Three"), None).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text);
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((3000..=3600).contains(&retry), "{retry}");
    assert_eq!(live_posts(&app).await, 2);
    // A new key over the limit is refused too, and is not kept.
    let res = create(&app, &key, draft(&channel, "Four"), Some("late")).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    // A retry of an earlier request is answered from its key, not counted.
    let res = create(&app, &key, one, Some("first")).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json(), first);
    // Other routes and other organizations are not limited.
    let list = get(&app, "/public/v1/integrations", &key).await;
    assert_eq!(list.status, StatusCode::OK);
    let (_other, other_key, other_channel) = organization(&app, "calm@example.com").await;
    let res = create(&app, &other_key, draft(&other_channel, "Mine"), None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(live_posts(&app).await, 3);
}

#[tokio::test]
async fn posts_created_together_with_one_group_are_all_kept() {
    let nets = Networks::start().await;
    mount_mastodon(&nets.mastodon, "write:statuses profile write:media").await;
    crate::channels::mount_bluesky(&nets.bluesky).await;
    let app = spawn_app_with(nets.options().without_workers()).await;
    let owner = app.register("group@example.com", "Group Co").await;
    assert!(connect_mastodon(&app, &owner).await.status.is_success());
    let res = crate::channels::connect_bluesky(&app, &owner, &nets.bluesky.uri()).await;
    assert!(res.status.is_success(), "{}", res.text);
    let key = api_key(&app, &owner).await;
    let list = get(&app, "/public/v1/integrations", &key).await.json();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    // The dashboard's editor sends one group for every channel of a post.
    let body = json!({
        "type": "draft", "date": at(chrono::Duration::days(1)), "shortLink": false, "tags": [],
        "posts": ids.iter().map(|id| json!({
            "integration": {"id": id}, "group": "shared-group",
            "value": [{"content": "<p>Together</p>", "image": []}]
        })).collect::<Vec<_>>()
    });
    let res = create(&app, &key, body, None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json().as_array().map(Vec::len), Some(2));
    assert_eq!(live_posts(&app).await, 2, "every channel's post is kept");
    for created in res.json().as_array().unwrap() {
        let id = created["postId"].as_str().unwrap();
        let view = get(&app, &format!("/public/v1/posts/{id}"), &key).await;
        assert_eq!(view.status, StatusCode::OK, "{}", view.text);
    }
}
