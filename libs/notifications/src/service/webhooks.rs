//! Outgoing webhooks (Postiz `WebhooksService` and the orchestrator's `sendWebhooks`).
//!
//! * CRUD behind `/webhooks`: the URL must be `http(s)` and pass the SSRF check
//!   ([`UrlGuard`]); a webhook may be limited to channels of the organization (none = all).
//! * Each webhook has a signing secret (`whsec_…`), generated at creation and stored sealed.
//!   It is shown to the organization's admins (the only ones who may use `/webhooks`): in the
//!   creation answer and in the list.
//! * [`WebhookService`] implements [`PostListener`]: for every live webhook of the post's
//!   organization whose channel filter matches, a delivery row is written and a job pushed on
//!   the [`WEBHOOKS_QUEUE`]. The body is a JSON array holding the post (Postiz's fields plus
//!   `event`), never empty (Postiz bug #1861 sent `[]`).
//! * A delivery POSTs the stored body through the SSRF-safe fetcher (addresses checked after
//!   resolution and on each redirect) with `X-Postiz-Signature: sha256=<hex HMAC-SHA256 of the
//!   body>`, `X-Postiz-Event` and `X-Postiz-Delivery`. A 2xx answer delivers it; otherwise it
//!   is retried with exponential backoff ([`RetryPolicy`]) as follow-up jobs, and the last
//!   failure is logged and recorded on the delivery row.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use postiz_core::Settings;
use postiz_core::expiring::ExpiringMap;
use postiz_core::ids::{new_id, random_token};
use postiz_core::secrets::Sealer;
use postiz_core::ssrf::{
    FetchConfig, FetchError, FetchRequest, HostResolver, SafeFetcher, SsrfPolicy, SystemResolver,
};
use postiz_entity::{webhook, webhook_delivery};
use postiz_jobs::{JobContext, JobOutcome, JobQueue, JobRequest, QueueOptions, WorkerRuntime};
use postiz_posts::ports::{PostEvent, PostListener};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::NotificationsError;
use crate::repository::webhooks::{self as repo, Attempt, ChannelRef, DeliveryStatus, NewDelivery};
use crate::service::url_guard::UrlGuard;

/// The job queue of webhook deliveries.
pub const WEBHOOKS_QUEUE: &str = "webhooks";
/// `sha256=<hex HMAC-SHA256 of the raw body, keyed with the webhook's secret>`.
pub const SIGNATURE_HEADER: &str = "x-postiz-signature";
/// `published`, `failed` (or `test` for `POST /webhooks/send`).
pub const EVENT_HEADER: &str = "x-postiz-event";
/// The delivery's id; the same on every retry of one delivery.
pub const DELIVERY_HEADER: &str = "x-postiz-delivery";
/// Prefix of generated secrets.
pub const SECRET_PREFIX: &str = "whsec_";

const NOT_FOUND: &str = "Webhook not found";
/// The hourly purge of finished deliveries.
pub const DELIVERY_RETENTION_TASK: &str = "webhooks.retention";
/// Deliveries deleted per statement.
const DELIVERY_PURGE_BATCH: u64 = 500;

/// Which outcome a delivery reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookEvent {
    Published,
    Failed,
}

impl WebhookEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Failed => "failed",
        }
    }
}

/// How failed deliveries are retried: attempt `n` (1-based) that fails is followed by attempt
/// `n + 1` after `first_delay × factor^(n-1)`, up to `max_attempts` attempts in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub first_delay: Duration,
    pub factor: u32,
}

impl Default for RetryPolicy {
    /// 5 attempts, 30 s, 2 min, 8 min and 32 min apart.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            first_delay: Duration::from_secs(30),
            factor: 4,
        }
    }
}

impl RetryPolicy {
    /// The pause after failed attempt `attempt` (1-based), at most 6 hours.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let factor = self.factor.max(1).saturating_pow(exponent);
        self.first_delay
            .saturating_mul(factor)
            .min(Duration::from_secs(6 * 3600))
    }
}

