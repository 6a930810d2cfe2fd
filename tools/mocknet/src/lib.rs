//! A local stand-in for a Mastodon server, fast enough for load tests: OAuth token exchange,
//! account lookup (one account per token, so many channels can be connected), and status
//! creation that records every request with its arrival time and idempotency key.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::json;

/// One status received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: SystemTime,
    /// The `Idempotency-Key` header: the publisher's key of the post item.
    pub key: String,
    pub account: String,
    pub status: String,
}

#[derive(Default)]
struct State {
    next_id: AtomicU64,
    received: Mutex<Vec<Received>>,
    /// Artificial latency of a status creation.
    latency: Mutex<Duration>,
}

/// The running server.
pub struct MockNetwork {
    pub url: String,
    state: Arc<State>,
    handle: ServerHandle,
}

impl MockNetwork {
    /// Starts on a free loopback port with `workers` threads.
    pub fn start(workers: usize) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let state = Arc::new(State::default());
        let shared = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .app_data(web::FormConfig::default().limit(1 << 20))
                .route("/oauth/token", web::post().to(token))
                .route(
                    "/api/v1/accounts/verify_credentials",
                    web::get().to(account),
                )
                .route("/api/v1/statuses", web::post().to(status))
        })
        .workers(workers.max(1))
        .listen(listener)?
        .disable_signals()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self { url, state, handle })
    }

    pub fn set_latency(&self, latency: Duration) {
        if let Ok(mut l) = self.state.latency.lock() {
            *l = latency;
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    pub fn count(&self) -> usize {
        self.state.received.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// Idempotency keys received more than once: posts published twice.
    pub fn duplicates(&self) -> Vec<String> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for r in self.received() {
            *seen.entry(r.key).or_default() += 1;
        }
        seen.into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(k, _)| k)
            .collect()
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

async fn token(form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let code = form.get("code").cloned().unwrap_or_default();
    HttpResponse::Ok().json(json!({
        "access_token": format!("token-{code}"),
        "token_type": "Bearer",
        "scope": "write:statuses profile write:media",
        "created_at": 1_700_000_000
    }))
}

fn bearer(req: &HttpRequest) -> String {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string()
}

async fn account(req: HttpRequest) -> HttpResponse {
    let account = bearer(&req).trim_start_matches("token-").to_string();
    HttpResponse::Ok().json(json!({
        "id": account, "username": account, "acct": account,
        "display_name": account, "avatar": "https://files.example/avatar.png"
    }))
}

async fn status(
    req: HttpRequest,
    state: web::Data<State>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let latency = state.latency.lock().map(|l| *l).unwrap_or_default();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let id = state.next_id.fetch_add(1, Ordering::SeqCst) + 1;
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = form
        .iter()
        .find(|(k, _)| k == "status")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if let Ok(mut received) = state.received.lock() {
        received.push(Received {
            at: SystemTime::now(),
            key,
            account: bearer(&req),
            status: text,
        });
    }
    HttpResponse::Ok().json(json!({
        "id": id.to_string(),
        "url": format!("https://mock.social/@a/{id}"),
        "uri": format!("https://mock.social/users/a/statuses/{id}")
    }))
}
