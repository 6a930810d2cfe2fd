//! The database under the engine: the sqlx pool apalis needs, chosen from the URL or taken from
//! the application's sea-orm connection, plus the few statements the engine runs itself
//! (idempotent insert through apalis' sink query, lease rows, job look-up).

use std::str::FromStr;

use apalis::prelude::{TaskBuilder, TaskId};
use sea_orm::sqlx::postgres::PgPoolOptions;
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::sqlx::{self, PgPool, Row, SqlitePool};
use sea_orm::{DatabaseBackend, DatabaseConnection};
use ulid::Ulid;

use crate::error::JobError;

// The lease statements, one per backend: the same SQL but for the placeholders (`?n` / `$n`) and
// the clock. Lease expiry is always compared on the database clock (epoch milliseconds), never
// on the clocks of the worker machines.
macro_rules! sqlite_now_ms {
    () => {
        "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
    };
}
macro_rules! pg_now_ms {
    () => {
        "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
    };
}
macro_rules! take_sql {
    ($now:expr, $p1:literal, $p2:literal, $p3:literal, $p4:literal, $p5:literal) => {
        concat!(
            "INSERT INTO job_leases (lease_key, slot, holder, job_id, acquired_at_ms, expires_at_ms) VALUES (",
            $p1, ", ", $p2, ", ", $p3, ", ", $p4, ", ", $now, ", ", $now, " + ", $p5, ") ",
            "ON CONFLICT (lease_key, slot) DO UPDATE SET holder = excluded.holder, job_id = excluded.job_id, ",
            "acquired_at_ms = excluded.acquired_at_ms, expires_at_ms = excluded.expires_at_ms ",
            "WHERE job_leases.expires_at_ms <= ", $now
        )
    };
}
macro_rules! renew_sql {
    ($now:expr, $p1:literal, $p2:literal, $p3:literal, $p4:literal) => {
        concat!(
            "UPDATE job_leases SET expires_at_ms = ",
            $now,
            " + ",
            $p1,
            " WHERE lease_key = ",
            $p2,
            " AND slot = ",
            $p3,
            " AND holder = ",
            $p4
        )
    };
}
macro_rules! count_sql {
    ($now:expr, $p1:literal) => {
        concat!(
            "SELECT COUNT(*) FROM job_leases WHERE lease_key = ",
            $p1,
            " AND expires_at_ms > ",
            $now
        )
    };
}
const SQLITE_TAKE: &str = take_sql!(sqlite_now_ms!(), "?1", "?2", "?3", "?4", "?5");
const PG_TAKE: &str = take_sql!(pg_now_ms!(), "$1", "$2", "$3", "$4", "$5");
const SQLITE_RENEW: &str = renew_sql!(sqlite_now_ms!(), "?1", "?2", "?3", "?4");
const PG_RENEW: &str = renew_sql!(pg_now_ms!(), "$1", "$2", "$3", "$4");
const SQLITE_RELEASE: &str =
    "DELETE FROM job_leases WHERE lease_key = ?1 AND slot = ?2 AND holder = ?3";
const PG_RELEASE: &str =
    "DELETE FROM job_leases WHERE lease_key = $1 AND slot = $2 AND holder = $3";
const SQLITE_COUNT: &str = count_sql!(sqlite_now_ms!(), "?1");
const PG_COUNT: &str = count_sql!(pg_now_ms!(), "$1");

/// Which database the engine runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// apalis-sqlite (`Jobs` and `Workers` tables in the application's file).
    Sqlite,
    /// apalis-postgres (schema `apalis`).
    Postgres,
}

#[derive(Debug, Clone)]
pub(crate) enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Result of an insert: the id of the new row, or of the row that already holds the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Inserted {
    New(String),
    Existing(Option<String>),
}

/// A stored job, as [`crate::JobQueue::find`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    /// apalis task id (a ULID).
    pub id: String,
    /// Queue name (apalis `job_type`).
    pub queue: String,
    /// apalis status: `Pending`, `Queued`, `Running`, `Done`, `Failed` or `Killed`.
    pub status: String,
    /// Runs started so far (apalis `attempts`).
    pub attempts: i64,
    /// When the job is due, in epoch seconds.
    pub run_at: i64,
    /// The last result or error apalis recorded, as JSON text.
    pub last_result: Option<String>,
}

