//! Crash test (issue 4): a `postiz worker` process is killed with SIGKILL in the middle of a
//! burst and a new one is started. Every post must end PUBLISHED or ERROR, none may be lost and
//! none may reach the network twice (counted at a mock Mastodon server).
//!
//! The application runs in this process without workers (it registers a user, connects the
//! channels and writes the posts); only the child processes publish. Runs on SQLite, and on
//! PostgreSQL (a fresh database) and Redis when TEST_DATABASE_URL and TEST_REDIS_URL are set.
//! TEST_LOG=1 shows the children's logs on stderr as they run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use postiz_backend::{AppState, Application};
use postiz_core::Settings;
use postiz_core::settings::SettingsSources;
use postiz_entity::post;
use postiz_mocknet::MockNetwork;
use postiz_posts::dto::posts::{CreatePostRequest, IdRef, PostEntry, PostValue};
use postiz_posts::service::posts::{CreationMethod, SaveOptions};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

/// Posts in the burst, spread over this many channels.
const POSTS: usize = 400;
/// Publications one worker process runs at once.
const WORKER_CONCURRENCY: usize = 8;
const CHANNELS: usize = 5;
/// Latency of each status creation at the mock, so the burst lasts a few seconds.
const NETWORK_LATENCY: Duration = Duration::from_millis(40);
/// The first worker is killed once the network has received this share of the posts.
const KILL_AT: f64 = 0.25;
/// Orphan timeout of the workers (the minimum the settings allow): the jobs the killed process
/// had locked go to the second process after about this long.
const ORPHAN_TIMEOUT_SECS: &str = "3";
/// How long a publish attempt holds its post (120 s in production). A publication in flight at
/// the kill ends in ERROR about this long after it started, when its claim expires.
const CLAIM_TTL_SECS: &str = "6";
/// Longest wait for every post to reach a final state after the kill.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(90);
/// Marker in each post's text, followed by the post's number: how the network's copy is matched
/// to the database row.
const MARKER: &str = "crash-post-";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_burst_loses_nothing_and_publishes_nothing_twice() {
    let started = Instant::now();
    let mock = MockNetwork::start(2).expect("mock network");
    mock.set_latency(NETWORK_LATENCY);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = TestDatabase::create(dir.path()).await;
    let env = shared_env(dir.path(), &db.url, &mock.url);

    // The application in this process: HTTP for the user and channels, no workers.
    let mut app_env = env.clone();
    app_env.insert("POSTIZ__WORKERS__IN_SERVE".into(), "false".into());
    app_env.insert("POSTIZ__SERVER__HOST".into(), "127.0.0.1".into());
    app_env.insert("POSTIZ__SERVER__PORT".into(), "0".into());
    app_env.insert("POSTIZ__SERVER__WORKERS".into(), "1".into());
    app_env.insert("POSTIZ__TELEMETRY__LOG_LEVEL".into(), "off".into());
    let settings = Settings::load(&SettingsSources {
        file: None,
        env: app_env,
        extra_bindings: postiz_backend::registry::env_bindings(),
    })
    .expect("settings");
    let state = AppState::build(settings).await.expect("app state");
    let app = Application::with_state(state.clone()).expect("application");
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");

    let (token, org_id) = register(&client, &base).await;
    let channels = connect_channels(&client, &base, &token, &org_id, CHANNELS).await;
    assert_eq!(channels.len(), CHANNELS, "connected channels");
    let due = Utc::now() + chrono::Duration::seconds(2);
    create_posts(&state, &org_id, &channels, POSTS, due).await;
    assert_eq!(count_in(&state, "QUEUE").await, POSTS, "queued posts");

    // The first worker publishes until a share of the burst went out, then dies.
    let mut children = Children::default();
    let first = children.spawn(&env, dir.path(), "worker-1");
    let kill_at = (POSTS as f64 * KILL_AT).ceil() as usize;
    let deadline = Instant::now() + Duration::from_secs(60);
    while mock.count() < kill_at {
        if let Some(status) = children.exited(first) {
            panic!(
                "the first worker exited on its own ({status}) after {} statuses\n{}",
                mock.count(),
                children.logs()
            );
        }
        assert!(
            Instant::now() < deadline,
            "the first worker published only {} of {POSTS} posts in 60 s\n{}",
            mock.count(),
            children.logs()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    children.kill(first);
    let killed_at = Instant::now();
    let received_at_kill = mock.count();
    assert!(
        received_at_kill < POSTS,
        "the first worker published the whole burst before it could be killed"
    );

    // A new worker takes over: what was due goes out, what was in flight is resolved.
    let second = children.spawn(&env, dir.path(), "worker-2");
    let recovery_deadline = killed_at + RECOVERY_TIMEOUT;
    loop {
        let rows = all_posts(&state).await;
        if rows.iter().all(|p| p.state != "QUEUE") {
            break;
        }
        if let Some(status) = children.exited(second) {
            panic!(
                "the second worker exited on its own ({status})\n{}",
                children.logs()
            );
        }
        if Instant::now() > recovery_deadline {
            let queued: Vec<String> = rows
                .iter()
                .filter(|p| p.state == "QUEUE")
                .map(|p| {
                    format!(
                        "{} claimed_until={:?} pending={:?}",
                        p.id, p.claimed_until, p.pending_data
                    )
                })
                .collect();
            panic!(
                "{} posts still QUEUE {:?} after the kill (received {} of {POSTS}, {} at the kill):\n{}\n{}",
                queued.len(),
                RECOVERY_TIMEOUT,
                mock.count(),
                received_at_kill,
                queued.join("\n"),
                children.logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let recovery = killed_at.elapsed();
    // Nothing may reach the network after the last outcome.
    let settled = mock.count();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        mock.count(),
        settled,
        "statuses arrived after every post ended"
    );
    children.kill(second);

    // The verdict, post by post.
    let rows = all_posts(&state).await;
    assert_eq!(rows.len(), POSTS, "posts in the database");
    let received = mock.received();
    let mut per_post: HashMap<usize, usize> = HashMap::new();
    for r in &received {
        let n = number_in(&r.status)
            .unwrap_or_else(|| panic!("a status the test did not write: {:?}", r.status));
        *per_post.entry(n).or_default() += 1;
    }
    let duplicates = mock.duplicates();
    let twice: BTreeMap<usize, usize> = per_post
        .iter()
        .filter(|(_, c)| **c > 1)
        .map(|(n, c)| (*n, *c))
        .collect();
    assert!(
        duplicates.is_empty() && twice.is_empty(),
        "published twice: {} idempotency keys received more than once, posts {twice:?}\n{}",
        duplicates.len(),
        children.logs()
    );

    let mut published = 0;
    let mut errors = Vec::new();
    for row in &rows {
        let n = number_in(&row.content).expect("post number");
        let times = per_post.get(&n).copied().unwrap_or(0);
        match row.state.as_str() {
            "PUBLISHED" => {
                published += 1;
                assert_eq!(
                    times, 1,
                    "post {n} ({}) is PUBLISHED but the network received it {times} times",
                    row.id
                );
                assert!(row.release_id.is_some(), "post {n} has no release id");
                assert!(row.claimed_until.is_none(), "post {n} kept its claim");
            }
            "ERROR" => {
                let message = row.error.clone().unwrap_or_default();
                // Only a publication in flight at the kill may fail, and only as unconfirmed:
                // the engine never sends it again.
                assert!(
                    message.contains("couldn't confirm"),
                    "post {n} ({}) ended in ERROR for another reason: {message}\n{}",
                    row.id,
                    children.logs()
                );
                errors.push((n, times));
            }
            other => panic!("post {n} ({}) ended in {other}", row.id),
        }
    }
    // A post is claimed only with a slot of the network's limit, held until the network
    // answers: the posts stranded unsent (claimed, never received) held one each at the kill.
    // The unconfirmed ones the network did receive were in the call or had their answer not
    // yet recorded: at most one per publication the worker runs at once.
    let in_flight_limit = state
        .providers
        .get("mastodon")
        .map(|p| p.capabilities().max_concurrent_jobs.max(1) as usize)
        .expect("mastodon provider");
    let never_sent = errors.iter().filter(|(_, t)| *t == 0).count();
    assert!(
        never_sent <= in_flight_limit,
        "{never_sent} posts claimed but never sent, more than the {in_flight_limit} slots of the network: {errors:?}"
    );
    assert!(
        errors.len() <= WORKER_CONCURRENCY,
        "{} posts unconfirmed, more than the worker's {WORKER_CONCURRENCY} publications at once: {errors:?}",
        errors.len()
    );
    // The first worker published at most what the network had received when it died.
    assert!(
        published > received_at_kill,
        "the second worker published nothing"
    );
    let unconfirmed_received = errors.iter().filter(|(_, t)| *t == 1).count();
    assert_eq!(
        received.len(),
        published + unconfirmed_received,
        "every status the network received belongs to exactly one post"
    );

    eprintln!(
        "crash test [{}]: posts {POSTS}, published {published}, errors {} ({} of them received by the network), \
         received at kill {received_at_kill}, recovery {:.1} s, total {:.1} s",
        db.label(),
        errors.len(),
        unconfirmed_received,
        recovery.as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );

    server.abort();
    mock.stop().await;
    drop(state);
    db.drop_database().await;
}

/// The settings the application and the workers share: same database, same secrets (channel
/// tokens are sealed with a key derived from JWT_SECRET), same network, same Redis prefix.
fn shared_env(dir: &Path, database_url: &str, network: &str) -> HashMap<String, String> {
    let mut env = HashMap::new();
    let mut set = |k: &str, v: &str| {
        env.insert(k.to_string(), v.to_string());
    };
    set("POSTIZ__APP__DATA_DIR", &dir.display().to_string());
    set("DATABASE_URL", database_url);
    set("POSTIZ__DATABASE__MAX_CONNECTIONS", "8");
    set("JWT_SECRET", "crash-test-secret-0123456789-abcdefghijkl");
    set("FRONTEND_URL", "http://localhost:4200");
    set(
        "UPLOAD_DIRECTORY",
        &dir.join("uploads").display().to_string(),
    );
    set("MASTODON_URL", network);
    set("MASTODON_CLIENT_ID", "crash");
    set("MASTODON_CLIENT_SECRET", "crash-secret");
    set("POSTIZ__WORKERS__POLL_INTERVAL_MS", "100");
    set(
        "POSTIZ__WORKERS__PUBLISH_CONCURRENCY",
        &WORKER_CONCURRENCY.to_string(),
    );
    set("POSTIZ__WORKERS__ORPHAN_TIMEOUT_SECS", ORPHAN_TIMEOUT_SECS);
    set("POSTIZ__WORKERS__CLAIM_TTL_SECS", CLAIM_TTL_SECS);
    if let Ok(redis) = std::env::var("TEST_REDIS_URL")
        && !redis.is_empty()
    {
        set("REDIS_URL", &redis);
        set(
            "POSTIZ__REDIS__KEY_PREFIX",
            &format!("test:{}:", uuid::Uuid::new_v4().simple()),
        );
    }
    env
}

/// `postiz worker` processes, killed when the test ends however it ends.
#[derive(Default)]
struct Children {
    running: Vec<(String, Child, PathBuf)>,
}

impl Children {
    /// Starts `postiz worker` with only the given environment, in `dir` (no stray `.env` or
    /// `config/local.toml`); its log goes to a file in `dir`, or to stderr with TEST_LOG.
    fn spawn(&mut self, env: &HashMap<String, String>, dir: &Path, name: &str) -> usize {
        let log = dir.join(format!("{name}.log"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_postiz"));
        command
            .arg("worker")
            .current_dir(dir)
            .env_clear()
            .envs(env)
            .env("POSTIZ__TELEMETRY__LOG_LEVEL", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if let Ok(path) = std::env::var("PATH") {
            command.env("PATH", path);
        }
        if std::env::var("TEST_LOG").is_ok() {
            command.stderr(Stdio::inherit());
        } else {
            command.stderr(File::create(&log).expect("log file"));
        }
        let child = command.spawn().expect("spawn postiz worker");
        self.running.push((name.to_string(), child, log));
        self.running.len() - 1
    }

    /// SIGKILL, and reap.
    fn kill(&mut self, index: usize) {
        let child = &mut self.running[index].1;
        let _ = child.kill();
        let _ = child.wait();
    }

    fn exited(&mut self, index: usize) -> Option<std::process::ExitStatus> {
        self.running[index].1.try_wait().ok().flatten()
    }

    /// The warnings and errors of every child, for failure messages.
    fn logs(&self) -> String {
        let mut out = String::new();
        for (name, _, path) in &self.running {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let lines: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("WARN") || l.contains("ERROR"))
                .collect();
            out.push_str(&format!(
                "--- {name}: {} warnings and errors (last 40)\n",
                lines.len()
            ));
            for line in lines.iter().rev().take(40).rev() {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for (_, child, _) in &mut self.running {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A SQLite file in the test's folder, or a fresh PostgreSQL database when TEST_DATABASE_URL is
/// set (dropped at the end, as the API tests do).
struct TestDatabase {
    url: String,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    async fn create(dir: &Path) -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => {
                use sea_orm::ConnectionTrait;
                let name = format!("postiz_test_{}", uuid::Uuid::new_v4().simple());
                let db = sea_orm::Database::connect(&server)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                db.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&server).expect("TEST_DATABASE_URL");
                url.set_path(&format!("/{name}"));
                Self {
                    url: url.to_string(),
                    postgres: Some((server, name)),
                }
            }
            _ => Self {
                url: format!("sqlite://{}/crash.db?mode=rwc", dir.display()),
                postgres: None,
            },
        }
    }

    fn label(&self) -> &'static str {
        if self.postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }

    async fn drop_database(mut self) {
        if let Some((server, name)) = self.postgres.take() {
            drop_pg(&server, &name).await;
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // A failed test: drop it from a plain thread (the test's runtime may be gone).
        if let Some((server, name)) = self.postgres.take() {
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Runtime::new() {
                    rt.block_on(drop_pg(&server, &name));
                }
            })
            .join();
        }
    }
}

async fn drop_pg(server: &str, name: &str) {
    use sea_orm::ConnectionTrait;
    if let Ok(db) = sea_orm::Database::connect(server).await {
        let _ = db
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
}

/// Registers the owner; returns the session token and the organization id.
async fn register(client: &reqwest::Client, base: &str) -> (String, String) {
    let res = client
        .post(format!("{base}/auth/register"))
        .json(&json!({
            "email": "crash@example.com", "password": "correct-horse-battery",
            "company": "Crash", "provider": "LOCAL", "providerToken": ""
        }))
        .send()
        .await
        .expect("register");
    assert!(res.status().is_success(), "register: {}", res.status());
    let token = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("auth="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .expect("auth cookie");
    let me: Value = client
        .get(format!("{base}/user/self"))
        .header("auth", &token)
        .send()
        .await
        .expect("self")
        .json()
        .await
        .expect("self json");
    (token, me["orgId"].as_str().expect("orgId").to_string())
}

/// Connects `count` Mastodon accounts through the mock; returns the channel ids.
async fn connect_channels(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    org_id: &str,
    count: usize,
) -> Vec<String> {
    for i in 0..count {
        let url: Value = client
            .get(format!("{base}/integrations/social/mastodon"))
            .header("auth", token)
            .header("showorg", org_id)
            .send()
            .await
            .expect("auth url")
            .json()
            .await
            .expect("auth url json");
        let auth_url = url["url"].as_str().expect("url");
        let state = url::Url::parse(auth_url)
            .expect("auth url")
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.to_string())
            .expect("state");
        let res = client
            .post(format!("{base}/integrations/social-connect/mastodon"))
            .json(&json!({"state": state, "code": format!("account{i}"), "timezone": "0"}))
            .send()
            .await
            .expect("connect");
        let status = res.status();
        assert!(
            status.is_success(),
            "connect: {status} {}",
            res.text().await.unwrap_or_default()
        );
    }
    let list: Value = client
        .get(format!("{base}/integrations/list"))
        .header("auth", token)
        .header("showorg", org_id)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("list json");
    list["integrations"]
        .as_array()
        .expect("integrations")
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect()
}

/// `count` single-item posts due at `due`, round-robin over the channels, saved in batches.
async fn create_posts(
    state: &AppState,
    org_id: &str,
    channels: &[String],
    count: usize,
    due: DateTime<Utc>,
) {
    let mut n = 0;
    while n < count {
        let batch = (count - n).min(100);
        let posts = (n..n + batch)
            .map(|i| PostEntry {
                integration: IdRef {
                    id: channels[i % channels.len()].clone(),
                },
                value: vec![PostValue {
                    content: format!("<p>{MARKER}{i}</p>"),
                    id: None,
                    delay: None,
                    image: Vec::new(),
                }],
                group: None,
                settings: None,
            })
            .collect();
        state
            .posts
            .save(
                org_id,
                CreatePostRequest {
                    kind: "schedule".into(),
                    order: None,
                    short_link: false,
                    inter: None,
                    republish: false,
                    timezone: None,
                    date: due.to_rfc3339(),
                    tags: Vec::new(),
                    posts,
                },
                SaveOptions {
                    method: CreationMethod::Api,
                    keep_group: false,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("save: {e}"));
        n += batch;
    }
}

async fn all_posts(state: &AppState) -> Vec<post::Model> {
    post::Entity::find()
        .filter(post::Column::DeletedAt.is_null())
        .all(&state.db)
        .await
        .expect("posts")
}

async fn count_in(state: &AppState, wanted: &str) -> usize {
    all_posts(state)
        .await
        .iter()
        .filter(|p| p.state == wanted)
        .count()
}

/// The post number after the marker in a text (the editor HTML or the status sent).
fn number_in(text: &str) -> Option<usize> {
    let start = text.find(MARKER)? + MARKER.len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}
