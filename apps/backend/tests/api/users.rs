use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn self_has_the_fields_the_dashboard_reads() {
    let app = spawn_app().await;
    let s = app.register("me@example.com", "Acme").await;
    let me = app.get("/user/self", Some(&s)).await;
    assert_eq!(me.status, StatusCode::OK);
    let me = me.json();
    for field in [
        "id",
        "email",
        "name",
        "orgId",
        "tier",
        "role",
        "admin",
        "totalChannels",
        "isLifetime",
        "impersonate",
        "allowTrial",
        "isTrailing",
        "streakSince",
        "publicApi",
    ] {
        assert!(me.get(field).is_some(), "missing {field}: {me}");
    }
    assert_eq!(me["orgId"], s.org_id);
    assert_eq!(me["totalChannels"], 10000);
    assert_eq!(me["admin"], false);
    assert!(me.get("password").is_none() && me.get("passwordHash").is_none());
}

#[tokio::test]
async fn personal_details_round_trip() {
    let app = spawn_app().await;
    let s = app.register("me@example.com", "Acme").await;
    let res = app
        .post(
            "/user/personal",
            Some(&s),
            json!({"fullname": "Ada Lovelace", "bio": "Analyst", "picture": {"id": "p1", "path": "https://cdn.example.com/a.png"}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let p = app.get("/user/personal", Some(&s)).await.json();
    assert_eq!(p["name"], "Ada Lovelace");
    assert_eq!(p["bio"], "Analyst");
    assert_eq!(p["picture"]["path"], "https://cdn.example.com/a.png");

    let res = app
        .post("/user/personal", Some(&s), json!({"fullname": "x"}))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text.contains("fullname"), "{}", res.text);
    assert_eq!(
        app.get("/user/personal", Some(&s)).await.json()["name"],
        "Ada Lovelace"
    );
}

#[tokio::test]
async fn email_preferences_round_trip() {
    let app = spawn_app().await;
    let s = app.register("me@example.com", "Acme").await;
    let prefs = app.get("/user/email-notifications", Some(&s)).await.json();
    assert_eq!(
        prefs,
        json!({"sendSuccessEmails": true, "sendFailureEmails": true, "sendStreakEmails": true})
    );
    let res = app
        .post(
            "/user/email-notifications",
            Some(&s),
            json!({"sendSuccessEmails": false, "sendFailureEmails": true, "sendStreakEmails": false}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let prefs = app.get("/user/email-notifications", Some(&s)).await.json();
    assert_eq!(prefs["sendSuccessEmails"], false);
    assert_eq!(prefs["sendStreakEmails"], false);
}

#[tokio::test]
async fn organizations_is_always_an_array_and_showorg_switches() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let member = app.add_member(&owner, "member@example.com", "USER").await;

    let orgs = app.get("/user/organizations", Some(&member)).await.json();
    let orgs = orgs.as_array().expect("array");
    assert_eq!(orgs.len(), 2, "own organization and the joined one");

    // Without showorg the first membership (the user's own) is used.
    let res = app
        .call_with(
            Method::GET,
            "/user/self",
            None,
            None,
            &[("auth", &member.token)],
        )
        .await;
    assert_ne!(res.json()["orgId"], owner.org_id);
    // With showorg the joined organization is used, with the member's role there.
    let me = app.get("/user/self", Some(&member)).await.json();
    assert_eq!(me["orgId"], owner.org_id);
    assert_eq!(me["role"], "USER");
    assert_eq!(me["publicApi"], "", "USER does not see the API key");

    let res = app
        .post(
            "/user/change-org",
            Some(&member),
            json!({"id": owner.org_id}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.cookie("showorg").as_deref(),
        Some(owner.org_id.as_str())
    );
}

#[tokio::test]
async fn change_org_refuses_organizations_of_others() {
    let app = spawn_app().await;
    let a = app.register("a@example.com", "Org A").await;
    let b = app.register("b@example.com", "Org B").await;
    let res = app
        .post("/user/change-org", Some(&a), json!({"id": b.org_id}))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.cookie("showorg").is_none());
    // A showorg header naming someone else's organization is ignored.
    let res = app
        .call_with(
            Method::GET,
            "/user/self",
            None,
            None,
            &[("auth", &a.token), ("showorg", &b.org_id)],
        )
        .await;
    assert_eq!(res.json()["orgId"], a.org_id);
}

#[tokio::test]
async fn logout_clears_the_session_cookies() {
    let app = spawn_app().await;
    let s = app.register("me@example.com", "Acme").await;
    let res = app.post("/user/logout", Some(&s), json!({})).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("logout").as_deref(), Some("true"));
    for name in ["auth", "showorg", "impersonate"] {
        let c = res
            .cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} not cleared"));
        assert!(c.contains("Max-Age=0"), "{c}");
    }
}

#[tokio::test]
async fn api_key_rotation_replaces_the_key() {
    let app = spawn_app().await;
    let s = app.register("me@example.com", "Acme").await;
    let old = app.get("/user/self", Some(&s)).await.json()["publicApi"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        app.state
            .auth
            .organizations
            .by_api_key(&old)
            .await
            .unwrap()
            .is_some()
    );

    let res = app.post("/user/api-key/rotate", Some(&s), json!({})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let new = res.json()["apiKey"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(
        app.get("/user/self", Some(&s)).await.json()["publicApi"],
        new
    );
    assert!(
        app.state
            .auth
            .organizations
            .by_api_key(&old)
            .await
            .unwrap()
            .is_none()
    );
    let org = app
        .state
        .auth
        .organizations
        .by_api_key(&new)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(org.id, s.org_id);
    // The key is not stored in clear.
    assert!(org.api_key_hash.as_deref() != Some(new.as_str()));
    assert!(!org.api_key_sealed.unwrap_or_default().contains(&new));
}

#[tokio::test]
async fn join_org_refuses_garbage() {
    let app = spawn_app().await;
    let s = app.register("me@example.com", "Acme").await;
    let res = app
        .post("/user/join-org", Some(&s), json!({"org": "not-a-token"}))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get("/user/organizations", Some(&s))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
