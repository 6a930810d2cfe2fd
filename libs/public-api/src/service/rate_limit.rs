//! The limit on `POST /public/v1/posts`: `API_LIMIT` requests per organization per hour, as
//! Postiz's throttler counts them (a fixed window starting at the first request), in the cache
//! so every process shares the count when Redis is configured.

use std::sync::Arc;
use std::time::Duration;

use postiz_core::cache::{Cache, CacheError};

/// Postiz's window: one hour.
pub const WINDOW: Duration = Duration::from_secs(3600);

#[derive(Clone)]
pub struct RateLimiter {
    cache: Arc<dyn Cache>,
    limit: u64,
    window: Duration,
}

impl RateLimiter {
    pub fn new(cache: Arc<dyn Cache>, limit: u64) -> Self {
        Self {
            cache,
            limit: limit.max(1),
            window: WINDOW,
        }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Counts one post creation request of the organization; `Some(seconds)` when it is over
    /// the limit, with the time until the window ends.
    pub async fn hit(&self, org_id: &str) -> Result<Option<u64>, CacheError> {
        let key = format!("public-api:rate:posts:{org_id}");
        let (count, left) = self.cache.increment(&key, self.window).await?;
        if count <= self.limit {
            return Ok(None);
        }
        // Round up: a client waiting this long finds a new window.
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        Ok(Some(secs.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use postiz_core::cache::MemoryCache;

    #[tokio::test]
    async fn the_limit_is_per_organization() {
        let limiter = RateLimiter::new(Arc::new(MemoryCache::new()), 2);
        for _ in 0..2 {
            assert_eq!(limiter.hit("a").await.ok(), Some(None));
        }
        let over = limiter.hit("a").await.ok().flatten();
        assert!(over.is_some_and(|s| s > 3500 && s <= 3600), "{over:?}");
        assert_eq!(limiter.hit("b").await.ok(), Some(None));
    }
}
