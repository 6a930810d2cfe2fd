//! Planner statistics for apalis' `Jobs` table on SQLite.
//!
//! Without statistics SQLite guesses that `status = ?` picks a few rows. apalis' lock statement
//! (`WHERE id IN (SELECT value FROM json_each(?)) AND (status = 'Queued' OR status = 'Pending'
//! OR ...)`) then walks every queued job through the status index instead of looking the few
//! ids up by key, and a burst of 10,000 due posts slows down as it grows. SQLite lets an
//! application supply the statistics `ANALYZE` would gather; these describe a busy queue (one
//! job type, a handful of statuses, unique ids), the shape the engine is built for. A real
//! `ANALYZE` later replaces them.

use sea_orm::sqlx::{self, SqlitePool};

use crate::error::JobError;

/// `(index, stat)` rows of `sqlite_stat1` for `Jobs`, as `ANALYZE` reports them for a queue of
/// 10,000 jobs.
const JOBS_STATS: &[(&str, &str)] = &[
    ("sqlite_autoindex_Jobs_1", "10000 1"),
    ("idx_jobs_status_run_at", "10000 2500 2500"),
    ("idx_jobs_job_type_status_run_at", "10000 10000 2500 2500"),
    ("idx_jobs_idempotency_key", "10000 10000 1"),
    ("idx_jobs_claimable", "8192 4096 4096"),
    ("idx_jobs_pending", "8176 8176 8176 8176 1"),
    ("idx_jobs_running", "25 25"),
    ("idx_jobs_completed_done_at", "1783 1783 298 298"),
    ("LIdx", "10000 2000"),
];

/// Supplies the statistics once (never over ones `ANALYZE` gathered), then makes every open
/// connection load them: statistics are read with the schema, and a schema change makes each
/// connection read it again before its next statement.
pub(crate) async fn seed(pool: &SqlitePool) -> Result<(), JobError> {
    let fail = |e: sqlx::Error| JobError::Migration(format!("planner statistics: {e}"));
    let mut tx = pool.begin().await.map_err(fail)?;
    // Creates `sqlite_stat1` when missing, without scanning any table.
    sqlx::query("ANALYZE sqlite_schema")
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    let known: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'Jobs'")
        .fetch_one(&mut *tx)
        .await
        .map_err(fail)?;
    if known > 0 {
        return tx.commit().await.map_err(fail);
    }
    for (index, stat) in JOBS_STATS {
        sqlx::query("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('Jobs', ?1, ?2)")
            .bind(index)
            .bind(stat)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
    }
    sqlx::query("CREATE TABLE postiz_stats_reload (x INTEGER)")
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    sqlx::query("DROP TABLE postiz_stats_reload")
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    tx.commit().await.map_err(fail)
}
