//! Three repairs to apalis' PostgreSQL schema (apalis-postgres 1.0), made after its migrations.
//!
//! - `apalis.get_jobs`, which every fetch calls, is a `LANGUAGE sql` function whose body
//!   updates rows. PostgreSQL cannot inline such a function, so it parses and plans the body
//!   again on every call. The same statement in PL/pgSQL is planned once per connection.
//!   Measured with pgbench (4 clients, a fetch that finds nothing): 8,890 -> 31,150 calls/s.
//! - A finished job keeps `lock_by`, the name of the worker that ran it, and worker names live
//!   as long as their process. The acknowledgement (`handle_result.sql`) finds the batch's jobs
//!   through `WHERE lock_by = $worker`; planned for a new worker name, which the statistics
//!   have never seen, it reads every job that worker ever ran through the `lock_by` index, so
//!   each acknowledgement costs more than the one before (seen in a 10,000-post burst: 1 ms
//!   each, and growing for as long as the process runs). The index on `lock_by` now holds
//!   only jobs in flight (`Queued`, `Running`), which is all that apalis' re-enqueue
//!   statements look for; the acknowledgement then finds its jobs by primary key.
//! - `apalis.jobs` carries two indexes that duplicate others: `lidx` (`lock_by`, like
//!   `idx_apalis_jobs_lock_by`) and `unique_job_id` (`id`, like the primary key), leftovers
//!   of apalis' own index clean-up. A job's status changes three times after its insert and
//!   none of these updates can be HOT, so each wrote index entries for nothing. Measured with
//!   pgbench (10,000 jobs, 8 clients, a status change): 9,080-9,600 -> 9,890-10,740
//!   updates/s with the two dropped.
//!
//! All are made only while apalis' newest applied migration is the one they were written
//! against ([`APALIS_SCHEMA`]): a later apalis may redefine `get_jobs` or its indexes, and
//! this must not undo that. Each start checks again; doing it twice changes nothing, and once
//! done a start only reads the catalog (no lock that would wait for running workers). The
//! first time, the index changes wait for jobs being written and the partial index reads
//! the whole jobs table once.

use sea_orm::sqlx::{self, PgPool};

use crate::error::JobError;

/// apalis' newest migration whose schema these repairs fit (`remove_pl_in_get_jobs`).
pub(crate) const APALIS_SCHEMA: i64 = 20260902075949;

/// Serializes processes starting at once (catalog updates would otherwise collide).
const LOCK_KEY: i64 = 0x706f_7374_697a_0001;

/// `(redundant, kept)`: the first is dropped only while the second indexes the same column.
const DUPLICATE_INDEXES: &[(&str, &str)] = &[
    ("lidx", "idx_apalis_jobs_lock_by"),
    ("unique_job_id", "jobs_pkey"),
];

/// The index on `lock_by` that replaces `idx_apalis_jobs_lock_by`: jobs in flight only. The
/// predicate is written as apalis' re-enqueue statements write their condition, so that
/// PostgreSQL can prove it covers them.
const LOCK_BY_IN_FLIGHT: &str = "CREATE INDEX IF NOT EXISTS idx_apalis_jobs_lock_by_in_flight \
    ON apalis.jobs (lock_by) WHERE status = 'Running' OR status = 'Queued'";

/// The statement of apalis' `get_jobs` (apalis-postgres 1.0) unchanged, inside PL/pgSQL.
const GET_JOBS: &str = "CREATE OR REPLACE FUNCTION apalis.get_jobs(\
    worker_id TEXT, v_job_type TEXT, v_job_count INTEGER DEFAULT 5) \
    RETURNS SETOF apalis.jobs LANGUAGE plpgsql VOLATILE AS $$ \
    BEGIN \
    RETURN QUERY \
    WITH jobs AS ( \
        SELECT id FROM apalis.jobs \
        WHERE (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts)) \
            AND run_at < now() \
            AND job_type = v_job_type \
        ORDER BY priority DESC, run_at ASC \
        LIMIT v_job_count \
        FOR UPDATE SKIP LOCKED \
    ) \
    UPDATE apalis.jobs j \
    SET status = 'Queued', lock_by = worker_id, lock_at = now() \
    FROM jobs \
    WHERE j.id = jobs.id \
    RETURNING j.*; \
    END $$";

