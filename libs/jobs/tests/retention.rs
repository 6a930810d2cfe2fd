//! Retention of finished jobs on SQLite (always) and PostgreSQL (with `TEST_DATABASE_URL`):
//! what a purge deletes, what it must keep, and that a purged job's key is free again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)] // the helpers other test files use
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use common::{TestDb, fast_config, wait_until};
use postiz_jobs::{
    CancellationToken, JobContext, JobOutcome, JobQueue, JobRequest, Purged, QueueOptions,
    Retention, WorkerRuntime,
};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Item {
    id: u32,
}

const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);
const DAY_SECS: i64 = 24 * 3600;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn finished_jobs_older_than_the_retention_are_purged_on_sqlite() {
    let db = TestDb::sqlite().await;
    finished_jobs_older_than_the_retention_are_purged(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn finished_jobs_older_than_the_retention_are_purged_on_postgres() {
    match TestDb::postgres().await {
        Some(db) => finished_jobs_older_than_the_retention_are_purged(&db).await,
        None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped"),
    }
}

/// Jobs of every kind, run, then made to look as old as a week and more (an id of that age and,
/// for some, an end that long ago); the purge keeps exactly those that may still run or whose
/// key may still matter.
async fn finished_jobs_older_than_the_retention_are_purged(db: &TestDb) {
    let queue = format!("retention-{}", db.label);
    let idle_queue = format!("retention-idle-{}", db.label);
    let live_queue = format!("retention-live-{}", db.label);
    let jobs = db.process(fast_config()).await;
    let sql = db.connection().await;

    // Ids 100 and 101 fail (failure is final: apalis will not run them again); others succeed.
    let done: Arc<Mutex<Vec<u32>>> = Arc::default();
    let mut runtime = WorkerRuntime::new(jobs.clone());
    {
        let done = done.clone();
        runtime.register(
            &queue,
            QueueOptions::new(),
            move |item: Item, _: JobContext| {
                let done = done.clone();
                async move {
                    done.lock().unwrap().push(item.id);
                    if item.id >= 100 {
                        JobOutcome::failed("refused")
                    } else {
                        JobOutcome::Done
                    }
                }
            },
        );
    }
    // A queue without jobs: its worker's row is named by no job once it stops.
    runtime.register(
        &idle_queue,
        QueueOptions::new(),
        |_: Item, _: JobContext| async { JobOutcome::Done },
    );
    let keys = [
        ("old-0", 0),
        ("old-1", 1),
        ("old-2", 2),
        ("old-3", 3),
        ("old-4", 4),
        ("old-failed", 100),
        ("failed-retryable", 101),
        ("recent", 5),
    ];
    for (key, id) in keys {
        push(&jobs, &queue, key, id, None).await;
    }
    let tomorrow = Utc::now() + chrono::Duration::days(1);
    push(&jobs, &queue, "future", 6, Some(tomorrow)).await;
    let running = runtime.start(CancellationToken::new()).unwrap();
    assert!(
        wait_until(Duration::from_secs(10), || done.lock().unwrap().len()
            == keys.len())
        .await
    );
    // The last acknowledgement is written just after the handler returns.
    assert!(wait_for_statuses(&jobs, &queue, &keys).await);
    running.shutdown().await;

    // A worker still alive: its row stays whatever happens to the others.
    let mut live = WorkerRuntime::new(jobs.clone());
    live.register(
        &live_queue,
        QueueOptions::new(),
        |_: Item, _: JobContext| async { JobOutcome::Done },
    );
    let live = live.start(CancellationToken::new()).unwrap();
    assert!(wait_until_worker_row(&sql, db, &live_queue).await);

    // Age: every job id dates from ten days ago; all but `recent` ended nine days ago (so did
    // the pending `future`, to show its status alone keeps it); `failed-retryable` may run again.
    for (key, _) in keys.iter().chain([&("future", 6)]) {
        let old_id = ulid::Ulid::from_parts(
            (Utc::now().timestamp_millis() - 10 * DAY_SECS * 1000) as u64,
            rand_bits(key),
        );
        let ended = if *key == "recent" { 0 } else { 9 * DAY_SECS };
        age_job(&sql, db, &queue, key, &old_id.to_string(), ended).await;
    }
    exec(
        &sql,
        &format!(
            "UPDATE {} SET max_attempts = 5 WHERE idempotency_key = 'failed-retryable'",
            jobs_table(db)
        ),
    )
    .await;
    // Every stopped worker fell silent nine days ago.
    for prefix in [&queue, &idle_queue] {
        age_workers(&sql, db, prefix, 9 * DAY_SECS).await;
    }
    let workers_before = count(&sql, db, "workers").await;

    // Two rows per statement: the purge walks batch after batch.
    let retention = Retention::new(WEEK).batch(2);
    let purged = jobs.purge_finished(&retention).await.unwrap();
    assert_eq!(
        purged,
        Purged {
            jobs: 6,
            workers: 1
        },
        "five old successes and the final failure; the idle queue's worker"
    );
    for gone in ["old-0", "old-1", "old-2", "old-3", "old-4", "old-failed"] {
        assert!(
            jobs.find(&queue, gone).await.unwrap().is_none(),
            "{gone} kept"
        );
    }
    for (kept, status) in [
        ("recent", "Done"),
        ("failed-retryable", "Failed"),
        ("future", "Pending"),
    ] {
        let record = jobs.find(&queue, kept).await.unwrap();
        assert_eq!(record.map(|r| r.status).as_deref(), Some(status), "{kept}");
    }
    // The worker that ran the kept jobs stays (they name it); the live one too.
    assert_eq!(count(&sql, db, "workers").await, workers_before - 1);
    assert_eq!(worker_rows(&sql, db, &idle_queue).await, 0);
    assert_eq!(worker_rows(&sql, db, &queue).await, 1);
    assert_eq!(worker_rows(&sql, db, &live_queue).await, 1);

    // A purged key is free again; a kept one still holds its job.
    assert!(push(&jobs, &queue, "old-0", 0, None).await);
    assert!(!push(&jobs, &queue, "recent", 5, None).await);
    // Nothing else is old enough: a second purge deletes nothing.
    assert_eq!(
        jobs.purge_finished(&retention).await.unwrap(),
        Purged::default()
    );
    // A shorter retention reaches `recent` only once it has ended long enough ago.
    let none_kept = Retention::new(Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let purged = jobs.purge_finished(&none_kept).await.unwrap();
    assert_eq!(
        purged.jobs, 1,
        "`recent` (ended now) under a zero retention"
    );
    assert!(jobs.find(&queue, "recent").await.unwrap().is_none());
    live.shutdown().await;
}

/// Pushes a job; `true` when it is new.
async fn push(
    jobs: &JobQueue,
    queue: &str,
    key: &str,
    id: u32,
    at: Option<chrono::DateTime<Utc>>,
) -> bool {
    let mut request = JobRequest::new(queue, &Item { id }).key(key);
    if let Some(at) = at {
        request = request.at(at);
    }
    jobs.push(request).await.unwrap().is_new()
}

async fn wait_for_statuses(jobs: &JobQueue, queue: &str, keys: &[(&str, u32)]) -> bool {
    for _ in 0..200 {
        let mut finished = 0;
        for (key, _) in keys {
            let status = jobs.find(queue, key).await.unwrap().map(|r| r.status);
            if matches!(status.as_deref(), Some("Done" | "Failed")) {
                finished += 1;
            }
        }
        if finished == keys.len() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

async fn wait_until_worker_row(sql: &DatabaseConnection, db: &TestDb, prefix: &str) -> bool {
    for _ in 0..200 {
        if worker_rows(sql, db, prefix).await == 1 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Deterministic low bits for an aged id (distinct per key).
fn rand_bits(key: &str) -> u128 {
    key.bytes().fold(7_u128, |h, b| {
        h.wrapping_mul(31).wrapping_add(u128::from(b))
    }) & ((1 << 80) - 1)
}

fn is_sqlite(db: &TestDb) -> bool {
    db.label == "sqlite"
}

fn jobs_table(db: &TestDb) -> &'static str {
    if is_sqlite(db) { "Jobs" } else { "apalis.jobs" }
}

fn workers_table(db: &TestDb) -> &'static str {
    if is_sqlite(db) {
        "Workers"
    } else {
        "apalis.workers"
    }
}

/// `seconds` before the database's now, in the column type of the backend.
fn ago(db: &TestDb, seconds: i64) -> String {
    if is_sqlite(db) {
        format!("CAST(strftime('%s', 'now') AS INTEGER) - {seconds}")
    } else {
        format!("now() - interval '{seconds} seconds'")
    }
}

async fn age_job(
    sql: &DatabaseConnection,
    db: &TestDb,
    queue: &str,
    key: &str,
    id: &str,
    ended_secs_ago: i64,
) {
    let done_at = if ended_secs_ago == 0 {
        "done_at".to_string()
    } else {
        ago(db, ended_secs_ago)
    };
    exec(
        sql,
        &format!(
            "UPDATE {} SET id = '{id}', done_at = {done_at} WHERE job_type = '{queue}' AND idempotency_key = '{key}'",
            jobs_table(db)
        ),
    )
    .await;
}

async fn age_workers(sql: &DatabaseConnection, db: &TestDb, queue: &str, secs: i64) {
    exec(
        sql,
        &format!(
            "UPDATE {} SET last_seen = {} WHERE id LIKE '{queue}-%'",
            workers_table(db),
            ago(db, secs)
        ),
    )
    .await;
}

async fn worker_rows(sql: &DatabaseConnection, db: &TestDb, queue: &str) -> i64 {
    scalar(
        sql,
        &format!(
            "SELECT COUNT(*) AS n FROM {} WHERE id LIKE '{queue}-%'",
            workers_table(db)
        ),
    )
    .await
}

async fn count(sql: &DatabaseConnection, db: &TestDb, what: &str) -> i64 {
    let table = if what == "workers" {
        workers_table(db)
    } else {
        jobs_table(db)
    };
    scalar(sql, &format!("SELECT COUNT(*) AS n FROM {table}")).await
}

async fn scalar(sql: &DatabaseConnection, query: &str) -> i64 {
    let row = sql
        .query_one_raw(sea_orm::Statement::from_string(
            sql.get_database_backend(),
            query,
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn exec(sql: &DatabaseConnection, statement: &str) {
    let result = sql.execute_unprepared(statement).await.unwrap();
    assert!(result.rows_affected() >= 1, "no row changed by {statement}");
}
