//! The calendar answer a process keeps is served again only while nothing it shows has
//! changed, whoever changed it: these tests write straight to the database, as another process
//! (`postiz worker`, a second server, an operator's SQL) would, and read the calendar after
//! every change.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use postiz_entity::{integration, post, post_tag, tag};
use postiz_posts::repository::calendar_changes::calendar_version;
use reqwest::StatusCode;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::dashboard::{app_with_channel, urlencode};
use crate::helpers::{Session, TestApp};

/// The week from yesterday, the same range on every call (so a kept answer can be served).
fn week_url() -> String {
    week_url_shifted(0)
}

/// That week starting `shift` milliseconds later: a range no answer was kept for.
fn week_url_shifted(shift: i64) -> String {
    static START: OnceLock<DateTime<Utc>> = OnceLock::new();
    let start =
        *START.get_or_init(|| Utc::now() - Duration::days(1)) + Duration::milliseconds(shift);
    format!(
        "/posts?display=week&customer=&startDate={}&endDate={}",
        urlencode(&start.to_rfc3339()),
        urlencode(&(start + Duration::days(7)).to_rfc3339())
    )
}

async fn week(app: &TestApp, owner: &Session) -> Value {
    week_at(app, owner, &week_url()).await
}

async fn week_at(app: &TestApp, owner: &Session, url: &str) -> Value {
    let res = app.get(url, Some(owner)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/json")
    );
    res.json()
}

