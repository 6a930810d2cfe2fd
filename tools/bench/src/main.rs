//! `make bench`: (a) N posts due at the same second, published through a local mock network —
//! posts per second and lateness p50/p99; (b) the calendar query (one week, N posts in the
//! database, 20 channels) under concurrent clients — requests per second and p99, asking for the
//! same week (served from the kept answer) and then for a different range every time (built
//! afresh, as after every change). On SQLite and,
//! when a PostgreSQL server answers, on PostgreSQL. Prints a Markdown table.

#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::Parser;
use postiz_backend::{AppState, Application};
use postiz_core::Settings;
use postiz_core::settings::SettingsSources;
use postiz_mocknet::MockNetwork;
use postiz_posts::dto::posts::{CreatePostRequest, IdRef, PostEntry, PostValue};
use postiz_posts::service::posts::{CreationMethod, SaveOptions};
use serde_json::json;

// The allocator of the `postiz` binary, so the bench measures what runs in production.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
struct Args {
    /// sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    backend: String,
    /// Posts due at the same second.
    #[arg(long, default_value_t = 10_000)]
    posts: usize,
    /// Channels the posts are spread over.
    #[arg(long, default_value_t = 20)]
    channels: usize,
    /// Concurrent clients of the calendar benchmark.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds the calendar benchmark runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// PostgreSQL server (a fresh database is created on it). Without TLS by default, as a
    /// server on the same host is reached in Postiz's own set-up (its compose file's postgres
    /// image has TLS off); Debian's server offers TLS, which sqlx would otherwise take on the
    /// loopback (about 12 % fewer posts/s here). Drop `sslmode=disable` to measure with it.
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
    )]
    postgres: String,
    /// Database connections of the process (SQLite serializes writers; fewer can be faster).
    #[arg(long, default_value_t = 24)]
    connections: u32,
    /// Mastodon publications in flight at once (the network's concurrency limit), one run per
    /// value: `default` is the provider's own limit (5, as Postiz's maxConcurrentJob).
    #[arg(long, value_delimiter = ',', default_values_t = ["default".to_string(), "32".to_string()])]
    limits: Vec<String>,
    /// Publications one worker process runs at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Only the calendar benchmark (no publishing burst; the week's earlier posts are then
    /// only the spread ones).
    #[arg(long)]
    calendar_only: bool,
    /// Extra settings as `POSTIZ__SECTION__KEY=value` (repeatable), for experiments such as
    /// `--set POSTIZ__WORKERS__FETCH_BATCH=32`.
    #[arg(long = "set", value_name = "VAR=VALUE")]
    settings: Vec<String>,
}

#[derive(Default)]
struct PublishResult {
    posts: usize,
    published: usize,
    errors: u64,
    duplicates: usize,
    rate: f64,
    p50: f64,
    p99: f64,
    max: f64,
}

struct CalendarResult {
    rps: f64,
    p50: f64,
    p99: f64,
    per_week: usize,
}

/// Which ranges the calendar clients ask for.
#[derive(Clone, Copy, PartialEq)]
enum Ranges {
    /// The same week every time: the dashboard's repeated reads, served from the kept answer.
    Same,
    /// A week shifted by a few milliseconds on every request: no answer can be reused, so every
    /// request reads the database and encodes JSON (the cost after each change).
    Distinct,
}

/// The results of one backend and limit: publishing, the calendar, the calendar uncached.
type RunResult = (PublishResult, CalendarResult, CalendarResult);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut rows = Vec::new();
    for limit in &args.limits {
        let limit = (limit != "default").then(|| limit.clone());
        let label = |backend: &str| match &limit {
            None => format!("{backend}, network limit 5 (default)"),
            Some(n) => format!("{backend}, network limit {n}"),
        };
        if matches!(args.backend.as_str(), "sqlite" | "both") {
            rows.push((label("SQLite"), run(&args, None, limit.as_deref()).await?));
        }
        if matches!(args.backend.as_str(), "postgres" | "both") {
            match create_pg_database(&args.postgres).await {
                Ok((url, name)) => {
                    let result = run(&args, Some(url), limit.as_deref()).await;
                    drop_pg_database(&args.postgres, &name).await;
                    rows.push((label("PostgreSQL"), result?));
                }
                Err(e) => println!("PostgreSQL skipped: {e:#}"),
            }
        }
    }
    println!();
    println!(
        "| backend | posts due at once | published | errors | duplicates | posts/s | lateness p50 | lateness p99 | lateness max | calendar req/s ({} clients) | calendar p50 | calendar p99 | uncached req/s | uncached p99 | posts in the week |",
        args.clients
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, (p, c, u)) in rows {
        println!(
            "| {name} | {} | {} | {} | {} | {:.0} | {:.2} s | {:.2} s | {:.2} s | {:.0} | {:.1} ms | {:.1} ms | {:.0} | {:.1} ms | {} |",
            p.posts,
            p.published,
            p.errors,
            p.duplicates,
            p.rate,
            p.p50,
            p.p99,
            p.max,
            c.rps,
            c.p50,
            c.p99,
            u.rps,
            u.p99,
            c.per_week
        );
    }
    println!(
        "\nOne process on {} CPU cores: API, workers (concurrency {}), the mock network and the load generator. Peak RSS {} MiB.",
        std::thread::available_parallelism().map_or(0, usize::from),
        args.concurrency,
        peak_rss_mib()
    );
    Ok(())
}

