//! The public API around posts: connecting and deleting channels, customers, what an agent
//! reads about a channel, notifications, analytics, Postiz's status and settings routes, and the
//! OpenAPI document.

use postiz_core::notify::{Notice, NoticeKind, Notifier};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::channels::{Networks, mount_mastodon, query_param, received, social_connect};
use crate::helpers::{Options, TestApp, spawn_app_with};
use crate::public_api::{api_key, at, call, get, live_posts};

async fn create(app: &TestApp, key: &str, body: Value) -> String {
    let res = call(app, Method::POST, "/public/v1/posts", Some(key), Some(body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()[0]["postId"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn channels_are_connected_grouped_described_and_deleted_with_the_key() {
    let nets = Networks::start().await;
    mount_mastodon(&nets.mastodon, "write:statuses profile write:media").await;
    let app = spawn_app_with(nets.options().without_workers()).await;
    let owner = app.register("agent@example.com", "Agent Co").await;
    let key = api_key(&app, &owner).await;
    assert_eq!(
        get(&app, "/public/v1/integrations", &key).await.json(),
        json!([])
    );

    // Connect Mastodon with the key: the URL's state finishes the connection as usual.
    let res = get(&app, "/public/v1/social/mastodon", &key).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let url = res.json()["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&nets.mastodon.uri()), "{url}");
    let state = query_param(&url, "state").unwrap();
    let connected = social_connect(&app, "mastodon", &state, "masto-code").await;
    assert!(connected.status.is_success(), "{}", connected.text);
    assert_eq!(
        received(&nets.mastodon, "POST", "/oauth/token").await.len(),
        1
    );
    let list = get(&app, "/public/v1/integrations", &key).await.json();
    assert_eq!(list[0]["identifier"], "mastodon");
    assert_eq!(list[0]["profile"], "bob");
    let channel = list[0]["id"].as_str().unwrap().to_string();

    for (route, status, msg) in [
        (
            "/public/v1/social/tiktok",
            StatusCode::BAD_REQUEST,
            "Integration not allowed",
        ),
        (
            "/public/v1/social/mastodon?refresh=unknown-account",
            StatusCode::NOT_FOUND,
            "Channel not found",
        ),
    ] {
        let res = get(&app, route, &key).await;
        assert_eq!(res.status, status, "{route}: {}", res.text);
        assert_eq!(res.json()["msg"], msg);
    }

    // Customers.
    let res = app
        .call(
            Method::PUT,
            &format!("/integrations/{channel}/customer-name"),
            Some(&owner),
            Some(json!({"name": "Client A"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let groups = get(&app, "/public/v1/groups", &key).await.json();
    assert_eq!(groups.as_array().map(Vec::len), Some(1), "{groups}");
    assert_eq!(groups[0]["name"], "Client A");
    let customer = groups[0]["id"].as_str().unwrap().to_string();
    let list = get(
        &app,
        &format!("/public/v1/integrations?group={customer}"),
        &key,
    )
    .await
    .json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(
        list[0]["customer"],
        json!({"id": customer, "name": "Client A"})
    );
    let none = get(&app, "/public/v1/integrations?group=someone-else", &key)
        .await
        .json();
    assert_eq!(none, json!([]));

    // What an agent reads before writing.
    let res = get(
        &app,
        &format!("/public/v1/integration-settings/{channel}"),
        &key,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let output = &res.json()["output"];
    assert_eq!(output["maxLength"], 500);
    assert_eq!(output["settings"], "No additional settings required");
    assert_eq!(output["tools"], json!([]));
    assert!(
        output["rules"].as_str().unwrap().contains("images"),
        "{output}"
    );
    let res = call(
        &app,
        Method::POST,
        &format!("/public/v1/integration-trigger/{channel}"),
        Some(&key),
        Some(json!({"methodName": "getSubreddits", "data": {}})),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    assert_eq!(res.json()["msg"], "Tool not found");
    let slot = get(&app, &format!("/public/v1/find-slot/{channel}"), &key).await;
    assert_eq!(slot.status, StatusCode::OK, "{}", slot.text);
    let date = slot.json()["date"].as_str().unwrap().to_string();
    assert!(
        chrono::NaiveDateTime::parse_from_str(&date, "%Y-%m-%dT%H:%M:%S").is_ok(),
        "{date}"
    );

    // Analytics: Mastodon offers none, so empty arrays, as Postiz answers.
    let res = get(
        &app,
        &format!("/public/v1/analytics/{channel}?date=7"),
        &key,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), json!([]));
    let post = create(
        &app,
        &key,
        json!({"type": "schedule", "date": at(chrono::Duration::days(1)), "shortLink": false,
               "tags": [], "posts": [{"integration": {"id": channel},
               "value": [{"content": "<p>Measured</p>", "image": []}]}]}),
    )
    .await;
    let res = get(
        &app,
        &format!("/public/v1/analytics/post/{post}?date=30"),
        &key,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), json!([]));
    let res = get(&app, &format!("/public/v1/analytics/post/{post}"), &key).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    // Deleting the channel deletes its posts.
    assert_eq!(live_posts(&app).await, 1);
    let res = call(
        &app,
        Method::DELETE,
        &format!("/public/v1/integrations/{channel}"),
        Some(&key),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let row = res.json();
    assert_eq!(row["id"], channel.as_str());
    assert!(row["deletedAt"].is_string(), "{row}");
    assert!(!res.text.contains("SECRET"), "{}", res.text);
    assert_eq!(live_posts(&app).await, 0);
    assert_eq!(
        get(&app, "/public/v1/integrations", &key).await.json(),
        json!([])
    );
    let res = call(
        &app,
        Method::DELETE,
        &format!("/public/v1/integrations/{channel}"),
        Some(&key),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn status_settings_and_release_routes_follow_postiz() {
    let nets = Networks::start().await;
    mount_mastodon(&nets.mastodon, "write:statuses profile write:media").await;
    let app = spawn_app_with(nets.options().without_workers()).await;
    let owner = app.register("cli@example.com", "CLI Co").await;
    let res = crate::channels::connect_mastodon(&app, &owner).await;
    assert!(res.status.is_success(), "{}", res.text);
    let key = api_key(&app, &owner).await;
    let channel = get(&app, "/public/v1/integrations", &key).await.json()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // What the CLI's `posts:create` sends.
    let id = create(
        &app,
        &key,
        json!({
            "type": "draft", "creationMethod": "CLI", "date": at(chrono::Duration::days(2)),
            "shortLink": true, "tags": [],
            "posts": [{"integration": {"id": channel}, "value": [
                {"content": "Main", "image": [], "delay": 0},
                {"content": "Reply", "image": [], "delay": 5}
            ]}]
        }),
    )
    .await;
    let route = format!("/public/v1/posts/{id}");
    let view = get(&app, &route, &key).await.json();
    assert_eq!(view["posts"][0]["state"], "DRAFT");
    assert_eq!(view["posts"][0]["creationMethod"], "CLI");
    assert_eq!(view["posts"][1]["delay"], 5);
    let reply_id = view["posts"][1]["id"].as_str().unwrap().to_string();

    let res = call(
        &app,
        Method::PUT,
        &format!("{route}/status"),
        Some(&key),
        Some(json!({"status": "schedule"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), json!({"id": id, "state": "QUEUE"}));
    let view = get(&app, &route, &key).await.json();
    assert!(
        view["posts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["state"] == "QUEUE"),
        "{view}"
    );
    assert_eq!(view["posts"][1]["delay"], 5, "the thread is kept");

    let res = call(
        &app,
        Method::PUT,
        &format!("{route}/settings"),
        Some(&key),
        Some(json!({"settings": {"visibility": "unlisted", "__type": "x"}})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let answer = res.json();
    assert_eq!(answer["postId"], id.as_str());
    assert!(
        chrono::NaiveDateTime::parse_from_str(
            answer["publishDate"].as_str().unwrap(),
            "%Y-%m-%dT%H:%M:%S"
        )
        .is_ok(),
        "{answer}"
    );
    let view = get(&app, &route, &key).await.json();
    assert_eq!(view["settings"]["visibility"], "unlisted");
    assert_eq!(
        view["settings"]["__type"], "mastodon",
        "the server sets the type"
    );
    assert_eq!(view["posts"][0]["state"], "QUEUE");
    let res = call(
        &app,
        Method::PUT,
        &format!("/public/v1/posts/{reply_id}/settings"),
        Some(&key),
        Some(json!({"settings": {"a": 1}})),
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert!(res.text.contains("comment"), "{}", res.text);

    // Edit the whole thread: keep the reply, drop nothing else, add a third item.
    let res = call(
        &app,
        Method::PUT,
        &route,
        Some(&key),
        Some(json!({"value": [
            {"id": id, "content": "<p>Main, edited</p>"},
            {"id": reply_id, "content": "<p>Reply, edited</p>", "delay": 2},
            {"content": "<p>New third</p>"}
        ], "tags": [{"value": "launch", "label": "launch"}]})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let view = res.json();
    let items = view["posts"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[1]["id"], reply_id.as_str());
    assert_eq!(items[1]["delay"], 2);
    assert_eq!(items[2]["content"], "<p>New third</p>");
    assert_eq!(view["tags"][0]["tag"]["name"], "launch");
    assert_eq!(
        view["settings"]["visibility"], "unlisted",
        "settings are kept"
    );

    let res = call(
        &app,
        Method::PUT,
        &format!("{route}/status"),
        Some(&key),
        Some(json!({"status": "draft"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["state"], "DRAFT");
    assert_eq!(
        get(&app, &route, &key).await.json()["posts"][0]["state"],
        "DRAFT"
    );

    // A list longer than the calendar's 62 days is read in windows.
    let far = create(
        &app,
        &key,
        json!({"type": "draft", "date": at(chrono::Duration::days(100)), "shortLink": false,
               "tags": [], "posts": [{"integration": {"id": channel},
               "value": [{"content": "<p>Far away</p>", "image": []}]}]}),
    )
    .await;
    let list = get(
        &app,
        &format!(
            "/public/v1/posts?startDate={}&endDate={}",
            at(chrono::Duration::days(-1)),
            at(chrono::Duration::days(200))
        ),
        &key,
    )
    .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let listed: Vec<Value> = list.json()["posts"].as_array().cloned().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[1]["id"], far.as_str());
    let tag = &listed[0]["tags"][0]["tag"];
    assert_eq!(tag["name"], "launch", "{tag}");
    assert_eq!(tag["orgId"], owner.org_id.as_str());
    assert_eq!(listed[0]["state"], "DRAFT");

    let res = get(&app, &format!("{route}/missing"), &key).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), json!([]));
    let res = call(
        &app,
        Method::PUT,
        &format!("{route}/release-id"),
        Some(&key),
        Some(json!({"releaseId": "123"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    assert_eq!(live_posts(&app).await, 4);
}

#[tokio::test]
async fn notifications_are_paged_newest_first() {
    let app = spawn_app_with(Options::default()).await;
    let owner = app.register("bell@example.com", "Bell Co").await;
    let key = api_key(&app, &owner).await;
    let empty = get(&app, "/public/v1/notifications", &key).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    assert_eq!(
        empty.json(),
        json!({"notifications": [], "total": 0, "page": 0, "limit": 100, "hasMore": false})
    );
    for i in 0..3 {
        app.state
            .notifications
            .notify(Notice {
                organization_id: owner.org_id.clone(),
                subject: format!("Notice {i}"),
                message: format!("<p>Notice {i}</p>"),
                link: Some(format!("/p/{i}")),
                kind: NoticeKind::Info,
            })
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let other = app.register("quiet@example.com", "Quiet Co").await;
    let other_key = api_key(&app, &other).await;

    let page = get(&app, "/public/v1/notifications?page=0", &key)
        .await
        .json();
    assert_eq!(page["total"], 3);
    assert_eq!(page["hasMore"], false);
    let list = page["notifications"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["content"], "<p>Notice 2</p>");
    assert_eq!(list[0]["link"], "/p/2");
    assert!(list[0]["createdAt"].is_string());
    let next = get(&app, "/public/v1/notifications?page=1", &key)
        .await
        .json();
    assert_eq!(next["notifications"], json!([]));
    assert_eq!(next["page"], 1);
    assert_eq!(
        get(&app, "/public/v1/notifications", &other_key)
            .await
            .json()["total"],
        0
    );
    // Reading through the API does not mark them read for the dashboard.
    let bell = app.get("/notifications", Some(&owner)).await.json();
    assert_eq!(bell["total"], 3, "{bell}");
}

#[tokio::test]
async fn the_public_routes_are_documented() {
    let app = spawn_app_with(Options::default()).await;
    let res = app.get("/docs/openapi.json", None).await;
    assert_eq!(res.status, StatusCode::OK);
    let raw: Value = serde_json::from_str(&res.text).unwrap();
    let spec: openapiv3::OpenAPI = serde_json::from_str(&res.text).expect("OpenAPI 3");
    for (m, route) in [
        ("get", "/public/v1/is-connected"),
        ("get", "/public/v1/integrations"),
        ("delete", "/public/v1/integrations/{id}"),
        ("get", "/public/v1/groups"),
        ("get", "/public/v1/social/{integration}"),
        ("get", "/public/v1/integration-settings/{id}"),
        ("post", "/public/v1/integration-trigger/{id}"),
        ("get", "/public/v1/find-slot/{id}"),
        ("get", "/public/v1/posts"),
        ("post", "/public/v1/posts"),
        ("get", "/public/v1/posts/{id}"),
        ("put", "/public/v1/posts/{id}"),
        ("delete", "/public/v1/posts/{id}"),
        ("delete", "/public/v1/posts/group/{group}"),
        ("put", "/public/v1/posts/{id}/settings"),
        ("put", "/public/v1/posts/{id}/status"),
        ("get", "/public/v1/posts/{id}/missing"),
        ("put", "/public/v1/posts/{id}/release-id"),
        ("post", "/public/v1/upload"),
        ("post", "/public/v1/upload-from-url"),
        ("get", "/public/v1/media"),
        ("get", "/public/v1/notifications"),
        ("get", "/public/v1/analytics/{integration}"),
        ("get", "/public/v1/analytics/post/{post_id}"),
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
        }
        .unwrap_or_else(|| panic!("{m} {route} is not documented"));
        assert_eq!(op.tags, vec!["Public API".to_string()], "{m} {route}");
        let security = op.security.as_ref().expect("security");
        assert!(
            security.iter().any(|s| s.contains_key("apiKey")),
            "{m} {route}: {security:?}"
        );
        assert!(
            op.responses
                .responses
                .contains_key(&openapiv3::StatusCode::Code(401)),
            "{m} {route}"
        );
    }
    let scheme = &raw["components"]["securitySchemes"]["apiKey"];
    assert_eq!(scheme["type"], "apiKey", "{scheme}");
    assert_eq!(scheme["in"], "header");
    assert_eq!(scheme["name"], "Authorization");

    let create = &raw["paths"]["/public/v1/posts"]["post"];
    for code in ["201", "409", "422", "429"] {
        assert!(
            create["responses"][code].is_object(),
            "POST /public/v1/posts {code}: {create}"
        );
    }
    let params = create["parameters"].as_array().cloned().unwrap_or_default();
    assert!(
        params
            .iter()
            .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
        "{params:?}"
    );
    let body = create["requestBody"]["content"]["application/json"]["schema"].to_string();
    assert!(body.contains("CreatePostBody"), "{body}");
    let update = &raw["paths"]["/public/v1/posts/{id}"]["put"];
    assert!(update["requestBody"].is_object(), "{update}");
}
