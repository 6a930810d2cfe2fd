//! Running handlers: [`WorkerRuntime`] builds one supervised apalis worker per queue, wraps every
//! job (due-time precision, concurrency slot, timeout, panic, outcome, metrics, span) and stops
//! gracefully on a [`CancellationToken`].

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{
    Event, PollWith, Strategy, Task, WorkerBuilder, WorkerBuilderExt, WorkerContext,
};
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use chrono::{DateTime, TimeZone, Utc};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, Stream, StreamExt};
use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use sea_orm::sqlx::{PgPool, SqlitePool};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::QueueOptions;
use crate::error::JobError;
use crate::limiter::{ConcurrencyLimiter, SlotGuard};
use crate::periodic::{PeriodicSpec, run_periodic};
use crate::queue::{
    ConcurrencyLimit, Envelope, Inner, JobQueue, JobRequest, PushOutcome, validate_queue_name,
};
use crate::store::Store;

/// The periodic task of [`WorkerRuntime::retention`].
pub const RETENTION_TASK: &str = "jobs.retention";
/// Longest sub-second wait for a job fetched just before its due time (apalis stores seconds).
const MAX_EARLY_WAIT: Duration = Duration::from_millis(1500);

/// What a handler decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// The work is done.
    Done,
    /// Run the job again at `at`: a follow-up job with the same payload is pushed (key
    /// `{key}:retry{n}`) and this one is recorded as done. No worker waits in between.
    RetryAt {
        /// When to run again.
        at: DateTime<Utc>,
        /// Why, for the log and the stored result.
        reason: String,
    },
    /// The job failed for good: recorded (apalis status `Failed`, the reason as its result) and
    /// never run again.
    Failed {
        /// Why.
        reason: String,
    },
    /// The job could not run now (no concurrency slot from [`JobContext::take_slot`], or the
    /// process is stopping): pushed again `defer_delay` from now, as the worker does itself
    /// when it cannot take a slot. Not a retry: the retry count and the lateness origin stay.
    Deferred {
        /// Why, for the log and the stored result.
        reason: String,
    },
}

impl JobOutcome {
    /// [`JobOutcome::Done`].
    pub fn done() -> Self {
        Self::Done
    }

    /// [`JobOutcome::RetryAt`] at `at`.
    pub fn retry_at(at: DateTime<Utc>, reason: impl Into<String>) -> Self {
        Self::RetryAt {
            at,
            reason: reason.into(),
        }
    }

    /// [`JobOutcome::RetryAt`] `delay` from now.
    pub fn retry_after(delay: Duration, reason: impl Into<String>) -> Self {
        let delay = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
        Self::retry_at(
            Utc::now()
                .checked_add_signed(delay)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            reason,
        )
    }

    /// [`JobOutcome::Failed`].
    pub fn failed(reason: impl Into<String>) -> Self {
        Self::Failed {
            reason: reason.into(),
        }
    }

    /// [`JobOutcome::Deferred`].
    pub fn deferred(reason: impl Into<String>) -> Self {
        Self::Deferred {
            reason: reason.into(),
        }
    }
}

/// What [`JobContext::take_slot`] got.
#[derive(Debug)]
pub enum TakenSlot {
    /// The job runs under no concurrency limit.
    Unlimited,
    /// A slot of the job's key, held until the guard is released or dropped.
    Held(SlotGuard),
    /// No slot came free within `slot_wait` (or the process is stopping): return
    /// [`JobOutcome::Deferred`].
    Unavailable,
}

impl TakenSlot {
    /// Gives a held slot back; a failure is logged and the lease then expires by itself.
    pub async fn release(self) {
        if let Self::Held(guard) = self
            && let Err(e) = guard.release().await
        {
            tracing::warn!(error = %e, "cannot release the concurrency slot; it will expire");
        }
    }
}

/// What a handler knows about the job it runs, and its way to push follow-ups.
#[derive(Debug, Clone)]
pub struct JobContext {
    job_id: String,
    queue: String,
    key: Option<String>,
    root_key: String,
    attempt: u32,
    retries: u32,
    due_at: DateTime<Utc>,
    lateness: Duration,
    jobs: JobQueue,
    shutdown: CancellationToken,
    /// The limit whose slot the handler takes itself (`QueueOptions::handler_takes_slot`).
    limit: Option<ConcurrencyLimit>,
}

