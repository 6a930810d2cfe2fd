use postiz_entity::user;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{Options, SmtpSink, link_in, spawn_app, spawn_app_with};

async fn user_count(app: &crate::helpers::TestApp) -> u64 {
    user::Entity::find().count(&app.state.db).await.unwrap()
}

#[tokio::test]
async fn register_creates_the_organization_and_its_owner() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/auth/register",
            None,
            json!({"email": "Owner@Example.com", "password": "secret123", "company": "Acme",
                   "provider": "LOCAL", "providerToken": ""}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), json!({"register": true}));
    assert_eq!(res.header("onboarding").as_deref(), Some("true"));
    let cookie = res
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("auth="))
        .expect("auth cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=None", "Path=/"] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing in {cookie}"
        );
    }
    assert!(
        res.header("auth").is_none(),
        "the token travels in a header only when NOT_SECURED"
    );

    let token = res.cookie("auth").unwrap();
    let me = app
        .call_with(
            reqwest::Method::GET,
            "/user/self",
            None,
            None,
            &[("auth", &token)],
        )
        .await;
    assert_eq!(me.status, StatusCode::OK);
    let me = me.json();
    assert_eq!(
        me["email"], "owner@example.com",
        "addresses are stored lower-cased"
    );
    assert_eq!(me["role"], "SUPERADMIN");
    assert_eq!(me["tier"], "ULTIMATE");
    assert_eq!(res.cookie("showorg").as_deref(), me["orgId"].as_str());
    assert_eq!(me["publicApi"].as_str().map(str::len), Some(48));

    let orgs = app
        .call_with(
            reqwest::Method::GET,
            "/user/organizations",
            None,
            None,
            &[("auth", &token)],
        )
        .await
        .json();
    assert_eq!(orgs.as_array().map(Vec::len), Some(1));
    assert_eq!(orgs[0]["name"], "Acme");
    assert_eq!(orgs[0]["users"][0]["role"], "SUPERADMIN");
}

