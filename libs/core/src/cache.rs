//! A key-value store with expiry: Redis when `REDIS_URL` is set, process memory otherwise.
//! Holds one-time tokens, OAuth state, idempotency keys and rate-limit counters.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use deadpool_redis::redis::{self, AsyncCommands};

#[derive(Debug, thiserror::Error)]
#[error("cache unavailable: {0}")]
pub struct CacheError(String);

/// Key-value operations with TTL. Keys are namespaced by the implementation.
#[async_trait]
pub trait Cache: Send + Sync {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError>;
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError>;
    /// Sets the key only if it does not exist; returns whether it was set.
    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError>;
    /// Reads and deletes atomically: a one-time token can be used once.
    async fn take(&self, key: &str) -> Result<Option<String>, CacheError>;
    async fn delete(&self, key: &str) -> Result<(), CacheError>;
    /// Increments a counter whose window starts at its first increment; returns the count and
    /// the time left in the window.
    async fn increment(&self, key: &str, window: Duration) -> Result<(u64, Duration), CacheError>;
    /// Checks that the store answers.
    async fn ping(&self) -> Result<(), CacheError>;
    /// "memory" or "redis", for logs and health.
    fn kind(&self) -> &'static str;
}

struct Entry {
    value: String,
    expires_at: Instant,
}

/// The embedded store. Expired entries are dropped when read and swept as the map grows.
pub struct MemoryCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryCache {
    pub fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Entry>) -> R) -> Result<R, CacheError> {
        let mut map = self
            .entries
            .lock()
            .map_err(|_| CacheError("memory cache lock poisoned".into()))?;
        Ok(f(&mut map))
    }

    fn sweep(map: &mut HashMap<String, Entry>, now: Instant) {
        // Amortised: sweep only when the map doubles past a power of two.
        if map.len() >= 1024 && map.len().is_power_of_two() {
            map.retain(|_, e| e.expires_at > now);
        }
    }
}