impl JobContext {
    /// The apalis task id.
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// The queue.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// The idempotency key the job was pushed with.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Run number of this job: 1, or more when a worker died while running it before (the job
    /// was re-enqueued after the orphan timeout). An irreversible step should check its own
    /// records when this is above 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Whether an earlier run of this very job was interrupted.
    pub fn is_rerun(&self) -> bool {
        self.attempt > 1
    }

    /// Retries ([`JobOutcome::RetryAt`]) that led to this job.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// When the job was due.
    pub fn due_at(&self) -> DateTime<Utc> {
        self.due_at
    }

    /// How late the handler started, measured from when the job was first meant to run.
    pub fn lateness(&self) -> Duration {
        self.lateness
    }

    /// A key for a follow-up step, derived from this job's: `{key}:{step}`, e.g.
    /// `post:1:v3:publish:comment:2`. Deterministic, so a re-run pushes the same follow-up once.
    pub fn follow_up_key(&self, step: &str) -> String {
        format!("{}:{step}", self.root_key)
    }

    /// Pushes a follow-up job ("publish comment 2 in 5 minutes", "check status in 20 s").
    pub async fn push(&self, request: JobRequest) -> Result<PushOutcome, JobError> {
        self.jobs.push(request).await
    }

    /// The job queue, to push or look up other jobs.
    pub fn jobs(&self) -> &JobQueue {
        &self.jobs
    }

    /// The cross-process limiter, for handlers that take a slot themselves.
    pub fn limiter(&self) -> ConcurrencyLimiter {
        self.jobs.limiter()
    }

    /// Whether the process is shutting down (long handlers may stop early and retry later).
    pub fn shutdown_requested(&self) -> bool {
        self.shutdown.is_cancelled()
    }

    /// A token cancelled when the process shuts down.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.child_token()
    }

    /// Takes a slot of the job's concurrency limit, waiting up to `slot_wait` for one, on a
    /// queue registered with [`QueueOptions::handler_takes_slot`] (elsewhere the worker holds
    /// the slot already and this answers [`TakenSlot::Unlimited`]). Hold it only around the
    /// work the limit is for.
    pub async fn take_slot(&self) -> Result<TakenSlot, JobError> {
        let Some(limit) = &self.limit else {
            return Ok(TakenSlot::Unlimited);
        };
        let taken = self
            .jobs
            .limiter()
            .acquire_for_job(
                &limit.key,
                limit.max,
                Some(&self.job_id),
                self.jobs.config().slot_wait,
                &self.shutdown,
            )
            .await?;
        Ok(taken.map_or(TakenSlot::Unavailable, TakenSlot::Held))
    }
}

type BoxHandler = Arc<dyn Fn(Value, JobContext) -> BoxFuture<'static, JobOutcome> + Send + Sync>;

struct QueueSpec {
    name: String,
    options: QueueOptions,
    handler: BoxHandler,
}

/// The workers of one process: handlers per queue and periodic tasks.
///
/// ```no_run
/// # use postiz_jobs::{JobQueue, JobsConfig, WorkerRuntime, QueueOptions, JobOutcome, JobContext};
/// # use tokio_util::sync::CancellationToken;
/// # async fn demo(jobs: JobQueue) -> Result<(), postiz_jobs::JobError> {
/// #[derive(serde::Deserialize)]
/// struct Publish { post_id: String }
/// let mut runtime = WorkerRuntime::new(jobs);
/// runtime.register("publish", QueueOptions::new().concurrency(8), |job: Publish, ctx: JobContext| async move {
///     // re-read the post, publish, record the outcome ...
///     JobOutcome::Done
/// });
/// runtime.periodic("posts.missing-sweep", std::time::Duration::from_secs(3600), || async { Ok::<(), String>(()) });
/// let shutdown = CancellationToken::new();
/// runtime.run(shutdown).await
/// # }
/// ```
pub struct WorkerRuntime {
    jobs: JobQueue,
    queues: Vec<QueueSpec>,
    periodic: Vec<PeriodicSpec>,
    errors: Vec<String>,
}