#[tokio::test]
async fn register_and_login_send_headers_in_not_secured_mode() {
    let app = spawn_app_with(Options::not_secured()).await;
    let res = app
        .post(
            "/auth/register",
            None,
            json!({"email": "a@example.com", "password": "secret123", "company": "Acme"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let token = res.header("auth").expect("auth header");
    assert!(res.header("showorg").is_some());
    let cookie = res
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("auth="))
        .unwrap();
    assert!(
        !cookie.contains("HttpOnly"),
        "the dashboard reads the cookie in NOT_SECURED mode"
    );
    assert!(!cookie.contains("Secure"));

    let login = app
        .post(
            "/auth/login",
            None,
            json!({"email": "a@example.com", "password": "secret123", "provider": "LOCAL"}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(login.header("reload").as_deref(), Some("true"));
    assert!(login.header("auth").is_some());
    assert!(login.header("showorg").is_some());
    assert!(!token.is_empty());
}

#[tokio::test]
async fn duplicate_registration_is_refused_as_plain_text_and_writes_nothing() {
    let app = spawn_app().await;
    app.register("dup@example.com", "First").await;
    let before = user_count(&app).await;
    let res = app
        .post(
            "/auth/register",
            None,
            json!({"email": "DUP@example.com", "password": "secret123", "company": "Second"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.text, "Email already exists");
    assert_eq!(user_count(&app).await, before);
}

#[tokio::test]
async fn login_checks_the_password() {
    let app = spawn_app().await;
    let s = app.register("user@example.com", "Acme").await;
    let ok = app
        .post(
            "/auth/login",
            None,
            json!({"email": "user@example.com", "password": s.password, "provider": "LOCAL"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json(), json!({"login": true}));
    assert_eq!(ok.header("reload").as_deref(), Some("true"));
    assert!(ok.cookie("auth").is_some());

    for (email, password) in [
        ("user@example.com", "wrong-password"),
        ("nobody@example.com", "whatever"),
    ] {
        let res = app
            .post(
                "/auth/login",
                None,
                json!({"email": email, "password": password, "provider": "LOCAL"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            res.text, "Invalid user name or password",
            "the dashboard shows this text"
        );
        assert!(res.cookie("auth").is_none());
    }
}

#[tokio::test]
async fn repeated_login_failures_are_throttled() {
    let app = spawn_app().await;
    app.register("victim@example.com", "Acme").await;
    for _ in 0..10 {
        let res = app
            .post(
                "/auth/login",
                None,
                json!({"email": "victim@example.com", "password": "guess-guess"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
    }
    let res = app
        .post(
            "/auth/login",
            None,
            json!({"email": "victim@example.com", "password": "correct-horse-battery"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text);
    assert!(res.header("retry-after").is_some());
}

#[tokio::test]
async fn oauth_login_providers_are_refused_clearly() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/auth/register",
            None,
            json!({"email": "g@example.com", "password": "secret123", "company": "Acme",
                   "provider": "GITHUB", "providerToken": "abc"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text.contains("GITHUB"), "{}", res.text);
    assert_eq!(user_count(&app).await, 0);
}

#[tokio::test]
async fn bcrypt_passwords_imported_from_postiz_work_and_are_upgraded() {
    let app = spawn_app().await;
    app.register("legacy@example.com", "Acme").await;
    let bcrypt_hash = bcrypt_hash_of("old-postiz-password");
    use sea_orm::sea_query::Expr;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(bcrypt_hash))
        .filter(user::Column::Email.eq("legacy@example.com"))
        .exec(&app.state.db)
        .await
        .unwrap();

    app.login("legacy@example.com", "old-postiz-password").await;
    let stored = user::Entity::find()
        .filter(user::Column::Email.eq("legacy@example.com"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .password_hash
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$"),
        "upgraded on login: {stored}"
    );
    app.login("legacy@example.com", "old-postiz-password").await;
}

/// A bcrypt hash as Postiz stores them (cost 10).
fn bcrypt_hash_of(password: &str) -> String {
    bcrypt::hash(password, 10).unwrap()
}

#[tokio::test]
async fn registration_can_be_limited_to_the_first_organization() {
    let app = spawn_app_with(Options::default().with_env("DISABLE_REGISTRATION", "true")).await;
    assert_eq!(
        app.get("/auth/can-register", None).await.json(),
        json!({"register": true})
    );
    app.register("first@example.com", "First").await;
    assert_eq!(
        app.get("/auth/can-register", None).await.json(),
        json!({"register": false})
    );
    let res = app
        .post(
            "/auth/register",
            None,
            json!({"email": "second@example.com", "password": "secret123", "company": "Second"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.text, "Registration is disabled");
}

#[tokio::test]
async fn plus_addresses_can_be_refused() {
    let app = spawn_app_with(Options::default().with_env("DISALLOW_PLUS", "true")).await;
    let res = app
        .post(
            "/auth/register",
            None,
            json!({"email": "a+b@example.com", "password": "secret123", "company": "Acme"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.text, "Email with plus sign is not allowed");
}

#[tokio::test]
async fn with_email_configured_new_accounts_must_be_activated() {
    let (smtp, port) = SmtpSink::start();
    let app = spawn_app_with(Options {
        smtp_port: Some(port),
        ..Options::default()
    })
    .await;
    let res = app
        .post(
            "/auth/register",
            None,
            json!({"email": "new@example.com", "password": "secret123", "company": "Acme"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), json!({"activate": true}));
    assert_eq!(res.header("activate").as_deref(), Some("true"));
    assert!(res.cookie("auth").is_none(), "no session before activation");

    let mail = smtp.wait_for("new@example.com").await;
    assert!(
        mail.data.contains("Subject: Activate your account"),
        "{}",
        mail.data
    );
    assert!(mail.from.contains("postiz@example.com"));
    let link = link_in(&mail, "http://localhost:4200/auth/activate/");
    let code = link.rsplit('/').next().unwrap().to_string();

    let res = app
        .post(
            "/auth/login",
            None,
            json!({"email": "new@example.com", "password": "secret123"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.text, "User is not activated");

    let res = app
        .post("/auth/activate", None, json!({"code": code}))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json(), json!({"can": true}));
    assert_eq!(res.header("onboarding").as_deref(), Some("true"));
    assert!(res.cookie("auth").is_some());

    let again = app
        .post("/auth/activate", None, json!({"code": code}))
        .await;
    assert_eq!(
        again.json(),
        json!({"can": false}),
        "an activation code works once"
    );

    app.login("new@example.com", "secret123").await;
}

#[tokio::test]
async fn activation_can_be_resent() {
    let (smtp, port) = SmtpSink::start();
    let app = spawn_app_with(Options {
        smtp_port: Some(port),
        ..Options::default()
    })
    .await;
    app.post(
        "/auth/register",
        None,
        json!({"email": "slow@example.com", "password": "secret123", "company": "Acme"}),
    )
    .await;
    smtp.wait_for("slow@example.com").await;
    let res = app
        .post(
            "/auth/resend-activation",
            None,
            json!({"email": "slow@example.com"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.json()["success"], true);
    for _ in 0..100 {
        if smtp.count() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(smtp.count(), 2);

    let res = app
        .post(
            "/auth/resend-activation",
            None,
            json!({"email": "unknown@example.com"}),
        )
        .await;
    assert_eq!(res.json()["success"], false);
}

#[tokio::test]
async fn password_reset_by_email_ends_old_sessions() {
    let (smtp, port) = SmtpSink::start();
    let app = spawn_app_with(Options {
        smtp_port: Some(port),
        ..Options::default()
    })
    .await;
    // With e-mail on, activate through the code to get a session.
    app.post(
        "/auth/register",
        None,
        json!({"email": "reset@example.com", "password": "old-password", "company": "Acme"}),
    )
    .await;
    let activation = smtp.wait_for("reset@example.com").await;
    let code = link_in(&activation, "http://localhost:4200/auth/activate/")
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let old_token = app
        .post("/auth/activate", None, json!({"code": code}))
        .await
        .cookie("auth")
        .unwrap();

    let res = app
        .post("/auth/forgot", None, json!({"email": "reset@example.com"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.json(), json!({"forgot": true}));
    let mut reset_link = None;
    for _ in 0..100 {
        reset_link = smtp_link_containing(&smtp, "/auth/forgot/");
        if reset_link.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let reset_link = reset_link.expect("reset link");
    let token = reset_link.rsplit('/').next().unwrap().to_string();

    let mismatch = app
        .post(
            "/auth/forgot-return",
            None,
            json!({"password": "new-password", "repeatPassword": "other", "token": token}),
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::BAD_REQUEST);
    assert!(
        mismatch.text.contains("Passwords do not match"),
        "{}",
        mismatch.text
    );

    let res = app
        .post(
            "/auth/forgot-return",
            None,
            json!({"password": "new-password", "repeatPassword": "new-password", "token": token}),
        )
        .await;
    assert_eq!(res.json(), json!({"reset": true}));

    let old = app
        .call_with(
            reqwest::Method::GET,
            "/user/self",
            None,
            None,
            &[("auth", &old_token)],
        )
        .await;
    assert_eq!(
        old.status,
        StatusCode::UNAUTHORIZED,
        "sessions end when the password changes"
    );
    app.login("reset@example.com", "new-password").await;

    let reuse = app
        .post(
            "/auth/forgot-return",
            None,
            json!({"password": "third-pass", "repeatPassword": "third-pass", "token": token}),
        )
        .await;
    assert_eq!(
        reuse.json(),
        json!({"reset": false}),
        "a reset link works once"
    );
}

fn smtp_link_containing(smtp: &SmtpSink, needle: &str) -> Option<String> {
    smtp.all()
        .into_iter()
        .find(|m| crate::helpers::decoded(m).contains(needle))
        .map(|m| link_in(&m, "http://localhost:4200/auth/forgot/"))
}

#[tokio::test]
async fn forgot_reveals_nothing_about_unknown_addresses() {
    let (smtp, port) = SmtpSink::start();
    let app = spawn_app_with(Options {
        smtp_port: Some(port),
        ..Options::default()
    })
    .await;
    let res = app
        .post("/auth/forgot", None, json!({"email": "ghost@example.com"}))
        .await;
    assert_eq!(res.json(), json!({"forgot": true}));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.count(), 0);
}