/// Applies the repairs when apalis' schema is at `expected` (always [`APALIS_SCHEMA`] outside
/// tests). Returns whether it was.
pub(crate) async fn repair(pool: &PgPool, expected: i64) -> Result<bool, JobError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    let newest: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM apalis._sqlx_migrations WHERE success")
            .fetch_one(&mut *tx)
            .await?;
    if newest != Some(expected) {
        tracing::warn!(
            apalis_schema = ?newest,
            expected,
            "apalis' schema is not the one its repairs were written for: left as it is"
        );
        return Ok(false);
    }
    for (redundant, kept) in DUPLICATE_INDEXES {
        // Same table, same key columns, no predicate or expression on either, and the kept
        // index at least as unique.
        let duplicate: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_index r JOIN pg_index k \
             ON k.indrelid = r.indrelid AND k.indkey = r.indkey \
             WHERE r.indexrelid = to_regclass('apalis.' || $1) \
             AND k.indexrelid = to_regclass('apalis.' || $2) \
             AND r.indpred IS NULL AND k.indpred IS NULL \
             AND r.indexprs IS NULL AND k.indexprs IS NULL \
             AND (k.indisunique OR NOT r.indisunique))",
        )
        .bind(redundant)
        .bind(kept)
        .fetch_one(&mut *tx)
        .await?;
        if duplicate {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP INDEX IF EXISTS apalis.{redundant}"
            )))
            .execute(&mut *tx)
            .await?;
        }
    }
    // Checked first: `CREATE INDEX IF NOT EXISTS` would lock the table against writes even
    // when the index is there, and every start comes here.
    let in_flight_index: bool = sqlx::query_scalar(
        "SELECT to_regclass('apalis.idx_apalis_jobs_lock_by_in_flight') IS NOT NULL",
    )
    .fetch_one(&mut *tx)
    .await?;
    if !in_flight_index {
        sqlx::raw_sql(LOCK_BY_IN_FLIGHT).execute(&mut *tx).await?;
    }
    sqlx::raw_sql("DROP INDEX IF EXISTS apalis.idx_apalis_jobs_lock_by")
        .execute(&mut *tx)
        .await?;
    let language: Option<String> = sqlx::query_scalar(
        "SELECT l.lanname::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang \
         WHERE p.oid = to_regprocedure('apalis.get_jobs(text, text, integer)')",
    )
    .fetch_optional(&mut *tx)
    .await?;
    if language.as_deref() == Some("sql") {
        sqlx::raw_sql(GET_JOBS).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use sea_orm::sqlx::{Connection, PgConnection};

    use super::*;

    /// A fresh database with apalis' own schema (no repairs), on the server of
    /// TEST_DATABASE_URL; `None` when it is not set.
    async fn apalis_database() -> Option<(PgPool, String, String)> {
        let server = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())?;
        let name = format!("jobs_repair_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&server).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let mut url = url::Url::parse(&server).unwrap();
        url.set_path(&format!("/{name}"));
        let pool = PgPool::connect(url.as_str()).await.unwrap();
        apalis_postgres::PostgresStorage::<()>::setup(&pool)
            .await
            .unwrap();
        Some((pool, server, name))
    }

    async fn drop_database(pool: PgPool, server: &str, name: &str) {
        pool.close().await;
        let mut admin = PgConnection::connect(server).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await
        .unwrap();
    }

    /// The indexes of `apalis.jobs` and the language of `get_jobs`.
    async fn schema(pool: &PgPool) -> (Vec<String>, String) {
        let mut indexes: Vec<String> = sqlx::query_scalar(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'apalis' \
             AND tablename = 'jobs' ORDER BY 1",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        indexes.sort();
        let language: String = sqlx::query_scalar(
            "SELECT l.lanname::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang \
             WHERE p.oid = 'apalis.get_jobs(text, text, integer)'::regprocedure",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        (indexes, language)
    }

    #[tokio::test]
    async fn apalis_schema_is_repaired_once_and_only_the_known_one() {
        let Some((pool, server, name)) = apalis_database().await else {
            eprintln!("TEST_DATABASE_URL not set: PostgreSQL run skipped");
            return;
        };
        let (before, language) = schema(&pool).await;
        assert_eq!(language, "sql");
        for index in [
            "lidx",
            "unique_job_id",
            "jobs_pkey",
            "idx_apalis_jobs_lock_by",
        ] {
            assert!(before.iter().any(|i| i == index), "{index} in {before:?}");
        }

        // Another apalis schema than the one the repairs were written for: nothing changes.
        assert!(!repair(&pool, APALIS_SCHEMA + 1).await.unwrap());
        assert_eq!(schema(&pool).await, (before.clone(), "sql".to_string()));

        assert!(repair(&pool, APALIS_SCHEMA).await.unwrap());
        let (after, language) = schema(&pool).await;
        assert_eq!(language, "plpgsql");
        let mut expected: Vec<String> = before
            .iter()
            .filter(|i| !["lidx", "unique_job_id", "idx_apalis_jobs_lock_by"].contains(&i.as_str()))
            .cloned()
            .chain(["idx_apalis_jobs_lock_by_in_flight".to_string()])
            .collect();
        expected.sort();
        assert_eq!(after, expected);
        // Every start runs it again, also while workers write jobs (a write in progress).
        let mut writer = pool.begin().await.unwrap();
        sqlx::query("UPDATE apalis.jobs SET attempts = attempts + 1")
            .execute(&mut *writer)
            .await
            .unwrap();
        let again = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            repair(&pool, APALIS_SCHEMA),
        )
        .await
        .expect("a start must not wait for the writes of running workers");
        assert!(again.unwrap());
        writer.rollback().await.unwrap();
        assert_eq!(schema(&pool).await, (expected, "plpgsql".to_string()));

        // The replaced fetch takes due pending jobs of its type, oldest first, up to the
        // count, skipping others, and locks them for the worker.
        sqlx::query(
            "INSERT INTO apalis.workers (id, worker_type, storage_name) \
             VALUES ('w1', 'publish', 'PostgresStorage')",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO apalis.jobs (job, id, job_type, status, run_at) VALUES \
             ('\\x00', 'a', 'publish', 'Pending', now() - interval '3 seconds'), \
             ('\\x00', 'b', 'publish', 'Pending', now() - interval '2 seconds'), \
             ('\\x00', 'c', 'publish', 'Pending', now() - interval '1 second'), \
             ('\\x00', 'later', 'publish', 'Pending', now() + interval '1 hour'), \
             ('\\x00', 'done', 'publish', 'Done', now() - interval '1 hour'), \
             ('\\x00', 'other', 'mail', 'Pending', now() - interval '1 hour')",
        )
        .execute(&pool)
        .await
        .unwrap();
        let fetched: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT id, status, lock_by FROM apalis.get_jobs('w1', 'publish', 2)")
                .fetch_all(&pool)
                .await
                .unwrap();
        let mut fetched_ids: Vec<&str> = fetched.iter().map(|(id, _, _)| id.as_str()).collect();
        fetched_ids.sort_unstable();
        assert_eq!(fetched_ids, ["a", "b"]);
        for (id, status, lock_by) in &fetched {
            assert_eq!(
                (status.as_str(), lock_by.as_deref()),
                ("Queued", Some("w1")),
                "{id}"
            );
        }
        let rest: Vec<String> =
            sqlx::query_scalar("SELECT id FROM apalis.get_jobs('w1', 'publish', 10)")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(rest, ["c"]);

        // apalis' re-enqueue of jobs whose worker died (`reenqueue_orphaned.sql`) can still
        // find them by worker through the smaller index.
        let mut conn = pool.acquire().await.unwrap();
        sqlx::query("SET enable_seqscan = off")
            .execute(&mut *conn)
            .await
            .unwrap();
        let plan: Vec<String> = sqlx::query_scalar(
            "EXPLAIN SELECT jobs.id FROM apalis.jobs \
             INNER JOIN apalis.workers ON jobs.lock_by = workers.id \
             WHERE (jobs.status = 'Running' OR jobs.status = 'Queued') \
             AND NOW() - workers.last_seen >= interval '30 seconds' \
             AND workers.worker_type = 'publish' FOR UPDATE OF jobs SKIP LOCKED",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains("idx_apalis_jobs_lock_by_in_flight"), "{plan}");
        conn.detach();

        drop_database(pool, &server, &name).await;
    }
}
