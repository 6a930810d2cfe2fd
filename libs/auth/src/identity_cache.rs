//! A short-lived, in-process cache of who a request is: the session's user and their
//! memberships. Every dashboard call needs both, and reading them costs two queries, as much
//! as many handlers' own work.
//!
//! Entries live `ttl` (one second by default). A write made through this process' services
//! clears the cache at once, so a password change, a removed member or a new role takes effect
//! on the next request here; another process (a second `postiz serve` on the same database)
//! sees the change within `ttl`. A load that raced with a write is not stored: each write bumps
//! a generation, and a value read under an older generation is dropped.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use postiz_entity::{membership, organization, user};

/// Entries kept at most; past it the cache starts over (far more than the active users of
/// one deployment in one second).
const MAX_ENTRIES: usize = 10_000;

pub type Memberships = Vec<(membership::Model, organization::Model)>;

#[derive(Debug)]
pub struct IdentityCache {
    ttl: Duration,
    generation: AtomicU64,
    users: Mutex<HashMap<String, (Instant, user::Model)>>,
    memberships: Mutex<HashMap<String, (Instant, Memberships)>>,
}

impl IdentityCache {
    /// A cache whose entries live `ttl`; zero turns it off.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            generation: AtomicU64::new(0),
            users: Mutex::default(),
            memberships: Mutex::default(),
        }
    }

    /// The generation to pass to `put_*` after loading from the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn user(&self, user_id: &str) -> Option<user::Model> {
        fresh(&self.users, user_id, self.ttl)
    }

    pub fn put_user(&self, generation: u64, user: &user::Model) {
        self.put(&self.users, generation, &user.id, user.clone());
    }

    pub fn memberships(&self, user_id: &str) -> Option<Memberships> {
        fresh(&self.memberships, user_id, self.ttl)
    }

    pub fn put_memberships(&self, generation: u64, user_id: &str, memberships: &Memberships) {
        self.put(&self.memberships, generation, user_id, memberships.clone());
    }

    /// Forgets everything: called after any write to users, organizations or memberships
    /// (rare next to reads, so precision is not worth its bugs).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        lock(&self.users).clear();
        lock(&self.memberships).clear();
    }

    fn put<T>(
        &self,
        map: &Mutex<HashMap<String, (Instant, T)>>,
        generation: u64,
        key: &str,
        value: T,
    ) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = lock(map);
        // Checked under the map's lock: `invalidate` bumps first and clears after, so a value
        // loaded before a write either sees the new generation here or is cleared after.
        if self.generation() != generation {
            return;
        }
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key.to_string(), (Instant::now(), value));
    }
}

fn fresh<T: Clone>(
    map: &Mutex<HashMap<String, (Instant, T)>>,
    key: &str,
    ttl: Duration,
) -> Option<T> {
    let map = lock(map);
    map.get(key)
        .filter(|(at, _)| at.elapsed() < ttl)
        .map(|(_, value)| value.clone())
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
    use chrono::Utc;

    fn user(id: &str, version: i32) -> user::Model {
        let at = Utc::now();
        user::Model {
            id: id.into(),
            email: format!("{id}@example.com"),
            password_hash: None,
            provider_name: postiz_entity::LoginProvider::Local,
            provider_id: None,
            name: None,
            last_name: None,
            bio: None,
            picture_id: None,
            picture_path: None,
            timezone: 0,
            is_super_admin: false,
            activated: true,
            send_success_emails: true,
            send_failure_emails: true,
            send_streak_emails: true,
            last_read_notifications: at,
            session_version: version,
            last_online: None,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        }
    }

    #[test]
    fn serves_what_was_stored_until_it_expires() {
        let cache = IdentityCache::new(Duration::from_millis(50));
        let generation = cache.generation();
        cache.put_user(generation, &user("u1", 1));
        assert_eq!(cache.user("u1").map(|u| u.session_version), Some(1));
        assert!(cache.user("u2").is_none());
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.user("u1").is_none());
    }

    #[test]
    fn a_write_clears_it_and_a_racing_load_is_not_stored() {
        let cache = IdentityCache::new(Duration::from_secs(60));
        let before = cache.generation();
        cache.put_user(before, &user("u1", 1));
        cache.put_memberships(before, "u1", &Vec::new());
        cache.invalidate();
        assert!(cache.user("u1").is_none());
        assert!(cache.memberships("u1").is_none());
        // Loaded before the write, stored after it: dropped.
        cache.put_user(before, &user("u1", 1));
        assert!(cache.user("u1").is_none());
        cache.put_user(cache.generation(), &user("u1", 2));
        assert_eq!(cache.user("u1").map(|u| u.session_version), Some(2));
    }

    #[test]
    fn zero_ttl_stores_nothing() {
        let cache = IdentityCache::new(Duration::ZERO);
        cache.put_user(cache.generation(), &user("u1", 1));
        assert!(cache.user("u1").is_none());
    }
}