fn live(map: &mut HashMap<String, Entry>, key: &str, now: Instant) -> bool {
    match map.get(key) {
        Some(e) if e.expires_at > now => true,
        Some(_) => {
            map.remove(key);
            false
        }
        None => false,
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        let now = Instant::now();
        self.with(|m| {
            live(m, key, now)
                .then(|| m.get(key).map(|e| e.value.clone()))
                .flatten()
        })
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let now = Instant::now();
        self.with(|m| {
            Self::sweep(m, now);
            m.insert(
                key.to_string(),
                Entry {
                    value: value.to_string(),
                    expires_at: now + ttl,
                },
            );
        })
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let now = Instant::now();
        self.with(|m| {
            if live(m, key, now) {
                return false;
            }
            Self::sweep(m, now);
            m.insert(
                key.to_string(),
                Entry {
                    value: value.to_string(),
                    expires_at: now + ttl,
                },
            );
            true
        })
    }

    async fn take(&self, key: &str) -> Result<Option<String>, CacheError> {
        let now = Instant::now();
        self.with(|m| {
            m.remove(key)
                .filter(|e| e.expires_at > now)
                .map(|e| e.value)
        })
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.with(|m| {
            m.remove(key);
        })
    }

    async fn increment(&self, key: &str, window: Duration) -> Result<(u64, Duration), CacheError> {
        let now = Instant::now();
        self.with(|m| {
            if !live(m, key, now) {
                Self::sweep(m, now);
                m.insert(
                    key.to_string(),
                    Entry {
                        value: "0".into(),
                        expires_at: now + window,
                    },
                );
            }
            match m.get_mut(key) {
                Some(entry) => {
                    let count = entry.value.parse::<u64>().unwrap_or(0) + 1;
                    entry.value = count.to_string();
                    (count, entry.expires_at.saturating_duration_since(now))
                }
                None => (1, window),
            }
        })
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.with(|_| ())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

/// Redis through a deadpool connection pool.
pub struct RedisCache {
    pool: deadpool_redis::Pool,
    prefix: String,
}

const INCREMENT_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
";

impl RedisCache {
    pub fn connect(url: &str, prefix: &str, pool_size: usize) -> Result<Self, CacheError> {
        let mut cfg = deadpool_redis::Config::from_url(url);
        cfg.pool = Some(deadpool_redis::PoolConfig::new(pool_size));
        let pool = cfg
            .create_pool(Some(deadpool_redis::Runtime::Tokio1))
            .map_err(|e| CacheError(format!("invalid Redis configuration: {e}")))?;
        Ok(Self {
            pool,
            prefix: prefix.to_string(),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    async fn conn(&self) -> Result<deadpool_redis::Connection, CacheError> {
        self.pool.get().await.map_err(|e| CacheError(e.to_string()))
    }
}

fn redis_err(e: redis::RedisError) -> CacheError {
    CacheError(e.to_string())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        let mut c = self.conn().await?;
        c.get(self.key(key)).await.map_err(redis_err)
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let mut c = self.conn().await?;
        redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .query_async::<()>(&mut c)
            .await
            .map_err(redis_err)
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let mut c = self.conn().await?;
        let reply: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(millis(ttl))
            .query_async(&mut c)
            .await
            .map_err(redis_err)?;
        Ok(reply.is_some())
    }

    async fn take(&self, key: &str) -> Result<Option<String>, CacheError> {
        let mut c = self.conn().await?;
        redis::cmd("GETDEL")
            .arg(self.key(key))
            .query_async(&mut c)
            .await
            .map_err(redis_err)
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let mut c = self.conn().await?;
        c.del::<_, ()>(self.key(key)).await.map_err(redis_err)
    }

    async fn increment(&self, key: &str, window: Duration) -> Result<(u64, Duration), CacheError> {
        let mut c = self.conn().await?;
        let (count, ttl): (u64, i64) = redis::cmd("EVAL")
            .arg(INCREMENT_SCRIPT)
            .arg(1)
            .arg(self.key(key))
            .arg(millis(window))
            .query_async(&mut c)
            .await
            .map_err(redis_err)?;
        Ok((
            count,
            Duration::from_millis(u64::try_from(ttl).unwrap_or(0)),
        ))
    }

    async fn ping(&self) -> Result<(), CacheError> {
        let mut c = self.conn().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut c)
            .await
            .map(|_| ())
            .map_err(redis_err)
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract every implementation must meet; run against Redis by the backend's tests.
    async fn contract(cache: &dyn Cache) {
        let ttl = Duration::from_secs(60);
        assert_eq!(cache.get("a").await.ok().flatten(), None);
        cache.set("a", "1", ttl).await.ok();
        assert_eq!(cache.get("a").await.ok().flatten().as_deref(), Some("1"));
        assert_eq!(cache.set_if_absent("a", "2", ttl).await.ok(), Some(false));
        assert_eq!(cache.take("a").await.ok().flatten().as_deref(), Some("1"));
        assert_eq!(cache.take("a").await.ok().flatten(), None);
        assert_eq!(cache.set_if_absent("a", "2", ttl).await.ok(), Some(true));
        cache.delete("a").await.ok();
        assert_eq!(cache.get("a").await.ok().flatten(), None);
        let (n1, _) = cache.increment("c", ttl).await.unwrap_or((0, ttl));
        let (n2, left) = cache.increment("c", ttl).await.unwrap_or((0, ttl));
        assert_eq!((n1, n2), (1, 2));
        assert!(left <= ttl && left > Duration::from_secs(50));
        cache
            .set("short", "x", Duration::from_millis(20))
            .await
            .ok();
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(cache.get("short").await.ok().flatten(), None);
    }

    #[tokio::test]
    async fn memory_cache_meets_the_contract() {
        contract(&MemoryCache::new()).await;
    }

    #[tokio::test]
    async fn redis_cache_meets_the_contract() {
        let Ok(url) = std::env::var("TEST_REDIS_URL") else {
            // Runs in the PostgreSQL/Redis pass of `make test` (TEST_REDIS_URL set by .ci/run).
            return;
        };
        let prefix = format!("test:{}:", uuid::Uuid::new_v4());
        let cache = RedisCache::connect(&url, &prefix, 2).unwrap_or_else(|e| panic!("{e}"));
        cache.ping().await.unwrap_or_else(|e| panic!("{e}"));
        contract(&cache).await;
    }
}
