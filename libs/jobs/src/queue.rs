//! Pushing jobs: [`JobQueue`], [`JobRequest`] and the stored envelope.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_channel::mpsc;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::JobsConfig;
use crate::error::JobError;
use crate::limiter::ConcurrencyLimiter;
use crate::retention::{Purged, Retention};
use crate::store::{BackendKind, Inserted, JobRecord, Store};

/// Longest queue name (apalis stores it as `job_type`).
const MAX_QUEUE_NAME: usize = 100;
/// Longest idempotency key we accept (keys grow by `:retryN:deferN` suffixes).
const MAX_KEY: usize = 400;

/// The cross-process concurrency limit a job runs under: at most `max` jobs holding `key` run
/// at once across every worker process on the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcurrencyLimit {
    /// The shared key, e.g. `provider:linkedin`.
    pub key: String,
    /// Slots of the key (Postiz `maxConcurrentJob`).
    pub max: u32,
}

/// What apalis stores as the task arguments: the payload plus what the engine needs to run it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Envelope {
    /// Format version.
    pub v: u8,
    /// The handler's payload.
    pub payload: Value,
    /// When the job may start, in epoch milliseconds (apalis keeps whole seconds).
    pub due_at_ms: i64,
    /// When the job was meant to run (differs from `due_at_ms` after a deferral); lateness is
    /// measured from here.
    pub scheduled_at_ms: i64,
    /// The idempotency key this job was pushed with.
    #[serde(default)]
    pub key: Option<String>,
    /// The key follow-ups derive theirs from: the first job's key, or its id.
    #[serde(default)]
    pub root_key: Option<String>,
    #[serde(default)]
    pub limit: Option<ConcurrencyLimit>,
    /// Retries (explicit `RetryAt` follow-ups) before this job.
    #[serde(default)]
    pub retries: u32,
    /// Deferrals (no free concurrency slot) since the last retry.
    #[serde(default)]
    pub defers: u32,
}

impl Envelope {
    /// The key of a follow-up of this job: `{root}[:retryN][:deferM]`. Deterministic, so a job
    /// that runs twice (its worker died after pushing) pushes the same follow-up once.
    pub(crate) fn follow_up_key(root: &str, retries: u32, defers: u32) -> String {
        let mut key = root.to_string();
        if retries > 0 {
            key.push_str(&format!(":retry{retries}"));
        }
        if defers > 0 {
            key.push_str(&format!(":defer{defers}"));
        }
        key
    }
}

/// A job to push: queue, payload, due time, idempotency key, concurrency limit.
///
/// ```
/// # use postiz_jobs::JobRequest;
/// # use chrono::Utc;
/// #[derive(serde::Serialize)]
/// struct Publish { post_id: String, version: u32 }
/// let at = Utc::now() + chrono::Duration::minutes(10);
/// let request = JobRequest::new("publish", &Publish { post_id: "p1".into(), version: 3 })
///     .at(at)
///     .key("post:p1:v3:publish")
///     .limit("provider:linkedin", 2);
/// ```
#[derive(Debug, Clone)]
pub struct JobRequest {
    queue: String,
    payload: Result<Value, String>,
    due_at: Option<DateTime<Utc>>,
    key: Option<String>,
    pub(crate) limit: Option<ConcurrencyLimit>,
    pub(crate) root_key: Option<String>,
    pub(crate) retries: u32,
    pub(crate) defers: u32,
    pub(crate) scheduled_at: Option<DateTime<Utc>>,
}

impl JobRequest {
    /// A job for `queue`, due now. The payload is serialized here; a serialization failure is
    /// reported by [`JobQueue::push`].
    pub fn new<T: Serialize + ?Sized>(queue: impl Into<String>, payload: &T) -> Self {
        Self {
            queue: queue.into(),
            payload: serde_json::to_value(payload).map_err(|e| e.to_string()),
            due_at: None,
            key: None,
            limit: None,
            root_key: None,
            retries: 0,
            defers: 0,
            scheduled_at: None,
        }
    }

