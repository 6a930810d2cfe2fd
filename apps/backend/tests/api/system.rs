use std::collections::HashSet;

use reqwest::{Method, StatusCode};

use crate::helpers::spawn_app;

#[tokio::test]
async fn root_answers_like_postiz() {
    let app = spawn_app().await;
    let res = app.get("/", None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.text, "App is running!");
    assert!(
        res.header("x-request-id").is_some(),
        "every response carries a request id"
    );
}

#[tokio::test]
async fn health_checks_the_database_and_cache() {
    let app = spawn_app().await;
    let res = app.get("/health", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let body = res.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    let expected_cache = if std::env::var("TEST_REDIS_URL").is_ok_and(|v| !v.is_empty()) {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(body["cache"], expected_cache);
}

#[tokio::test]
async fn health_reports_a_dead_database() {
    let app = spawn_app().await;
    app.state.db.clone().close().await.ok();
    let res = app.get("/health", None).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.text);
    assert_eq!(res.json()["database"], "unreachable");
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let app = spawn_app().await;
    let _ = app.get("/", None).await;
    let res = app.get("/metrics", None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.text.contains("http_requests_total"), "{}", res.text);
    assert!(res.text.contains("route=\"/\""), "{}", res.text);
}

#[tokio::test]
async fn swagger_ui_is_served_and_unknown_files_are_404() {
    let app = spawn_app().await;
    let res = app.get("/docs/index.html", None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.text.contains("swagger"),
        "{}",
        &res.text[..res.text.len().min(200)]
    );
    let res = app.get("/docs/../../etc/passwd", None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app.get("/docs/nope.js", None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // The server is still healthy after the refused paths.
    assert_eq!(app.get("/", None).await.status, StatusCode::OK);
}

/// The v3 spec parses as OpenAPI 3, every reference resolves, and every route of the API is
/// documented with at least one response.
#[tokio::test]
async fn openapi_spec_is_valid_and_complete() {
    let app = spawn_app().await;
    let res = app.get("/docs/openapi.json", None).await;
    assert_eq!(res.status, StatusCode::OK);
    let spec: openapiv3::OpenAPI = serde_json::from_str(&res.text).expect("the spec is OpenAPI 3");
    assert!(spec.openapi.starts_with("3."));

    let value = res.json();
    let mut refs = HashSet::new();
    collect_refs(&value, &mut refs);
    for r in refs {
        let pointer = r.trim_start_matches('#');
        assert!(value.pointer(pointer).is_some(), "unresolved reference {r}");
    }

    for (path, item) in spec.paths.paths.iter() {
        let item = item.as_item().expect("inline path item");
        for (method, op) in item.iter() {
            assert!(
                !op.responses.responses.is_empty() || op.responses.default.is_some(),
                "{method} {path} documents no response"
            );
        }
    }

    for (method, path) in [
        ("get", "/auth/can-register"),
        ("post", "/auth/register"),
        ("post", "/auth/login"),
        ("post", "/auth/forgot"),
        ("post", "/auth/forgot-return"),
        ("post", "/auth/activate"),
        ("post", "/auth/resend-activation"),
        ("get", "/user/self"),
        ("get", "/user/personal"),
        ("post", "/user/personal"),
        ("get", "/user/organizations"),
        ("post", "/user/change-org"),
        ("post", "/user/logout"),
        ("post", "/user/api-key/rotate"),
        ("get", "/user/email-notifications"),
        ("post", "/user/email-notifications"),
        ("post", "/user/join-org"),
        ("get", "/settings/team"),
        ("post", "/settings/team"),
        ("delete", "/settings/team/{id}"),
        ("get", "/"),
        ("get", "/health"),
        ("get", "/metrics"),
    ] {
        let item = spec
            .paths
            .paths
            .get(path)
            .and_then(|i| i.as_item())
            .unwrap_or_else(|| panic!("{path} is not documented"));
        let op = match method {
            "get" => item.get.as_ref(),
            "post" => item.post.as_ref(),
            "delete" => item.delete.as_ref(),
            _ => None,
        };
        assert!(op.is_some(), "{method} {path} is not documented");
    }

    // Authenticated routes declare the session scheme.
    let self_op = spec.paths.paths["/user/self"]
        .as_item()
        .unwrap()
        .get
        .as_ref()
        .unwrap();
    assert!(self_op.security.as_ref().is_some_and(|s| !s.is_empty()));
}

fn collect_refs(value: &serde_json::Value, out: &mut HashSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref"
                    && let Some(s) = v.as_str()
                {
                    out.insert(s.to_string());
                }
                collect_refs(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn cors_allows_the_dashboard_with_credentials_and_exposes_its_headers() {
    let app = spawn_app().await;
    let res = app
        .call_with(
            Method::OPTIONS,
            "/auth/login",
            None,
            None,
            &[
                ("origin", "http://localhost:4200"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "content-type,auth,showorg",
                ),
            ],
        )
        .await;
    assert!(res.status.is_success(), "{:?}", res);
    assert_eq!(
        res.header("access-control-allow-origin").as_deref(),
        Some("http://localhost:4200")
    );
    assert_eq!(
        res.header("access-control-allow-credentials").as_deref(),
        Some("true")
    );
    let allowed = res
        .header("access-control-allow-headers")
        .unwrap_or_default();
    for h in ["auth", "showorg", "content-type"] {
        assert!(allowed.contains(h), "{h} not allowed: {allowed}");
    }

    let res = app
        .call_with(
            Method::GET,
            "/",
            None,
            None,
            &[("origin", "http://localhost:4200")],
        )
        .await;
    let exposed = res
        .header("access-control-expose-headers")
        .unwrap_or_default();
    for h in ["reload", "onboarding", "activate"] {
        assert!(exposed.contains(h), "{h} not exposed: {exposed}");
    }
    assert!(
        !exposed.contains("showorg"),
        "showorg is exposed only in NOT_SECURED mode"
    );

    let res = app
        .call_with(
            Method::GET,
            "/",
            None,
            None,
            &[("origin", "https://evil.example")],
        )
        .await;
    assert!(res.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn not_secured_mode_exposes_session_headers() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Options::not_secured()).await;
    let res = app
        .call_with(
            Method::GET,
            "/",
            None,
            None,
            &[("origin", "http://localhost:4200")],
        )
        .await;
    let exposed = res
        .header("access-control-expose-headers")
        .unwrap_or_default();
    for h in ["auth", "showorg", "impersonate", "reload"] {
        assert!(exposed.contains(h), "{h} not exposed: {exposed}");
    }
}