async fn run(
    args: &Args,
    database: Option<String>,
    network_limit: Option<&str>,
) -> anyhow::Result<RunResult> {
    let backend = if database.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "== {backend}, network limit {}",
        network_limit.unwrap_or("default")
    );
    let mock = MockNetwork::start(2)?;
    let dir = tempfile::tempdir()?;
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert(
        "POSTIZ__APP__DATA_DIR".into(),
        dir.path().display().to_string(),
    );
    env.insert("POSTIZ__SERVER__HOST".into(), "127.0.0.1".into());
    env.insert("POSTIZ__SERVER__PORT".into(), "0".into());
    env.insert("POSTIZ__SERVER__WORKERS".into(), "2".into());
    env.insert(
        "POSTIZ__DATABASE__MAX_CONNECTIONS".into(),
        args.connections.to_string(),
    );
    env.insert("POSTIZ__WORKERS__IN_SERVE".into(), "false".into());
    env.insert(
        "POSTIZ__WORKERS__PUBLISH_CONCURRENCY".into(),
        args.concurrency.to_string(),
    );
    env.insert("POSTIZ__WORKERS__POLL_INTERVAL_MS".into(), "250".into());
    env.insert("POSTIZ__TELEMETRY__LOG_LEVEL".into(), "error".into());
    env.insert(
        "JWT_SECRET".into(),
        "bench-secret-0123456789-abcdefghijklmnop".into(),
    );
    env.insert("MASTODON_URL".into(), mock.url.clone());
    env.insert("MASTODON_CLIENT_ID".into(), "bench".into());
    env.insert("MASTODON_CLIENT_SECRET".into(), "bench-secret".into());
    if let Some(url) = &database {
        env.insert("DATABASE_URL".into(), url.clone());
    }
    if let Some(limit) = network_limit {
        env.insert(
            "POSTIZ__PROVIDERS__MASTODON__MAX_CONCURRENT_JOBS".into(),
            limit.to_string(),
        );
    }
    for pair in &args.settings {
        let (key, value) = pair
            .split_once('=')
            .with_context(|| format!("--set {pair}: expected VAR=VALUE"))?;
        env.insert(key.to_string(), value.to_string());
    }
    let settings = Settings::load(&SettingsSources {
        file: None,
        env,
        extra_bindings: postiz_backend::registry::env_bindings(),
    })?;
    postiz_core::telemetry::init_tracing(&settings.telemetry);
    let state = AppState::build(settings).await?;
    let app = Application::with_state(state.clone())?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;

    let (token, org_id) = register(&client, &base).await?;
    let channels = connect_channels(&client, &base, &token, args.channels).await?;
    println!("   {} channels connected", channels.len());

    // (a) Publishing: every post due at the same second.
    let publish = if args.calendar_only {
        PublishResult::default()
    } else {
        publish_burst(args, &state, &mock, &org_id, &channels).await?
    };

    // (b) The calendar: posts spread over the year, one week asked by many clients.
    let spread_start = Utc::now() + chrono::Duration::days(30);
    create_spread(&state, &org_id, &channels, args.posts, spread_start).await?;
    let calendar = calendar_bench(
        &client,
        &base,
        &token,
        &org_id,
        spread_start,
        args,
        Ranges::Same,
    )
    .await?;
    println!(
        "   calendar {:.0} req/s, p99 {:.1} ms ({} posts in the week)",
        calendar.rps, calendar.p99, calendar.per_week
    );
    let uncached = calendar_bench(
        &client,
        &base,
        &token,
        &org_id,
        spread_start,
        args,
        Ranges::Distinct,
    )
    .await?;
    println!(
        "   calendar, a new range each request: {:.0} req/s, p99 {:.1} ms",
        uncached.rps, uncached.p99
    );
    server.abort();
    mock.stop().await;
    Ok((publish, calendar, uncached))
}