    /// Runs the job at `at` (UTC), not before. A time in the past means now.
    #[must_use]
    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.due_at = Some(at);
        self
    }

    /// Runs the job `delay` from now.
    #[must_use]
    pub fn after(mut self, delay: Duration) -> Self {
        let delay = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
        self.due_at = Some(
            Utc::now()
                .checked_add_signed(delay)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        );
        self
    }

    /// The idempotency key, unique per queue: pushing a second job with the key of an existing
    /// one (pending, running or finished) does nothing and reports
    /// [`PushOutcome::AlreadyScheduled`]. Put what makes the work distinct in it, e.g.
    /// `post:{id}:v{version}:publish`.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Runs the job under a cross-process concurrency limit: at most `max` jobs with this `key`
    /// run at once over all worker processes (Postiz `maxConcurrentJob` per provider).
    #[must_use]
    pub fn limit(mut self, key: impl Into<String>, max: u32) -> Self {
        self.limit = Some(ConcurrencyLimit {
            key: key.into(),
            max,
        });
        self
    }

    /// The queue the job goes to.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// The idempotency key, if any.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    fn validate(&self) -> Result<(), JobError> {
        validate_queue_name(&self.queue)?;
        if let Some(key) = &self.key
            && (key.is_empty() || key.len() > MAX_KEY)
        {
            return Err(JobError::Invalid(format!(
                "an idempotency key must have 1 to {MAX_KEY} bytes"
            )));
        }
        if let Some(limit) = &self.limit {
            if limit.key.is_empty() || limit.key.len() > 191 {
                return Err(JobError::Invalid(
                    "a concurrency key must have 1 to 191 bytes".to_string(),
                ));
            }
            if limit.max == 0 {
                return Err(JobError::Invalid(format!(
                    "the concurrency limit of `{}` must be at least 1",
                    limit.key
                )));
            }
        }
        Ok(())
    }
}

pub(crate) fn validate_queue_name(queue: &str) -> Result<(), JobError> {
    if queue.trim().is_empty() || queue.len() > MAX_QUEUE_NAME {
        return Err(JobError::Invalid(format!(
            "a queue name must have 1 to {MAX_QUEUE_NAME} bytes"
        )));
    }
    Ok(())
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// A new job was stored.
    Scheduled {
        /// Its id.
        job_id: String,
    },
    /// A job with the same idempotency key exists in the queue (pending, running or finished);
    /// nothing was stored. The same on SQLite and PostgreSQL.
    AlreadyScheduled {
        /// The existing job's id, when it could be read back.
        job_id: Option<String>,
    },
}

impl PushOutcome {
    /// Whether this push stored a new job.
    pub fn is_new(&self) -> bool {
        matches!(self, Self::Scheduled { .. })
    }

    /// The id of the new or existing job.
    pub fn job_id(&self) -> Option<&str> {
        match self {
            Self::Scheduled { job_id } => Some(job_id),
            Self::AlreadyScheduled { job_id } => job_id.as_deref(),
        }
    }
}

/// Wakes this process' workers of a queue when a job becomes due now (a push from this process,
/// or a PostgreSQL NOTIFY from another), so such jobs do not wait for the next poll. A queue may
/// run several dispatchers; each has its own wake-up stream and all of them are woken.
#[derive(Debug, Default)]
pub(crate) struct WakeRegistry {
    senders: Mutex<HashMap<(String, usize), mpsc::Sender<()>>>,
}

impl WakeRegistry {
    /// A new wake-up stream for dispatcher `index` of `queue`, replacing its previous one.
    pub(crate) fn subscribe(&self, queue: &str, index: usize) -> mpsc::Receiver<()> {
        let (tx, rx) = mpsc::channel(0);
        if let Ok(mut senders) = self.senders.lock() {
            senders.insert((queue.to_string(), index), tx);
        }
        rx
    }

    pub(crate) fn wake(&self, queue: &str) {
        if let Ok(mut senders) = self.senders.lock() {
            for ((name, _), sender) in senders.iter_mut() {
                if name == queue {
                    // Capacity one per stream: a full channel already holds a wake-up.
                    let _ = sender.try_send(());
                }
            }
        }
    }
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) config: JobsConfig,
    pub(crate) wakers: WakeRegistry,
    pub(crate) gates: Arc<crate::limiter::LocalGates>,
}

/// Handle to push jobs; cheap to clone. The same handle builds the [`crate::WorkerRuntime`].
#[derive(Clone)]
pub struct JobQueue {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for JobQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobQueue")
            .field("backend", &self.inner.store.kind())
            .field("config", &self.inner.config)
            .finish()
    }
}

impl JobQueue {
    /// Opens its own pool on `url` (`sqlite:...`, `postgres://...`); the backend follows the URL.
    pub async fn connect(url: &str, config: JobsConfig) -> Result<Self, JobError> {
        config.validate()?;
        let store = Store::connect(url, config.max_connections).await?;
        Ok(Self::with_store(store, config))
    }

    /// Shares the application's sea-orm pool (SQLite or PostgreSQL): jobs live in the same
    /// database as the posts they publish.
    pub fn from_connection(db: &DatabaseConnection, config: JobsConfig) -> Result<Self, JobError> {
        config.validate()?;
        Ok(Self::with_store(Store::from_connection(db)?, config))
    }