/// How webhooks reach the outside.
#[derive(Clone)]
pub struct WebhookConfig {
    /// Address policy, timeouts and limits of deliveries and test sends.
    pub fetch: FetchConfig,
    pub retry: RetryPolicy,
    /// Resolves host names for the save-time check and the fetcher.
    pub resolver: Arc<dyn HostResolver>,
    /// How long an organization's webhooks, once read, serve the publications that end
    /// (`workers.webhooks_cache_ms`); zero reads them every time.
    pub lookup_ttl: Duration,
    /// How long a finished delivery (its payload, status and last error) is kept
    /// (`workers.finished_jobs_retention_hours`, like the job that made it).
    pub delivery_retention: Duration,
}

impl WebhookConfig {
    /// Production limits with the given address policy.
    pub fn new(policy: SsrfPolicy) -> Self {
        Self {
            fetch: FetchConfig {
                policy,
                connect_timeout: Duration::from_secs(10),
                read_timeout: Duration::from_secs(20),
                total_timeout: Duration::from_secs(30),
                max_redirects: 3,
                max_bytes: 1024 * 1024,
                user_agent: "Postiz-Webhooks (+https://postiz.com)".into(),
            },
            retry: RetryPolicy::default(),
            resolver: Arc::new(SystemResolver),
            lookup_ttl: Duration::from_secs(1),
            delivery_retention: Duration::from_secs(7 * 24 * 3600),
        }
    }

    /// The address policy the settings ask for (`DISABLE_SSRF_PROTECTION`) and the settings'
    /// `workers.webhooks_cache_ms`.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            lookup_ttl: Duration::from_millis(settings.workers.webhooks_cache_ms),
            delivery_retention: settings.workers.finished_jobs_retention(),
            ..Self::new(SsrfPolicy::from_settings(settings))
        }
    }
}

/// What a webhook is set to.
#[derive(Debug, Clone)]
pub struct WebhookInput {
    pub name: String,
    pub url: String,
    /// Channel ids; empty means all channels.
    pub integrations: Vec<String>,
}

/// A webhook as the list shows it.
#[derive(Debug, Clone)]
pub struct WebhookView {
    pub webhook: webhook::Model,
    /// `None` when the stored secret cannot be opened (the encryption key changed).
    pub secret: Option<String>,
    pub channels: Vec<ChannelRef>,
}

/// A created webhook: its id and the secret deliveries are signed with.
#[derive(Debug, Clone)]
pub struct CreatedWebhook {
    pub id: String,
    pub secret: String,
}

/// What a test send got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestSend {
    /// The HTTP status the endpoint answered, if it answered.
    pub status: Option<u16>,
}

/// The job payload of a delivery.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryJob {
    pub delivery_id: String,
}

/// One post of a webhook body: Postiz's fields, plus the event and the failure reason.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WebhookPost<'a> {
    id: &'a str,
    content: &'a str,
    publish_date: &'a str,
    #[serde(rename = "releaseURL")]
    release_url: Option<&'a str>,
    state: &'a str,
    integration: WebhookChannel<'a>,
    event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WebhookChannel<'a> {
    id: &'a str,
    name: &'a str,
    provider_identifier: &'a str,
    picture: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'a str,
}

/// The body sent for an event: a JSON array holding the post. Never empty.
pub fn payload(event: &PostEvent, kind: WebhookEvent) -> Result<String, serde_json::Error> {
    let post = WebhookPost {
        id: &event.id,
        content: &event.content,
        publish_date: &event.publish_date,
        release_url: event.release_url.as_deref(),
        state: &event.state,
        integration: WebhookChannel {
            id: &event.integration.id,
            name: &event.integration.name,
            provider_identifier: &event.integration.provider_identifier,
            picture: event.integration.picture.as_deref(),
            kind: &event.integration.kind,
        },
        event: kind.as_str(),
        error: match kind {
            WebhookEvent::Failed => event.error.as_deref(),
            WebhookEvent::Published => None,
        },
    };
    serde_json::to_string(&[post])
}

