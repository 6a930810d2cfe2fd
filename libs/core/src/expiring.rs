//! A short-lived, in-process map of values read from the database, for reads that every
//! request or every publication repeats (who the session is, an organization's webhooks).
//!
//! Entries live `ttl`. A write made through this process' services calls
//! [`ExpiringMap::invalidate`], so it applies here at once; another process (a second
//! `postiz serve`, a `postiz worker`) sees it within `ttl`. A load that raced with a write is
//! not stored: each write bumps a generation, and a value read under an older generation is
//! dropped.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct ExpiringMap<V> {
    ttl: Duration,
    /// Entries kept at most; past it the map starts over.
    max_entries: usize,
    generation: AtomicU64,
    entries: Mutex<HashMap<String, (Instant, V)>>,
}

impl<V: Clone> ExpiringMap<V> {
    /// A map whose entries live `ttl`; zero stores nothing.
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        Self {
            ttl,
            max_entries,
            generation: AtomicU64::new(0),
            entries: Mutex::default(),
        }
    }

    /// The generation to pass to [`put`](Self::put): read it before loading from the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The value stored under `key` less than `ttl` ago.
    pub fn get(&self, key: &str) -> Option<V> {
        lock(&self.entries)
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, value)| value.clone())
    }

    /// Stores `value`, loaded under `generation`, unless a write came since.
    pub fn put(&self, generation: u64, key: &str, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = lock(&self.entries);
        // Checked under the lock: `invalidate` bumps first and clears after, so a value
        // loaded before a write either sees the new generation here or is cleared after.
        if self.generation() != generation {
            return;
        }
        if entries.len() >= self.max_entries {
            entries.clear();
        }
        entries.insert(key.to_string(), (Instant::now(), value));
    }

    /// Forgets everything: called after a write to what the map holds (rare next to reads, so
    /// precision is not worth its bugs).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        lock(&self.entries).clear();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_what_was_stored_until_it_expires() {
        let map = ExpiringMap::new(Duration::from_millis(50), 10);
        map.put(map.generation(), "a", 1);
        assert_eq!(map.get("a"), Some(1));
        assert_eq!(map.get("b"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(map.get("a"), None);
    }

    #[test]
    fn a_write_clears_it_and_a_racing_load_is_not_stored() {
        let map = ExpiringMap::new(Duration::from_secs(60), 10);
        let before = map.generation();
        map.put(before, "a", 1);
        map.invalidate();
        assert_eq!(map.get("a"), None);
        // Loaded before the write, stored after it: dropped.
        map.put(before, "a", 1);
        assert_eq!(map.get("a"), None);
        map.put(map.generation(), "a", 2);
        assert_eq!(map.get("a"), Some(2));
    }

    #[test]
    fn zero_ttl_stores_nothing() {
        let map = ExpiringMap::new(Duration::ZERO, 10);
        map.put(map.generation(), "a", 1);
        assert_eq!(map.get("a"), None);
    }

    #[test]
    fn a_full_map_starts_over() {
        let map = ExpiringMap::new(Duration::from_secs(60), 2);
        map.put(map.generation(), "a", 1);
        map.put(map.generation(), "b", 2);
        map.put(map.generation(), "c", 3);
        assert_eq!(
            (map.get("a"), map.get("b"), map.get("c")),
            (None, None, Some(3))
        );
    }
}
