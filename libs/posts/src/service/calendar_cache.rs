//! Calendar answers kept in memory, serialized, each under the organization's calendar version
//! it was built from (see `repository::calendar_changes`). The dashboard asks for the same week
//! again and again (on focus, after every dialog, once per team member); while the version has
//! not moved, the answer is the same bytes, and serving them skips three queries, a few hundred
//! rows and the JSON encoding.
//!
//! Correct across processes because the version lives in the database: it is read before the
//! data, so an answer is never filed under a version newer than what it shows, and any write
//! committed afterwards, by any process, makes the version grow and the entry useless.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};

/// Bookkeeping charged to an entry beside its body (key, map slot).
const ENTRY_OVERHEAD: usize = 256;

/// Which calendar answer: the organization, the range and the customer filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CalendarKey {
    pub org_id: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// `None` shows every customer's channels.
    pub customer: Option<String>,
}

struct Cached {
    version: i64,
    body: Bytes,
}

impl Cached {
    fn cost(&self, key: &CalendarKey) -> usize {
        self.body.len()
            + key.org_id.len()
            + key.customer.as_ref().map_or(0, String::len)
            + ENTRY_OVERHEAD
    }
}

#[derive(Default)]
struct Entries {
    map: HashMap<CalendarKey, Cached>,
    bytes: usize,
}

impl Entries {
    fn remove(&mut self, key: &CalendarKey) {
        if let Some(old) = self.map.remove(key) {
            self.bytes -= old.cost(key);
        }
    }
}

/// At most `budget` bytes of answers; past it, arbitrary entries make room (with versions
/// that only grow, no entry is more likely than another to be asked for again).
pub struct CalendarCache {
    budget: usize,
    entries: Mutex<Entries>,
}

impl CalendarCache {
    /// A cache holding up to `budget` bytes; zero turns it off.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            entries: Mutex::default(),
        }
    }

    /// The answer built under `version`, if this process has it. An entry built under an
    /// older version can never be served again and is dropped.
    pub fn get(&self, key: &CalendarKey, version: i64) -> Option<Bytes> {
        let mut entries = self.lock();
        match entries.map.get(key) {
            Some(cached) if cached.version == version => Some(cached.body.clone()),
            Some(cached) if cached.version < version => {
                entries.remove(key);
                None
            }
            _ => None,
        }
    }

    /// Files an answer built from data read after `version` was read. A racing request that
    /// filed a newer version keeps its entry.
    pub fn put(&self, key: CalendarKey, version: i64, body: Bytes) {
        let cached = Cached { version, body };
        let cost = cached.cost(&key);
        if cost > self.budget {
            return;
        }
        let mut entries = self.lock();
        if entries.map.get(&key).is_some_and(|c| c.version > version) {
            return;
        }
        entries.remove(&key);
        while entries.bytes + cost > self.budget {
            let Some(victim) = entries.map.keys().next().cloned() else {
                break;
            };
            entries.remove(&victim);
        }
        entries.bytes += cost;
        entries.map.insert(key, cached);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves consistent data (every change is one step).
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(org: &str) -> CalendarKey {
        CalendarKey {
            org_id: org.into(),
            from: DateTime::UNIX_EPOCH,
            to: DateTime::UNIX_EPOCH + chrono::Duration::days(7),
            customer: None,
        }
    }

    fn body(text: &str) -> Bytes {
        Bytes::from(text.to_string())
    }

    #[test]
    fn an_answer_is_served_only_under_the_version_it_was_built_from() {
        let cache = CalendarCache::new(1 << 20);
        cache.put(key("a"), 3, body("week"));
        assert_eq!(cache.get(&key("a"), 3), Some(body("week")));
        assert_eq!(cache.get(&key("a"), 4), None);
        // Dropped once a newer version was seen.
        assert_eq!(cache.get(&key("a"), 3), None);
        assert_eq!(cache.get(&key("b"), 3), None);
    }

    #[test]
    fn the_range_and_the_customer_are_part_of_the_key() {
        let cache = CalendarCache::new(1 << 20);
        cache.put(key("a"), 1, body("all"));
        let mut other_week = key("a");
        other_week.to += chrono::Duration::days(1);
        let mut customer = key("a");
        customer.customer = Some("c".into());
        assert_eq!(cache.get(&other_week, 1), None);
        assert_eq!(cache.get(&customer, 1), None);
        cache.put(customer.clone(), 1, body("one customer"));
        assert_eq!(cache.get(&customer, 1), Some(body("one customer")));
        assert_eq!(cache.get(&key("a"), 1), Some(body("all")));
    }

    #[test]
    fn an_older_answer_does_not_replace_a_newer_one() {
        let cache = CalendarCache::new(1 << 20);
        cache.put(key("a"), 5, body("new"));
        cache.put(key("a"), 4, body("old"));
        assert_eq!(cache.get(&key("a"), 5), Some(body("new")));
        cache.put(key("a"), 6, body("newer"));
        assert_eq!(cache.get(&key("a"), 6), Some(body("newer")));
    }

    #[test]
    fn the_budget_bounds_the_memory() {
        let one = ENTRY_OVERHEAD + 1 + 1000;
        let cache = CalendarCache::new(3 * one);
        for org in ["a", "b", "c", "d", "e"] {
            cache.put(key(org), 1, Bytes::from(vec![b'x'; 1000]));
            assert!(cache.lock().bytes <= 3 * one);
        }
        let kept = ["a", "b", "c", "d", "e"]
            .iter()
            .filter(|org| cache.get(&key(org), 1).is_some())
            .count();
        assert_eq!(kept, 3);
        assert!(
            cache.get(&key("e"), 1).is_some(),
            "the newest entry is kept"
        );
        // An answer larger than the whole budget is not kept.
        cache.put(key("f"), 1, Bytes::from(vec![b'x'; 4 * one]));
        assert_eq!(cache.get(&key("f"), 1), None);
        assert_eq!(kept, cache.lock().map.len());
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let cache = CalendarCache::new(0);
        cache.put(key("a"), 1, body("week"));
        assert_eq!(cache.get(&key("a"), 1), None);
    }
}
