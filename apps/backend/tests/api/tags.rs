//! `/posts/tags`: shapes as the dashboard reads them, organization scoping, validation.

use postiz_entity::tag;
use reqwest::{Method, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::helpers::{Res, Session, TestApp, spawn_app};

async fn put(app: &TestApp, path: &str, s: &Session, body: Value) -> Res {
    app.call(Method::PUT, path, Some(s), Some(body)).await
}

async fn delete(app: &TestApp, path: &str, s: &Session) -> Res {
    app.call(Method::DELETE, path, Some(s), None).await
}

async fn create(app: &TestApp, s: &Session, name: &str, color: &str) -> Value {
    let res = app
        .post(
            "/posts/tags",
            Some(s),
            json!({"name": name, "color": color}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.json()
}

fn names(list: &Value) -> Vec<String> {
    list["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect()
}

/// A tag row as Postiz answers it.
fn assert_tag_shape(t: &Value, org_id: &str) {
    let keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
    let mut keys = keys;
    keys.sort();
    assert_eq!(
        keys,
        vec![
            "color",
            "createdAt",
            "deletedAt",
            "id",
            "name",
            "orgId",
            "updatedAt"
        ],
        "{t}"
    );
    assert_eq!(t["orgId"], org_id);
    assert!(t["createdAt"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn tags_are_listed_created_edited_and_deleted_in_postiz_shapes() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;

    let empty = app.get("/posts/tags", Some(&owner)).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.json(), json!({"tags": []}));

    let news = create(&app, &owner, "News", "#942828").await;
    assert_tag_shape(&news, &owner.org_id);
    assert_eq!(news["name"], "News");
    assert_eq!(news["color"], "#942828");
    assert_eq!(news["deletedAt"], Value::Null);
    create(&app, &owner, "  Launch  ", "#00ff00").await;

    let list = app.get("/posts/tags", Some(&owner)).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    assert_eq!(
        names(&list),
        vec!["News", "Launch"],
        "oldest first, trimmed"
    );
    assert_tag_shape(&list["tags"][0], &owner.org_id);
    assert_eq!(list["tags"][0]["id"], news["id"]);

    let id = news["id"].as_str().unwrap();
    let edited = put(
        &app,
        &format!("/posts/tags/{id}"),
        &owner,
        json!({"name": "Breaking", "color": "#000000"}),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    let edited = edited.json();
    assert_tag_shape(&edited, &owner.org_id);
    assert_eq!(edited["id"], news["id"]);
    assert_eq!(edited["name"], "Breaking");
    assert_eq!(edited["color"], "#000000");
    assert_eq!(edited["createdAt"], news["createdAt"]);
    // Keeping its own name is not a conflict.
    let same = put(
        &app,
        &format!("/posts/tags/{id}"),
        &owner,
        json!({"name": "Breaking", "color": "#111111"}),
    )
    .await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.text);

    let deleted = delete(&app, &format!("/posts/tags/{id}"), &owner).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    let deleted = deleted.json();
    assert_tag_shape(&deleted, &owner.org_id);
    assert!(deleted["deletedAt"].is_string(), "{deleted}");
    assert_eq!(
        names(&app.get("/posts/tags", Some(&owner)).await.json()),
        vec!["Launch"]
    );
    // Soft delete: the row stays.
    assert_eq!(tag::Entity::find().count(&app.state.db).await.unwrap(), 2);

    // A deleted tag is gone for every route, and its name is free again.
    assert_eq!(
        delete(&app, &format!("/posts/tags/{id}"), &owner)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        put(
            &app,
            &format!("/posts/tags/{id}"),
            &owner,
            json!({"name": "Again", "color": "#000000"})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    create(&app, &owner, "Breaking", "#942828").await;
}

#[tokio::test]
async fn another_organizations_tags_are_not_found() {
    let app = spawn_app().await;
    let acme = app.register("owner@acme.test", "Acme").await;
    let globex = app.register("owner@globex.test", "Globex").await;
    let tag = create(&app, &acme, "News", "#942828").await;
    let id = tag["id"].as_str().unwrap();

    assert_eq!(
        app.get("/posts/tags", Some(&globex)).await.json(),
        json!({"tags": []})
    );
    let res = put(
        &app,
        &format!("/posts/tags/{id}"),
        &globex,
        json!({"name": "Mine", "color": "#000000"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    assert_eq!(res.json()["statusCode"], 404);
    let res = delete(&app, &format!("/posts/tags/{id}"), &globex).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    for bad in ["not-an-id", "00000000-0000-0000-0000-000000000000"] {
        let res = delete(&app, &format!("/posts/tags/{bad}"), &acme).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{bad}");
    }

    // Untouched, and a name used elsewhere is free in this organization.
    let list = app.get("/posts/tags", Some(&acme)).await.json();
    assert_eq!(list["tags"][0], tag);
    create(&app, &globex, "News", "#942828").await;
}

#[tokio::test]
async fn bad_tags_are_refused_naming_the_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let cases = [
        (json!({"color": "#942828"}), "name"),
        (json!({"name": 5, "color": "#942828"}), "name"),
        (json!({"name": "   ", "color": "#942828"}), "name"),
        (json!({"name": "n".repeat(256), "color": "#942828"}), "name"),
        (json!({"name": "a\u{0}b", "color": "#942828"}), "name"),
        (json!({"name": "News"}), "color"),
        (json!({"name": "News", "color": ""}), "color"),
        (json!({"name": "News", "color": "c".repeat(33)}), "color"),
        (json!({"name": "News", "color": ["#942828"]}), "color"),
        (json!(["News"]), ""),
    ];
    for (body, field) in &cases {
        let res = app.post("/posts/tags", Some(&owner), body.clone()).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {}", res.text);
        assert_eq!(res.json()["statusCode"], 400);
        assert!(
            res.json()["message"].to_string().contains(field),
            "{body}: {}",
            res.text
        );
    }
    assert_eq!(tag::Entity::find().count(&app.state.db).await.unwrap(), 0);

    let tag = create(&app, &owner, "News", "#942828").await;
    let id = tag["id"].as_str().unwrap();
    for (body, field) in &cases {
        let res = put(&app, &format!("/posts/tags/{id}"), &owner, body.clone()).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {}", res.text);
        assert!(res.json()["message"].to_string().contains(field));
    }
    let list = app.get("/posts/tags", Some(&owner)).await.json();
    assert_eq!(list["tags"][0], tag, "nothing was changed");
}

#[tokio::test]
async fn tag_names_are_unique_in_an_organization() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    create(&app, &owner, "News", "#942828").await;
    let launch = create(&app, &owner, "Launch", "#942828").await;

    let res = app
        .post(
            "/posts/tags",
            Some(&owner),
            json!({"name": " News ", "color": "#000000"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    assert!(res.json()["message"].as_str().unwrap().contains("name"));

    let res = put(
        &app,
        &format!("/posts/tags/{}", launch["id"].as_str().unwrap()),
        &owner,
        json!({"name": "News", "color": "#000000"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    assert_eq!(
        names(&app.get("/posts/tags", Some(&owner)).await.json()),
        vec!["News", "Launch"]
    );
    // Names are case-sensitive, as Postiz matches them at save.
    create(&app, &owner, "news", "#942828").await;
}

#[tokio::test]
async fn every_member_reads_and_writes_tags_and_strangers_are_refused() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let user = app.add_member(&owner, "user@example.com", "USER").await;

    let created = create(&app, &user, "From a user", "#942828").await;
    assert_eq!(created["orgId"], owner.org_id);
    assert_eq!(
        names(&app.get("/posts/tags", Some(&owner)).await.json()),
        vec!["From a user"]
    );
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        delete(&app, &format!("/posts/tags/{id}"), &user)
            .await
            .status,
        StatusCode::OK
    );

    assert_eq!(
        app.get("/posts/tags", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .post("/posts/tags", None, json!({"name": "x", "color": "#000"}))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

/// Every route of tags, sets and signatures is in the OpenAPI document.
#[tokio::test]
async fn content_routes_are_documented() {
    let app = spawn_app().await;
    let spec = app.get("/docs/openapi.json", None).await.json();
    for (method, path) in [
        ("get", "/posts/tags"),
        ("post", "/posts/tags"),
        ("put", "/posts/tags/{id}"),
        ("delete", "/posts/tags/{id}"),
        ("get", "/sets"),
        ("post", "/sets"),
        ("put", "/sets"),
        ("delete", "/sets/{id}"),
        ("get", "/signatures"),
        ("get", "/signatures/default"),
        ("post", "/signatures"),
        ("put", "/signatures/{id}"),
        ("delete", "/signatures/{id}"),
    ] {
        let op = &spec["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} documents no response"
        );
        assert!(
            op["security"].as_array().is_some_and(|s| !s.is_empty()),
            "{method} {path} declares no session"
        );
    }
}
