//! `/sets`: shapes as the dashboard reads them, organization scoping, validation.

use postiz_entity::set;
use reqwest::{Method, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::{Res, Session, TestApp, spawn_app};

async fn put(app: &TestApp, s: &Session, body: Value) -> Res {
    app.call(Method::PUT, "/sets", Some(s), Some(body)).await
}

async fn delete(app: &TestApp, id: &str, s: &Session) -> Res {
    app.call(Method::DELETE, &format!("/sets/{id}"), Some(s), None)
        .await
}

/// What the dashboard stores: `JSON.stringify` of the composer's state.
fn composer(text: &str) -> String {
    json!({
        "posts": [{"integration": {"id": "abc"}, "value": [{"content": text, "image": []}]}],
        "settings": {"__type": "x"},
    })
    .to_string()
}

async fn create(app: &TestApp, s: &Session, name: &str, content: &str) -> String {
    let res = app
        .post("/sets", Some(s), json!({"name": name, "content": content}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let body = res.json();
    assert_eq!(body.as_object().unwrap().len(), 1, "only the id: {body}");
    body["id"].as_str().unwrap().to_string()
}

async fn list(app: &TestApp, s: &Session) -> Vec<Value> {
    let res = app.get("/sets", Some(s)).await;
    assert_eq!(res.status, StatusCode::OK);
    res.json().as_array().unwrap().clone()
}

fn assert_set_shape(v: &Value, org_id: &str) {
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            "content",
            "createdAt",
            "id",
            "name",
            "organizationId",
            "updatedAt"
        ],
        "{v}"
    );
    assert_eq!(v["organizationId"], org_id);
}

#[tokio::test]
async fn sets_are_listed_saved_edited_and_deleted_in_postiz_shapes() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let res = app.get("/sets", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json(), json!([]));

    let content = composer("<p>Hello</p>");
    let first = create(&app, &owner, "Weekly", &content).await;
    let second = create(&app, &owner, "Launch", &composer("<p>Launch</p>")).await;

    let sets = list(&app, &owner).await;
    assert_eq!(sets.len(), 2);
    assert_eq!(sets[0]["id"], second, "newest first");
    assert_set_shape(&sets[1], &owner.org_id);
    assert_eq!(sets[1]["id"], first);
    assert_eq!(sets[1]["name"], "Weekly");
    assert_eq!(sets[1]["content"], content, "stored as is");
    let parsed: Value = serde_json::from_str(sets[1]["content"].as_str().unwrap()).unwrap();
    assert_eq!(parsed["settings"]["__type"], "x");

    // The dashboard edits a set by posting it again with its id.
    let edited = composer("<p>Edited</p>");
    let res = app
        .post(
            "/sets",
            Some(&owner),
            json!({"id": first, "name": "Weekly v2", "content": edited}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.json(), json!({"id": first}));
    let sets = list(&app, &owner).await;
    assert_eq!(sets.len(), 2);
    assert_eq!(sets[1]["name"], "Weekly v2");
    assert_eq!(sets[1]["content"], edited);

    let res = put(
        &app,
        &owner,
        json!({"id": second, "name": "Launch v2", "content": content}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), json!({"id": second}));
    assert_eq!(list(&app, &owner).await[0]["name"], "Launch v2");

    let res = delete(&app, &first, &owner).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let deleted = res.json();
    assert_set_shape(&deleted, &owner.org_id);
    assert_eq!(deleted["id"], first);
    let sets = list(&app, &owner).await;
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0]["id"], second);
    assert_eq!(set::Entity::find().count(&app.state.db).await.unwrap(), 2);

    // Gone for every route.
    assert_eq!(
        delete(&app, &first, &owner).await.status,
        StatusCode::NOT_FOUND
    );
    let res = put(
        &app,
        &owner,
        json!({"id": first, "name": "Back", "content": content}),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_organizations_sets_are_not_found() {
    let app = spawn_app().await;
    let acme = app.register("owner@acme.test", "Acme").await;
    let globex = app.register("owner@globex.test", "Globex").await;
    let content = composer("<p>Secret</p>");
    let id = create(&app, &acme, "Acme set", &content).await;

    assert!(list(&app, &globex).await.is_empty());
    let res = app
        .post(
            "/sets",
            Some(&globex),
            json!({"id": id, "name": "Stolen", "content": composer("x")}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    let res = put(
        &app,
        &globex,
        json!({"id": id, "name": "Stolen", "content": composer("x")}),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    assert_eq!(
        delete(&app, &id, &globex).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&app, "not-an-id", &acme).await.status,
        StatusCode::NOT_FOUND
    );

    let sets = list(&app, &acme).await;
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0]["name"], "Acme set");
    assert_eq!(sets[0]["content"], content);
    assert_eq!(set::Entity::find().count(&app.state.db).await.unwrap(), 1);
}

#[tokio::test]
async fn bad_sets_are_refused_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let good = composer("<p>ok</p>");
    let too_big = json!({"text": "x".repeat(1024 * 1024)}).to_string();
    let cases = [
        (json!({"content": good}), "name"),
        (json!({"name": "  ", "content": good}), "name"),
        (json!({"name": "n".repeat(256), "content": good}), "name"),
        (json!({"name": 7, "content": good}), "name"),
        (json!({"name": "Set"}), "content"),
        (json!({"name": "Set", "content": "not json"}), "content"),
        (json!({"name": "Set", "content": "[1,2]"}), "content"),
        (json!({"name": "Set", "content": {"posts": []}}), "content"),
        (json!({"name": "Set", "content": too_big}), "content"),
        (json!({"id": 5, "name": "Set", "content": good}), "id"),
    ];
    for (body, field) in &cases {
        let res = app.post("/sets", Some(&owner), body.clone()).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{field}: {}", res.text);
        assert_eq!(res.json()["statusCode"], 400);
        assert!(
            res.json()["message"].to_string().contains(field),
            "{field}: {}",
            res.text
        );
    }
    assert_eq!(set::Entity::find().count(&app.state.db).await.unwrap(), 0);

    let id = create(&app, &owner, "Set", &good).await;
    let res = put(&app, &owner, json!({"name": "Set", "content": good})).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.json()["message"].to_string().contains("id"));
    let res = put(
        &app,
        &owner,
        json!({"id": id, "name": "Set", "content": "{broken"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.json()["message"].to_string().contains("content"));
    assert_eq!(list(&app, &owner).await[0]["content"], good);
}

#[tokio::test]
async fn members_use_sets_and_strangers_are_refused() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let user = app.add_member(&owner, "user@example.com", "USER").await;
    let id = create(&app, &user, "From a user", &composer("hi")).await;
    assert_eq!(list(&app, &owner).await[0]["id"], id);
    assert_eq!(delete(&app, &id, &user).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/sets", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}