/// Schedules a post for tomorrow through the API; its id.
async fn schedule_tomorrow(
    app: &TestApp,
    owner: &Session,
    channel: &str,
    content: &str,
    tags: Value,
) -> String {
    let date = (Utc::now() + Duration::days(1)).to_rfc3339();
    let res = app
        .post(
            "/posts",
            Some(owner),
            json!({"type": "schedule", "shortLink": false, "date": date, "tags": tags,
                   "posts": [{"integration": {"id": channel}, "settings": {},
                              "value": [{"content": content, "image": []}]}]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()[0]["postId"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_calendar_shows_every_change_written_behind_the_servers_back() {
    let (_nets, app, owner, channel) = app_with_channel().await;
    let tags = json!([{"value": "launch", "label": "Launch"}]);
    let id = schedule_tomorrow(&app, &owner, &channel, "<p>First</p>", tags).await;
    let db = &app.state.db;

    let first = week(&app, &owner).await;
    assert_eq!(first["p"][0]["c"], "<p>First</p>");
    assert_eq!(week(&app, &owner).await, first, "same data, same answer");

    // The post's content.
    post::Entity::update_many()
        .col_expr(
            post::Column::Content,
            Expr::value("<p>Edited elsewhere</p>"),
        )
        .filter(post::Column::Id.eq(id.as_str()))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(
        week(&app, &owner).await["p"][0]["c"],
        "<p>Edited elsewhere</p>"
    );

    // Its state and release, as a worker process records a publication.
    post::Entity::update_many()
        .col_expr(post::Column::State, Expr::value("PUBLISHED"))
        .col_expr(
            post::Column::ReleaseUrl,
            Expr::value("https://example.com/1"),
        )
        .filter(post::Column::Id.eq(id.as_str()))
        .exec(db)
        .await
        .unwrap();
    let published = week(&app, &owner).await;
    assert_eq!(published["p"][0]["s"], "PUBLISHED");
    assert_eq!(published["p"][0]["u"], "https://example.com/1");

    // The channel's name.
    integration::Entity::update_many()
        .col_expr(integration::Column::Name, Expr::value("Renamed channel"))
        .filter(integration::Column::Id.eq(channel.as_str()))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(
        week(&app, &owner).await["p"][0]["n"]["n"],
        "Renamed channel"
    );

    // The tag's name, then the tag taken off the post.
    tag::Entity::update_many()
        .col_expr(tag::Column::Name, Expr::value("Renamed tag"))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(
        week(&app, &owner).await["p"][0]["tg"][0]["t"]["n"],
        "Renamed tag"
    );
    post_tag::Entity::delete_many()
        .filter(post_tag::Column::PostId.eq(id.as_str()))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(week(&app, &owner).await["p"][0]["tg"], json!([]));

    // Moved out of the week.
    post::Entity::update_many()
        .col_expr(
            post::Column::PublishDate,
            Expr::value(Utc::now() + Duration::days(30)),
        )
        .filter(post::Column::Id.eq(id.as_str()))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(week(&app, &owner).await["p"], json!([]));
}

/// Paging to a week no answer was kept for reads the posts afresh but keeps the channel
/// badges under the calendar version: every channel change must still show at once.
#[tokio::test]
async fn a_channel_change_reaches_the_calendar_of_a_week_not_read_before() {
    let (_nets, app, owner, channel) = app_with_channel().await;
    let id = schedule_tomorrow(&app, &owner, &channel, "<p>Paged</p>", json!([])).await;
    let db = &app.state.db;
    let shown = |answer: &Value| -> Vec<String> {
        answer["p"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["i"].as_str().unwrap().to_string())
            .collect()
    };

    let first = week(&app, &owner).await;
    assert_eq!(shown(&first), vec![id.clone()]);
    let original_name = first["p"][0]["n"]["n"].clone();
    assert_eq!(
        week_at(&app, &owner, &week_url_shifted(1)).await,
        first,
        "another range, the same posts and channel"
    );

    integration::Entity::update_many()
        .col_expr(integration::Column::Name, Expr::value("Renamed elsewhere"))
        .col_expr(
            integration::Column::Picture,
            Expr::value("https://cdn.example.com/new.png"),
        )
        .filter(integration::Column::Id.eq(channel.as_str()))
        .exec(db)
        .await
        .unwrap();
    for url in [week_url_shifted(2), week_url()] {
        let answer = week_at(&app, &owner, &url).await;
        assert_ne!(answer["p"][0]["n"]["n"], original_name);
        assert_eq!(answer["p"][0]["n"]["n"], "Renamed elsewhere", "{url}");
        assert_eq!(
            answer["p"][0]["n"]["p"], "https://cdn.example.com/new.png",
            "{url}"
        );
    }

    // Given to a customer: the week of another customer no longer shows it.
    let res = app
        .call(
            reqwest::Method::PUT,
            &format!("/integrations/{channel}/customer-name"),
            Some(&owner),
            Some(json!({"name": "Client B"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let customer = res.json()["customerId"].as_str().unwrap().to_string();
    let of_customer = |shift: i64, customer: &str| {
        week_url_shifted(shift).replace("customer=&", &format!("customer={customer}&"))
    };
    assert_eq!(
        shown(&week_at(&app, &owner, &of_customer(3, &customer)).await),
        vec![id.clone()]
    );
    assert!(shown(&week_at(&app, &owner, &of_customer(4, "another")).await).is_empty());

    // Deleted behind the server's back: its posts leave every week.
    integration::Entity::update_many()
        .col_expr(integration::Column::DeletedAt, Expr::value(Utc::now()))
        .filter(integration::Column::Id.eq(channel.as_str()))
        .exec(db)
        .await
        .unwrap();
    for url in [week_url_shifted(5), of_customer(6, &customer), week_url()] {
        assert!(
            shown(&week_at(&app, &owner, &url).await).is_empty(),
            "{url}"
        );
    }
}

#[tokio::test]
async fn publishing_bookkeeping_leaves_the_calendar_version_alone() {
    let (_nets, app, owner, channel) = app_with_channel().await;
    let id = schedule_tomorrow(&app, &owner, &channel, "<p>Claimed</p>", json!([])).await;
    let db = &app.state.db;
    let before = calendar_version(db, &owner.org_id).await.unwrap();
    assert!(before > 0, "creating the post counted");

    // A claim and its renewal, the version counter and pending data: not shown.
    post::Entity::update_many()
        .col_expr(post::Column::ClaimedUntil, Expr::value(Utc::now()))
        .col_expr(
            post::Column::Version,
            Expr::col(post::Column::Version).add(1),
        )
        .col_expr(
            post::Column::PendingData,
            Expr::value(json!({"inFlight": true})),
        )
        .filter(post::Column::Id.eq(id.as_str()))
        .exec(db)
        .await
        .unwrap();
    // A token refresh of the channel: not shown either.
    integration::Entity::update_many()
        .col_expr(integration::Column::TokenExpiresAt, Expr::value(Utc::now()))
        .filter(integration::Column::Id.eq(channel.as_str()))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(calendar_version(db, &owner.org_id).await.unwrap(), before);

    // Another organization's change does not move this one's version.
    let other = app.register("other@example.com", "Other").await;
    let other_before = calendar_version(db, &other.org_id).await.unwrap();
    post::Entity::update_many()
        .col_expr(post::Column::State, Expr::value("ERROR"))
        .filter(post::Column::Id.eq(id.as_str()))
        .exec(db)
        .await
        .unwrap();
    assert!(calendar_version(db, &owner.org_id).await.unwrap() > before);
    assert_eq!(
        calendar_version(db, &other.org_id).await.unwrap(),
        other_before
    );
}

#[tokio::test]
async fn every_value_of_a_post_reaches_the_calendar_as_written() {
    let (_nets, app, owner, channel) = app_with_channel().await;
    // Everything JSON must escape, and characters outside the basic plane.
    let content = "<p>\"Quoted\" \\ back\\slash\ttab\nnew line </script> é 日本 😀 \u{1}</p>";
    let id = schedule_tomorrow(&app, &owner, &channel, "<p>Plain</p>", json!([])).await;
    let at = Utc::now() + Duration::hours(20) + Duration::microseconds(123_456);
    post::Entity::update_many()
        .col_expr(post::Column::Content, Expr::value(content))
        .col_expr(post::Column::PublishDate, Expr::value(at))
        .col_expr(post::Column::State, Expr::value("PUBLISHED"))
        .col_expr(post::Column::ReleaseId, Expr::value("1234567890"))
        .col_expr(
            post::Column::ReleaseUrl,
            Expr::value("https://example.com/@me/1?a=1&b=\"2\""),
        )
        .filter(post::Column::Id.eq(id.as_str()))
        .exec(&app.state.db)
        .await
        .unwrap();

    let answer = week(&app, &owner).await;
    let entry = &answer["p"][0];
    assert_eq!(entry["i"], id.as_str());
    assert_eq!(entry["c"], content);
    assert_eq!(
        entry["d"],
        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    );
    assert_eq!(entry["s"], "PUBLISHED");
    assert_eq!(entry["ri"], "1234567890");
    assert_eq!(entry["u"], "https://example.com/@me/1?a=1&b=\"2\"");
    assert_eq!(entry["iv"], Value::Null);
    assert_eq!(entry["cm"], "WEB");
    assert_eq!(entry["n"]["i"], channel.as_str());
    assert_eq!(answer["p"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_calendar_and_list_show_only_the_chosen_customers_channels() {
    let (_nets, app, owner, channel) = app_with_channel().await;
    let id = schedule_tomorrow(&app, &owner, &channel, "<p>For a client</p>", json!([])).await;
    let res = app
        .call(
            reqwest::Method::PUT,
            &format!("/integrations/{channel}/customer-name"),
            Some(&owner),
            Some(json!({"name": "Client A"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let customer = res.json()["customerId"].as_str().unwrap().to_string();

    let shown = |url: String| {
        let app = &app;
        let owner = &owner;
        async move {
            let res = app.get(&url, Some(owner)).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
            let ids: Vec<String> = res.json()["p"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["i"].as_str().unwrap().to_string())
                .collect();
            ids
        }
    };
    let week_of =
        |customer: &str| week_url().replace("customer=&", &format!("customer={customer}&"));
    let list_of =
        |customer: &str| format!("/posts/list?page=0&limit=100&customer={customer}&state=all");
    for (customer, expected) in [
        ("", vec![id.clone()]),
        (customer.as_str(), vec![id.clone()]),
        ("another-customer", vec![]),
    ] {
        assert_eq!(
            shown(week_of(customer)).await,
            expected,
            "week, {customer:?}"
        );
        assert_eq!(
            shown(list_of(customer)).await,
            expected,
            "list, {customer:?}"
        );
    }
    let week = app.get(&week_of(&customer), Some(&owner)).await.json();
    assert_eq!(week["p"][0]["n"]["i"], channel.as_str());
    assert_eq!(week["p"][0]["n"]["pi"], "mastodon");
}

#[tokio::test]
async fn a_posts_tags_reach_the_calendar_as_written_and_as_the_list_shows_them() {
    let (_nets, app, owner, channel) = app_with_channel().await;
    let tags = json!([
        {"value": "zeta", "label": "Zêta \"Q\" \\ 😀"},
        {"value": "alpha", "label": "Alpha"},
        {"value": "gone", "label": "Gone"},
    ]);
    let id = schedule_tomorrow(&app, &owner, &channel, "<p>Tagged</p>", tags).await;
    let db = &app.state.db;
    tag::Entity::update_many()
        .col_expr(tag::Column::DeletedAt, Expr::value(Utc::now()))
        .filter(tag::Column::Name.eq("Gone"))
        .exec(db)
        .await
        .unwrap();

    let calendar = week(&app, &owner).await;
    let list = app
        .get(
            "/posts/list?page=0&limit=100&customer=&state=all",
            Some(&owner),
        )
        .await
        .json();
    assert_eq!(calendar["p"][0]["i"], id.as_str());
    assert_eq!(list["p"][0]["i"], id.as_str());
    let shown = &calendar["p"][0]["tg"];
    // The list reads tags with a query of its own: the same tags, values and order.
    assert_eq!(shown, &list["p"][0]["tg"]);
    let mut stored = tag::Entity::find()
        .filter(tag::Column::DeletedAt.is_null())
        .all(db)
        .await
        .unwrap();
    stored.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let millis =
        |at: &chrono::DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let expected: Vec<Value> = stored
        .iter()
        .map(|t| {
            json!({"t": {"i": t.id, "n": t.name, "c": t.color, "o": t.organization_id,
                         "ca": millis(&t.created_at), "ua": millis(&t.updated_at), "da": null}})
        })
        .collect();
    assert_eq!(shown, &json!(expected));
    let names: Vec<&str> = stored.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names.len(), 2, "the deleted tag is left out: {names:?}");
    assert!(names.contains(&"Zêta \"Q\" \\ 😀"), "{names:?}");
}
