//! Test harness: each test starts the application on port 0 with a fresh database (a SQLite
//! file, or a new PostgreSQL database when TEST_DATABASE_URL is set) and, when TEST_REDIS_URL is
//! set, Redis under its own key prefix.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use postiz_backend::{AppState, Application};
use postiz_core::Settings;
use postiz_core::settings::SettingsSources;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    _dir: tempfile::TempDir,
    pg_database: Option<(String, String)>,
}

/// Options for one application.
#[derive(Default, Clone)]
pub struct Options {
    pub not_secured: bool,
    pub smtp_port: Option<u16>,
    pub env: Vec<(String, String)>,
}

impl Options {
    pub fn not_secured() -> Self {
        Self {
            not_secured: true,
            ..Self::default()
        }
    }

    /// No background workers in the application (a test that runs its own).
    pub fn without_workers(self) -> Self {
        self.with_env("POSTIZ__WORKERS__IN_SERVE", "false")
    }

    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }
}

/// A response with its status, headers and parsed body.
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Res {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// `Set-Cookie` header values.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }

    /// The value a `Set-Cookie` gives to `name`, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().iter().find_map(|c| {
            let first = c.split(';').next()?;
            let (k, v) = first.split_once('=')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert(
        "POSTIZ__APP__DATA_DIR".into(),
        dir.path().display().to_string(),
    );
    env.insert("POSTIZ__SERVER__HOST".into(), "127.0.0.1".into());
    env.insert("POSTIZ__SERVER__PORT".into(), "0".into());
    env.insert("POSTIZ__SERVER__WORKERS".into(), "1".into());
    env.insert("POSTIZ__DATABASE__MAX_CONNECTIONS".into(), "8".into());
    // Quick pickup of due jobs in tests.
    env.insert("POSTIZ__WORKERS__POLL_INTERVAL_MS".into(), "100".into());
    env.insert(
        "JWT_SECRET".into(),
        "test-secret-0123456789-abcdefghijklmnop".into(),
    );
    env.insert("FRONTEND_URL".into(), "http://localhost:4200".into());
    // Uploaded files stay in the test's folder.
    env.insert(
        "UPLOAD_DIRECTORY".into(),
        dir.path().join("uploads").display().to_string(),
    );
    if options.not_secured {
        env.insert("NOT_SECURED".into(), "true".into());
    }
    if let Some(port) = options.smtp_port {
        env.insert("EMAIL_PROVIDER".into(), "nodemailer".into());
        env.insert("EMAIL_HOST".into(), "127.0.0.1".into());
        env.insert("EMAIL_PORT".into(), port.to_string());
        env.insert("EMAIL_FROM_ADDRESS".into(), "postiz@example.com".into());
        env.insert("EMAIL_FROM_NAME".into(), "Postiz Test".into());
    }

    let pg_database = match std::env::var("TEST_DATABASE_URL") {
        Ok(server_url) if !server_url.is_empty() => {
            let name = format!("postiz_test_{}", uuid::Uuid::new_v4().simple());
            create_pg_database(&server_url, &name).await;
            env.insert("DATABASE_URL".into(), with_database(&server_url, &name));
            Some((server_url, name))
        }
        _ => {
            env.insert(
                "DATABASE_URL".into(),
                format!("sqlite://{}/test.db?mode=rwc", dir.path().display()),
            );
            None
        }
    };
    if let Ok(redis) = std::env::var("TEST_REDIS_URL")
        && !redis.is_empty()
    {
        env.insert("REDIS_URL".into(), redis);
        env.insert(
            "POSTIZ__REDIS__KEY_PREFIX".into(),
            format!("test:{}:", uuid::Uuid::new_v4().simple()),
        );
    }
    for (k, v) in options.env {
        env.insert(k, v);
    }

    let settings = Settings::load(&SettingsSources {
        file: None,
        env,
        extra_bindings: postiz_backend::registry::env_bindings(),
    })
    .expect("settings");
    postiz_core::telemetry::init_tracing(&test_telemetry(&settings));
    let app = Application::build(settings).await.expect("application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    TestApp {
        address,
        client,
        state,
        _dir: dir,
        pg_database,
    }
}

fn test_telemetry(settings: &Settings) -> postiz_core::settings::TelemetrySettings {
    let mut t = settings.telemetry.clone();
    // Quiet unless TEST_LOG is set.
    t.log_level = if std::env::var("TEST_LOG").is_ok() {
        "debug".into()
    } else {
        "off".into()
    };
    t
}