impl std::fmt::Debug for WorkerRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerRuntime")
            .field(
                "queues",
                &self.queues.iter().map(|q| &q.name).collect::<Vec<_>>(),
            )
            .field(
                "periodic",
                &self.periodic.iter().map(|p| &p.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl WorkerRuntime {
    /// A runtime working on the database of `jobs`.
    pub fn new(jobs: JobQueue) -> Self {
        Self {
            jobs,
            queues: Vec::new(),
            periodic: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Runs `handler` for the jobs of `queue` in this process. The payload is read as `T`; a
    /// payload that does not fit is recorded as failed. One handler per queue.
    pub fn register<T, F, Fut>(
        &mut self,
        queue: &str,
        options: QueueOptions,
        handler: F,
    ) -> &mut Self
    where
        T: DeserializeOwned + Send + 'static,
        F: Fn(T, JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = JobOutcome> + Send + 'static,
    {
        if let Err(e) = validate_queue_name(queue) {
            self.errors.push(e.to_string());
            return self;
        }
        if self.queues.iter().any(|q| q.name == queue) {
            self.errors
                .push(format!("the queue `{queue}` has two handlers"));
            return self;
        }
        let handler: BoxHandler = Arc::new(move |payload: Value, ctx: JobContext| {
            match serde_json::from_value::<T>(payload) {
                Ok(job) => handler(job, ctx).boxed(),
                Err(e) => {
                    let reason = format!(
                        "the payload does not fit {}: {e}",
                        std::any::type_name::<T>()
                    );
                    async move { JobOutcome::Failed { reason } }.boxed()
                }
            }
        });
        self.queues.push(QueueSpec {
            name: queue.to_string(),
            options,
            handler,
        });
        self
    }

    /// Runs `task` at start and then every `every` (Postiz' hourly missing-post sweep). With
    /// several processes on one database each runs it at its start; the periodic runs are
    /// shared: a run is skipped when another process ran the task less than `0.9 × every` ago.
    pub fn periodic<F, Fut, E>(&mut self, name: &str, every: Duration, task: F) -> &mut Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        if name.trim().is_empty() || every.is_zero() {
            self.errors
                .push("a periodic task needs a name and a non-zero period".to_string());
            return self;
        }
        if self.periodic.iter().any(|p| p.name == name) {
            self.errors
                .push(format!("the periodic task `{name}` is registered twice"));
            return self;
        }
        self.periodic.push(PeriodicSpec {
            name: name.to_string(),
            every,
            task: Arc::new(move || {
                let fut = task();
                async move { fut.await.map_err(|e| e.to_string()) }.boxed()
            }),
        });
        self
    }

    /// Purges finished jobs (see [`crate::Retention`]) at start and then every `every`, shared
    /// between processes like any periodic task (`jobs.retention`).
    pub fn retention(&mut self, retention: crate::Retention, every: Duration) -> &mut Self {
        let jobs = self.jobs.clone();
        self.periodic(RETENTION_TASK, every, move || {
            let jobs = jobs.clone();
            async move { jobs.purge_finished(&retention).await.map(|_| ()) }
        })
    }

    /// Starts every worker and periodic task; they run until `shutdown` is cancelled.
    pub fn start(self, shutdown: CancellationToken) -> Result<RunningWorkers, JobError> {
        if let Some(first) = self.errors.first() {
            return Err(JobError::Invalid(first.clone()));
        }
        let mut tasks: Vec<JoinHandle<()>> = Vec::new();
        if let (Store::Postgres(pool), false) = (self.jobs.store(), self.queues.is_empty()) {
            tasks.push(tokio::spawn(listen_for_pushes(
                pool.clone(),
                self.jobs.inner.clone(),
                shutdown.clone(),
            )));
        }
        for spec in self.queues {
            let dispatchers = spec.options.dispatchers_in_use();
            let runtime = Arc::new(QueueRuntime {
                name: spec.name,
                options: spec.options,
                handler: spec.handler,
                jobs: self.jobs.clone(),
                shutdown: shutdown.clone(),
            });
            for index in 0..dispatchers {
                tasks.push(tokio::spawn(supervise(runtime.clone(), index)));
            }
        }
        for spec in self.periodic {
            tasks.push(tokio::spawn(run_periodic(
                spec,
                self.jobs.limiter(),
                shutdown.clone(),
            )));
        }
        let aborts = tasks.iter().map(JoinHandle::abort_handle).collect();
        Ok(RunningWorkers {
            tasks,
            aborts,
            shutdown,
            shutdown_timeout: self.jobs.config().shutdown_timeout,
        })
    }

    /// Starts and waits until `shutdown` is cancelled and in-flight jobs have finished.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), JobError> {
        self.start(shutdown)?.join().await;
        Ok(())
    }
}

/// Workers started by [`WorkerRuntime::start`].
#[derive(Debug)]
pub struct RunningWorkers {
    tasks: Vec<JoinHandle<()>>,
    aborts: Vec<AbortHandle>,
    shutdown: CancellationToken,
    shutdown_timeout: Duration,
}

impl RunningWorkers {
    /// Waits until the workers have stopped: after the shutdown token is cancelled, in-flight
    /// jobs finish (up to `shutdown_timeout`, then they are abandoned to the orphan recovery).
    pub async fn join(self) {
        let Self {
            tasks,
            aborts,
            shutdown,
            shutdown_timeout,
        } = self;
        let all = futures_util::future::join_all(tasks);
        let deadline = async {
            shutdown.cancelled().await;
            tokio::time::sleep(shutdown_timeout).await;
        };
        tokio::select! {
            _ = all => {}
            _ = deadline => {
                tracing::warn!(?shutdown_timeout, "jobs still running at the end of the shutdown timeout; abandoning them");
                for abort in aborts {
                    abort.abort();
                }
            }
        }
    }

    /// Requests the shutdown and waits for it.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        self.join().await;
    }

    /// Stops every worker at once, like a crash: nothing is acknowledged, running jobs are
    /// re-run elsewhere after the orphan timeout.
    pub fn abort(&self) {
        for abort in &self.aborts {
            abort.abort();
        }
    }
}

struct QueueRuntime {
    name: String,
    options: QueueOptions,
    handler: BoxHandler,
    jobs: JobQueue,
    shutdown: CancellationToken,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct JobFailed(String);

enum WorkerExit {
    /// Shutdown was requested and in-flight jobs are done.
    Stopped,
    /// The worker ended by itself (its database connection failed).
    Ended,
}

/// Keeps apalis worker number `index` of the queue running: a worker whose backend fails is
/// replaced by a new one (new name; jobs it had locked are recovered by the orphan timeout).
async fn supervise(rt: Arc<QueueRuntime>, index: usize) {
    let config = rt.jobs.config().clone();
    let mut backoff = Duration::from_millis(500);
    loop {
        if rt.shutdown.is_cancelled() {
            return;
        }
        let worker_name = format!("{}-{}", rt.name, uuid::Uuid::new_v4().simple());
        let wake = rt.jobs.inner.wakers.subscribe(&rt.name, index);
        // Checked in order: a wake-up (push from this process, NOTIFY on PostgreSQL) first, then
        // the interval that finds delayed jobs coming due.
        let strategy = Strategy::new().stream(wake).interval(config.poll_interval);
        let started = Instant::now();
        let exit = match rt.jobs.store() {
            Store::Sqlite(pool) => run_sqlite(pool.clone(), &rt, &worker_name, strategy).await,
            Store::Postgres(pool) => run_postgres(pool.clone(), &rt, &worker_name, strategy).await,
        };
        match exit {
            WorkerExit::Stopped => return,
            WorkerExit::Ended => {
                if rt.shutdown.is_cancelled() {
                    return;
                }
                if started.elapsed() > Duration::from_secs(60) {
                    backoff = Duration::from_millis(500);
                }
                tracing::warn!(queue = %rt.name, worker = %worker_name, ?backoff, "job worker stopped unexpectedly; starting a new one");
                metrics::counter!("job_worker_restarts_total", "queue" => rt.name.clone())
                    .increment(1);
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = rt.shutdown.cancelled() => return,
                }
                backoff = (backoff * 2).min(config.restart_backoff_max);
            }
        }
    }
}

fn job_service(
    rt: Arc<QueueRuntime>,
) -> impl tower::Service<
    Task<Value>,
    Response = Value,
    Error = apalis::prelude::BoxDynError,
    Future = BoxFuture<'static, Result<Value, apalis::prelude::BoxDynError>>,
> + Clone
+ Send {
    tower::service_fn(move |task: Task<Value>| {
        let rt = rt.clone();
        async move {
            rt.execute(task)
                .await
                .map_err(|e| Box::new(e) as apalis::prelude::BoxDynError)
        }
        .boxed()
    })
}

async fn run_sqlite(
    pool: SqlitePool,
    rt: &Arc<QueueRuntime>,
    worker_name: &str,
    strategy: Strategy,
) -> WorkerExit {
    let c = rt.jobs.config();
    let config = apalis_sqlite::Config::default()
        .queue(&rt.name)
        .batch_size(c.fetch_batch)
        .heartbeat_interval(c.heartbeat_interval)
        .missed_heartbeats(c.missed_heartbeats as usize);
    let storage = SqliteStorage::<Value>::new(&pool).with_config(config);
    let ctx = WorkerContext::new(worker_name);
    let worker = WorkerBuilder::new(&ctx)
        .backend(PollWith::new(storage, strategy))
        .concurrency(rt.options.concurrency_per_dispatcher())
        .build(job_service(rt.clone()));
    drive(worker.stream(), &ctx, &rt.shutdown, &rt.name).await
}

async fn run_postgres(
    pool: PgPool,
    rt: &Arc<QueueRuntime>,
    worker_name: &str,
    strategy: Strategy,
) -> WorkerExit {
    let c = rt.jobs.config();
    let config = apalis_postgres::Config::default()
        .queue(&rt.name)
        .batch_size(c.fetch_batch)
        .heartbeat_interval(c.heartbeat_interval)
        .missed_heartbeats(c.missed_heartbeats as usize);
    let storage = PostgresStorage::<Value>::new(&pool).with_config(config);
    let ctx = WorkerContext::new(worker_name);
    let worker = WorkerBuilder::new(&ctx)
        .backend(PollWith::new(storage, strategy))
        .concurrency(rt.options.concurrency_per_dispatcher())
        .build(job_service(rt.clone()));
    drive(worker.stream(), &ctx, &rt.shutdown, &rt.name).await
}

/// Consumes the worker's event stream. A backend error does not end the loop at once: apalis
/// then drains in-flight jobs (their results are still written) and closes the stream.
async fn drive<S, E>(
    stream: S,
    ctx: &WorkerContext,
    shutdown: &CancellationToken,
    queue: &str,
) -> WorkerExit
where
    S: Stream<Item = Result<Event, E>>,
    E: std::fmt::Display,
{
    let mut stream = std::pin::pin!(stream);
    let mut stopping = false;
    loop {
        tokio::select! {
            item = stream.next() => match item {
                None => return if stopping { WorkerExit::Stopped } else { WorkerExit::Ended },
                Some(Ok(Event::Start)) => {
                    tracing::debug!(queue, worker = ctx.name(), "job worker started");
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::warn!(queue, worker = ctx.name(), error = %e, "job worker error");
                }
            },
            _ = shutdown.cancelled(), if !stopping => {
                stopping = true;
                if ctx.stop().is_err() {
                    // Not started yet: nothing is in flight.
                    return WorkerExit::Stopped;
                }
            }
        }
    }
}

/// One LISTEN connection per process (not one per queue): a NOTIFY from apalis' insert trigger
/// (jobs due now, pushed by any process) wakes this process' worker of that queue.
async fn listen_for_pushes(pool: PgPool, inner: Arc<Inner>, shutdown: CancellationToken) {
    let own_pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with((*pool.connect_options()).clone());
    let mut backoff = Duration::from_secs(1);
    loop {
        let connected = tokio::select! {
            r = async {
                let mut listener = PgListener::connect_with(&own_pool).await?;
                listener.listen("apalis::job::insert").await?;
                Ok::<_, sea_orm::sqlx::Error>(listener)
            } => r,
            _ = shutdown.cancelled() => return,
        };
        let mut listener = match connected {
            Ok(listener) => {
                backoff = Duration::from_secs(1);
                listener
            }
            Err(e) => {
                tracing::warn!(error = %e, ?backoff, "cannot LISTEN for new jobs; polling only");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.cancelled() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
                continue;
            }
        };
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                received = listener.recv() => match received {
                    Ok(notification) => {
                        let queue = serde_json::from_str::<Value>(notification.payload())
                            .ok()
                            .and_then(|v| v.get("job_type").and_then(Value::as_str).map(str::to_string));
                        if let Some(queue) = queue {
                            inner.wakers.wake(&queue);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
                        break;
                    }
                }
            }
        }
    }
}

impl QueueRuntime {
    async fn execute(&self, task: Task<Value>) -> Result<Value, JobFailed> {
        let (args, ctx) = task.take();
        let job_id = ctx.task_id().map(ToString::to_string).unwrap_or_default();
        // apalis counts the run that is starting (1 for a fresh job; re-enqueued orphans more).
        let attempt = u32::try_from(ctx.attempt()).unwrap_or(u32::MAX).max(1);
        let envelope: Envelope = match serde_json::from_value(args) {
            Ok(envelope) => envelope,
            Err(e) => {
                metrics::counter!("jobs_failed_total", "queue" => self.name.clone()).increment(1);
                tracing::error!(queue = %self.name, %job_id, error = %e, "unreadable job envelope");
                return Err(JobFailed(format!("unreadable job envelope: {e}")));
            }
        };
        let span = tracing::info_span!(
            "job",
            queue = %self.name,
            job_id = %job_id,
            key = envelope.key.as_deref().unwrap_or(""),
            attempt,
        );
        self.run(job_id, attempt, envelope).instrument(span).await
    }

    async fn run(
        &self,
        job_id: String,
        attempt: u32,
        envelope: Envelope,
    ) -> Result<Value, JobFailed> {
        let config = self.jobs.config();
        if attempt > config.max_runs {
            metrics::counter!("jobs_failed_total", "queue" => self.name.clone()).increment(1);
            let reason = format!(
                "not run again: {} earlier runs were interrupted (the worker died)",
                attempt - 1
            );
            tracing::error!(%reason, "job abandoned");
            return Err(JobFailed(reason));
        }

        // apalis keeps whole seconds: a job fetched just before its due time waits the rest.
        let early_ms = envelope.due_at_ms - Utc::now().timestamp_millis();
        if early_ms > 0 {
            let wait =
                Duration::from_millis(u64::try_from(early_ms).unwrap_or(0)).min(MAX_EARLY_WAIT);
            tokio::time::sleep(wait).await;
        }

        // A handler that takes the slot itself gets the limit in its context instead.
        let worker_limit = envelope
            .limit
            .as_ref()
            .filter(|_| !self.options.handler_takes_slot);
        let slot = match worker_limit {
            None => None,
            Some(limit) => {
                let acquired = self
                    .jobs
                    .limiter()
                    .acquire_for_job(
                        &limit.key,
                        limit.max,
                        Some(&job_id),
                        config.slot_wait,
                        &self.shutdown,
                    )
                    .await;
                match acquired {
                    Ok(Some(guard)) => Some(guard),
                    Ok(None) => return self.defer(&job_id, &envelope, "no free slot").await,
                    Err(e) => {
                        tracing::warn!(error = %e, key = %limit.key, "cannot take a concurrency slot");
                        return self
                            .defer(&job_id, &envelope, "slot table unavailable")
                            .await;
                    }
                }
            }
        };

        let now_ms = Utc::now().timestamp_millis();
        let lateness =
            Duration::from_millis(u64::try_from(now_ms - envelope.scheduled_at_ms).unwrap_or(0));
        metrics::counter!("jobs_started_total", "queue" => self.name.clone()).increment(1);
        metrics::histogram!("job_lateness_seconds", "queue" => self.name.clone())
            .record(lateness.as_secs_f64());
        tracing::debug!(lateness_ms = lateness.as_millis() as u64, "job started");

        let root_key = envelope.root_key.clone().unwrap_or_else(|| job_id.clone());
        let ctx = JobContext {
            job_id: job_id.clone(),
            queue: self.name.clone(),
            key: envelope.key.clone(),
            root_key: root_key.clone(),
            attempt,
            retries: envelope.retries,
            due_at: from_ms(envelope.due_at_ms),
            lateness,
            jobs: self.jobs.clone(),
            shutdown: self.shutdown.clone(),
            limit: envelope
                .limit
                .clone()
                .filter(|_| self.options.handler_takes_slot),
        };
        let started = Instant::now();
        let handler = self.handler.clone();
        let payload = envelope.payload.clone();
        // The call itself is inside the guarded future too: a handler may panic before its
        // first await.
        let handled = AssertUnwindSafe(async move { handler(payload, ctx).await }).catch_unwind();
        let result = match self.options.timeout {
            Some(limit) => match tokio::time::timeout(limit, handled).await {
                Ok(result) => result,
                Err(_) => Ok(JobOutcome::Failed {
                    reason: format!("timed out after {limit:?}"),
                }),
            },
            None => handled.await,
        };
        let outcome = result.unwrap_or_else(|panic| JobOutcome::Failed {
            reason: format!("the handler panicked: {}", panic_message(panic.as_ref())),
        });
        if let Some(slot) = slot {
            TakenSlot::Held(slot).release().await;
        }
        metrics::histogram!("job_duration_seconds", "queue" => self.name.clone())
            .record(started.elapsed().as_secs_f64());

        match outcome {
            JobOutcome::Done => {
                metrics::counter!("jobs_succeeded_total", "queue" => self.name.clone())
                    .increment(1);
                tracing::debug!("job done");
                Ok(json!({ "outcome": "done" }))
            }
            JobOutcome::RetryAt { at, reason } => {
                let retries = envelope.retries.saturating_add(1);
                let mut request = JobRequest::new(self.name.clone(), &envelope.payload)
                    .at(at)
                    .key(Envelope::follow_up_key(&root_key, retries, 0));
                request.root_key = Some(root_key);
                request.retries = retries;
                request.limit = envelope.limit.clone();
                match self.jobs.push(request).await {
                    Ok(pushed) => {
                        metrics::counter!("jobs_retried_total", "queue" => self.name.clone())
                            .increment(1);
                        tracing::info!(%reason, retry_at = %at, follow_up = ?pushed.job_id(), "job will run again");
                        Ok(json!({
                            "outcome": "retry",
                            "reason": reason,
                            "at": at.to_rfc3339(),
                            "follow_up": pushed.job_id(),
                        }))
                    }
                    Err(e) => {
                        metrics::counter!("jobs_failed_total", "queue" => self.name.clone())
                            .increment(1);
                        tracing::error!(%reason, error = %e, "cannot schedule the retry");
                        Err(JobFailed(format!(
                            "{reason}; the retry could not be scheduled: {e}"
                        )))
                    }
                }
            }
            JobOutcome::Failed { reason } => {
                metrics::counter!("jobs_failed_total", "queue" => self.name.clone()).increment(1);
                tracing::warn!(%reason, "job failed");
                Err(JobFailed(reason))
            }
            JobOutcome::Deferred { reason } => self.defer(&job_id, &envelope, &reason).await,
        }
    }

    /// Pushes the job again `defer_delay` from now instead of holding a worker while the
    /// concurrency key is saturated (or the process is stopping).
    async fn defer(
        &self,
        job_id: &str,
        envelope: &Envelope,
        why: &str,
    ) -> Result<Value, JobFailed> {
        let root_key = envelope
            .root_key
            .clone()
            .unwrap_or_else(|| job_id.to_string());
        let defers = envelope.defers.saturating_add(1);
        let delay = chrono::Duration::from_std(self.jobs.config().defer_delay).unwrap_or_default();
        let at = Utc::now() + delay;
        let mut request = JobRequest::new(self.name.clone(), &envelope.payload)
            .at(at)
            .key(Envelope::follow_up_key(&root_key, envelope.retries, defers));
        request.root_key = Some(root_key);
        request.retries = envelope.retries;
        request.defers = defers;
        request.limit = envelope.limit.clone();
        request.scheduled_at = Some(from_ms(envelope.scheduled_at_ms));
        match self.jobs.push(request).await {
            Ok(pushed) => {
                metrics::counter!("jobs_deferred_total", "queue" => self.name.clone()).increment(1);
                tracing::debug!(why, until = %at, follow_up = ?pushed.job_id(), "job deferred");
                Ok(json!({
                    "outcome": "deferred",
                    "reason": why,
                    "at": at.to_rfc3339(),
                    "follow_up": pushed.job_id(),
                }))
            }
            Err(e) => {
                metrics::counter!("jobs_failed_total", "queue" => self.name.clone()).increment(1);
                tracing::error!(why, error = %e, "cannot defer the job");
                Err(JobFailed(format!(
                    "{why}, and the job could not be deferred: {e}"
                )))
            }
        }
    }
}

fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_else(Utc::now)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
