use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Options, SmtpSink, link_in, spawn_app, spawn_app_with};

fn roles(team: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = team["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user"]["email"].as_str().unwrap().to_string(),
                m["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn an_invited_teammate_joins_as_user_and_is_refused_on_admin_routes() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let user = app.add_member(&owner, "user@example.com", "USER").await;

    let team = app.get("/settings/team", Some(&owner)).await;
    assert_eq!(team.status, StatusCode::OK);
    assert_eq!(
        roles(&team.json()),
        vec![
            ("owner@example.com".into(), "SUPERADMIN".into()),
            ("user@example.com".into(), "USER".into())
        ]
    );

    // The role matrix for a USER.
    assert_eq!(
        app.get("/settings/team", Some(&user)).await.status,
        StatusCode::FORBIDDEN
    );
    let invite = app
        .post(
            "/settings/team",
            Some(&user),
            json!({"email": "x@example.com", "role": "ADMIN", "sendEmail": false}),
        )
        .await;
    assert_eq!(invite.status, StatusCode::FORBIDDEN);
    let invite = app
        .post(
            "/settings/team",
            Some(&user),
            json!({"email": "x@example.com", "role": "USER", "sendEmail": false}),
        )
        .await;
    assert_eq!(invite.status, StatusCode::FORBIDDEN);
    let rotate = app
        .post("/user/api-key/rotate", Some(&user), json!({}))
        .await;
    assert_eq!(rotate.status, StatusCode::FORBIDDEN);
    let me = app.get("/user/self", Some(&owner)).await.json();
    let owner_id = me["id"].as_str().unwrap().to_string();
    let remove = app
        .call(
            Method::DELETE,
            &format!("/settings/team/{owner_id}"),
            Some(&user),
            None,
        )
        .await;
    assert_eq!(remove.status, StatusCode::FORBIDDEN);
    assert_eq!(
        roles(&app.get("/settings/team", Some(&owner)).await.json()).len(),
        2
    );
}

#[tokio::test]
async fn admins_manage_the_team_but_not_their_owner() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let admin = app.add_member(&owner, "admin@example.com", "ADMIN").await;
    let user = app.add_member(&admin, "user@example.com", "USER").await;
    let second_admin = app.add_member(&admin, "admin2@example.com", "ADMIN").await;

    let owner_id = app.get("/user/self", Some(&owner)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let user_id = app.get("/user/self", Some(&user)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let admin2_id = app.get("/user/self", Some(&second_admin)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let admin_id = app.get("/user/self", Some(&admin)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let res = app
        .call(
            Method::DELETE,
            &format!("/settings/team/{owner_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "an ADMIN cannot remove the owner"
    );
    let res = app
        .call(
            Method::DELETE,
            &format!("/settings/team/{admin_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "nobody removes themselves"
    );
    let res = app
        .call(
            Method::DELETE,
            &format!("/settings/team/{user_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app
        .call(
            Method::DELETE,
            &format!("/settings/team/{admin2_id}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);

    assert_eq!(
        roles(&app.get("/settings/team", Some(&owner)).await.json()),
        vec![
            ("admin@example.com".into(), "ADMIN".into()),
            ("owner@example.com".into(), "SUPERADMIN".into())
        ]
    );
    // The removed user falls back to their own organization.
    let me = app.get("/user/self", Some(&user)).await.json();
    assert_ne!(me["orgId"], owner.org_id);
    assert_eq!(
        app.get("/settings/team", Some(&user)).await.json()["users"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn invitations_are_single_use_and_bound_to_their_address() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let invite = app
        .post(
            "/settings/team",
            Some(&owner),
            json!({"email": "bob@example.com", "role": "USER", "sendEmail": false}),
        )
        .await;
    let url = invite.json()["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://localhost:4200/?org="), "{url}");
    let token = url.split("org=").nth(1).unwrap().to_string();

    let eve = app.register("eve@example.com", "Eve").await;
    let res = app
        .post("/user/join-org", Some(&eve), json!({"org": token}))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);

    let bob = app.register("bob@example.com", "Bob").await;
    let res = app
        .post("/user/join-org", Some(&bob), json!({"org": token}))
        .await;
    assert_eq!(res.json()["id"], owner.org_id);
    let carol = app.register("carol@example.com", "Carol").await;
    let res = app
        .post("/user/join-org", Some(&carol), json!({"org": token}))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        roles(&app.get("/settings/team", Some(&owner)).await.json()).len(),
        2
    );
}

#[tokio::test]
async fn expired_invitations_are_refused() {
    let app =
        spawn_app_with(Options::default().with_env("POSTIZ__AUTH__INVITATION_TTL_HOURS", "0"))
            .await;
    let owner = app.register("owner@example.com", "Acme").await;
    let url = app
        .post(
            "/settings/team",
            Some(&owner),
            json!({"role": "USER", "sendEmail": false}),
        )
        .await
        .json()["url"]
        .as_str()
        .unwrap()
        .to_string();
    let token = url.split("org=").nth(1).unwrap().to_string();
    let late = app.register("late@example.com", "Late").await;
    let res = app
        .post("/user/join-org", Some(&late), json!({"org": token}))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.text.contains("expired"), "{}", res.text);
}

#[tokio::test]
async fn an_invitation_cookie_joins_at_registration() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let url = app
        .post(
            "/settings/team",
            Some(&owner),
            json!({"email": "new@example.com", "role": "ADMIN", "sendEmail": false}),
        )
        .await
        .json()["url"]
        .as_str()
        .unwrap()
        .to_string();
    let token = url.split("org=").nth(1).unwrap().to_string();
    let res = app
        .call_with(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"email": "new@example.com", "password": "secret123", "company": "Mine"})),
            &[("cookie", &format!("org={token}"))],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        res.cookie("showorg").as_deref(),
        Some(owner.org_id.as_str())
    );
    assert!(
        roles(&app.get("/settings/team", Some(&owner)).await.json())
            .contains(&("new@example.com".into(), "ADMIN".into()))
    );
}

#[tokio::test]
async fn invitations_are_emailed_when_asked() {
    let (smtp, port) = SmtpSink::start();
    let app = spawn_app_with(Options {
        smtp_port: Some(port),
        ..Options::default()
    })
    .await;
    // With e-mail on, the owner activates first.
    app.post(
        "/auth/register",
        None,
        json!({"email": "owner@example.com", "password": "secret123", "company": "Acme"}),
    )
    .await;
    let code = link_in(
        &smtp.wait_for("owner@example.com").await,
        "http://localhost:4200/auth/activate/",
    )
    .rsplit('/')
    .next()
    .unwrap()
    .to_string();
    let token = app
        .post("/auth/activate", None, json!({"code": code}))
        .await
        .cookie("auth")
        .unwrap();
    let org_id = app
        .call_with(Method::GET, "/user/self", None, None, &[("auth", &token)])
        .await
        .json()["orgId"]
        .as_str()
        .unwrap()
        .to_string();

    let res = app
        .call_with(
            Method::POST,
            "/settings/team",
            None,
            Some(json!({"email": "Friend@Example.com", "role": "USER", "sendEmail": true})),
            &[("auth", &token), ("showorg", &org_id)],
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let url = res.json()["url"].as_str().unwrap().to_string();
    let mail = smtp.wait_for("friend@example.com").await;
    assert!(mail.data.contains("invited you to join"), "{}", mail.data);
    assert_eq!(link_in(&mail, "http://localhost:4200/?org="), url);
}

#[tokio::test]
async fn invalid_invitations_are_refused_and_write_nothing() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    for body in [
        json!({"email": "x@example.com", "role": "SUPERADMIN", "sendEmail": false}),
        json!({"email": "x@example.com", "role": "GOD", "sendEmail": false}),
        json!({"email": "not-an-email", "role": "USER", "sendEmail": true}),
        json!({"role": "USER", "sendEmail": true}),
        json!({"email": "x@example.com", "role": "USER"}),
    ] {
        let res = app.post("/settings/team", Some(&owner), body.clone()).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {}", res.text);
    }
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        postiz_entity::invitation::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn one_organization_cannot_touch_another() {
    let app = spawn_app().await;
    let a = app.register("a@example.com", "Org A").await;
    let b = app.register("b@example.com", "Org B").await;
    let b_member = app.add_member(&b, "bm@example.com", "USER").await;
    let b_member_id = app.get("/user/self", Some(&b_member)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A's owner tries to remove B's member: not in A's organization.
    let res = app
        .call(
            Method::DELETE,
            &format!("/settings/team/{b_member_id}"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // Naming B's organization in showorg does not help.
    let res = app
        .call_with(
            Method::DELETE,
            &format!("/settings/team/{b_member_id}"),
            None,
            None,
            &[("auth", &a.token), ("showorg", &b.org_id)],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let team_seen_by_a = app
        .call_with(
            Method::GET,
            "/settings/team",
            None,
            None,
            &[("auth", &a.token), ("showorg", &b.org_id)],
        )
        .await
        .json();
    assert_eq!(
        roles(&team_seen_by_a),
        vec![("a@example.com".into(), "SUPERADMIN".into())]
    );
    assert_eq!(
        roles(&app.get("/settings/team", Some(&b)).await.json()).len(),
        2
    );
}
