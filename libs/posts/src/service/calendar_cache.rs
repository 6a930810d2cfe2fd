//! Calendar answers kept in memory, serialized, each under the organization's calendar version
//! it was built from (see `repository::calendar_changes`). The dashboard asks for the same week
//! again and again (on focus, after every dialog, once per team member); while the version has
//! not moved, the answer is the same bytes, and serving them skips three queries, a few hundred
//! rows and the JSON encoding. The organization's channel badges are kept the same way: a
//! calendar of another week (paging through the calendar) still needs no channel query.
//!
//! Correct across processes because the version lives in the database: it is read before the
//! data, so an entry is never filed under a version newer than what it shows, and any write
//! committed afterwards, by any process, makes the version grow and the entry useless.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};

use crate::ports::ChannelBadge;

/// Bookkeeping charged to an entry beside its key and value (map slot, allocations).
const ENTRY_OVERHEAD: usize = 256;

/// The bytes a key or value holds, which the budget counts.
pub trait Weight {
    fn weight(&self) -> usize;
}

/// Which calendar answer: the organization, the range and the customer filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CalendarKey {
    pub org_id: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// `None` shows every customer's channels.
    pub customer: Option<String>,
}

impl Weight for CalendarKey {
    fn weight(&self) -> usize {
        self.org_id.len() + self.customer.as_ref().map_or(0, String::len)
    }
}

impl Weight for String {
    fn weight(&self) -> usize {
        self.len()
    }
}

impl Weight for Bytes {
    fn weight(&self) -> usize {
        self.len()
    }
}

impl Weight for Arc<[ChannelBadge]> {
    fn weight(&self) -> usize {
        self.iter()
            .map(|c| {
                std::mem::size_of::<ChannelBadge>()
                    + c.id.len()
                    + c.provider_identifier.len()
                    + c.name.len()
                    + c.picture.as_ref().map_or(0, String::len)
                    + c.customer_id.as_ref().map_or(0, String::len)
            })
            .sum()
    }
}

/// The serialized calendar answers.
pub type CalendarCache = VersionedCache<CalendarKey, Bytes>;

/// Each organization's channel badges (all customers; the calendar filters).
pub type BadgeCache = VersionedCache<String, Arc<[ChannelBadge]>>;

struct Cached<V> {
    version: i64,
    value: V,
}

struct Entries<K, V> {
    map: HashMap<K, Cached<V>>,
    bytes: usize,
}

fn cost<K: Weight, V: Weight>(key: &K, value: &V) -> usize {
    key.weight() + value.weight() + ENTRY_OVERHEAD
}

impl<K: Eq + Hash + Weight, V: Weight> Entries<K, V> {
    fn remove(&mut self, key: &K) {
        if let Some(old) = self.map.remove(key) {
            self.bytes -= cost(key, &old.value);
        }
    }
}

/// At most `budget` bytes of entries, each valid under one organization's calendar version;
/// past the budget, arbitrary entries make room (with versions that only grow, no entry is
/// more likely than another to be asked for again).
pub struct VersionedCache<K, V> {
    budget: usize,
    entries: Mutex<Entries<K, V>>,
}

impl<K: Eq + Hash + Clone + Weight, V: Clone + Weight> VersionedCache<K, V> {
    /// A cache holding up to `budget` bytes; zero turns it off.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                bytes: 0,
            }),
        }
    }

    /// The value built under `version`, if this process has it. An entry built under an
    /// older version can never be served again and is dropped.
    pub fn get(&self, key: &K, version: i64) -> Option<V> {
        let mut entries = self.lock();
        match entries.map.get(key) {
            Some(cached) if cached.version == version => Some(cached.value.clone()),
            Some(cached) if cached.version < version => {
                entries.remove(key);
                None
            }
            _ => None,
        }
    }

    /// Files a value built from data read after `version` was read. A racing request that
    /// filed a newer version keeps its entry.
    pub fn put(&self, key: K, version: i64, value: V) {
        let cost = cost(&key, &value);
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
        entries.map.insert(key, Cached { version, value });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
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
    fn channel_badges_are_charged_their_strings() {
        let badges: Arc<[ChannelBadge]> = (0..2)
            .map(|i| ChannelBadge {
                id: format!("channel-{i}"),
                provider_identifier: "mastodon".into(),
                name: "x".repeat(500),
                picture: Some("p".repeat(300)),
                customer_id: None,
            })
            .collect();
        assert!(badges.weight() > 2 * 800);
        let one = cost(&"org-a".to_string(), &badges);
        let cache = BadgeCache::new(one + one / 2);
        cache.put("org-a".into(), 1, badges.clone());
        cache.put("org-b".into(), 1, badges.clone());
        assert!(cache.lock().bytes <= one + one / 2);
        assert_eq!(cache.lock().map.len(), 1);
        assert_eq!(cache.get(&"org-b".into(), 1).as_deref(), Some(&badges[..]));
        assert_eq!(cache.get(&"org-b".into(), 2), None);
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let cache = CalendarCache::new(0);
        cache.put(key("a"), 1, body("week"));
        assert_eq!(cache.get(&key("a"), 1), None);
    }
}
