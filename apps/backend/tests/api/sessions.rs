use chrono::{Duration, Utc};
use jsonwebtoken::{EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::spawn_app;

const SECRET: &str = "test-secret-0123456789-abcdefghijklmnop";

fn token(secret: &str, user_id: &str, iat: i64, exp: i64) -> String {
    encode(
        &Header::default(),
        &json!({"id": user_id, "iat": iat, "exp": exp, "typ": "session"}),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn self_with(app: &crate::helpers::TestApp, token: &str) -> crate::helpers::Res {
    app.call_with(Method::GET, "/user/self", None, None, &[("auth", token)])
        .await
}

#[tokio::test]
async fn missing_tokens_get_401_with_logout() {
    let app = spawn_app().await;
    let res = app.get("/user/self", None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.header("logout").as_deref(), Some("true"));
    let cleared = res
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("auth="))
        .expect("auth cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(res.json()["statusCode"], 401);
}

#[tokio::test]
async fn forged_expired_and_orphan_tokens_are_refused() {
    let app = spawn_app().await;
    let s = app.register("me@example.com", "Acme").await;
    let user_id = app.get("/user/self", Some(&s)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let now = Utc::now().timestamp();

    let forged = token("some-other-secret-0123456789", &user_id, now, now + 3600);
    assert_eq!(
        self_with(&app, &forged).await.status,
        StatusCode::UNAUTHORIZED
    );

    let expired = token(SECRET, &user_id, now - 7200, now - 3600);
    let res = self_with(&app, &expired).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.header("logout").as_deref(), Some("true"));

    let orphan = token(
        SECRET,
        "00000000-0000-7000-8000-000000000000",
        now,
        now + 3600,
    );
    assert_eq!(
        self_with(&app, &orphan).await.status,
        StatusCode::UNAUTHORIZED
    );

    let tampered = format!("{}x", s.token);
    assert_eq!(
        self_with(&app, &tampered).await.status,
        StatusCode::UNAUTHORIZED
    );

    let garbage = self_with(&app, "not a token").await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);

    // A token signed with the right secret but not a session (an invitation) is refused too.
    let invite = app
        .post(
            "/settings/team",
            Some(&s),
            json!({"role": "USER", "sendEmail": false}),
        )
        .await
        .json()["url"]
        .as_str()
        .unwrap()
        .split("org=")
        .nth(1)
        .unwrap()
        .to_string();
    assert_eq!(
        self_with(&app, &invite).await.status,
        StatusCode::UNAUTHORIZED
    );

    let good = token(SECRET, &user_id, now, now + 3600);
    assert_eq!(self_with(&app, &good).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_cookie_works_as_well_as_the_header() {
    let app = spawn_app().await;
    let s = app.register("me@example.com", "Acme").await;
    let res = app
        .call_with(
            Method::GET,
            "/user/self",
            None,
            None,
            &[("cookie", &format!("auth={}", s.token))],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

#[tokio::test]
async fn active_sessions_are_renewed() {
    let app = spawn_app().await;
    let s = app.register("me@example.com", "Acme").await;
    let user_id = app.get("/user/self", Some(&s)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let issued = Utc::now() - Duration::hours(30);
    let old = token(
        SECRET,
        &user_id,
        issued.timestamp(),
        (issued + Duration::hours(168)).timestamp(),
    );
    let res = self_with(&app, &old).await;
    assert_eq!(res.status, StatusCode::OK);
    let renewed = res.cookie("auth").expect("a renewed session cookie");
    assert_ne!(renewed, old);
    assert_eq!(self_with(&app, &renewed).await.status, StatusCode::OK);

    // A fresh session is not renewed on every request.
    let res = self_with(&app, &s.token).await;
    assert!(res.cookie("auth").is_none());
}
