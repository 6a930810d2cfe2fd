//! The public API's own rules: idempotency keys, the post creation limit, editing threads
//! through the posts service, and analytics through the channels service. No actix types here.

pub mod analytics;
pub mod idempotency;
pub mod posts;
pub mod rate_limit;

use std::sync::Arc;
use std::time::Duration;

use postiz_core::cache::Cache;
use postiz_core::settings::PublicApiSettings;

pub use idempotency::Idempotency;
pub use rate_limit::RateLimiter;

/// What the public routes share besides the modules' services; registered as app data.
#[derive(Clone)]
pub struct PublicApi {
    pub idempotency: Idempotency,
    pub limiter: RateLimiter,
    pub cache: Arc<dyn Cache>,
}

impl PublicApi {
    /// From the `[public_api]` settings, over the application's cache (Redis when
    /// configured, so every process shares the counts and keys).
    pub fn new(cache: Arc<dyn Cache>, settings: &PublicApiSettings) -> Self {
        let ttl = Duration::from_secs(settings.idempotency_ttl_hours.saturating_mul(3600));
        Self {
            idempotency: Idempotency::new(cache.clone(), ttl),
            limiter: RateLimiter::new(cache.clone(), settings.api_limit),
            cache,
        }
    }
}