impl Store {
    pub(crate) async fn connect(url: &str, max_connections: u32) -> Result<Self, JobError> {
        let trimmed = url.trim();
        if trimmed.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(trimmed)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(postiz_sqlite_conn::TIMEOUT)
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                // The short-step busy handler the application's pool has (see that crate).
                .after_connect(|conn, _| {
                    Box::pin(postiz_sqlite_conn::configure(
                        conn,
                        postiz_sqlite_conn::TIMEOUT,
                    ))
                })
                .connect_with(options)
                .await?;
            Ok(Self::Sqlite(pool))
        } else if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .connect(trimmed)
                .await?;
            Ok(Self::Postgres(pool))
        } else {
            Err(JobError::UnsupportedUrl(redact(trimmed)))
        }
    }

    pub(crate) fn from_connection(db: &DatabaseConnection) -> Result<Self, JobError> {
        match db.get_database_backend() {
            DatabaseBackend::Sqlite => Ok(Self::Sqlite(db.get_sqlite_connection_pool().clone())),
            DatabaseBackend::Postgres => {
                Ok(Self::Postgres(db.get_postgres_connection_pool().clone()))
            }
            _ => Err(JobError::UnsupportedBackend),
        }
    }

    pub(crate) fn kind(&self) -> BackendKind {
        match self {
            Self::Sqlite(_) => BackendKind::Sqlite,
            Self::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Creates or upgrades apalis' tables with apalis' own migrations. On SQLite this skips
    /// `SqliteStorage::setup`'s pragmas (`synchronous = OFF` would trade durability for speed on
    /// the application's database); the pool already runs in WAL mode. On PostgreSQL it then
    /// repairs two costs of apalis' schema (`pg_tuning`).
    pub(crate) async fn migrate(&self) -> Result<(), JobError> {
        match self {
            Self::Sqlite(pool) => {
                apalis_sqlite::SqliteStorage::<()>::migrations()
                    .run(pool)
                    .await
                    .map_err(|e| JobError::Migration(e.to_string()))?;
                crate::planner_stats::seed(pool).await
            }
            Self::Postgres(pool) => {
                apalis_postgres::PostgresStorage::<()>::setup(pool)
                    .await
                    .map_err(|e| JobError::Migration(e.to_string()))?;
                crate::pg_tuning::repair(pool, crate::pg_tuning::APALIS_SCHEMA)
                    .await
                    .map(|_| ())
            }
        }
    }

    /// Inserts one job through apalis' own sink query. apalis answers a duplicate idempotency
    /// key differently per backend (SQLite: `ON CONFLICT DO NOTHING`, silently; PostgreSQL: a
    /// unique violation); both become [`Inserted::Existing`] here.
    pub(crate) async fn insert(
        &self,
        queue: &str,
        args: Vec<u8>,
        run_at_secs: u64,
        key: Option<&str>,
    ) -> Result<Inserted, JobError> {
        let id = Ulid::generate();
        let id_text = id.to_string();
        let mut builder = TaskBuilder::new(args)
            .task_id(TaskId::from_ulid(id))
            .run_at_timestamp(run_at_secs)
            // apalis must never re-fetch a failed job by itself: a failure is final, a retry is
            // an explicit follow-up job (see `JobOutcome::RetryAt`).
            .max_attempts(1);
        if let Some(key) = key {
            builder = builder.idempotency_key(key);
        }
        let task = builder.build();
        match self {
            Self::Sqlite(pool) => {
                let mut conn = pool.acquire().await?;
                apalis_sqlite::queries::push_tasks(&mut *conn, queue, &[task]).await?;
                let Some(key) = key else {
                    return Ok(Inserted::New(id_text));
                };
                let stored: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM Jobs WHERE job_type = ?1 AND idempotency_key = ?2",
                )
                .bind(queue)
                .bind(key)
                .fetch_optional(&mut *conn)
                .await?;
                match stored {
                    Some(stored) if stored == id_text => Ok(Inserted::New(id_text)),
                    other => Ok(Inserted::Existing(other)),
                }
            }
            Self::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                match apalis_postgres::queries::push_tasks(&mut *conn, queue, vec![task]).await {
                    Ok(()) => Ok(Inserted::New(id_text)),
                    Err(apalis_postgres::Error::Database(e)) if is_unique_violation(&e) => {
                        let stored: Option<String> = sqlx::query_scalar(
                            "SELECT id FROM apalis.jobs WHERE job_type = $1 AND idempotency_key = $2",
                        )
                        .bind(queue)
                        .bind(key)
                        .fetch_optional(&mut *conn)
                        .await?;
                        Ok(Inserted::Existing(stored))
                    }
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// The job of a queue that holds an idempotency key.
    pub(crate) async fn find_by_key(
        &self,
        queue: &str,
        key: &str,
    ) -> Result<Option<JobRecord>, JobError> {
        let row = match self {
            Self::Sqlite(pool) => sqlx::query(
                "SELECT id, job_type, status, attempts, run_at, last_result FROM Jobs \
                     WHERE job_type = ?1 AND idempotency_key = ?2",
            )
            .bind(queue)
            .bind(key)
            .fetch_optional(pool)
            .await?
            .map(|r| -> Result<JobRecord, sqlx::Error> {
                Ok(JobRecord {
                    id: r.try_get("id")?,
                    queue: r.try_get("job_type")?,
                    status: r.try_get("status")?,
                    attempts: r.try_get("attempts")?,
                    run_at: r.try_get("run_at")?,
                    last_result: r.try_get("last_result")?,
                })
            }),
            Self::Postgres(pool) => sqlx::query(
                "SELECT id, job_type, status, attempts::BIGINT AS attempts, \
                 EXTRACT(EPOCH FROM run_at)::BIGINT AS run_at, last_result::TEXT AS last_result \
                 FROM apalis.jobs WHERE job_type = $1 AND idempotency_key = $2",
            )
            .bind(queue)
            .bind(key)
            .fetch_optional(pool)
            .await?
            .map(|r| -> Result<JobRecord, sqlx::Error> {
                Ok(JobRecord {
                    id: r.try_get("id")?,
                    queue: r.try_get("job_type")?,
                    status: r.try_get("status")?,
                    attempts: r.try_get("attempts")?,
                    run_at: r.try_get("run_at")?,
                    last_result: r.try_get("last_result")?,
                })
            }),
        };
        Ok(row.transpose()?)
    }

    /// Takes `slot` of `key` for `holder` when it is free (absent or expired). One atomic upsert:
    /// two processes racing for the same slot cannot both win, on either backend.
    pub(crate) async fn lease_try_take(
        &self,
        key: &str,
        slot: i32,
        holder: &str,
        job_id: Option<&str>,
        ttl_ms: i64,
    ) -> Result<bool, JobError> {
        let affected = match self {
            Self::Sqlite(pool) => sqlx::query(SQLITE_TAKE)
                .bind(key)
                .bind(slot)
                .bind(holder)
                .bind(job_id)
                .bind(ttl_ms)
                .execute(pool)
                .await?
                .rows_affected(),
            Self::Postgres(pool) => sqlx::query(PG_TAKE)
                .bind(key)
                .bind(slot)
                .bind(holder)
                .bind(job_id)
                .bind(ttl_ms)
                .execute(pool)
                .await?
                .rows_affected(),
        };
        Ok(affected == 1)
    }

    /// Pushes the expiry of a held slot; `false` when the slot is no longer ours.
    pub(crate) async fn lease_renew(
        &self,
        key: &str,
        slot: i32,
        holder: &str,
        ttl_ms: i64,
    ) -> Result<bool, JobError> {
        let affected = match self {
            Self::Sqlite(pool) => sqlx::query(SQLITE_RENEW)
                .bind(ttl_ms)
                .bind(key)
                .bind(slot)
                .bind(holder)
                .execute(pool)
                .await?
                .rows_affected(),
            Self::Postgres(pool) => sqlx::query(PG_RENEW)
                .bind(ttl_ms)
                .bind(key)
                .bind(slot)
                .bind(holder)
                .execute(pool)
                .await?
                .rows_affected(),
        };
        Ok(affected == 1)
    }

    /// Frees a held slot.
    pub(crate) async fn lease_release(
        &self,
        key: &str,
        slot: i32,
        holder: &str,
    ) -> Result<(), JobError> {
        match self {
            Self::Sqlite(pool) => {
                sqlx::query(SQLITE_RELEASE)
                    .bind(key)
                    .bind(slot)
                    .bind(holder)
                    .execute(pool)
                    .await?;
            }
            Self::Postgres(pool) => {
                sqlx::query(PG_RELEASE)
                    .bind(key)
                    .bind(slot)
                    .bind(holder)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Slots of `key` held now (not expired).
    pub(crate) async fn lease_count(&self, key: &str) -> Result<i64, JobError> {
        let count: i64 = match self {
            Self::Sqlite(pool) => {
                sqlx::query_scalar(SQLITE_COUNT)
                    .bind(key)
                    .fetch_one(pool)
                    .await?
            }
            Self::Postgres(pool) => {
                sqlx::query_scalar(PG_COUNT)
                    .bind(key)
                    .fetch_one(pool)
                    .await?
            }
        };
        Ok(count)
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// A URL without its password, for error messages.
fn redact(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("mysql://u:secret@h/db"), "mysql://u:***@h/db");
        assert_eq!(redact("mysql://h/db"), "mysql://h/db");
        assert_eq!(redact("mysql://u@h/db"), "mysql://u@h/db");
    }
}
