//! The job engine: durable delayed jobs on the application's database (SQLite by default,
//! PostgreSQL in production), workers, cross-process concurrency limits and periodic tasks.
//! It is a thin facade over [apalis 1.0](https://docs.rs/apalis) (`apalis-sqlite`,
//! `apalis-postgres`); apalis owns the queue tables, the fetch/lock queries, the worker loop,
//! heartbeats and orphan recovery. This crate adds what the scheduler of a social-media
//! publisher needs on top, identically on both backends.
//!
//! # Using it (the posts module)
//!
//! ```no_run
//! use std::time::Duration;
//! use chrono::{DateTime, Utc};
//! use postiz_jobs::{
//!     CancellationToken, JobContext, JobOutcome, JobQueue, JobRequest, JobsConfig, QueueOptions,
//!     WorkerRuntime,
//! };
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct PublishPost { post_id: String, version: i32 }
//!
//! # async fn demo(db: sea_orm::DatabaseConnection, publish_date: DateTime<Utc>) -> Result<(), postiz_jobs::JobError> {
//! // At start (serve and worker): one handle on the application's pool.
//! let jobs = JobQueue::from_connection(&db, JobsConfig::default())?;
//! jobs.migrate().await?; // apalis' tables; `job_leases` comes with the sea-orm migrations
//!
//! // POST /posts, after the transaction committed:
//! jobs.push(
//!     JobRequest::new("publish", &PublishPost { post_id: "p1".into(), version: 3 })
//!         .at(publish_date)
//!         .key("post:p1:v3:publish")          // a second push is Ok(AlreadyScheduled)
//!         .limit("provider:linkedin", 2),     // Postiz maxConcurrentJob, across processes
//! )
//! .await?;
//!
//! // The worker side:
//! let mut runtime = WorkerRuntime::new(jobs.clone());
//! runtime.register("publish", QueueOptions::new().concurrency(8), |job: PublishPost, ctx: JobContext| async move {
//!     // re-read the post: deleted or `version != job.version` => JobOutcome::Done (stale job)
//!     // publish; on a rate limit:   JobOutcome::retry_after(Duration::from_secs(120), "429")
//!     // on a refused body:          JobOutcome::failed("...")  (recorded, never retried)
//!     // comments after their delay, status checks every 20 s: follow-up jobs
//!     let next = JobRequest::new("publish-comment", &job)
//!         .after(Duration::from_secs(5 * 60))
//!         .key(ctx.follow_up_key("comment:1"));
//!     match ctx.push(next).await {
//!         Ok(_) => JobOutcome::Done,
//!         Err(e) => JobOutcome::failed(e.to_string()),
//!     }
//! });
//! runtime.periodic("posts.missing-sweep", Duration::from_secs(3600), || async {
//!     // QUEUE posts with publishDate in [now - 2 days, now): push their publish job again
//!     Ok::<(), String>(())
//! });
//! let shutdown = CancellationToken::new(); // cancel it on SIGTERM
//! runtime.run(shutdown).await?;             // returns when in-flight jobs have finished
//! # Ok(()) }
//! ```
//!
//! # How the pieces map to Postiz' Temporal workflows
//!
//! | Postiz (Temporal, `apps/orchestrator`) | here |
//! |---|---|
//! | `postWorkflowV109`: `sleep(publishDate - now)`, workflow id `post_<id>` | a job `.at(publish_date)` keyed `post:{id}:v{version}:publish` |
//! | reschedule / edit = `TERMINATE_EXISTING` | bump the post's version: the new key schedules a new job; the old job still runs, re-reads the post, sees a stale version and returns `Done` |
//! | delete = terminate running workflows | same: the handler finds the post deleted and does nothing |
//! | one task queue per provider, concurrency = `maxConcurrentJob` (per worker process) | [`JobRequest::limit`]`("provider:x", n)`: leases in `job_leases`, so the limit holds across **all** processes (stricter than Postiz) |
//! | activity retry `{maximumAttempts: 3, initialInterval: 2 min}` | [`JobOutcome::RetryAt`]: a follow-up job with the same payload at the given time; no worker waits; [`JobContext::retries`] counts them |
//! | `postSocialPending` / `finalizePost`: `maximumAttempts: 1` (never auto-retry an irreversible publish) | apalis never re-runs a failed job (`max_attempts = 1`); a retry only happens when the handler asks for it. A run interrupted by a dying worker is run again (at-least-once): [`JobContext::attempt`] `> 1` tells the handler to check what the first run did (Postiz treats that case as an unconfirmed error) |
//! | `checkPostStatus` every 20 s, up to 90 checks | follow-up jobs `.after(20 s)` keyed `ctx.follow_up_key("check:{n}")` |
//! | comments after `delay` minutes | follow-up jobs `.after(delay)` keyed `ctx.follow_up_key("comment:{n}")` |
//! | start-to-close timeout (10 / 30 min) | [`QueueOptions::timeout`] (the job is recorded as failed) |
//! | `missingPostWorkflow`: at boot with `RUN_CRON`, then every hour, root posts in `QUEUE` with `publishDate` in `[now - 2 d, now)` | [`WorkerRuntime::periodic`]: runs at start, then hourly, shared between processes |
//! | `signalWithStart(..., poke)` of the sweep | the sweep pushes the post's job with its usual key: `AlreadyScheduled` while that job exists; when [`JobQueue::find`] shows it finished (`Done`/`Failed`) but the post is still `QUEUE`, push a re-drive key (`post:{id}:v{v}:redrive:{n}`) |
//!
//! Idempotency keys are unique **per queue** and stay taken after the job finished (the row is
//! kept), which is what makes "push again" safe from the API, the sweep and re-runs alike.
//! Enqueue after the transaction that wrote the post commits; a crash in between is what the
//! sweep repairs.
//!
//! # apalis configuration, and why
//!
//! | setting | value (default / tests) | why |
//! |---|---|---|
//! | poll strategy | `Strategy::new().stream(wake).interval(poll_interval)`, 1 s / 200 ms | an idle apalis worker parks until a heartbeat (30 s) unless a strategy wakes it, and PostgreSQL's NOTIFY trigger only fires for jobs due at insert time, so delayed jobs need the interval. A job due at `T` is taken within ~`poll_interval` of `T` |
//! | wake stream | pushes from this process (due now) + one `LISTEN apalis::job::insert` connection per process on PostgreSQL | jobs due now (post now, follow-ups) start at once; one shared LISTEN connection instead of apalis' `with_pubsub()`, which holds one pool connection per queue |
//! | sub-second due time | apalis stores whole seconds; the job keeps its millisecond due time and the wrapper waits the rest | never early, usually within a few ms when the poll lands in the due second |
//! | `heartbeat_interval` × `missed_heartbeats` | 10 s × 3 = 30 s orphan timeout / 1 s × 3 | a job locked by a process that died is re-enqueued by another worker of the queue (at its next heartbeat) once the dead worker's last heartbeat is older than the orphan timeout; measured: re-run 2.5 s after a kill with 1 s × 3. Shorter would risk taking jobs from a live but slow worker (double publish) |
//! | `batch_size` (buffer) | 1 | a worker locks a job only when it has a free slot: due jobs are not parked in one busy process while another is idle, and apalis 1.0 does not heartbeat while its buffer holds tasks |
//! | `.concurrency(n)` | [`QueueOptions::concurrency`], 4 | per process; cross-process limits are leases |
//! | `max_attempts` | 1 | apalis re-fetches `Failed` jobs immediately while `attempts < max_attempts`; retries are explicit follow-ups instead |
//! | `lock_tasks`, `persist_results` | apalis defaults (true) | status `Running` while a job runs; the outcome (or the error) is stored as `last_result` |
//! | migrations | apalis' own migrators ([`JobQueue::migrate`]); not `SqliteStorage::setup` | `setup` also sets `PRAGMA synchronous = OFF`, which we do not want on the application's database |
//! | PostgreSQL schema repairs | after apalis' migrations, while its schema is the 1.0 one: `get_jobs` in PL/pgSQL, the duplicate indexes `lidx` and `unique_job_id` dropped | the SQL-language `get_jobs` is planned again on every fetch (8,890 -> 31,150 empty fetches/s), and each job update wrote two index entries too many (9,080-9,600 -> 9,890-10,740 updates/s) |
//! | worker names | `{queue}-{uuid}`, new on every (re)start | apalis refuses a name that heart-beat recently |
//!
//! # Concurrency leases
//!
//! `job_leases(lease_key, slot, holder, job_id, acquired_at_ms, expires_at_ms)` (migration
//! `m20261122_000020`). A key with limit `n` has slots `0..n`; a slot is taken by one atomic
//! `INSERT .. ON CONFLICT (lease_key, slot) DO UPDATE .. WHERE expires_at_ms <= now` (same SQL on
//! both backends, database clock), renewed every `lease_ttl / 3` while the job runs, and deleted
//! `lease_linger` (250 ms) after it ends unless the process' next job of the key takes the lease
//! over first (no write: in a burst a slot costs two writes, not two per job). A killed process' slot frees itself within `lease_ttl` (60 s; measured 1.5 s with a
//! 2 s TTL). A job that finds no free slot within `slot_wait` (10 s) is deferred: pushed again
//! `defer_delay` (5 s) later under `{key}:deferN`, so a saturated provider never holds workers
//! that other jobs could use. A queue registered with [`QueueOptions::handler_takes_slot`]
//! leaves the slot to its handler, which holds it only around the work the limit is for
//! ([`JobContext::take_slot`]; the publisher: from its claim on the post to the network's
//! answer, not the writes, notifications and webhooks after it) and answers [`JobOutcome::Deferred`] when none came free in time. Handlers can
//! also take slots of other keys ([`JobContext::limiter`]).
//!
//! # Shutdown and crashes
//!
//! Cancelling the token stops fetching; in-flight jobs finish and their results are written
//! (bounded by `shutdown_timeout`, 30 s, after which they are abandoned to the orphan recovery).
//! A job waiting for a slot at shutdown is deferred, not lost. A worker whose database fails is
//! replaced by a new one (backoff up to 30 s). Execution is at-least-once: a handler must be
//! idempotent or check [`JobContext::attempt`]; after `max_runs` (3) interrupted runs a job is
//! recorded as failed without running again.
//!
//! # Observability
//!
//! Metrics (facade `metrics`, label `queue`): `jobs_pushed_total`, `jobs_push_duplicates_total`,
//! `jobs_started_total`, `jobs_succeeded_total`, `jobs_retried_total`, `jobs_deferred_total`,
//! `jobs_failed_total`, `job_worker_restarts_total`; histograms `job_lateness_seconds` (start
//! minus the time the job was meant to run) and `job_duration_seconds`; `periodic_runs_total`
//! (labels `task`, `outcome`). Each job runs in a `job` span (`queue`, `job_id`, `key`,
//! `attempt`), each periodic run in a `periodic` span.
//!
//! # Limitations
//!
//! * Finished job rows hold their idempotency keys, so they are kept for a while: [`Retention`]
//!   (registered with [`WorkerRuntime::retention`], hourly) deletes jobs that finished longer
//!   ago than its `keep_for`, and the rows apalis' `Workers` table gains at every worker start
//!   once they have been silent as long. Pick `keep_for` longer than any window in which a
//!   caller may push a key again (the posts' sweep: two days).
//! * On SQLite the tables are named `Jobs` and `Workers` (apalis'); the application must not use
//!   those names. Every idle queue costs one short write transaction per `poll_interval`.
//! * SQLite means one process in practice (the embedded mode); the engine works with several
//!   processes on one file, but without cross-process wake-ups (polling only).
//! * Enqueueing is not part of the caller's database transaction (see the sweep above).
//! * apalis keeps `run_at` in seconds; sub-second precision comes from the wrapper's wait.

mod config;
mod error;
mod limiter;
mod periodic;
mod pg_tuning;
mod planner_stats;
mod queue;
mod retention;
mod store;
mod worker;

pub use config::{JobsConfig, QueueOptions};
pub use error::JobError;
pub use limiter::{ConcurrencyLimiter, SlotGuard};
pub use queue::{ConcurrencyLimit, JobQueue, JobRequest, PushOutcome};
pub use retention::{Purged, Retention};
pub use store::{BackendKind, JobRecord};
pub use tokio_util::sync::CancellationToken;
pub use worker::{
    JobContext, JobOutcome, RETENTION_TASK, RunningWorkers, TakenSlot, WorkerRuntime,
};
