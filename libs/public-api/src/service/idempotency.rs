//! `Idempotency-Key` for `POST /public/v1/posts`: a retried request never creates its posts
//! twice.
//!
//! The key is scoped to the organization and stored (hashed) in the cache with a fingerprint of
//! the body. The first request claims it atomically with a *pending* marker (`set_if_absent`);
//! when it finishes, the marker is replaced by the answer, kept for the configured time (24 h by
//! default):
//!
//! * same key, same body, finished: the stored answer is replayed (same status and body);
//! * same key, same body, still running (a concurrent duplicate): wait a little for the answer,
//!   then replay it, or ask the client to retry ([`Begin::InProgress`], 409);
//! * same key, different body: [`Begin::Mismatch`] (422), whatever the first request's state;
//! * a request refused before anything was written (4xx) releases the key, so the same request
//!   may be sent again once the problem is fixed; a server error keeps its answer, since the
//!   server cannot tell whether the posts were written.
//!
//! A process that dies while holding a pending marker frees the key after [`PENDING_TTL`].

use std::sync::Arc;
use std::time::Duration;

use postiz_core::cache::{Cache, CacheError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a pending marker lives: longer than any request takes.
pub const PENDING_TTL: Duration = Duration::from_secs(300);
/// How long a concurrent duplicate waits for the first request's answer.
pub const WAIT_FOR_ANSWER: Duration = Duration::from_secs(10);
const POLL_EVERY: Duration = Duration::from_millis(50);
/// Longest key accepted (Stripe's limit).
pub const MAX_KEY_LEN: usize = 255;

/// The cache failed, or a record could not be written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("cannot encode an idempotency record: {0}")]
    Encode(#[from] serde_json::Error),
}

/// What the cache holds under a key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
enum Record {
    Pending {
        fingerprint: String,
        owner: String,
    },
    Done {
        fingerprint: String,
        status: u16,
        body: serde_json::Value,
    },
}

impl Record {
    fn fingerprint(&self) -> &str {
        match self {
            Record::Pending { fingerprint, .. } | Record::Done { fingerprint, .. } => fingerprint,
        }
    }
}

/// A stored answer.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: serde_json::Value,
}

/// The claim of a key by the request that runs.
#[derive(Debug, Clone)]
pub struct Ticket {
    cache_key: String,
    fingerprint: String,
    owner: String,
}

/// What to do with a request carrying a key.
#[derive(Debug)]
pub enum Begin {
    /// This request holds the key: run it, then [`Idempotency::complete`] or
    /// [`Idempotency::release`].
    Run(Ticket),
    /// The same request finished before: answer this.
    Replay(StoredAnswer),
    /// The key was used with another body.
    Mismatch,
    /// The same request is still running elsewhere.
    InProgress,
}

/// Why a key is refused before anything else.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidKey;

impl std::fmt::Display for InvalidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"
        )
    }
}

/// Checks a client's key: 1 to 255 visible ASCII characters.
pub fn check_key(key: &str) -> Result<&str, InvalidKey> {
    let key = key.trim();
    if key.is_empty()
        || key.len() > MAX_KEY_LEN
        || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(InvalidKey);
    }
    Ok(key)
}