async fn register(client: &reqwest::Client, base: &str) -> anyhow::Result<(String, String)> {
    let res = client
        .post(format!("{base}/auth/register"))
        .json(&json!({"email": "bench@example.com", "password": "bench-password", "company": "Bench"}))
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("register: {}", res.text().await?);
    }
    // reqwest's cookie jar is a feature we do not enable; the Set-Cookie header is enough.
    let token = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("auth="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .context("no auth cookie")?;
    let me: serde_json::Value = client
        .get(format!("{base}/user/self"))
        .header("auth", &token)
        .send()
        .await?
        .json()
        .await?;
    Ok((token, me["orgId"].as_str().context("orgId")?.to_string()))
}

async fn connect_channels(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    for i in 0..count {
        let url: serde_json::Value = client
            .get(format!("{base}/integrations/social/mastodon"))
            .header("auth", token)
            .send()
            .await?
            .json()
            .await?;
        let auth_url = url["url"].as_str().context("auth url")?;
        let state = url::Url::parse(auth_url)?
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.to_string())
            .context("state")?;
        let res = client
            .post(format!("{base}/integrations/social-connect/mastodon"))
            .json(&json!({"state": state, "code": format!("account{i}"), "timezone": "0"}))
            .send()
            .await?;
        if !res.status().is_success() {
            bail!("connect: {}", res.text().await?);
        }
    }
    let list: serde_json::Value = client
        .get(format!("{base}/integrations/list"))
        .header("auth", token)
        .send()
        .await?
        .json()
        .await?;
    Ok(list["integrations"]
        .as_array()
        .context("integrations")?
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect())
}

fn entry(channel: &str, text: String) -> PostEntry {
    PostEntry {
        integration: IdRef {
            id: channel.to_string(),
        },
        value: vec![PostValue {
            content: format!("<p>{text}</p>"),
            id: None,
            delay: None,
            image: Vec::new(),
        }],
        group: None,
        settings: None,
    }
}

async fn create_posts(
    state: &AppState,
    org_id: &str,
    channels: &[String],
    count: usize,
    due: DateTime<Utc>,
    kind: &str,
) -> anyhow::Result<()> {
    let mut n = 0;
    while n < count {
        let batch = (count - n).min(100);
        let posts = (0..batch)
            .map(|i| {
                entry(
                    &channels[(n + i) % channels.len()],
                    format!("Post {}", n + i),
                )
            })
            .collect();
        save(state, org_id, kind, due, posts).await?;
        n += batch;
    }
    Ok(())
}

/// (a) Every post due at the same second, published through the mock network.
async fn publish_burst(
    args: &Args,
    state: &AppState,
    mock: &MockNetwork,
    org_id: &str,
    channels: &[String],
) -> anyhow::Result<PublishResult> {
    let estimate = Duration::from_secs_f64(args.posts as f64 / 400.0 + 10.0);
    let due: DateTime<Utc> = Utc::now() + chrono::Duration::from_std(estimate)?;
    let due = due - chrono::Duration::nanoseconds(i64::from(chrono::Timelike::nanosecond(&due)));
    let started = Instant::now();
    create_posts(state, org_id, channels, args.posts, due, "schedule").await?;
    println!(
        "   {} posts created in {:.1} s, due at {due}",
        args.posts,
        started.elapsed().as_secs_f64()
    );
    if Utc::now() > due {
        println!("   warning: creating the posts took longer than planned; lateness includes it");
    }
    let shutdown = postiz_jobs::CancellationToken::new();
    let workers = state.start_workers(shutdown.clone())?;
    let deadline = Instant::now() + estimate + Duration::from_secs(300);
    while mock.count() < args.posts && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let outcomes be recorded.
    tokio::time::sleep(Duration::from_secs(2)).await;
    shutdown.cancel();
    workers.join().await;
    let publish = publish_result(state, mock, due, args.posts).await?;
    println!(
        "   published {} of {} at {:.0}/s, lateness p50 {:.2} s p99 {:.2} s",
        publish.published, publish.posts, publish.rate, publish.p50, publish.p99
    );
    Ok(publish)
}

/// Posts spread evenly over 50 weeks from `start`, as drafts (no jobs).
async fn create_spread(
    state: &AppState,
    org_id: &str,
    channels: &[String],
    count: usize,
    start: DateTime<Utc>,
) -> anyhow::Result<()> {
    let span = chrono::Duration::weeks(50).num_seconds();
    for n in (0..count).step_by(100) {
        let batch = (count - n).min(100);
        for i in 0..batch {
            let k = (n + i) as i64;
            let at = start + chrono::Duration::seconds(k * span / count as i64);
            save(
                state,
                org_id,
                "draft",
                at,
                vec![entry(
                    &channels[(n + i) % channels.len()],
                    format!("Spread {k}"),
                )],
            )
            .await?;
        }
    }
    Ok(())
}

