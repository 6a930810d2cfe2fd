//! SQLite plans apalis' lock statement as a look-up by id once the engine's tables are set up,
//! also on connections that were open before (the lock otherwise walks every queued job).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use postiz_jobs::{JobQueue, JobsConfig};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sea_orm::sqlx::{self, Row, SqlitePool};
use std::str::FromStr;

/// apalis' lock statement (apalis-sqlite `queries/task/lock.sql`), as it reaches SQLite.
const LOCK_PLAN: &str = "EXPLAIN QUERY PLAN UPDATE Jobs SET status = 'Running', lock_at = strftime('%s', 'now'), lock_by = ?2 \
    WHERE id IN (SELECT value FROM json_each(?1)) AND (status = 'Queued' OR status = 'Pending' \
    OR (status = 'Failed' AND attempts < max_attempts))";

async fn plan(pool: &SqlitePool) -> String {
    let rows = sqlx::query(LOCK_PLAN)
        .bind("[\"a\"]")
        .bind("w")
        .fetch_all(pool)
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.get::<String, _>("detail"))
        .collect::<Vec<_>>()
        .join(" | ")
}

#[tokio::test]
async fn the_lock_looks_jobs_up_by_id_on_every_connection() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("jobs.db").display());
    // One connection, opened and used (schema read) before the engine sets its tables up.
    let early = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::from_str(&url).unwrap())
        .await
        .unwrap();
    sqlx::query("CREATE TABLE unrelated (x INTEGER)")
        .execute(&early)
        .await
        .unwrap();

    let jobs = JobQueue::connect(&url, JobsConfig::default())
        .await
        .unwrap();
    jobs.migrate().await.unwrap();
    // Set up twice (every start does): still one set of statistics.
    jobs.migrate().await.unwrap();

    let early_plan = plan(&early).await;
    assert!(
        early_plan.contains("sqlite_autoindex_Jobs_1 (id=?)"),
        "lock plan on the early connection: {early_plan}"
    );
    assert!(!early_plan.contains("MULTI-INDEX OR"), "{early_plan}");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'Jobs'")
        .fetch_one(&early)
        .await
        .unwrap();
    assert_eq!(rows, 9);
}
