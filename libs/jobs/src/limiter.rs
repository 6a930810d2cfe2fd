//! Cross-process concurrency limits as leases in the `job_leases` table.
//!
//! A key (`provider:linkedin`) with limit `n` has slots `0..n`. Taking a slot is one atomic
//! upsert that only succeeds when the slot's row is absent or expired, so at most `n` holders
//! exist at any time across every process on the database. A holder renews its lease every
//! third of the TTL while it works and deletes the row when done; a killed process stops
//! renewing, and its slot is free again after at most one TTL.
//!
//! In front of the table, each process keeps a local gate per key (a semaphore of `n`
//! permits): a job asks the database only once its own process has a permit, and waits for a
//! permit without polling, woken the moment a local holder finishes. Waiters of one process
//! never hammer the table with failing upserts; the table still arbitrates between processes.
//!
//! A released slot lingers with its process for `lease_linger` (lease still renewed) before
//! its row is deleted: under a burst the next job of the key takes it over without a write,
//! so a slot costs two writes per burst rather than two per job.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::JobsConfig;
use crate::error::JobError;
use crate::store::Store;

/// This process' gates, one per key and limit.
#[derive(Debug, Default)]
pub(crate) struct LocalGates {
    gates: Mutex<HashMap<(String, u32), Arc<Gate>>>,
}

impl LocalGates {
    fn gate(&self, key: &str, max: u32) -> Arc<Gate> {
        let mut gates = lock(&self.gates);
        gates
            .entry((key.to_string(), max))
            .or_insert_with(|| {
                Arc::new(Gate {
                    permits: Arc::new(Semaphore::new(max as usize)),
                    taken: Mutex::new(vec![false; max as usize]),
                    idle: Mutex::default(),
                })
            })
            .clone()
    }
}

/// One key's gate: `max` permits, and which slots this process holds or is taking, so it
/// asks the table only for slots it does not hold itself (one upsert per job when the
/// process is alone, instead of probing slots its own jobs hold).
#[derive(Debug)]
struct Gate {
    permits: Arc<Semaphore>,
    taken: Mutex<Vec<bool>>,
    /// Leases released by a job and kept, still renewed, for the next one.
    idle: Mutex<Vec<IdleLease>>,
}

/// A lease this process holds between two jobs (see `JobsConfig::lease_linger`).
#[derive(Debug)]
struct IdleLease {
    id: u64,
    local: LocalSlot,
    holder: String,
    ttl: Duration,
    lost: Arc<AtomicBool>,
    renewer: JoinHandle<()>,
}

static NEXT_IDLE_ID: AtomicU64 = AtomicU64::new(0);

impl Gate {
    /// An idle lease of the same TTL that is still ours, if any.
    fn take_idle(&self, ttl: Duration) -> Option<IdleLease> {
        let mut idle = lock(&self.idle);
        while let Some(index) = idle.iter().position(|lease| lease.ttl == ttl) {
            let lease = idle.swap_remove(index);
            if !lease.lost.load(Ordering::SeqCst) {
                return Some(lease);
            }
            // Renewal failed: another holder may have the row; just forget it.
            lease.renewer.abort();
        }
        None
    }

    /// Removes the idle lease `id` if no job took it over meanwhile.
    fn remove_idle(&self, id: u64) -> Option<IdleLease> {
        let mut idle = lock(&self.idle);
        let index = idle.iter().position(|lease| lease.id == id)?;
        Some(idle.swap_remove(index))
    }

    /// Reserves the first slot from `start` (in rotation) that this process neither holds nor
    /// has `tried`.
    fn reserve(self: &Arc<Self>, start: u32, tried: &[i32]) -> Option<LocalSlot> {
        let mut taken = lock(&self.taken);
        let max = taken.len();
        (0..max)
            .map(|i| (start as usize + i) % max)
            .find(|&slot| !taken[slot] && !tried.contains(&(slot as i32)))
            .map(|slot| {
                taken[slot] = true;
                LocalSlot {
                    gate: self.clone(),
                    slot: slot as i32,
                }
            })
    }
}

/// A slot this process holds or is taking; freed locally when dropped.
#[derive(Debug)]
struct LocalSlot {
    gate: Arc<Gate>,
    slot: i32,
}

