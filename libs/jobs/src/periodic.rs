//! Periodic tasks (Postiz' `missingPostWorkflow`: at start, then every hour).

use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::limiter::ConcurrencyLimiter;

pub(crate) type BoxTask = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

pub(crate) struct PeriodicSpec {
    pub(crate) name: String,
    pub(crate) every: Duration,
    pub(crate) task: BoxTask,
}

/// Runs the task at start, then each period unless another process ran it less than
/// `0.9 × period` ago. "Ran recently" is a lease row `periodic:{name}` left to expire.
pub(crate) async fn run_periodic(
    spec: PeriodicSpec,
    limiter: ConcurrencyLimiter,
    shutdown: CancellationToken,
) {
    let key = format!("periodic:{}", spec.name);
    let mark_ttl = spec.every.mul_f64(0.9).max(Duration::from_millis(300));
    // At start: always run (the sweep re-drives what was missed while no process ran), and
    // leave the mark so the other processes' next ticks skip.
    if let Ok(Some(mark)) = limiter.try_acquire_for(&key, 1, None, mark_ttl).await {
        mark.keep_until_expiry();
    }
    run_once(&spec, "start").await;
    let mut next = Instant::now() + spec.every;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = shutdown.cancelled() => return,
        }
        next += spec.every;
        let now = Instant::now();
        if next <= now {
            next = now + spec.every;
        }
        match limiter.try_acquire_for(&key, 1, None, mark_ttl).await {
            Ok(Some(mark)) => {
                mark.keep_until_expiry();
                run_once(&spec, "tick").await;
            }
            Ok(None) => {
                tracing::debug!(task = %spec.name, "periodic task ran recently in another process; skipped");
            }
            Err(e) => {
                tracing::warn!(task = %spec.name, error = %e, "cannot check the periodic task's last run; skipped");
            }
        }
    }
}

async fn run_once(spec: &PeriodicSpec, trigger: &'static str) {
    let span = tracing::info_span!("periodic", task = %spec.name, trigger);
    let started = Instant::now();
    let result = std::panic::AssertUnwindSafe((spec.task)())
        .catch_unwind()
        .instrument(span.clone())
        .await;
    let _entered = span.enter();
    let outcome = match result {
        Ok(Ok(())) => {
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "periodic task done"
            );
            "ok"
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "periodic task failed");
            "error"
        }
        Err(_) => {
            tracing::error!("periodic task panicked");
            "panic"
        }
    };
    metrics::counter!("periodic_runs_total", "task" => spec.name.clone(), "outcome" => outcome)
        .increment(1);
}
