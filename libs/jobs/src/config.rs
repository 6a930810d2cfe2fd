//! Tuning knobs of the engine ([`JobsConfig`]) and of one queue's workers ([`QueueOptions`]).

use std::time::Duration;

use crate::error::JobError;

/// Engine-wide settings. The defaults are the production values; tests shorten them.
///
/// See the crate documentation for why each default was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobsConfig {
    /// How often an idle worker asks the database for due jobs (apalis `IntervalStrategy`).
    /// A job due at `T` starts within about this long after `T`. Default 1 s.
    pub poll_interval: Duration,
    /// How often a worker writes its heartbeat and re-enqueues jobs of dead workers (apalis
    /// `heartbeat_interval`). Whole seconds (apalis stores seconds). Default 10 s.
    pub heartbeat_interval: Duration,
    /// Heartbeats a worker may miss before its jobs are given to another worker (apalis
    /// `missed_heartbeats`). Orphan timeout = `heartbeat_interval × missed_heartbeats`. Default 3.
    pub missed_heartbeats: u32,
    /// Lifetime of a concurrency-limit lease; renewed every third of it while the job runs, so a
    /// slot of a killed process is free again after at most this long. Default 60 s.
    pub lease_ttl: Duration,
    /// How long a released slot stays with this process, its lease still renewed, for the next
    /// job of the same key to take without a write (under a burst, one job follows another on
    /// the slot without touching the table). Another process may take the slot after at most
    /// this long. Zero deletes the lease at once. Default 250 ms.
    pub lease_linger: Duration,
    /// How long a job waits for a free slot of its concurrency key before it is deferred
    /// (re-pushed to run later) so it does not hold a worker. Default 10 s.
    pub slot_wait: Duration,
    /// Pause between two attempts to take a slot while waiting. Default 250 ms.
    pub slot_poll: Duration,
    /// How far a deferred job is pushed into the future. Default 5 s.
    pub defer_delay: Duration,
    /// Runs of one job (the first plus re-runs after a worker died mid-job) after which it is
    /// recorded as failed without running the handler again. Default 3.
    pub max_runs: u32,
    /// After shutdown is requested, how long in-flight jobs may take before they are abandoned
    /// (another process takes them again after the orphan timeout). Default 30 s.
    pub shutdown_timeout: Duration,
    /// Longest pause before a worker whose database connection failed is started again. Default 30 s.
    pub restart_backoff_max: Duration,
    /// Largest pool of a database opened by [`crate::JobQueue::connect`] (not used with
    /// [`crate::JobQueue::from_connection`], which shares the application's pool). Default 8.
    pub max_connections: u32,
    /// Due jobs a worker takes per fetch (apalis `batch_size`). Taken jobs wait in the worker's
    /// buffer for a free slot, and apalis skips heartbeats while that buffer is not empty, so a
    /// batch stays small: a few jobs, drained in moments. Default 8.
    pub fetch_batch: usize,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            heartbeat_interval: Duration::from_secs(10),
            missed_heartbeats: 3,
            lease_ttl: Duration::from_secs(60),
            lease_linger: Duration::from_millis(250),
            slot_wait: Duration::from_secs(10),
            slot_poll: Duration::from_millis(250),
            defer_delay: Duration::from_secs(5),
            max_runs: 3,
            shutdown_timeout: Duration::from_secs(30),
            restart_backoff_max: Duration::from_secs(30),
            max_connections: 8,
            fetch_batch: 8,
        }
    }
}

impl JobsConfig {
    /// Time after which a worker that stopped heart-beating is considered dead and its jobs are
    /// re-enqueued for other workers.
    pub fn orphan_timeout(&self) -> Duration {
        self.heartbeat_interval * self.missed_heartbeats
    }

    /// Checks the ranges the engine relies on.
    pub fn validate(&self) -> Result<(), JobError> {
        let fail = |why: &str| Err(JobError::Config(why.to_string()));
        if self.poll_interval < Duration::from_millis(10) {
            return fail("poll_interval must be at least 10 ms");
        }
        if self.heartbeat_interval < Duration::from_secs(1)
            || self.heartbeat_interval.subsec_nanos() != 0
        {
            return fail("heartbeat_interval must be a whole number of seconds, at least 1");
        }
        if self.fetch_batch == 0 {
            return fail("fetch_batch must be at least 1");
        }
        if self.missed_heartbeats < 2 {
            return fail(
                "missed_heartbeats must be at least 2 (one late heartbeat must not orphan a live worker)",
            );
        }
        if self.lease_ttl < Duration::from_millis(300) {
            return fail("lease_ttl must be at least 300 ms");
        }
        if self.lease_linger >= self.lease_ttl {
            return fail("lease_linger must be shorter than lease_ttl");
        }
        if self.slot_poll.is_zero() {
            return fail("slot_poll must not be zero");
        }
        if self.max_runs == 0 {
            return fail("max_runs must be at least 1");
        }
        if self.max_connections == 0 {
            return fail("max_connections must be at least 1");
        }
        Ok(())
    }
}

/// Settings of the workers of one queue in this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueOptions {
    /// Jobs of this queue run at once in this process (apalis `.concurrency(n)`). Cross-process
    /// limits per provider are leases: see [`crate::JobRequest::limit`]. Default 4.
    pub concurrency: usize,
    /// A handler still running after this long is stopped and the job recorded as failed
    /// (Postiz: start-to-close timeout). Default: none.
    pub timeout: Option<Duration>,
    /// apalis workers of this queue in this process, sharing `concurrency` between them. One
    /// apalis worker fetches, locks and acknowledges its jobs one database round trip after
    /// another; several take a burst in parallel. Default 1.
    pub dispatchers: usize,
    /// The handler takes the job's concurrency slot itself ([`crate::JobContext::take_slot`])
    /// around the part the limit is for (a publication in flight), instead of the worker
    /// holding it for the whole run: the work after it no longer counts against the limit.
    /// Default false.
    pub handler_takes_slot: bool,
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            timeout: None,
            dispatchers: 1,
            handler_takes_slot: false,
        }
    }
}

impl QueueOptions {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets how many jobs of the queue run at once in this process (at least 1).
    #[must_use]
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Sets how many apalis workers share the queue's concurrency (at least 1, at most the
    /// concurrency).
    #[must_use]
    pub fn dispatchers(mut self, n: usize) -> Self {
        self.dispatchers = n.max(1);
        self
    }

    /// Jobs each dispatcher runs at once: the concurrency split evenly, rounded up.
    pub fn concurrency_per_dispatcher(&self) -> usize {
        self.concurrency.div_ceil(self.dispatchers_in_use())
    }

    /// Dispatchers actually started: never more than the concurrency.
    pub fn dispatchers_in_use(&self) -> usize {
        self.dispatchers.clamp(1, self.concurrency.max(1))
    }

    /// Sets the handler timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Lets the handler take the concurrency slot itself (see
    /// [`QueueOptions::handler_takes_slot`]).
    #[must_use]
    pub fn handler_takes_slot(mut self) -> Self {
        self.handler_takes_slot = true;
        self
    }
}