/// `sha256=<hex HMAC-SHA256 of body keyed with secret>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let digest = match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; not reachable.
        Err(_) => String::new(),
    };
    format!("sha256={digest}")
}

/// An organization's live webhooks and the channels each is limited to (by webhook id;
/// absent: all channels).
#[derive(Debug, Default)]
struct OrgWebhooks {
    hooks: Vec<webhook::Model>,
    filters: HashMap<String, Vec<String>>,
}

/// Organizations whose webhooks a process keeps at most; past it the map starts over.
const MAX_CACHED_ORGANIZATIONS: usize = 10_000;

#[derive(Clone)]
pub struct WebhookService {
    db: DatabaseConnection,
    sealer: Sealer,
    jobs: JobQueue,
    fetcher: SafeFetcher,
    guard: UrlGuard,
    retry: RetryPolicy,
    delivery_retention: Duration,
    /// Every publication that ends looks its organization's webhooks up; a burst of one
    /// organization's posts reads them once. Writes through this service clear it.
    org_webhooks: Arc<ExpiringMap<Arc<OrgWebhooks>>>,
}

impl WebhookService {
    pub fn new(
        db: DatabaseConnection,
        sealer: Sealer,
        jobs: JobQueue,
        config: WebhookConfig,
    ) -> anyhow::Result<Self> {
        let guard = UrlGuard::new(config.fetch.policy.clone(), config.resolver.clone());
        let fetcher = SafeFetcher::with_resolver(config.fetch, config.resolver)?;
        Ok(Self {
            db,
            sealer,
            jobs,
            fetcher,
            guard,
            retry: config.retry,
            delivery_retention: config.delivery_retention,
            org_webhooks: Arc::new(ExpiringMap::new(
                config.lookup_ttl,
                MAX_CACHED_ORGANIZATIONS,
            )),
        })
    }