async fn save(
    state: &AppState,
    org_id: &str,
    kind: &str,
    date: DateTime<Utc>,
    posts: Vec<PostEntry>,
) -> anyhow::Result<()> {
    state
        .posts
        .save(
            org_id,
            CreatePostRequest {
                kind: kind.into(),
                order: None,
                short_link: false,
                inter: None,
                republish: false,
                timezone: None,
                date: date.to_rfc3339(),
                tags: Vec::new(),
                posts,
            },
            SaveOptions {
                method: CreationMethod::Api,
                keep_group: false,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("save: {e}"))?;
    Ok(())
}

async fn publish_result(
    state: &AppState,
    mock: &MockNetwork,
    due: DateTime<Utc>,
    posts: usize,
) -> anyhow::Result<PublishResult> {
    use postiz_entity::post;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let received = mock.received();
    let due_time: SystemTime = due.into();
    let mut lateness: Vec<f64> = received
        .iter()
        .map(|r| {
            r.at.duration_since(due_time)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0)
        })
        .collect();
    lateness.sort_by(|a, b| a.total_cmp(b));
    let last = lateness.last().copied().unwrap_or(0.0);
    let first = lateness.first().copied().unwrap_or(0.0);
    let published = post::Entity::find()
        .filter(post::Column::State.eq("PUBLISHED"))
        .count(&state.db)
        .await? as usize;
    let errors = post::Entity::find()
        .filter(post::Column::State.eq("ERROR"))
        .count(&state.db)
        .await?;
    Ok(PublishResult {
        posts,
        published,
        errors,
        duplicates: mock.duplicates().len(),
        rate: received.len() as f64 / (last - first).max(0.001),
        p50: percentile(&lateness, 0.50),
        p99: percentile(&lateness, 0.99),
        max: last,
    })
}

async fn calendar_bench(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    org_id: &str,
    start: DateTime<Utc>,
    args: &Args,
    ranges: Ranges,
) -> anyhow::Result<CalendarResult> {
    let week_start = start + chrono::Duration::weeks(10);
    let base = base.to_string();
    // The week starting `shift` milliseconds later.
    let week_url = move |shift: i64| {
        let from = week_start + chrono::Duration::milliseconds(shift);
        format!(
            "{base}/posts?display=week&customer=&startDate={}&endDate={}",
            encode(&from.to_rfc3339()),
            encode(&(from + chrono::Duration::days(7)).to_rfc3339())
        )
    };
    let url = week_url(0);
    let first: serde_json::Value = client
        .get(&url)
        .header("auth", token)
        .header("showorg", org_id)
        .send()
        .await?
        .json()
        .await?;
    let per_week = first["p"].as_array().map_or(0, Vec::len);
    let stop = Instant::now() + Duration::from_secs(args.seconds);
    let latencies = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for task in 0..args.clients {
        let client = client.clone();
        let url = url.clone();
        let week_url = week_url.clone();
        let token = token.to_string();
        let org = org_id.to_string();
        let latencies = latencies.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            let mut shift = (task as i64 + 1) * 10_000_000;
            while Instant::now() < stop {
                let url = match ranges {
                    Ranges::Same => url.clone(),
                    Ranges::Distinct => {
                        shift += 1;
                        week_url(shift)
                    }
                };
                let t = Instant::now();
                // The whole body is read: the latency is the dashboard's wait, and an unread
                // body would close the connection instead of returning it to the pool.
                let ok = match client
                    .get(&url)
                    .header("auth", &token)
                    .header("showorg", &org)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                if ok {
                    mine.push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }
            latencies.lock().await.extend(mine);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let mut all = latencies.lock().await.clone();
    all.sort_by(|a, b| a.total_cmp(b));
    Ok(CalendarResult {
        rps: all.len() as f64 / args.seconds as f64,
        p50: percentile(&all, 0.50),
        p99: percentile(&all, 0.99),
        per_week,
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

async fn create_pg_database(server: &str) -> anyhow::Result<(String, String)> {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(server)
        .await
        .context("cannot reach PostgreSQL")?;
    let name = format!("postiz_bench_{}", uuid::Uuid::new_v4().simple());
    db.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    let mut url = url::Url::parse(server)?;
    url.set_path(&format!("/{name}"));
    Ok((url.to_string(), name))
}

async fn drop_pg_database(server: &str, name: &str) {
    use sea_orm::ConnectionTrait;
    if let Ok(db) = sea_orm::Database::connect(server).await {
        let _ = db
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
}
