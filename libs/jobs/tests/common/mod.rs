//! Test databases (a temporary SQLite file; a fresh PostgreSQL database per test when
//! `TEST_DATABASE_URL` names a server), "processes" (independent pools, optionally on their own
//! tokio runtime so they can be killed), and a global metrics recorder.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use postiz_jobs::{JobQueue, JobsConfig};
use postiz_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::{self, Connection};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

/// Short timings so crash-recovery tests take seconds, not minutes.
pub fn fast_config() -> JobsConfig {
    JobsConfig {
        poll_interval: Duration::from_millis(200),
        heartbeat_interval: Duration::from_secs(1),
        missed_heartbeats: 3,
        lease_ttl: Duration::from_secs(2),
        lease_linger: Duration::from_millis(100),
        slot_wait: Duration::from_secs(2),
        slot_poll: Duration::from_millis(50),
        defer_delay: Duration::from_millis(300),
        max_runs: 3,
        shutdown_timeout: Duration::from_secs(10),
        restart_backoff_max: Duration::from_secs(2),
        max_connections: 5,
        fetch_batch: 8,
    }
}

pub struct TestDb {
    pub url: String,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        metrics();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
        let db = TestDb {
            url,
            label: "sqlite",
            _dir: Some(dir),
            pg: None,
        };
        db.setup().await;
        db
    }

    /// A fresh database on the server of `TEST_DATABASE_URL`, or `None` when it is not set.
    pub async fn postgres() -> Option<TestDb> {
        let server = std::env::var("TEST_DATABASE_URL").ok()?;
        if server.trim().is_empty() {
            return None;
        }
        metrics();
        let name = format!("jobs_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let mut url = url::Url::parse(&server).unwrap();
        url.set_path(&format!("/{name}"));
        let db = TestDb {
            url: url.to_string(),
            label: "postgres",
            _dir: None,
            pg: Some((server, name)),
        };
        db.setup().await;
        Some(db)
    }

    async fn setup(&self) {
        let conn = self.connection().await;
        Migrator::up(&conn, None).await.unwrap();
        let jobs = JobQueue::from_connection(&conn, fast_config()).unwrap();
        jobs.migrate().await.unwrap();
        conn.close().await.unwrap();
    }

    /// A new sea-orm pool, as the application opens it.
    pub async fn connection(&self) -> DatabaseConnection {
        let mut options = ConnectOptions::new(self.url.clone());
        options
            .max_connections(6)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
        Database::connect(options).await.unwrap()
    }

    /// A job queue on its own pool: one "process".
    pub async fn process(&self, config: JobsConfig) -> JobQueue {
        JobQueue::from_connection(&self.connection().await, config).unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = self.pg.take() {
            // Drop the database from a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut admin)
                        .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// The global debugging recorder (installed once per test binary).
pub fn metrics() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let _ = recorder.install();
        snapshotter
    })
}

/// Counters and histogram samples seen so far, by `name|queue`. A snapshot drains the
/// recorder, and tests run in parallel: every snapshot is folded in here first.
#[derive(Default)]
struct Seen {
    counters: HashMap<String, u64>,
    histograms: HashMap<String, Vec<f64>>,
}

fn collect() -> std::sync::MutexGuard<'static, Seen> {
    static SEEN: OnceLock<Mutex<Seen>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for (key, _, _, value) in metrics().snapshot().into_vec() {
        let queue = key
            .key()
            .labels()
            .find(|l| l.key() == "queue")
            .map(|l| l.value().to_string())
            .unwrap_or_default();
        let id = format!("{}|{queue}", key.key().name());
        match value {
            DebugValue::Counter(n) => *seen.counters.entry(id).or_default() += n,
            DebugValue::Histogram(samples) => seen
                .histograms
                .entry(id)
                .or_default()
                .extend(samples.into_iter().map(|s| s.into_inner())),
            DebugValue::Gauge(_) => {}
        }
    }
    seen
}

/// Value of counter `name` with label `queue`.
pub fn counter(name: &str, queue: &str) -> u64 {
    collect()
        .counters
        .get(&format!("{name}|{queue}"))
        .copied()
        .unwrap_or(0)
}

/// Samples of histogram `name` with label `queue`.
pub fn histogram(name: &str, queue: &str) -> Vec<f64> {
    collect()
        .histograms
        .get(&format!("{name}|{queue}"))
        .cloned()
        .unwrap_or_default()
}

/// Polls `check` every 20 ms until it is true or `limit` passes; returns whether it became true.
pub async fn wait_until(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls the stored job of `queue` with `key` until its status is `status`; returns the last
/// status seen.
pub async fn wait_for_status(
    jobs: &JobQueue,
    queue: &str,
    key: &str,
    status: &str,
    limit: Duration,
) -> Option<String> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let seen = jobs.find(queue, key).await.unwrap().map(|r| r.status);
        if seen.as_deref() == Some(status) || tokio::time::Instant::now() >= deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A "process" on a tokio runtime of its own, so a test can kill it like `kill -9`: its tasks
/// stop being polled and its connections close without any cleanup code running.
pub struct Process {
    kill: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Process {
    /// Runs `body` on a fresh multi-thread runtime; whatever it spawns lives until `kill`.
    pub fn spawn<F, Fut>(body: F) -> Process
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + 'static,
    {
        let (kill_tx, kill_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(body());
            // Keep the spawned tasks running until killed.
            let _ = kill_rx.recv();
            rt.shutdown_background();
        });
        Process {
            kill: Some(kill_tx),
            thread: Some(thread),
        }
    }

    pub fn kill(mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
