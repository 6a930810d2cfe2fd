//! Retention of finished jobs: apalis keeps every job row and every worker row forever, so a
//! scheduler that publishes all day grows its queue tables without end. [`Retention`] deletes
//! what no one can need any more, in short batches so publishing writers are never held up.
//!
//! A finished job's row is what keeps its idempotency key taken, so it may only go once nothing
//! will push that key again: callers pick `keep_for` longer than any re-push window (the
//! missed-post sweep looks two days back). Jobs that could still run are never touched: pending,
//! queued and running ones, and a `Failed` one apalis would fetch again (`attempts <
//! max_attempts`).

use std::time::Duration;

use sea_orm::sqlx;
use ulid::Ulid;

use crate::error::JobError;
use crate::store::Store;

/// Rows deleted per statement by default: a few milliseconds of write lock on SQLite.
const DEFAULT_BATCH: usize = 1_000;
/// Pause between two batches, so other writers (publications) take the database in between.
const BATCH_PAUSE: Duration = Duration::from_millis(20);
/// Workers stay at least this long after their last heartbeat (10 s apart), whatever `keep_for`.
const WORKER_SILENCE_MIN: Duration = Duration::from_secs(3600);
/// The longest retention the arithmetic is kept to (a century; longer means "keep").
const LONGEST_KEEP: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
/// Slack on the id bound for a clock difference between this process and the database.
const CLOCK_SLACK: Duration = Duration::from_secs(3600);

/// Finished jobs end with one of these statuses (`Failed` only once apalis will not run it again).
macro_rules! finished {
    () => {
        "(status IN ('Done', 'Killed') OR (status = 'Failed' AND attempts >= max_attempts))"
    };
}

// Job ids are ULIDs, which sort by creation time: `id < bound` walks the primary key over the
// old rows only (PostgreSQL has no index on `done_at`), and `id > after` resumes where the last
// batch ended instead of stepping over what the earlier batches left.
const SQLITE_JOBS: &str = concat!(
    "DELETE FROM Jobs WHERE id IN (SELECT id FROM Jobs WHERE id > ?1 AND id < ?2 ",
    "AND done_at < CAST(strftime('%s', 'now') AS INTEGER) - ?3 AND ",
    finished!(),
    " ORDER BY id LIMIT ?4) RETURNING id"
);
const PG_JOBS: &str = concat!(
    "DELETE FROM apalis.jobs WHERE id IN (SELECT id FROM apalis.jobs WHERE id > $1 AND id < $2 ",
    "AND done_at < now() - make_interval(secs => $3) AND ",
    finished!(),
    " ORDER BY id LIMIT $4) RETURNING id"
);
// A worker row goes once it has been silent as long and no kept job names it (`lock_by` is a
// foreign key, and finished jobs keep it).
const SQLITE_WORKERS: &str = "DELETE FROM Workers WHERE id IN (SELECT w.id FROM Workers w \
     WHERE w.last_seen < CAST(strftime('%s', 'now') AS INTEGER) - ?1 \
     AND NOT EXISTS (SELECT 1 FROM Jobs j WHERE j.lock_by = w.id) LIMIT ?2)";
const PG_WORKERS: &str = "DELETE FROM apalis.workers WHERE id IN (SELECT w.id FROM apalis.workers w \
     WHERE w.last_seen < now() - make_interval(secs => $1) \
     AND NOT EXISTS (SELECT 1 FROM apalis.jobs j WHERE j.lock_by = w.id) LIMIT $2)";

/// How long finished jobs are kept, and how many rows one statement deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    keep_for: Duration,
    batch: usize,
}

/// What one purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Finished job rows (their idempotency keys are free again).
    pub jobs: u64,
    /// Rows of workers silent for the retention time.
    pub workers: u64,
}

impl Retention {
    /// Keeps finished jobs, and silent workers (at least an hour), for `keep_for` after they
    /// ended (at most a century).
    pub fn new(keep_for: Duration) -> Self {
        Self {
            keep_for: keep_for.min(LONGEST_KEEP),
            batch: DEFAULT_BATCH,
        }
    }