    fn with_store(store: Store, config: JobsConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                config,
                wakers: WakeRegistry::default(),
                gates: Arc::default(),
            }),
        }
    }

    /// Creates or upgrades apalis' own tables (run at start, like the sea-orm migrations, which
    /// own the `job_leases` table).
    pub async fn migrate(&self) -> Result<(), JobError> {
        self.inner.store.migrate().await
    }

    /// The backend in use.
    pub fn backend(&self) -> BackendKind {
        self.inner.store.kind()
    }

    /// The configuration.
    pub fn config(&self) -> &JobsConfig {
        &self.inner.config
    }

    /// The cross-process concurrency limiter on the same database.
    pub fn limiter(&self) -> ConcurrencyLimiter {
        ConcurrencyLimiter::new(
            self.inner.store.clone(),
            self.inner.config.clone(),
            self.inner.gates.clone(),
        )
    }

    /// Stores a job. A duplicate idempotency key is `Ok(AlreadyScheduled)`, never an error and
    /// never a second job, on both backends.
    pub async fn push(&self, request: JobRequest) -> Result<PushOutcome, JobError> {
        request.validate()?;
        let payload = request.payload.map_err(JobError::Invalid)?;
        let now = Utc::now();
        let due = request.due_at.unwrap_or(now);
        let due_ms = due.timestamp_millis();
        let envelope = Envelope {
            v: 1,
            payload,
            due_at_ms: due_ms,
            scheduled_at_ms: request
                .scheduled_at
                .map_or(due_ms, |s| s.timestamp_millis()),
            key: request.key.clone(),
            root_key: request.root_key.clone().or_else(|| request.key.clone()),
            limit: request.limit,
            retries: request.retries,
            defers: request.defers,
        };
        let bytes = serde_json::to_vec(&envelope)?;
        // apalis keeps whole seconds; the worker waits out the sub-second rest (never early).
        let run_at_secs = u64::try_from(due_ms.div_euclid(1000)).unwrap_or(0);
        let inserted = self
            .inner
            .store
            .insert(&request.queue, bytes, run_at_secs, request.key.as_deref())
            .await?;
        match inserted {
            Inserted::New(job_id) => {
                metrics::counter!("jobs_pushed_total", "queue" => request.queue.clone())
                    .increment(1);
                let soon = now
                    + chrono::Duration::from_std(self.inner.config.poll_interval)
                        .unwrap_or_default();
                if due <= soon {
                    self.inner.wakers.wake(&request.queue);
                }
                tracing::debug!(queue = %request.queue, %job_id, key = ?request.key, due = %due, "job scheduled");
                Ok(PushOutcome::Scheduled { job_id })
            }
            Inserted::Existing(job_id) => {
                metrics::counter!("jobs_push_duplicates_total", "queue" => request.queue.clone())
                    .increment(1);
                tracing::debug!(queue = %request.queue, key = ?request.key, existing = ?job_id, "job already scheduled");
                Ok(PushOutcome::AlreadyScheduled { job_id })
            }
        }
    }

    /// The job of `queue` holding idempotency `key`, if any.
    pub async fn find(&self, queue: &str, key: &str) -> Result<Option<JobRecord>, JobError> {
        self.inner.store.find_by_key(queue, key).await
    }

    /// Deletes finished jobs and silent workers older than `retention` keeps them (see
    /// [`Retention`]). Safe beside running workers, in any number of processes.
    pub async fn purge_finished(&self, retention: &Retention) -> Result<Purged, JobError> {
        retention.purge(&self.inner.store).await
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_up_keys_are_deterministic() {
        assert_eq!(Envelope::follow_up_key("post:1:v2", 0, 0), "post:1:v2");
        assert_eq!(
            Envelope::follow_up_key("post:1:v2", 1, 0),
            "post:1:v2:retry1"
        );
        assert_eq!(
            Envelope::follow_up_key("post:1:v2", 2, 3),
            "post:1:v2:retry2:defer3"
        );
    }

    #[test]
    fn requests_are_validated() {
        assert!(JobRequest::new("", &1).validate().is_err());
        assert!(JobRequest::new("q", &1).key("").validate().is_err());
        assert!(JobRequest::new("q", &1).limit("x", 0).validate().is_err());
        assert!(
            JobRequest::new("q", &1)
                .limit("x", 2)
                .key("k")
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn wake_registry_coalesces() {
        let registry = WakeRegistry::default();
        let mut first = registry.subscribe("q", 0);
        let mut second = registry.subscribe("q", 1);
        let mut other = registry.subscribe("other", 0);
        registry.wake("q");
        registry.wake("q");
        for rx in [&mut first, &mut second] {
            assert!(matches!(rx.try_recv(), Ok(())));
            assert!(rx.try_recv().is_err());
        }
        assert!(other.try_recv().is_err());
    }
}