impl Drop for LocalSlot {
    fn drop(&mut self) {
        if let Some(flag) = lock(&self.gate.taken).get_mut(self.slot as usize) {
            *flag = false;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn zero_limit(key: &str) -> JobError {
    JobError::Invalid(format!(
        "the concurrency limit of `{key}` must be at least 1"
    ))
}

/// Takes and releases slots of cross-process concurrency limits.
#[derive(Debug, Clone)]
pub struct ConcurrencyLimiter {
    store: Store,
    config: JobsConfig,
    gates: Arc<LocalGates>,
}

impl ConcurrencyLimiter {
    pub(crate) fn new(store: Store, config: JobsConfig, gates: Arc<LocalGates>) -> Self {
        Self {
            store,
            config,
            gates,
        }
    }

    /// Takes a free slot of `key` (limit `max`) now, or returns `None` when all are taken.
    pub async fn try_acquire(&self, key: &str, max: u32) -> Result<Option<SlotGuard>, JobError> {
        self.try_acquire_for(key, max, None, self.config.lease_ttl)
            .await
    }

    /// Waits up to `wait` for a free slot of `key`, polling every `slot_poll`; `None` when the
    /// wait ran out or `cancel` fired.
    pub async fn acquire(
        &self,
        key: &str,
        max: u32,
        wait: Duration,
        cancel: &CancellationToken,
    ) -> Result<Option<SlotGuard>, JobError> {
        self.acquire_for_job(key, max, None, wait, cancel).await
    }

    pub(crate) async fn acquire_for_job(
        &self,
        key: &str,
        max: u32,
        job_id: Option<&str>,
        wait: Duration,
        cancel: &CancellationToken,
    ) -> Result<Option<SlotGuard>, JobError> {
        if max == 0 {
            return Err(zero_limit(key));
        }
        let deadline = Instant::now() + wait;
        let gate = self.gates.gate(key, max);
        let permit = tokio::select! {
            permit = tokio::time::timeout_at(deadline, gate.permits.clone().acquire_owned()) => match permit {
                Ok(Ok(permit)) => permit,
                // Timed out (or the gate closed, which never happens): no slot in time.
                _ => return Ok(None),
            },
            _ = cancel.cancelled() => return Ok(None),
        };
        let mut permit = Some(permit);
        loop {
            if let Some(guard) = self
                .take_db_slot(&gate, key, job_id, self.config.lease_ttl, &mut permit)
                .await?
            {
                return Ok(Some(guard));
            }
            let now = Instant::now();
            if now >= deadline || cancel.is_cancelled() {
                return Ok(None);
            }
            let pause = self.config.slot_poll.min(deadline - now);
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = cancel.cancelled() => return Ok(None),
            }
        }
    }

    /// Takes a slot with a lease of `ttl` now, when this process has a free permit for it.
    pub(crate) async fn try_acquire_for(
        &self,
        key: &str,
        max: u32,
        job_id: Option<&str>,
        ttl: Duration,
    ) -> Result<Option<SlotGuard>, JobError> {
        if max == 0 {
            return Err(zero_limit(key));
        }
        let gate = self.gates.gate(key, max);
        let Ok(permit) = gate.permits.clone().try_acquire_owned() else {
            return Ok(None);
        };
        self.take_db_slot(&gate, key, job_id, ttl, &mut Some(permit))
            .await
    }

    /// Takes a free slot's row; the local permit moves into the guard on success. Slots this
    /// process holds are skipped; the others are tried from a random one, so racing processes
    /// do not all fight over slot 0.
    async fn take_db_slot(
        &self,
        gate: &Arc<Gate>,
        key: &str,
        job_id: Option<&str>,
        ttl: Duration,
        permit: &mut Option<OwnedSemaphorePermit>,
    ) -> Result<Option<SlotGuard>, JobError> {
        if let Some(idle) = gate.take_idle(ttl) {
            tracing::debug!(key, slot = idle.local.slot, "concurrency slot taken over");
            return Ok(Some(SlotGuard::resume(
                self.store.clone(),
                key.to_string(),
                gate.clone(),
                idle,
                self.config.lease_linger,
                permit.take(),
            )));
        }
        let holder = uuid::Uuid::new_v4().simple().to_string();
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4);
        let max = u32::try_from(lock(&gate.taken).len())
            .unwrap_or(u32::MAX)
            .max(1);
        let start = (uuid::Uuid::new_v4().as_u128() % u128::from(max)) as u32;
        let mut tried = Vec::new();
        while let Some(local) = gate.reserve(start, &tried) {
            let slot = local.slot;
            if self
                .store
                .lease_try_take(key, slot, &holder, job_id, ttl_ms)
                .await?
            {
                tracing::debug!(key, slot, "concurrency slot taken");
                return Ok(Some(SlotGuard::start(
                    self.store.clone(),
                    key.to_string(),
                    gate.clone(),
                    holder,
                    ttl,
                    self.config.lease_linger,
                    local,
                    permit.take(),
                )));
            }
            // Another process holds it.
            tried.push(slot);
        }
        Ok(None)
    }

    /// Slots of `key` held now.
    pub async fn held(&self, key: &str) -> Result<i64, JobError> {
        self.store.lease_count(key).await
    }
}

/// A taken slot. It is renewed in the background until [`SlotGuard::release`] (or drop, which
/// releases in the background); [`SlotGuard::is_lost`] tells whether renewal failed and another
/// holder may have the slot.
#[derive(Debug)]
pub struct SlotGuard {
    store: Store,
    key: String,
    gate: Arc<Gate>,
    slot: i32,
    holder: String,
    ttl: Duration,
    linger: Duration,
    lost: Arc<AtomicBool>,
    renewer: Option<JoinHandle<()>>,
    released: bool,
    /// The slot in this process' gate, freed when the guard goes (before the permit, so the
    /// job the permit wakes finds it free) unless it lingers as an idle lease.
    local: Option<LocalSlot>,
    /// This process' permit for the key, returned when the guard goes.
    _permit: Option<OwnedSemaphorePermit>,
}

impl SlotGuard {
    #[allow(clippy::too_many_arguments)]
    fn start(
        store: Store,
        key: String,
        gate: Arc<Gate>,
        holder: String,
        ttl: Duration,
        linger: Duration,
        local: LocalSlot,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Self {
        let slot = local.slot;
        let lost = Arc::new(AtomicBool::new(false));
        let renewer = {
            let store = store.clone();
            let key = key.clone();
            let holder = holder.clone();
            let lost = lost.clone();
            let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4);
            tokio::spawn(async move {
                let period = (ttl / 3).max(Duration::from_millis(50));
                loop {
                    tokio::time::sleep(period).await;
                    match store.lease_renew(&key, slot, &holder, ttl_ms).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(key, slot, "concurrency lease lost (expired and taken)");
                            lost.store(true, Ordering::SeqCst);
                            return;
                        }
                        // A transient error: the lease is still valid until its expiry; retry.
                        Err(e) => {
                            tracing::warn!(key, slot, error = %e, "cannot renew concurrency lease")
                        }
                    }
                }
            })
        };
        Self {
            store,
            key,
            gate,
            slot,
            holder,
            ttl,
            linger,
            lost,
            renewer: Some(renewer),
            released: false,
            local: Some(local),
            _permit: permit,
        }
    }

    /// Takes over a lease a previous job of this process left idle: no write.
    fn resume(
        store: Store,
        key: String,
        gate: Arc<Gate>,
        idle: IdleLease,
        linger: Duration,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Self {
        Self {
            store,
            key,
            gate,
            slot: idle.local.slot,
            holder: idle.holder,
            ttl: idle.ttl,
            linger,
            lost: idle.lost,
            renewer: Some(idle.renewer),
            released: false,
            local: Some(idle.local),
            _permit: permit,
        }
    }

    /// The key of the slot.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The slot number, `0..max`.
    pub fn slot(&self) -> i32 {
        self.slot
    }

    /// Whether the lease could not be renewed and another holder may have taken the slot.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Frees the slot: for the next job of this process at once, for other processes after
    /// `lease_linger` (see [`crate::JobsConfig::lease_linger`]).
    pub async fn release(mut self) -> Result<(), JobError> {
        if !self.linger.is_zero() && !self.is_lost() && self.park() {
            return Ok(());
        }
        self.stop_renewing();
        self.released = true;
        self.store
            .lease_release(&self.key, self.slot, &self.holder)
            .await
    }

    /// Leaves the lease, still renewed, in the gate's idle list, and deletes its row after
    /// `linger` unless a job took it over meanwhile.
    fn park(&mut self) -> bool {
        let (Some(renewer), Some(local)) = (self.renewer.take(), self.local.take()) else {
            return false;
        };
        self.released = true;
        let id = NEXT_IDLE_ID.fetch_add(1, Ordering::Relaxed);
        let holder = std::mem::take(&mut self.holder);
        lock(&self.gate.idle).push(IdleLease {
            id,
            local,
            holder,
            ttl: self.ttl,
            lost: self.lost.clone(),
            renewer,
        });
        let gate = self.gate.clone();
        let store = self.store.clone();
        let key = self.key.clone();
        let linger = self.linger;
        tokio::spawn(async move {
            tokio::time::sleep(linger).await;
            let Some(lease) = gate.remove_idle(id) else {
                return;
            };
            lease.renewer.abort();
            if !lease.lost.load(Ordering::SeqCst)
                && let Err(e) = store
                    .lease_release(&key, lease.local.slot, &lease.holder)
                    .await
            {
                let slot = lease.local.slot;
                tracing::warn!(key, slot, error = %e, "cannot release concurrency lease; it will expire");
            }
            // The local slot goes last, once the row is gone, so no job of this process
            // tries to take a row that is still ours.
            drop(lease);
        });
        true
    }

    /// Stops renewing and keeps the row until it expires (a "done recently" marker, used by the
    /// periodic tasks so several processes do not all run the same tick).
    pub(crate) fn keep_until_expiry(mut self) {
        self.stop_renewing();
        self.released = true;
    }

    fn stop_renewing(&mut self) {
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
        }
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.stop_renewing();
        if self.released {
            return;
        }
        // Best effort: when the runtime is gone (the process is dying) the lease expires instead.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let store = self.store.clone();
            let key = std::mem::take(&mut self.key);
            let holder = std::mem::take(&mut self.holder);
            let slot = self.slot;
            handle.spawn(async move {
                if let Err(e) = store.lease_release(&key, slot, &holder).await {
                    tracing::warn!(key, slot, error = %e, "cannot release concurrency lease; it will expire");
                }
            });
        }
    }
}
