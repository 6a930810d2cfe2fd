//! `/signatures`: shapes as the dashboard reads them, the single `autoAdd`, organization scoping,
//! validation.

use postiz_entity::signature;
use reqwest::{Method, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::{Res, Session, TestApp, spawn_app};

async fn put(app: &TestApp, id: &str, s: &Session, body: Value) -> Res {
    app.call(
        Method::PUT,
        &format!("/signatures/{id}"),
        Some(s),
        Some(body),
    )
    .await
}

async fn delete(app: &TestApp, id: &str, s: &Session) -> Res {
    app.call(Method::DELETE, &format!("/signatures/{id}"), Some(s), None)
        .await
}

async fn create(app: &TestApp, s: &Session, content: &str, auto_add: bool) -> String {
    let res = app
        .post(
            "/signatures",
            Some(s),
            json!({"content": content, "autoAdd": auto_add}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let body = res.json();
    assert_eq!(body.as_object().unwrap().len(), 1, "only the id: {body}");
    body["id"].as_str().unwrap().to_string()
}

async fn list(app: &TestApp, s: &Session) -> Vec<Value> {
    let res = app.get("/signatures", Some(s)).await;
    assert_eq!(res.status, StatusCode::OK);
    res.json().as_array().unwrap().clone()
}

async fn default_of(app: &TestApp, s: &Session) -> Value {
    let res = app.get("/signatures/default", Some(s)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
}

/// The ids of the signatures added automatically.
async fn auto_added(app: &TestApp, s: &Session) -> Vec<String> {
    list(app, s)
        .await
        .iter()
        .filter(|v| v["autoAdd"] == true)
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

fn assert_signature_shape(v: &Value, org_id: &str) {
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            "autoAdd",
            "content",
            "createdAt",
            "deletedAt",
            "id",
            "organizationId",
            "updatedAt"
        ],
        "{v}"
    );
    assert_eq!(v["organizationId"], org_id);
}

#[tokio::test]
async fn signatures_are_listed_created_edited_and_deleted_in_postiz_shapes() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    assert_eq!(app.get("/signatures", Some(&owner)).await.json(), json!([]));
    assert_eq!(default_of(&app, &owner).await, json!({}));

    let id = create(
        &app,
        &owner,
        "<p>-- Acme team</p>\n<p>\tacme.test</p>",
        false,
    )
    .await;
    let all = list(&app, &owner).await;
    assert_eq!(all.len(), 1);
    assert_signature_shape(&all[0], &owner.org_id);
    assert_eq!(all[0]["id"], id);
    assert_eq!(all[0]["content"], "<p>-- Acme team</p>\n<p>\tacme.test</p>");
    assert_eq!(all[0]["autoAdd"], false);
    assert_eq!(all[0]["deletedAt"], Value::Null);
    assert_eq!(default_of(&app, &owner).await, json!({}));

    let res = put(
        &app,
        &id,
        &owner,
        json!({"content": "<p>-- The Acme team</p>", "autoAdd": true}),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), json!({"id": id}));
    let default = default_of(&app, &owner).await;
    assert_signature_shape(&default, &owner.org_id);
    assert_eq!(default["id"], id);
    assert_eq!(default["content"], "<p>-- The Acme team</p>");
    assert_eq!(default["autoAdd"], true);

    let res = delete(&app, &id, &owner).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let deleted = res.json();
    assert_signature_shape(&deleted, &owner.org_id);
    assert!(deleted["deletedAt"].is_string(), "{deleted}");
    assert!(list(&app, &owner).await.is_empty());
    assert_eq!(default_of(&app, &owner).await, json!({}));
    assert_eq!(
        signature::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        1,
        "soft delete"
    );
    assert_eq!(
        delete(&app, &id, &owner).await.status,
        StatusCode::NOT_FOUND
    );
    let res = put(&app, &id, &owner, json!({"content": "x", "autoAdd": false})).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn at_most_one_signature_is_added_automatically() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let a = create(&app, &owner, "A", true).await;
    assert_eq!(auto_added(&app, &owner).await, vec![a.clone()]);
    let b = create(&app, &owner, "B", true).await;
    assert_eq!(auto_added(&app, &owner).await, vec![b.clone()]);
    assert_eq!(default_of(&app, &owner).await["id"], b);

    // A signature without autoAdd leaves the default alone.
    let c = create(&app, &owner, "C", false).await;
    assert_eq!(auto_added(&app, &owner).await, vec![b.clone()]);

    // Marking another one moves the default there.
    let res = put(&app, &a, &owner, json!({"content": "A", "autoAdd": true})).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(auto_added(&app, &owner).await, vec![a.clone()]);
    // Editing the default without autoAdd leaves none.
    let res = put(&app, &a, &owner, json!({"content": "A2", "autoAdd": false})).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(auto_added(&app, &owner).await.is_empty());
    assert_eq!(default_of(&app, &owner).await, json!({}));
    let res = put(&app, &c, &owner, json!({"content": "C", "autoAdd": true})).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(default_of(&app, &owner).await["id"], c);

    // Another organization's default is its own business.
    let globex = app.register("owner@globex.test", "Globex").await;
    let g = create(&app, &globex, "G", true).await;
    assert_eq!(default_of(&app, &owner).await["id"], c);
    assert_eq!(default_of(&app, &globex).await["id"], g);

    // Concurrent writers: exactly one winner.
    let requests = (0..8).map(|i| {
        app.post(
            "/signatures",
            Some(&owner),
            json!({"content": format!("Concurrent {i}"), "autoAdd": true}),
        )
    });
    let responses = futures_util::future::join_all(requests).await;
    for res in &responses {
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    }
    let winners = auto_added(&app, &owner).await;
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(default_of(&app, &owner).await["id"], winners[0]);
    assert_eq!(auto_added(&app, &globex).await, vec![g]);
}

#[tokio::test]
async fn another_organizations_signatures_are_not_found() {
    let app = spawn_app().await;
    let acme = app.register("owner@acme.test", "Acme").await;
    let globex = app.register("owner@globex.test", "Globex").await;
    let id = create(&app, &acme, "Acme only", true).await;

    assert!(list(&app, &globex).await.is_empty());
    assert_eq!(default_of(&app, &globex).await, json!({}));
    let res = put(
        &app,
        &id,
        &globex,
        json!({"content": "Stolen", "autoAdd": true}),
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
    // Globex marking its own default does not touch Acme's.
    create(&app, &globex, "Globex", true).await;
    let default = default_of(&app, &acme).await;
    assert_eq!(default["id"], id);
    assert_eq!(default["content"], "Acme only");
}

#[tokio::test]
async fn bad_signatures_are_refused_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let cases = [
        (json!({"autoAdd": false}), "content"),
        (json!({"content": "", "autoAdd": false}), "content"),
        (json!({"content": "   ", "autoAdd": false}), "content"),
        (json!({"content": 12, "autoAdd": false}), "content"),
        (
            json!({"content": "x".repeat(20_001), "autoAdd": false}),
            "content",
        ),
        (json!({"content": "a\u{0}b", "autoAdd": false}), "content"),
        (json!({"content": "Hi"}), "autoAdd"),
        (json!({"content": "Hi", "autoAdd": "true"}), "autoAdd"),
        (json!({"content": "Hi", "autoAdd": null}), "autoAdd"),
    ];
    for (body, field) in &cases {
        let res = app.post("/signatures", Some(&owner), body.clone()).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {}", res.text);
        assert_eq!(res.json()["statusCode"], 400);
        assert!(
            res.json()["message"].to_string().contains(field),
            "{body}: {}",
            res.text
        );
    }
    assert_eq!(
        signature::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );

    let id = create(&app, &owner, "Kept", true).await;
    for (body, field) in &cases {
        let res = put(&app, &id, &owner, body.clone()).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {}", res.text);
        assert!(res.json()["message"].to_string().contains(field));
    }
    let default = default_of(&app, &owner).await;
    assert_eq!(default["content"], "Kept");
    assert_eq!(default["autoAdd"], true);
}

#[tokio::test]
async fn members_use_signatures_and_strangers_are_refused() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let user = app.add_member(&owner, "user@example.com", "USER").await;
    let id = create(&app, &user, "From a user", true).await;
    assert_eq!(default_of(&app, &owner).await["id"], id);
    assert_eq!(delete(&app, &id, &user).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/signatures/default", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}