    /// The organization's live webhooks with their channels and secrets, oldest first.
    pub async fn list(&self, org_id: &str) -> Result<Vec<WebhookView>, NotificationsError> {
        let hooks = repo::list(&self.db, org_id).await?;
        let ids: Vec<String> = hooks.iter().map(|h| h.id.clone()).collect();
        let mut channels = repo::channels_of(&self.db, &ids).await?;
        Ok(hooks
            .into_iter()
            .map(|webhook| {
                let secret = match self.sealer.open(&webhook.secret_sealed) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        tracing::warn!(webhook = %webhook.id, error = %e, "cannot open a webhook secret");
                        None
                    }
                };
                WebhookView {
                    channels: channels.remove(&webhook.id).unwrap_or_default(),
                    secret,
                    webhook,
                }
            })
            .collect())
    }

    /// Creates a webhook with a new secret.
    pub async fn create(
        &self,
        org_id: &str,
        input: WebhookInput,
    ) -> Result<CreatedWebhook, NotificationsError> {
        let (name, url, channels) = self.checked(org_id, input).await?;
        let secret = format!("{SECRET_PREFIX}{}", random_token(32));
        let sealed = self.sealer.seal(&secret);
        let org_id = org_id.to_string();
        let id =
            postiz_core::db::write_transaction::<_, String, NotificationsError>(&self.db, |tx| {
                Box::pin(async move {
                    let hook = repo::insert(tx, &org_id, &name, &url, &sealed).await?;
                    repo::set_channels(tx, &hook.id, &channels).await?;
                    Ok(hook.id)
                })
            })
            .await?;
        self.org_webhooks.invalidate();
        Ok(CreatedWebhook { id, secret })
    }

    /// Changes a webhook's name, URL and channels; the secret stays.
    pub async fn update(
        &self,
        org_id: &str,
        id: &str,
        input: WebhookInput,
    ) -> Result<String, NotificationsError> {
        if repo::find(&self.db, org_id, id).await?.is_none() {
            return Err(NotificationsError::NotFound(NOT_FOUND.into()));
        }
        let (name, url, channels) = self.checked(org_id, input).await?;
        let id = id.to_string();
        let org_id = org_id.to_string();
        let updated =
            postiz_core::db::write_transaction::<_, String, NotificationsError>(&self.db, |tx| {
                Box::pin(async move {
                    if !repo::update(tx, &org_id, &id, &name, &url).await? {
                        return Err(NotificationsError::NotFound(NOT_FOUND.into()));
                    }
                    repo::set_channels(tx, &id, &channels).await?;
                    Ok(id)
                })
            })
            .await;
        self.org_webhooks.invalidate();
        updated.map_err(NotificationsError::from)
    }

    /// Soft-deletes a webhook; pending deliveries to it are cancelled when they run.
    pub async fn delete(
        &self,
        org_id: &str,
        id: &str,
    ) -> Result<webhook::Model, NotificationsError> {
        let deleted = repo::soft_delete(&self.db, org_id, id).await;
        self.org_webhooks.invalidate();
        deleted?.ok_or_else(|| NotificationsError::NotFound(NOT_FOUND.into()))
    }

    /// Sends `body` (JSON) once to `url`, unsigned, as the dashboard's "Send test" does. The
    /// URL passes the same checks as a saved webhook; an endpoint that fails or does not answer
    /// is not an error (Postiz answers `{send: true}` either way).
    pub async fn send_test(&self, url: &str, body: Bytes) -> Result<TestSend, NotificationsError> {
        let url = self
            .guard
            .check(url)
            .await
            .map_err(|m| NotificationsError::Invalid(format!("URL refused: {m}")))?;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            HeaderName::from_static(EVENT_HEADER),
            HeaderValue::from_static("test"),
        );
        insert_header(&mut headers, DELIVERY_HEADER, &new_id());
        match self.post(url.as_str(), body, headers).await {
            Ok(status) => Ok(TestSend {
                status: Some(status),
            }),
            Err(e) if refusal(&e) => Err(NotificationsError::Invalid(format!("URL refused: {e}"))),
            Err(e) => {
                tracing::info!(error = %e, "test webhook not delivered");
                Ok(TestSend { status: None })
            }
        }
    }

    /// The deliveries of a webhook, oldest first.
    pub async fn deliveries(
        &self,
        webhook_id: &str,
    ) -> Result<Vec<webhook_delivery::Model>, NotificationsError> {
        Ok(repo::deliveries_of(&self.db, webhook_id).await?)
    }

    /// Queues a delivery of `event` to each matching webhook of the post's organization.
    /// Problems are logged: webhooks must not fail the publishing that happened.
    pub async fn enqueue(&self, event: &PostEvent, kind: WebhookEvent) {
        if let Err(e) = self.try_enqueue(event, kind).await {
            tracing::error!(organization = %event.organization_id, post = %event.id, error = %format!("{e:#}"), "cannot queue webhook deliveries");
        }
    }

    async fn try_enqueue(&self, event: &PostEvent, kind: WebhookEvent) -> anyhow::Result<()> {
        let org_id = event.organization_id.as_str();
        let org = self.org_webhooks(org_id).await?;
        let matching: Vec<&webhook::Model> = org
            .hooks
            .iter()
            .filter(|h| matches_channel(org.filters.get(&h.id), &event.integration.id))
            .collect();
        if matching.is_empty() {
            return Ok(());
        }
        let body = payload(event, kind)?;
        for hook in matching {
            let delivery = repo::insert_delivery(
                &self.db,
                NewDelivery {
                    webhook_id: &hook.id,
                    org_id,
                    event: kind.as_str(),
                    payload: &body,
                },
            )
            .await?;
            let job = JobRequest::new(
                WEBHOOKS_QUEUE,
                &DeliveryJob {
                    delivery_id: delivery.id.clone(),
                },
            )
            .key(format!("webhook-delivery:{}", delivery.id));
            if let Err(e) = self.jobs.push(job).await {
                tracing::error!(webhook = %hook.id, delivery = %delivery.id, error = %e, "cannot queue a webhook delivery");
                let _ = repo::record_attempt(
                    &self.db,
                    &delivery.id,
                    Attempt {
                        status: DeliveryStatus::Failed,
                        attempts: 0,
                        response_status: None,
                        error: Some("the delivery could not be queued"),
                    },
                )
                .await;
            }
        }
        Ok(())
    }

    /// The organization's webhooks, as read at most `lookup_ttl` ago.
    async fn org_webhooks(&self, org_id: &str) -> Result<Arc<OrgWebhooks>, sea_orm::DbErr> {
        if let Some(known) = self.org_webhooks.get(org_id) {
            return Ok(known);
        }
        let generation = self.org_webhooks.generation();
        let hooks = repo::list(&self.db, org_id).await?;
        let ids: Vec<String> = hooks.iter().map(|h| h.id.clone()).collect();
        let filters = repo::channel_ids_of(&self.db, &ids).await?;
        let org = Arc::new(OrgWebhooks { hooks, filters });
        self.org_webhooks.put(generation, org_id, org.clone());
        Ok(org)
    }

    /// Deletes deliveries that ended more than the retention ago (a batch at a time, so the
    /// publications' writes go on in between); returns how many.
    pub async fn purge_finished_deliveries(&self) -> Result<u64, NotificationsError> {
        let retention =
            chrono::Duration::from_std(self.delivery_retention).unwrap_or(chrono::Duration::MAX);
        let before = postiz_core::ids::now()
            .checked_sub_signed(retention)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        let mut purged = 0;
        loop {
            let deleted =
                repo::delete_finished_deliveries(&self.db, before, DELIVERY_PURGE_BATCH).await?;
            purged += deleted;
            if deleted < DELIVERY_PURGE_BATCH {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if purged > 0 {
            tracing::info!(deliveries = purged, "finished webhook deliveries purged");
        }
        Ok(purged)
    }

    /// Runs one attempt of a delivery (the [`WEBHOOKS_QUEUE`] handler).
    pub async fn deliver(&self, delivery_id: &str) -> JobOutcome {
        let delivery = match repo::find_delivery(&self.db, delivery_id).await {
            Ok(Some(d)) => d,
            Ok(None) => return JobOutcome::Done,
            Err(e) => {
                return JobOutcome::retry_after(self.retry.first_delay, format!("database: {e}"));
            }
        };
        if delivery.status != DeliveryStatus::Pending.as_str() {
            return JobOutcome::Done;
        }
        let attempts = delivery.attempts.saturating_add(1);
        let hook = match repo::find_any(&self.db, &delivery.webhook_id).await {
            Ok(Some(h)) if h.deleted_at.is_none() => h,
            Ok(_) => {
                self.record(
                    &delivery,
                    DeliveryStatus::Cancelled,
                    delivery.attempts,
                    None,
                    Some("the webhook was deleted"),
                )
                .await;
                return JobOutcome::Done;
            }
            Err(e) => {
                return JobOutcome::retry_after(self.retry.first_delay, format!("database: {e}"));
            }
        };
        let secret = match self.sealer.open(&hook.secret_sealed) {
            Ok(s) => s,
            Err(e) => {
                let reason = format!("cannot open the signing secret: {e}");
                tracing::error!(webhook = %hook.id, delivery = %delivery.id, error = %reason, "webhook delivery failed");
                self.record(
                    &delivery,
                    DeliveryStatus::Failed,
                    delivery.attempts,
                    None,
                    Some(&reason),
                )
                .await;
                return JobOutcome::failed(reason);
            }
        };
        let body = Bytes::from(delivery.payload.clone().into_bytes());
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        insert_header(&mut headers, SIGNATURE_HEADER, &signature(&secret, &body));
        insert_header(&mut headers, EVENT_HEADER, &delivery.event);
        insert_header(&mut headers, DELIVERY_HEADER, &delivery.id);
        let (response_status, error, retryable) = match self.post(&hook.url, body, headers).await {
            Ok(status) if (200..300).contains(&status) => {
                self.record(
                    &delivery,
                    DeliveryStatus::Delivered,
                    attempts,
                    Some(status),
                    None,
                )
                .await;
                tracing::info!(webhook = %hook.id, delivery = %delivery.id, attempts, status, "webhook delivered");
                return JobOutcome::Done;
            }
            Ok(status) => (
                Some(status),
                format!("the endpoint answered {status}"),
                true,
            ),
            Err(e) => (None, error_chain(&e), !refusal(&e)),
        };
        if !retryable || u32::try_from(attempts).unwrap_or(u32::MAX) >= self.retry.max_attempts {
            tracing::error!(
                webhook = %hook.id,
                organization = %hook.organization_id,
                delivery = %delivery.id,
                attempts,
                error = %error,
                "webhook delivery failed for good"
            );
            self.record(
                &delivery,
                DeliveryStatus::Failed,
                attempts,
                response_status,
                Some(&error),
            )
            .await;
            return JobOutcome::failed(error);
        }
        let delay = self
            .retry
            .delay_after(u32::try_from(attempts).unwrap_or(u32::MAX));
        tracing::warn!(webhook = %hook.id, delivery = %delivery.id, attempts, error = %error, retry_in_s = delay.as_secs_f64(), "webhook delivery failed; retrying");
        self.record(
            &delivery,
            DeliveryStatus::Pending,
            attempts,
            response_status,
            Some(&error),
        )
        .await;
        JobOutcome::retry_after(delay, error)
    }

    /// Registers the delivery handler on the job engine.
    pub fn register(&self, runtime: &mut WorkerRuntime) {
        let service = self.clone();
        runtime.register(
            WEBHOOKS_QUEUE,
            QueueOptions::new()
                .concurrency(4)
                .timeout(Duration::from_secs(120)),
            move |job: DeliveryJob, _ctx: JobContext| {
                let service = service.clone();
                async move { service.deliver(&job.delivery_id).await }
            },
        );
        let service = self.clone();
        runtime.periodic(
            DELIVERY_RETENTION_TASK,
            Duration::from_secs(3600),
            move || {
                let service = service.clone();
                async move { service.purge_finished_deliveries().await.map(|_| ()) }
            },
        );
    }

    /// POSTs `body`; the answer's status, or why no answer came.
    async fn post(&self, url: &str, body: Bytes, headers: HeaderMap) -> Result<u16, FetchError> {
        let mut request = FetchRequest::post(url, body);
        request.headers = headers;
        request.follow_redirects = true;
        let response = self.fetcher.send(request).await?;
        Ok(response.status.as_u16())
    }

    async fn record(
        &self,
        delivery: &webhook_delivery::Model,
        status: DeliveryStatus,
        attempts: i32,
        response_status: Option<u16>,
        error: Option<&str>,
    ) {
        let attempt = Attempt {
            status,
            attempts,
            response_status: response_status.map(i32::from),
            error,
        };
        if let Err(e) = repo::record_attempt(&self.db, &delivery.id, attempt).await {
            tracing::error!(delivery = %delivery.id, error = %e, "cannot record a webhook delivery attempt");
        }
    }

    /// Validates an input: name, URL (SSRF), and channels of the organization.
    async fn checked(
        &self,
        org_id: &str,
        input: WebhookInput,
    ) -> Result<(String, String, Vec<String>), NotificationsError> {
        let name = input.name.trim().to_string();
        if name.is_empty() {
            return Err(NotificationsError::Invalid("name must not be blank".into()));
        }
        let url = self
            .guard
            .check(&input.url)
            .await
            .map_err(|m| NotificationsError::Invalid(format!("Webhook URL refused: {m}")))?;
        let mut seen = HashSet::new();
        let channels: Vec<String> = input
            .integrations
            .into_iter()
            .map(|id| id.trim().to_string())
            .filter(|id| seen.insert(id.clone()))
            .collect();
        let live: HashSet<String> = repo::live_channel_ids(&self.db, org_id, &channels)
            .await?
            .into_iter()
            .collect();
        if let Some(missing) = channels.iter().find(|id| !live.contains(*id)) {
            return Err(NotificationsError::NotFound(format!(
                "Channel {missing} not found"
            )));
        }
        Ok((name, url.to_string(), channels))
    }
}

/// Whether a webhook limited to `filter` (absent = all channels) wants events of `channel_id`.
fn matches_channel(filter: Option<&Vec<String>>, channel_id: &str) -> bool {
    filter.is_none_or(|ids| ids.is_empty() || ids.iter().any(|id| id == channel_id))
}

/// Errors that retrying cannot fix: the address policy or the URL refuses the request.
fn refusal(e: &FetchError) -> bool {
    matches!(
        e,
        FetchError::Blocked { .. }
            | FetchError::UnsupportedScheme(_)
            | FetchError::InvalidUrl(_)
            | FetchError::BadRedirect(_)
    )
}

fn error_chain(e: &FetchError) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

fn insert_header(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

#[async_trait::async_trait]
impl PostListener for WebhookService {
    async fn published(&self, event: &PostEvent) {
        self.enqueue(event, WebhookEvent::Published).await;
    }

    async fn failed(&self, event: &PostEvent) {
        self.enqueue(event, WebhookEvent::Failed).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use postiz_posts::ports::PostEventChannel;

    fn event() -> PostEvent {
        PostEvent {
            id: "p1".into(),
            organization_id: "o1".into(),
            group: "g1".into(),
            content: "Hello <b>world</b>".into(),
            publish_date: "2026-11-22T10:00:00.000Z".into(),
            state: "PUBLISHED".into(),
            release_url: Some("https://x.com/a/status/1".into()),
            release_id: Some("1".into()),
            error: None,
            integration: PostEventChannel {
                id: "c1".into(),
                name: "My X".into(),
                provider_identifier: "x".into(),
                picture: None,
                kind: "social".into(),
            },
        }
    }

    #[test]
    fn payload_is_an_array_with_postiz_fields() {
        let body = payload(&event(), WebhookEvent::Published).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let posts = value.as_array().cloned().unwrap_or_default();
        assert_eq!(posts.len(), 1);
        let p = &posts[0];
        assert_eq!(p["id"], "p1");
        assert_eq!(p["content"], "Hello <b>world</b>");
        assert_eq!(p["publishDate"], "2026-11-22T10:00:00.000Z");
        assert_eq!(p["releaseURL"], "https://x.com/a/status/1");
        assert_eq!(p["state"], "PUBLISHED");
        assert_eq!(p["event"], "published");
        assert!(p.get("error").is_none());
        assert_eq!(
            p["integration"],
            serde_json::json!({"id":"c1","name":"My X","providerIdentifier":"x","picture":null,"type":"social"})
        );
        let mut failed = event();
        failed.state = "ERROR".into();
        failed.error = Some("refused".into());
        let body = payload(&failed, WebhookEvent::Failed).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(value[0]["event"], "failed");
        assert_eq!(value[0]["error"], "refused");
    }

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_after(1), Duration::from_secs(30));
        assert_eq!(p.delay_after(2), Duration::from_secs(120));
        assert_eq!(p.delay_after(4), Duration::from_secs(1920));
        assert_eq!(p.delay_after(40), Duration::from_secs(6 * 3600));
    }

    #[test]
    fn channel_filter() {
        let none: Vec<String> = vec![];
        let some = vec!["c1".to_string()];
        assert!(matches_channel(None, "c9"));
        assert!(matches_channel(Some(&none), "c9"));
        assert!(matches_channel(Some(&some), "c1"));
        assert!(!matches_channel(Some(&some), "c9"));
    }
}
