use postiz_entity::{organization, user};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

async fn rows(app: &TestApp) -> (u64, u64) {
    (
        user::Entity::find().count(&app.state.db).await.unwrap(),
        organization::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn bad_registrations_are_refused_with_the_field_named_and_write_nothing() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"email": 5, "password": "secret123", "company": "Acme"}),
            "email",
        ),
        (
            json!({"email": "a@example.com", "password": "secret123"}),
            "company",
        ),
        (
            json!({"email": "not-an-email", "password": "secret123", "company": "Acme"}),
            "email",
        ),
        (
            json!({"email": "a@example.com", "password": "x", "company": "Acme"}),
            "password",
        ),
        (
            json!({"email": "a@example.com", "password": "secret123", "company": "A".repeat(200)}),
            "company",
        ),
        (
            json!({"email": "a@example.com", "password": "p".repeat(65), "company": "Acme"}),
            "password",
        ),
        (
            json!({"email": "a@example.com", "password": ["secret"], "company": "Acme"}),
            "password",
        ),
        (json!(["not", "an", "object"]), ""),
    ];
    for (body, field) in cases {
        let res = app.post("/auth/register", None, body.clone()).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {}", res.text);
        let json = res.json();
        assert_eq!(json["statusCode"], 400);
        assert!(
            json["message"].to_string().contains(field),
            "{body}: {}",
            res.text
        );
    }
    assert_eq!(rows(&app).await, (0, 0));
}

#[tokio::test]
async fn malformed_and_non_json_bodies_are_refused() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/auth/register"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let res = app
        .client
        .post(app.url("/auth/register"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=a@example.com&password=secret123&company=Acme")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(rows(&app).await, (0, 0));
}

#[tokio::test]
async fn huge_bodies_are_refused_without_being_read_whole() {
    let app = spawn_app().await;
    let company = "A".repeat(3 * 1024 * 1024);
    let res = app
        .post(
            "/auth/register",
            None,
            json!({"email": "a@example.com", "password": "secret123", "company": company}),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        &res.text[..res.text.len().min(200)]
    );
    assert_eq!(rows(&app).await, (0, 0));
}

#[tokio::test]
async fn wrong_types_on_authenticated_routes_change_nothing() {
    let app = spawn_app().await;
    let s = app.register("me@example.com", "Acme").await;
    let res = app
        .post(
            "/user/email-notifications",
            Some(&s),
            json!({"sendSuccessEmails": "no", "sendFailureEmails": true, "sendStreakEmails": true}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text.contains("sendSuccessEmails"), "{}", res.text);
    let prefs = app.get("/user/email-notifications", Some(&s)).await.json();
    assert_eq!(prefs["sendSuccessEmails"], true);
}