/// The fingerprint of a JSON body: SHA-256 of its canonical form (object keys sorted, no
/// spaces), so a retry that orders keys differently is still the same request.
pub fn fingerprint(body: &serde_json::Value) -> String {
    let mut canonical = String::new();
    write_canonical(body, &mut canonical);
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Idempotency keys over the cache (Redis when configured, process memory otherwise).
#[derive(Clone)]
pub struct Idempotency {
    cache: Arc<dyn Cache>,
    ttl: Duration,
    pending_ttl: Duration,
    wait: Duration,
}

impl Idempotency {
    pub fn new(cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        Self {
            cache,
            ttl,
            pending_ttl: PENDING_TTL.min(ttl),
            wait: WAIT_FOR_ANSWER,
        }
    }

    /// How long a concurrent duplicate waits for the first request's answer.
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    fn cache_key(org_id: &str, key: &str) -> String {
        let digest = hex::encode(Sha256::digest(key.as_bytes()));
        format!("public-api:idempotency:{org_id}:{digest}")
    }

    /// Claims `key` for this request, or says what to answer instead.
    pub async fn begin(
        &self,
        org_id: &str,
        key: &str,
        fingerprint: &str,
    ) -> Result<Begin, StoreError> {
        let cache_key = Self::cache_key(org_id, key);
        let owner = uuid::Uuid::new_v4().to_string();
        let pending = Record::Pending {
            fingerprint: fingerprint.to_string(),
            owner: owner.clone(),
        };
        let pending = serde_json::to_string(&pending)?;
        let deadline = tokio::time::Instant::now() + self.wait;
        loop {
            if tokio::time::Instant::now() >= deadline + self.wait {
                // The cache keeps answering "taken" then "absent": give up rather than spin.
                return Ok(Begin::InProgress);
            }
            if self
                .cache
                .set_if_absent(&cache_key, &pending, self.pending_ttl)
                .await?
            {
                return Ok(Begin::Run(Ticket {
                    cache_key,
                    fingerprint: fingerprint.to_string(),
                    owner,
                }));
            }
            let Some(raw) = self.cache.get(&cache_key).await? else {
                // Expired or released between the two calls: try to claim it again.
                continue;
            };
            let record: Record = match serde_json::from_str(&raw) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "unreadable idempotency record replaced");
                    self.cache.delete(&cache_key).await?;
                    continue;
                }
            };
            if record.fingerprint() != fingerprint {
                return Ok(Begin::Mismatch);
            }
            match record {
                Record::Done { status, body, .. } => {
                    return Ok(Begin::Replay(StoredAnswer { status, body }));
                }
                Record::Pending { .. } => {
                    if tokio::time::Instant::now() >= deadline {
                        return Ok(Begin::InProgress);
                    }
                    tokio::time::sleep(POLL_EVERY).await;
                }
            }
        }
    }

    /// Stores the answer of the request holding `ticket`, replayed to retries until the key
    /// expires.
    pub async fn complete(
        &self,
        ticket: &Ticket,
        status: u16,
        body: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let record = Record::Done {
            fingerprint: ticket.fingerprint.clone(),
            status,
            body: body.clone(),
        };
        let raw = serde_json::to_string(&record)?;
        Ok(self.cache.set(&ticket.cache_key, &raw, self.ttl).await?)
    }

    /// Frees the key (the request was refused before anything was written), unless another
    /// request holds it by now.
    pub async fn release(&self, ticket: &Ticket) {
        let still_ours = match self.cache.get(&ticket.cache_key).await {
            Ok(Some(raw)) => matches!(
                serde_json::from_str::<Record>(&raw),
                Ok(Record::Pending { owner, .. }) if owner == ticket.owner
            ),
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read an idempotency key to release it");
                false
            }
        };
        if still_ours && let Err(e) = self.cache.delete(&ticket.cache_key).await {
            tracing::warn!(error = %e, "cannot release an idempotency key");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use postiz_core::cache::MemoryCache;
    use serde_json::json;

    fn service() -> Idempotency {
        Idempotency::new(Arc::new(MemoryCache::new()), Duration::from_secs(60))
            .with_wait(Duration::from_millis(200))
    }

    #[test]
    fn fingerprints_ignore_key_order_and_spacing() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b": [1, {"y": 2, "x": 1}], "a": "é"}"#).unwrap_or_default();
        let b: serde_json::Value =
            serde_json::from_str(r#"{"a":"é","b":[1,{"x":1,"y":2}]}"#).unwrap_or_default();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&json!({"a": "e"})));
    }

    #[test]
    fn keys_are_checked() {
        assert_eq!(check_key(" abc-123 "), Ok("abc-123"));
        assert_eq!(check_key(""), Err(InvalidKey));
        assert_eq!(check_key("é"), Err(InvalidKey));
        assert_eq!(check_key(&"k".repeat(256)), Err(InvalidKey));
    }

    #[tokio::test]
    async fn a_key_runs_once_then_replays() {
        let s = service();
        let Ok(Begin::Run(ticket)) = s.begin("org", "k", "fp").await else {
            panic!("first use must run");
        };
        assert!(matches!(
            s.begin("org", "k", "other").await,
            Ok(Begin::Mismatch)
        ));
        assert!(matches!(
            s.begin("org", "k", "fp").await,
            Ok(Begin::InProgress)
        ));
        assert!(matches!(
            s.begin("other-org", "k", "fp").await,
            Ok(Begin::Run(_))
        ));
        s.complete(&ticket, 201, &json!([{"postId": "p"}]))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        match s.begin("org", "k", "fp").await {
            Ok(Begin::Replay(answer)) => {
                assert_eq!(answer.status, 201);
                assert_eq!(answer.body, json!([{"postId": "p"}]));
            }
            other => panic!("expected a replay, got {other:?}"),
        }
        assert!(matches!(
            s.begin("org", "k", "other").await,
            Ok(Begin::Mismatch)
        ));
    }

    #[tokio::test]
    async fn a_waiting_duplicate_gets_the_answer() {
        let s = service().with_wait(Duration::from_secs(5));
        let Ok(Begin::Run(ticket)) = s.begin("org", "k", "fp").await else {
            panic!("first use must run");
        };
        let waiting = {
            let s = s.clone();
            tokio::spawn(async move { s.begin("org", "k", "fp").await })
        };
        tokio::time::sleep(Duration::from_millis(120)).await;
        s.complete(&ticket, 201, &json!([]))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let outcome = waiting.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(outcome, Ok(Begin::Replay(_))), "{outcome:?}");
    }

    #[tokio::test]
    async fn a_released_key_runs_again() {
        let s = service();
        let Ok(Begin::Run(ticket)) = s.begin("org", "k", "fp").await else {
            panic!("first use must run");
        };
        s.release(&ticket).await;
        assert!(matches!(s.begin("org", "k", "fp").await, Ok(Begin::Run(_))));
    }
}