fn with_database(server_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(server_url).expect("TEST_DATABASE_URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

async fn create_pg_database(server_url: &str, name: &str) {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(server_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    db.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((server_url, name)) = self.pg_database.take() {
            // Dropped outside the test's runtime: a fresh runtime on a plain thread.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Runtime::new() else {
                    return;
                };
                rt.block_on(async {
                    use sea_orm::ConnectionTrait;
                    if let Ok(db) = sea_orm::Database::connect(&server_url).await {
                        let _ = db
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A signed-in user of the test application.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub org_id: String,
    pub password: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends a request with optional JSON body, session and extra headers.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        session: Option<&Session>,
        body: Option<Value>,
    ) -> Res {
        self.call_with(method, path, session, body, &[]).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        session: Option<&Session>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Res {
        let mut req = self.client.request(method, self.url(path));
        if let Some(s) = session {
            req = req.header("auth", &s.token).header("showorg", &s.org_id);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        Res {
            status,
            headers,
            text,
        }
    }

    pub async fn get(&self, path: &str, session: Option<&Session>) -> Res {
        self.call(Method::GET, path, session, None).await
    }

    pub async fn post(&self, path: &str, session: Option<&Session>, body: Value) -> Res {
        self.call(Method::POST, path, session, Some(body)).await
    }

    /// Registers a new organization and its owner, and returns the owner's session.
    pub async fn register(&self, email: &str, company: &str) -> Session {
        let password = "correct-horse-battery";
        let res = self
            .post(
                "/auth/register",
                None,
                serde_json::json!({
                    "email": email, "password": password, "company": company,
                    "provider": "LOCAL", "providerToken": ""
                }),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "register: {}", res.text);
        let token = res
            .cookie("auth")
            .or_else(|| res.header("auth"))
            .expect("session token");
        self.session_for(token, password).await
    }

    /// Logs in and returns the session (acting in the user's first organization).
    pub async fn login(&self, email: &str, password: &str) -> Session {
        let res = self
            .post(
                "/auth/login",
                None,
                serde_json::json!({"email": email, "password": password, "provider": "LOCAL"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "login: {}", res.text);
        let token = res.cookie("auth").expect("auth cookie");
        self.session_for(token, password).await
    }

    async fn session_for(&self, token: String, password: &str) -> Session {
        let me = self
            .call_with(Method::GET, "/user/self", None, None, &[("auth", &token)])
            .await;
        assert_eq!(me.status, StatusCode::OK, "self: {}", me.text);
        Session {
            token,
            org_id: me.json()["orgId"].as_str().expect("orgId").to_string(),
            password: password.to_string(),
        }
    }

    /// Invites `email` as `role` and makes them join with a fresh account; returns the new
    /// member's session acting in the inviting organization.
    pub async fn add_member(&self, admin: &Session, email: &str, role: &str) -> Session {
        let invite = self
            .post(
                "/settings/team",
                Some(admin),
                serde_json::json!({"email": email, "role": role, "sendEmail": false}),
            )
            .await;
        assert_eq!(
            invite.status,
            StatusCode::CREATED,
            "invite: {}",
            invite.text
        );
        let url = invite.json()["url"].as_str().expect("url").to_string();
        let token = url.split("org=").nth(1).expect("token").to_string();
        let mut member = self.register(email, &format!("{email} org")).await;
        let joined = self
            .post(
                "/user/join-org",
                Some(&member),
                serde_json::json!({"org": token}),
            )
            .await;
        assert_eq!(joined.status, StatusCode::OK, "join: {}", joined.text);
        member.org_id = admin.org_id.clone();
        member
    }
}

/// A real SMTP server (mailin) that records every message it receives. The server clones the
/// handler per connection: the message being received is per clone, the list is shared.
#[derive(Clone, Default)]
pub struct SmtpSink {
    messages: Arc<Mutex<Vec<ReceivedMail>>>,
    current: ReceivedMail,
}

#[derive(Clone, Default, Debug)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl mailin_embedded::Handler for SmtpSink {
    fn data_start(
        &mut self,
        _domain: &str,
        from: &str,
        _is8bit: bool,
        to: &[String],
    ) -> mailin_embedded::Response {
        self.current = ReceivedMail {
            from: from.to_string(),
            to: to.to_vec(),
            data: String::new(),
        };
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.data.push_str(&String::from_utf8_lossy(buf));
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        if let Ok(mut all) = self.messages.lock() {
            all.push(std::mem::take(&mut self.current));
        }
        mailin_embedded::response::OK
    }
}

impl SmtpSink {
    /// Starts the server on a free port in a background thread.
    pub fn start() -> (Self, u16) {
        let sink = SmtpSink::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("smtp bind");
        let port = listener.local_addr().expect("addr").port();
        let mut server = mailin_embedded::Server::new(sink.clone());
        server
            .with_name("sink.test")
            .with_ssl(mailin_embedded::SslConfig::None)
            .expect("ssl")
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        (sink, port)
    }

    /// Waits until a message to `to` arrives (background delivery) and returns it.
    pub async fn wait_for(&self, to: &str) -> ReceivedMail {
        for _ in 0..100 {
            if let Ok(all) = self.messages.lock()
                && let Some(m) = all.iter().find(|m| m.to.iter().any(|t| t.contains(to)))
            {
                return m.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no e-mail to {to} arrived");
    }

    pub fn all(&self) -> Vec<ReceivedMail> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    pub fn count(&self) -> usize {
        self.messages.lock().map(|m| m.len()).unwrap_or(0)
    }
}

/// The decoded text of a MIME message's parts (quoted-printable soft breaks undone).
pub fn decoded(mail: &ReceivedMail) -> String {
    mail.data
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// The first link in a message that starts with `prefix`.
pub fn link_in(mail: &ReceivedMail, prefix: &str) -> String {
    let text = decoded(mail);
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no link {prefix} in {text}"));
    text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != ']' && *c != '<')
        .collect()
}
