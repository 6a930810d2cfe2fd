//! The calls the Postiz dashboard makes, in its order, with the shapes it reads
//! (`postiz-dashboard-contract.md`): a wrong shape crashes it, so each one is checked.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::channels::{Networks, by_identifier, connect_mastodon, list, mount_mastodon};
use crate::helpers::{Session, TestApp, spawn_app_with};

pub(crate) async fn app_with_channel() -> (Networks, TestApp, Session, String) {
    let nets = Networks::start().await;
    mount_mastodon(&nets.mastodon, "write:statuses profile write:media").await;
    let app = spawn_app_with(nets.options()).await;
    let owner = app.register("owner@example.com", "Acme").await;
    let res = connect_mastodon(&app, &owner).await;
    assert!(res.status.is_success(), "{}", res.text);
    let channels = list(&app, &owner).await;
    let id = by_identifier(&channels, "mastodon")["id"]
        .as_str()
        .unwrap()
        .to_string();
    (nets, app, owner, id)
}

fn keys(value: &Value) -> Vec<String> {
    let mut k: Vec<String> = value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

#[tokio::test]
async fn the_create_post_dialog_gets_the_shapes_it_needs() {
    let (_nets, app, owner, channel) = app_with_channel().await;
    // find-slot → {date} in Postiz's format, in the future, on a posting time.
    let slot = app.get("/posts/find-slot", Some(&owner)).await;
    assert_eq!(slot.status, StatusCode::OK);
    let date = slot.json()["date"].as_str().unwrap().to_string();
    assert_eq!(date.len(), "2026-11-22T06:40:00".len(), "{date}");
    assert!(date.ends_with(":00"));
    let slot_one = app
        .get(&format!("/posts/find-slot/{channel}"), Some(&owner))
        .await;
    assert_eq!(slot_one.status, StatusCode::OK);
    // These must be arrays or the editor crashes.
    for route in ["/media/video-options", "/third-party", "/sets"] {
        let res = app.get(route, Some(&owner)).await;
        assert_eq!(res.status, StatusCode::OK, "{route}");
        assert!(res.json().is_array(), "{route}: {}", res.text);
    }
    let tags = app.get("/posts/tags", Some(&owner)).await.json();
    assert!(tags["tags"].is_array(), "{tags}");
    let shortlink = app.get("/settings/shortlink", Some(&owner)).await.json();
    assert_eq!(shortlink, json!({"shortlink": "ASK"}));
    let res = app
        .post(
            "/settings/shortlink",
            Some(&owner),
            json!({"shortlink": "NO"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(
        app.get("/settings/shortlink", Some(&owner)).await.json(),
        json!({"shortlink": "NO"})
    );
    let res = app
        .post(
            "/settings/shortlink",
            Some(&owner),
            json!({"shortlink": "MAYBE"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let signature = app.get("/signatures/default", Some(&owner)).await;
    assert_eq!(signature.status, StatusCode::OK);
    assert!(signature.json().is_object());
    let notifications = app.get("/notifications", Some(&owner)).await.json();
    assert!(notifications["total"].is_number(), "{notifications}");
}

#[tokio::test]
async fn the_calendar_and_list_use_postizs_minified_keys() {
    let (_nets, app, owner, channel) = app_with_channel().await;
    let date = (Utc::now() + Duration::days(1)).to_rfc3339();
    let res = app
        .post(
            "/posts",
            Some(&owner),
            json!({"type": "schedule", "shortLink": false, "date": date,
                   "tags": [{"value": "launch", "label": "Launch"}],
                   "posts": [{"integration": {"id": channel}, "settings": {},
                              "value": [{"content": "<p>Calendar</p>", "image": []}]}]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let created = res.json();
    assert_eq!(keys(&created[0]), vec!["integration", "postId"]);

    let start = (Utc::now() - Duration::days(1)).to_rfc3339();
    let end = (Utc::now() + Duration::days(6)).to_rfc3339();
    let url = format!(
        "/posts?display=week&customer=&startDate={}&endDate={}",
        urlencode(&start),
        urlencode(&end)
    );
    let calendar = app.get(&url, Some(&owner)).await;
    assert_eq!(calendar.status, StatusCode::OK, "{}", calendar.text);
    let calendar = calendar.json();
    assert_eq!(keys(&calendar), vec!["p"]);
    let entry = &calendar["p"][0];
    assert_eq!(
        keys(entry),
        vec!["c", "cm", "d", "g", "i", "iv", "n", "ri", "s", "tg", "u"]
    );
    assert_eq!(entry["c"], "<p>Calendar</p>");
    assert_eq!(entry["s"], "QUEUE");
    assert_eq!(entry["cm"], "WEB");
    assert_eq!(keys(&entry["n"]), vec!["i", "n", "p", "pi"]);
    assert_eq!(entry["n"]["pi"], "mastodon");
    assert_eq!(entry["tg"][0]["t"]["n"], "Launch");
    assert_eq!(
        keys(&entry["tg"][0]["t"]),
        vec!["c", "ca", "da", "i", "n", "o", "ua"]
    );

    let listed = app
        .get(
            "/posts/list?page=0&limit=100&customer=&state=all",
            Some(&owner),
        )
        .await
        .json();
    assert_eq!(keys(&listed), vec!["hm", "l", "p", "pg", "t"]);
    assert_eq!(listed["t"], 1);
    assert_eq!(listed["hm"], false);
    assert_eq!(listed["p"][0]["i"], created[0]["postId"]);

    // Opening the post in the editor.
    let id = created[0]["postId"].as_str().unwrap();
    let opened = app.get(&format!("/posts/{id}"), Some(&owner)).await.json();
    for field in [
        "group",
        "posts",
        "integration",
        "integrationPicture",
        "settings",
    ] {
        assert!(opened.get(field).is_some(), "{field} missing: {opened}");
    }
    assert_eq!(opened["settings"]["__type"], "mastodon");
    let group = opened["group"].as_str().unwrap();
    let by_group = app
        .get(&format!("/posts/group/{group}"), Some(&owner))
        .await;
    assert_eq!(by_group.status, StatusCode::OK);

    // Dragging it to another day.
    let moved = (Utc::now() + Duration::days(2)).to_rfc3339();
    let res = app
        .call(
            Method::PUT,
            &format!("/posts/{id}/date"),
            Some(&owner),
            Some(json!({"date": moved})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["state"], "QUEUE");

    // The public preview and review comments.
    let res = app
        .post(
            &format!("/posts/{id}/comments"),
            Some(&owner),
            json!({"comment": "Looks good"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let preview = app.get(&format!("/public/posts/{id}"), None).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert_eq!(
        preview.json()[0]["integration"]["providerIdentifier"],
        "mastodon"
    );
    let comments = app
        .get(&format!("/public/posts/{id}/comments"), None)
        .await
        .json();
    assert_eq!(comments["comments"][0]["content"], "Looks good");
}

#[tokio::test]
async fn a_repeating_post_shows_in_later_weeks_and_a_one_off_only_in_its_own() {
    let (_nets, app, owner, channel) = app_with_channel().await;
    let first = Utc::now() + Duration::days(1);
    let mut ids = Vec::new();
    for (content, inter) in [("<p>Weekly</p>", json!(7)), ("<p>Once</p>", Value::Null)] {
        let res = app
            .post(
                "/posts",
                Some(&owner),
                json!({"type": "schedule", "shortLink": false, "date": first.to_rfc3339(),
                       "tags": [], "inter": inter,
                       "posts": [{"integration": {"id": channel}, "settings": {},
                                  "value": [{"content": content, "image": []}]}]}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        ids.push(res.json()[0]["postId"].as_str().unwrap().to_string());
    }
    let week = |from: chrono::DateTime<Utc>| {
        format!(
            "/posts?display=week&customer=&startDate={}&endDate={}",
            urlencode(&from.to_rfc3339()),
            urlencode(&(from + Duration::days(7)).to_rfc3339())
        )
    };

    let own_week = app
        .get(&week(first - Duration::hours(1)), Some(&owner))
        .await;
    assert_eq!(own_week.status, StatusCode::OK, "{}", own_week.text);
    let mut shown: Vec<String> = own_week.json()["p"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["i"].as_str().unwrap().to_string())
        .collect();
    shown.sort();
    let mut both = ids.clone();
    both.sort();
    assert_eq!(shown, both);

    // Three weeks on, only the weekly post, on its occurrence in that week.
    let later_from = first + Duration::days(20);
    let later = app.get(&week(later_from), Some(&owner)).await.json();
    let entries = later["p"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{later}");
    assert_eq!(entries[0]["i"], ids[0].as_str());
    assert_eq!(entries[0]["iv"], 7);
    let on = chrono::DateTime::parse_from_rfc3339(entries[0]["d"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    // The fourth occurrence, three weeks after the first (stored to the millisecond).
    let expected = first + Duration::days(21);
    assert!(
        (on - expected).num_milliseconds().abs() < 1000,
        "{on} is not the occurrence of {expected}"
    );
}

#[tokio::test]
async fn another_organization_cannot_see_or_touch_posts() {
    let (_nets, app, owner, channel) = app_with_channel().await;
    let date = (Utc::now() + Duration::days(1)).to_rfc3339();
    let created = app
        .post(
            "/posts",
            Some(&owner),
            json!({"type": "schedule", "shortLink": false, "date": date, "tags": [],
                   "posts": [{"integration": {"id": channel}, "value": [{"content": "<p>Mine</p>", "image": []}]}]}),
        )
        .await
        .json();
    let id = created[0]["postId"].as_str().unwrap().to_string();
    let other = app.register("other@example.com", "Other org").await;
    assert_eq!(
        app.get(&format!("/posts/{id}"), Some(&other)).await.status,
        StatusCode::NOT_FOUND
    );
    let res = app
        .call(
            Method::PUT,
            &format!("/posts/{id}/date"),
            Some(&other),
            Some(json!({"date": date})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // Posting to someone else's channel is refused.
    let res = app
        .post(
            "/posts",
            Some(&other),
            json!({"type": "schedule", "shortLink": false, "date": date, "tags": [],
                   "posts": [{"integration": {"id": channel}, "value": [{"content": "<p>x</p>", "image": []}]}]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    // Editing someone else's post by passing its id is refused.
    let other_channel_less = app
        .post(
            "/posts",
            Some(&other),
            json!({"type": "draft", "shortLink": false, "date": date, "tags": [],
                   "posts": [{"integration": {"id": "not-a-channel"}, "value": [{"id": id, "content": "<p>x</p>", "image": []}]}]}),
        )
        .await;
    assert_eq!(other_channel_less.status, StatusCode::BAD_REQUEST);
    let calendar = app
        .get(
            &format!(
                "/posts?startDate={}&endDate={}",
                urlencode(&Utc::now().to_rfc3339()),
                urlencode(&(Utc::now() + Duration::days(7)).to_rfc3339())
            ),
            Some(&other),
        )
        .await
        .json();
    assert_eq!(calendar["p"].as_array().map(Vec::len), Some(0));
}

pub(crate) fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn one_editor_post_on_two_channels_is_one_group() {
    let (nets, app, owner, masto) = app_with_channel().await;
    crate::channels::mount_bluesky(&nets.bluesky).await;
    let res = crate::channels::connect_bluesky(&app, &owner, &nets.bluesky.uri()).await;
    assert!(res.status.is_success(), "{}", res.text);
    let bsky = by_identifier(&list(&app, &owner).await, "bluesky")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let date = (Utc::now() + Duration::days(1)).to_rfc3339();
    // The editor sends one group for every channel of the post.
    let body = |channels: &[&str], group: &str| {
        json!({"type": "schedule", "shortLink": false, "date": date, "tags": [],
               "posts": channels.iter().map(|id| json!({
                   "integration": {"id": id}, "group": group, "settings": {},
                   "value": [{"content": "<p>Both</p>", "image": []},
                             {"content": "<p>Reply</p>", "image": []}]
               })).collect::<Vec<_>>()})
    };
    let res = app
        .post("/posts", Some(&owner), body(&[&masto, &bsky], "g-editor"))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(
        crate::public_api::live_posts(&app).await,
        4,
        "both threads kept"
    );
    let id = res.json()[0]["postId"].as_str().unwrap().to_string();
    let group = app.get(&format!("/posts/{id}"), Some(&owner)).await.json()["group"]
        .as_str()
        .unwrap()
        .to_string();
    let other = res.json()[1]["postId"].as_str().unwrap().to_string();
    let other_group = app
        .get(&format!("/posts/{other}"), Some(&owner))
        .await
        .json()["group"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(group, other_group, "the channels share the post's group");

    // Saved again from the editor without Bluesky: its thread leaves the post.
    let res = app
        .post("/posts", Some(&owner), body(&[&masto], &group))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(crate::public_api::live_posts(&app).await, 2);

    // The re-save rotated the group: the old one is gone, the new one holds the post.
    let res = app
        .call(
            Method::DELETE,
            &format!("/posts/{group}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    let id = res_id(&app, &owner).await;
    let group = app.get(&format!("/posts/{id}"), Some(&owner)).await.json()["group"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .call(
            Method::DELETE,
            &format!("/posts/{group}"),
            Some(&owner),
            None,
        )
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    assert_eq!(crate::public_api::live_posts(&app).await, 0);
}

/// The id of the one post listed.
async fn res_id(app: &TestApp, owner: &Session) -> String {
    let listed = app
        .get(
            "/posts/list?page=0&limit=100&customer=&state=all",
            Some(owner),
        )
        .await
        .json();
    listed["p"][0]["i"].as_str().unwrap().to_string()
}