    /// Sets the rows deleted per statement (at least 1).
    #[must_use]
    pub fn batch(mut self, rows: usize) -> Self {
        self.batch = rows.max(1);
        self
    }

    /// How long finished jobs are kept.
    pub fn keep_for(&self) -> Duration {
        self.keep_for
    }

    /// Deletes the jobs that finished more than `keep_for` ago, then the rows of workers silent
    /// for as long that no remaining job names.
    pub(crate) async fn purge(&self, store: &Store) -> Result<Purged, JobError> {
        let secs = self.keep_for.as_secs_f64();
        let bound = id_bound(self.keep_for);
        let limit = i64::try_from(self.batch).unwrap_or(i64::MAX);
        let mut purged = Purged::default();
        let mut after = String::new();
        loop {
            let ids: Vec<String> = match store {
                Store::Sqlite(pool) => {
                    sqlx::query_scalar(SQLITE_JOBS)
                        .bind(&after)
                        .bind(&bound)
                        .bind(whole_secs(self.keep_for))
                        .bind(limit)
                        .fetch_all(pool)
                        .await?
                }
                Store::Postgres(pool) => {
                    sqlx::query_scalar(PG_JOBS)
                        .bind(&after)
                        .bind(&bound)
                        .bind(secs)
                        .bind(limit)
                        .fetch_all(pool)
                        .await?
                }
            };
            purged.jobs += ids.len() as u64;
            let full = ids.len() >= self.batch;
            match ids.into_iter().max() {
                Some(last) if full => after = last,
                _ => break,
            }
            tokio::time::sleep(BATCH_PAUSE).await;
        }
        let silence = self.keep_for.max(WORKER_SILENCE_MIN);
        loop {
            let deleted = match store {
                Store::Sqlite(pool) => sqlx::query(SQLITE_WORKERS)
                    .bind(whole_secs(silence))
                    .bind(limit)
                    .execute(pool)
                    .await?
                    .rows_affected(),
                Store::Postgres(pool) => sqlx::query(PG_WORKERS)
                    .bind(silence.as_secs_f64())
                    .bind(limit)
                    .execute(pool)
                    .await?
                    .rows_affected(),
            };
            purged.workers += deleted;
            if deleted < self.batch as u64 {
                break;
            }
            tokio::time::sleep(BATCH_PAUSE).await;
        }
        if purged.jobs > 0 || purged.workers > 0 {
            metrics::counter!("jobs_purged_total").increment(purged.jobs);
            tracing::info!(
                jobs = purged.jobs,
                workers = purged.workers,
                "finished jobs purged"
            );
        }
        Ok(purged)
    }
}

/// Whole seconds for SQLite's integer clock arithmetic.
fn whole_secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// The smallest ULID of a job created `keep_for` (less the clock slack) before now: every job
/// that finished before the cutoff was created before it, so its id sorts below.
fn id_bound(keep_for: Duration) -> String {
    let now_ms = chrono::Utc::now().timestamp_millis().max(0) as u64;
    let back = u64::try_from(keep_for.saturating_sub(CLOCK_SLACK).as_millis()).unwrap_or(u64::MAX);
    Ulid::from_parts(now_ms.saturating_sub(back), 0).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_bound_sorts_after_older_ids_and_before_newer_ones() {
        let week = Duration::from_secs(7 * 24 * 3600);
        let bound = id_bound(week);
        let now_ms = chrono::Utc::now().timestamp_millis() as u64;
        let eight_days = Ulid::from_parts(now_ms - 8 * 24 * 3600 * 1000, u128::MAX >> 48);
        let six_days = Ulid::from_parts(now_ms - 6 * 24 * 3600 * 1000, 0);
        assert!(eight_days.to_string() < bound);
        assert!(six_days.to_string() > bound);
    }

    #[test]
    fn an_endless_retention_is_a_century() {
        let endless = Retention::new(Duration::MAX);
        assert_eq!(endless.keep_for(), LONGEST_KEEP);
        // Before any id of this century, and no overflow on the way.
        assert!(id_bound(endless.keep_for()) < Ulid::from_parts(0x0100_0000_0000, 0).to_string());
    }
}
