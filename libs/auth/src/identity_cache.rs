//! A short-lived, in-process cache of who a request is: the session's user and their
//! memberships. Every dashboard call needs both, and reading them costs two queries, as much
//! as many handlers' own work.
//!
//! Entries live `ttl` (one second by default). A write made through this process' services
//! clears the cache at once, so a password change, a removed member or a new role takes effect
//! on the next request here; another process (a second `postiz serve` on the same database)
//! sees the change within `ttl`. A load that raced with a write is not stored: each write bumps
//! a generation, and a value read under an older generation is dropped.

use std::time::Duration;

use postiz_core::expiring::ExpiringMap;
use postiz_entity::{membership, organization, user};

/// Entries kept at most; past it the cache starts over (far more than the active users of
/// one deployment in one second).
const MAX_ENTRIES: usize = 10_000;

pub type Memberships = Vec<(membership::Model, organization::Model)>;

/// What [`IdentityCache::generation`] read: one generation per map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation {
    users: u64,
    memberships: u64,
}

#[derive(Debug)]
pub struct IdentityCache {
    users: ExpiringMap<user::Model>,
    memberships: ExpiringMap<Memberships>,
}

impl IdentityCache {
    /// A cache whose entries live `ttl`; zero turns it off.
    pub fn new(ttl: Duration) -> Self {
        Self {
            users: ExpiringMap::new(ttl, MAX_ENTRIES),
            memberships: ExpiringMap::new(ttl, MAX_ENTRIES),
        }
    }

    /// The generation to pass to `put_*` after loading from the database.
    pub fn generation(&self) -> Generation {
        Generation {
            users: self.users.generation(),
            memberships: self.memberships.generation(),
        }
    }

    pub fn user(&self, user_id: &str) -> Option<user::Model> {
        self.users.get(user_id)
    }

    pub fn put_user(&self, generation: Generation, user: &user::Model) {
        self.users.put(generation.users, &user.id, user.clone());
    }

    pub fn memberships(&self, user_id: &str) -> Option<Memberships> {
        self.memberships.get(user_id)
    }

    pub fn put_memberships(
        &self,
        generation: Generation,
        user_id: &str,
        memberships: &Memberships,
    ) {
        self.memberships
            .put(generation.memberships, user_id, memberships.clone());
    }

    /// Forgets everything: called after any write to users, organizations or memberships
    /// (rare next to reads, so precision is not worth its bugs).
    pub fn invalidate(&self) {
        self.users.invalidate();
        self.memberships.invalidate();
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
}
