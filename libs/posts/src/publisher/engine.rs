//! The job handler: publish, check, comment, verify; and the sweep.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use postiz_core::ids::{now, to_json_time};
use postiz_core::mailer::escape_html;
use postiz_core::notify::{Notice, NoticeKind, Notifier};
use postiz_entity::post;
use postiz_jobs::{JobContext, JobOutcome, JobRequest, QueueOptions, TakenSlot, WorkerRuntime};
use postiz_provider::format::to_editor_format;
use postiz_provider::{
    ChannelAuth, PostItem, Provider, ProviderError, PublishOutcome, PublishedRef,
};
use sea_orm::DatabaseConnection;

use super::Publisher;
use super::job::{PublishJob, QUEUE_NAME, Step};
use crate::ports::{
    ChannelView, Channels, MediaRef, MediaResolver, PostEvent, PostEventChannel, PostListener,
    PublishChannel,
};
use crate::repository::posts::{self as repo, DRAFT, PUBLISHED, QUEUE};
use crate::repository::publishing::{self as pubrepo, Claim};
use crate::service::posts::next_repeat;

/// Timings and limits of publishing.
#[derive(Debug, Clone, Copy)]
pub struct PublishSettings {
    /// How long a claim lasts without renewal; renewed every third of it while publishing.
    pub claim_ttl: Duration,
    /// Between two status checks of a publication the network still processes.
    pub check_interval: Duration,
    /// Status checks before giving up (about 30 minutes at 20 s).
    pub max_checks: u32,
    /// Consecutive failed status checks before giving up.
    pub max_check_errors: u32,
    /// Retries of rate-limited or transient failures before the post ends in ERROR.
    pub max_retries: u32,
    /// First retry delay; doubles each time, capped at `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Token refreshes tried within one attempt.
    pub max_refreshes: u32,
    /// How late a queued post may be for the sweep to still publish it.
    pub sweep_window: Duration,
    /// Publications handled at once by this process.
    pub concurrency: usize,
    /// apalis workers sharing `concurrency` (see `QueueOptions::dispatchers`).
    pub dispatchers: usize,
}

impl Default for PublishSettings {
    fn default() -> Self {
        Self {
            claim_ttl: Duration::from_secs(120),
            check_interval: Duration::from_secs(20),
            max_checks: 90,
            max_check_errors: 5,
            max_retries: 5,
            base_backoff: Duration::from_secs(60),
            max_backoff: Duration::from_secs(30 * 60),
            max_refreshes: 3,
            sweep_window: Duration::from_secs(2 * 24 * 3600),
            concurrency: 32,
            dispatchers: 8,
        }
    }
}

/// Runs publication jobs.
#[derive(Clone)]
pub struct PublishEngine {
    db: DatabaseConnection,
    channels: Arc<dyn Channels>,
    media: Arc<dyn MediaResolver>,
    notifier: Arc<dyn Notifier>,
    listener: Arc<dyn PostListener>,
    publisher: Publisher,
    settings: PublishSettings,
    frontend_url: String,
}

/// Why an item could not be published, as the engine decides what to do.
enum Failure {
    /// Try again later (rate limit, transient); `after` is the network's hint.
    Retry {
        message: String,
        after: Option<Duration>,
    },
    /// End in ERROR with this message.
    Fatal(String),
}

impl PublishEngine {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: DatabaseConnection,
        channels: Arc<dyn Channels>,
        media: Arc<dyn MediaResolver>,
        notifier: Arc<dyn Notifier>,
        listener: Arc<dyn PostListener>,
        publisher: Publisher,
        settings: PublishSettings,
        frontend_url: String,
    ) -> Self {
        Self {
            db,
            channels,
            media,
            notifier,
            listener,
            publisher,
            settings,
            frontend_url: frontend_url.trim_end_matches('/').to_string(),
        }
    }

    /// Registers the publish queue and the hourly sweep on a worker runtime.
    pub fn register(self, runtime: &mut WorkerRuntime) {
        let concurrency = self.settings.concurrency;
        let dispatchers = self.settings.dispatchers;
        let sweeper = self.clone();
        runtime.register(
            QUEUE_NAME,
            QueueOptions::new()
                .concurrency(concurrency)
                .dispatchers(dispatchers)
                .timeout(Duration::from_secs(45 * 60))
                // The provider's limit (maxConcurrentJob) is for publications in flight: the
                // step holds the slot from its claim to the network's answer, not through the
                // database work after it (see `publish_root`).
                .handler_takes_slot(),
            move |job: PublishJob, ctx: JobContext| {
                let engine = self.clone();
                async move { engine.handle(job, ctx).await }
            },
        );
        runtime.periodic(
            "posts.missing-sweep",
            Duration::from_secs(3600),
            move || {
                let engine = sweeper.clone();
                async move { engine.sweep().await.map(|_| ()).map_err(|e| e.to_string()) }
            },
        );
    }

    /// Handles one step of a publication.
    pub async fn handle(&self, job: PublishJob, ctx: JobContext) -> JobOutcome {
        let result = match job.step.clone() {
            Step::Publish => self.publish_root(&job, &ctx).await,
            Step::Comment { position } => self.publish_comment(&job, position, &ctx).await,
            Step::Check {
                position,
                checks,
                errors,
            } => self.check(&job, position, checks, errors, &ctx).await,
            Step::Verify => self.verify(&job, &ctx).await,
        };
        match result {
            Ok(outcome) => outcome,
            Err(e) => {
                // The database or queue failed: retry the step shortly; claims and versions
                // keep a retry from doing anything twice.
                tracing::error!(post = %job.post_id, error = %e, "publication step failed");
                JobOutcome::retry_after(Duration::from_secs(30), e.to_string())
            }
        }
    }

    async fn publish_root(&self, job: &PublishJob, ctx: &JobContext) -> anyhow::Result<JobOutcome> {
        // The slot spans the claim to the network's answer: a claimed post that has not reached
        // the network is always one of its `max_concurrent_jobs`, so a crash strands at most
        // that many unsent. Recording the answer, notices, webhooks and the thread run without
        // it (a crash between answer and record leaves the post unconfirmed, never resent).
        // The early returns below drop it, which frees it in the background.
        let Some(slot) = self.network_slot(ctx).await else {
            return Ok(JobOutcome::deferred("no free slot of the network"));
        };
        let until = now() + chrono_duration(self.settings.claim_ttl);
        let root = match pubrepo::claim(&self.db, &job.post_id, job.version, until).await? {
            Claim::Stale => return Ok(JobOutcome::done()),
            Claim::Busy(until) => {
                self.push_verify(job, ctx, until).await?;
                return Ok(JobOutcome::done());
            }
            Claim::Abandoned => {
                if let Some(root) = repo::find_live(&self.db, &job.post_id).await? {
                    self.fail_root(&root, None, &unconfirmed_message()).await?;
                }
                return Ok(JobOutcome::done());
            }
            Claim::Claimed(root) => *root,
        };
        let Some(PublishChannel {
            view: channel,
            auth,
        }) = self
            .channels
            .for_publish(&root.organization_id, &root.integration_id)
            .await?
        else {
            self.fail_root(&root, None, "The channel of this post was deleted")
                .await?;
            return Ok(JobOutcome::done());
        };
        if channel.disabled {
            self.fail_root(
                &root,
                Some(&channel),
                &format!(
                    "We couldn't post to {} for {} because the channel is disabled",
                    channel.provider_identifier, channel.name
                ),
            )
            .await?;
            return Ok(JobOutcome::done());
        }
        if channel.refresh_needed || channel.in_between_steps {
            self.fail_root(
                &root,
                Some(&channel),
                &format!(
                    "We couldn't post to {} for {} because you need to reconnect it",
                    channel.provider_identifier, channel.name
                ),
            )
            .await?;
            return Ok(JobOutcome::done());
        }

        let renewer = self.renew_claim_while_running(&root);
        let attempt = self.attempt(&root, &channel, auth, &root, None).await;
        renewer.abort();
        slot.release().await;

        match attempt {
            Ok(PublishOutcome::Published(published)) => {
                pubrepo::mark_item_published(&self.db, &root.id, &published.id, &published.url)
                    .await?;
                self.root_published(&root, &channel, &published, ctx)
                    .await?;
                Ok(JobOutcome::done())
            }
            Ok(PublishOutcome::Pending { data }) => {
                pubrepo::set_pending(&self.db, &root.id, data).await?;
                self.push_check(job, ctx, 0, 0, 0).await?;
                Ok(JobOutcome::done())
            }
            Err(Failure::Retry { message, after }) => {
                if ctx.retries() >= self.settings.max_retries {
                    self.fail_root(
                        &root,
                        Some(&channel),
                        &format!(
                            "{} kept failing after {} attempts: {message}",
                            channel.provider_identifier,
                            ctx.retries() + 1
                        ),
                    )
                    .await?;
                    return Ok(JobOutcome::done());
                }
                pubrepo::release_claim(&self.db, &root.id).await?;
                Ok(JobOutcome::retry_after(
                    self.backoff(ctx.retries(), after),
                    message,
                ))
            }
            Err(Failure::Fatal(message)) => {
                self.fail_root(&root, Some(&channel), &message).await?;
                Ok(JobOutcome::done())
            }
        }
    }

    async fn publish_comment(
        &self,
        job: &PublishJob,
        position: i32,
        ctx: &JobContext,
    ) -> anyhow::Result<JobOutcome> {
        let Some(root) = self.live_published_root(job).await? else {
            return Ok(JobOutcome::done());
        };
        let items = repo::thread_of(&self.db, &root).await?;
        let Some(item) = items.iter().find(|i| i.position == position).cloned() else {
            return Ok(JobOutcome::done());
        };
        if item.release_id.is_some() {
            // Already published by an earlier run: continue the chain.
            self.after_item(&root, &items, position, ctx).await?;
            return Ok(JobOutcome::done());
        }
        if item.state != QUEUE && item.state != PUBLISHED && item.state != DRAFT {
            return Ok(JobOutcome::done());
        }
        let Some(PublishChannel {
            view: channel,
            auth,
        }) = self
            .channels
            .for_publish(&root.organization_id, &root.integration_id)
            .await?
        else {
            return Ok(JobOutcome::done());
        };
        if ctx.is_rerun() || item.pending_data.is_some() {
            // A worker died while publishing this reply: whether it went out is unknown.
            self.fail_item(&root, &item, &channel, &unconfirmed_message())
                .await?;
            return Ok(JobOutcome::done());
        }
        let parent = items
            .iter()
            .filter(|i| i.position < position)
            .max_by_key(|i| i.position)
            .and_then(published_ref);
        let (Some(root_ref), Some(parent)) = (published_ref(&root), parent) else {
            self.fail_item(
                &root,
                &item,
                &channel,
                "The previous item of the thread was not published",
            )
            .await?;
            return Ok(JobOutcome::done());
        };
        let Some(slot) = self.network_slot(ctx).await else {
            return Ok(JobOutcome::deferred("no free slot of the network"));
        };
        // Marks the reply as in flight, so a crash is seen on the next run.
        pubrepo::set_pending(&self.db, &item.id, serde_json::json!({"inFlight": true})).await?;
        let attempt = self
            .attempt(&root, &channel, auth, &item, Some((&root_ref, &parent)))
            .await;
        slot.release().await;
        match attempt {
            Ok(PublishOutcome::Published(published)) => {
                pubrepo::mark_item_published(&self.db, &item.id, &published.id, &published.url)
                    .await?;
                let items = repo::thread_of(&self.db, &root).await?;
                self.after_item(&root, &items, position, ctx).await?;
                Ok(JobOutcome::done())
            }
            Ok(PublishOutcome::Pending { data }) => {
                pubrepo::set_pending(&self.db, &item.id, data).await?;
                self.push_check(job, ctx, position, 0, 0).await?;
                Ok(JobOutcome::done())
            }
            Err(Failure::Retry { message, after }) => {
                pubrepo::clear_pending(&self.db, &item.id).await?;
                if ctx.retries() >= self.settings.max_retries {
                    self.fail_item(&root, &item, &channel, &message).await?;
                    return Ok(JobOutcome::done());
                }
                Ok(JobOutcome::retry_after(
                    self.backoff(ctx.retries(), after),
                    message,
                ))
            }
            Err(Failure::Fatal(message)) => {
                self.fail_item(&root, &item, &channel, &message).await?;
                Ok(JobOutcome::done())
            }
        }
    }

    async fn check(
        &self,
        job: &PublishJob,
        position: i32,
        checks: u32,
        errors: u32,
        ctx: &JobContext,
    ) -> anyhow::Result<JobOutcome> {
        let Some(root) = repo::find_live(&self.db, &job.post_id).await? else {
            return Ok(JobOutcome::done());
        };
        if root.version != job.version {
            return Ok(JobOutcome::done());
        }
        let items = repo::thread_of(&self.db, &root).await?;
        let Some(item) = items.iter().find(|i| i.position == position).cloned() else {
            return Ok(JobOutcome::done());
        };
        let Some(pending) = item
            .pending_data
            .clone()
            .filter(|_| item.release_id.is_none())
        else {
            return Ok(JobOutcome::done());
        };
        let Some(PublishChannel {
            view: channel,
            auth,
        }) = self
            .channels
            .for_publish(&root.organization_id, &root.integration_id)
            .await?
        else {
            return Ok(JobOutcome::done());
        };
        if position == 0 {
            // Keep the claim while the network processes the post.
            let until = now() + chrono_duration(self.settings.check_interval * 3);
            pubrepo::renew_claim(&self.db, &root.id, root.version, until).await?;
        }
        let outcome = match auth {
            Ok((provider, auth)) => provider.check_status(&auth, &pending).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(PublishOutcome::Published(published)) => {
                pubrepo::mark_item_published(&self.db, &item.id, &published.id, &published.url)
                    .await?;
                if position == 0 {
                    self.root_published(&root, &channel, &published, ctx)
                        .await?;
                } else {
                    let items = repo::thread_of(&self.db, &root).await?;
                    self.after_item(&root, &items, position, ctx).await?;
                }
            }
            Ok(PublishOutcome::Pending { data }) => {
                pubrepo::set_pending(&self.db, &item.id, data).await?;
                if checks + 1 >= self.settings.max_checks {
                    self.fail_either(&root, &item, &channel, &unconfirmed_message())
                        .await?;
                } else {
                    self.push_check(job, ctx, position, checks + 1, 0).await?;
                }
            }
            Err(
                e @ (ProviderError::Rejected(_)
                | ProviderError::Disconnected(_)
                | ProviderError::InsufficientScopes(_)),
            ) => {
                if matches!(e, ProviderError::Disconnected(_)) {
                    self.channels
                        .mark_disconnected(&channel.id, &e.to_string())
                        .await?;
                }
                self.fail_either(&root, &item, &channel, &e.user_message())
                    .await?;
            }
            Err(e) => {
                if errors + 1 >= self.settings.max_check_errors {
                    self.fail_either(
                        &root,
                        &item,
                        &channel,
                        &format!("{} Last error: {e}", unconfirmed_message()),
                    )
                    .await?;
                } else {
                    if matches!(e, ProviderError::RefreshNeeded(_)) {
                        let _ = self.channels.refresh_after_unauthorized(&channel.id).await;
                    }
                    self.push_check(job, ctx, position, checks + 1, errors + 1)
                        .await?;
                }
            }
        }
        Ok(JobOutcome::done())
    }

    /// Another attempt held the post: if its claim expired without an outcome, the post ends in
    /// ERROR rather than being published twice.
    async fn verify(&self, job: &PublishJob, ctx: &JobContext) -> anyhow::Result<JobOutcome> {
        let Some(root) = repo::find_live(&self.db, &job.post_id).await? else {
            return Ok(JobOutcome::done());
        };
        if root.version != job.version || root.state != QUEUE {
            return Ok(JobOutcome::done());
        }
        match root.claimed_until {
            Some(until) if until > now() => self.push_verify(job, ctx, until).await?,
            Some(_) if root.pending_data.is_none() => {
                self.fail_root(&root, None, &unconfirmed_message()).await?;
            }
            // Pending: the status checks decide. Not claimed: the next publish step decides.
            _ => {}
        }
        Ok(JobOutcome::done())
    }

    /// A slot of the network's concurrency limit for the publication about to be made; `None`
    /// when none came free in time (the step is deferred). A slot table that cannot be read
    /// defers too: the limit is never skipped.
    async fn network_slot(&self, ctx: &JobContext) -> Option<TakenSlot> {
        match ctx.take_slot().await {
            Ok(TakenSlot::Unavailable) => None,
            Ok(slot) => Some(slot),
            Err(e) => {
                tracing::warn!(error = %e, "cannot take a slot of the network's limit");
                None
            }
        }
    }

    /// Calls the network for one item with the channel's `auth`, refreshing the token when
    /// it is rejected as expired.
    async fn attempt(
        &self,
        root: &post::Model,
        channel: &ChannelView,
        auth: Result<(Arc<dyn Provider>, ChannelAuth), ProviderError>,
        item: &post::Model,
        reply_to: Option<(&PublishedRef, &PublishedRef)>,
    ) -> Result<PublishOutcome, Failure> {
        let (provider, mut auth) = match auth {
            Ok(pair) => pair,
            Err(e) => return Err(self.classify(channel, e).await),
        };
        let post_item = self.post_item(root, item, provider.as_ref()).await?;
        let mut refreshes = 0;
        loop {
            let result = match reply_to {
                None => provider.publish(&auth, &post_item).await,
                Some((root_ref, parent)) => {
                    provider.comment(&auth, root_ref, parent, &post_item).await
                }
            };
            match result {
                Err(ProviderError::RefreshNeeded(message)) => {
                    if refreshes >= self.settings.max_refreshes {
                        return Err(Failure::Fatal(format!(
                            "{} keeps refusing the token after refreshing it: {message}",
                            channel.provider_identifier
                        )));
                    }
                    refreshes += 1;
                    match self.channels.refresh_after_unauthorized(&channel.id).await {
                        Ok(fresh) => auth = fresh,
                        Err(e) => return Err(self.classify(channel, e).await),
                    }
                }
                Err(e) => return Err(self.classify(channel, e).await),
                Ok(outcome) => return Ok(outcome),
            }
        }
    }

    /// What to do about a provider error.
    async fn classify(&self, channel: &ChannelView, error: ProviderError) -> Failure {
        match error {
            ProviderError::RateLimited {
                retry_after,
                message,
            } => Failure::Retry {
                message: format!("rate limited by {}: {message}", channel.provider_identifier),
                after: retry_after,
            },
            ProviderError::Transient(message) => Failure::Retry {
                message,
                after: None,
            },
            ProviderError::Unconfirmed(_) => Failure::Fatal(unconfirmed_message()),
            ProviderError::Disconnected(message) | ProviderError::RefreshNeeded(message) => {
                if let Err(e) = self.channels.mark_disconnected(&channel.id, &message).await {
                    tracing::warn!(error = %e, "could not mark the channel for reconnection");
                }
                Failure::Fatal(format!(
                    "{} for {} must be reconnected: {message}",
                    channel.provider_identifier, channel.name
                ))
            }
            ProviderError::Rejected(message) => Failure::Fatal(message),
            other => Failure::Fatal(other.to_string()),
        }
    }

    async fn post_item(
        &self,
        root: &post::Model,
        item: &post::Model,
        provider: &dyn Provider,
    ) -> Result<PostItem, Failure> {
        let refs: Vec<MediaRef> = serde_json::from_value(item.images.clone()).unwrap_or_default();
        let mut media = Vec::with_capacity(refs.len());
        for r in &refs {
            match self.media.resolve(&root.organization_id, r).await {
                Ok(m) => media.push(m),
                Err(e) if e.is_retryable() => {
                    return Err(Failure::Retry {
                        message: format!("media {} unavailable: {e}", r.path),
                        after: None,
                    });
                }
                Err(e) => {
                    return Err(Failure::Fatal(format!(
                        "media {} cannot be used: {e}",
                        r.path
                    )));
                }
            }
        }
        Ok(PostItem {
            id: item.id.clone(),
            message: to_editor_format(&item.content, provider.capabilities().editor),
            media,
            settings: root.settings.clone(),
        })
    }

    /// The root is live: tell the organization, then continue the thread.
    async fn root_published(
        &self,
        root: &post::Model,
        channel: &ChannelView,
        published: &PublishedRef,
        ctx: &JobContext,
    ) -> anyhow::Result<()> {
        let link = published.url.clone();
        self.notifier
            .notify(Notice {
                organization_id: root.organization_id.clone(),
                subject: format!("Your post has been published on {}", provider_name(channel)),
                message: format!(
                    "Your post has been published on {} for {}: <a href=\"{}\">{}</a>",
                    escape_html(&provider_name(channel)),
                    escape_html(&channel.name),
                    escape_html(&link),
                    escape_html(&link)
                ),
                link: Some(link),
                kind: NoticeKind::Success,
            })
            .await;
        // The row as mark_item_published left it, without reading it back.
        let live = post::Model {
            state: PUBLISHED.to_string(),
            release_id: Some(published.id.clone()),
            release_url: Some(published.url.clone()),
            error: None,
            claimed_until: None,
            pending_data: None,
            ..root.clone()
        };
        self.listener.published(&self.event(&live, channel)).await;
        let items = repo::thread_of(&self.db, root).await?;
        self.after_item(root, &items, 0, ctx).await
    }

    /// After the item at `position`: the next reply after its delay, or the end of the thread.
    async fn after_item(
        &self,
        root: &post::Model,
        items: &[post::Model],
        position: i32,
        ctx: &JobContext,
    ) -> anyhow::Result<()> {
        let next = items
            .iter()
            .filter(|i| i.position > position)
            .min_by_key(|i| i.position);
        match next {
            Some(item) => {
                let delay =
                    Duration::from_secs(u64::try_from(item.delay_minutes.max(0)).unwrap_or(0) * 60);
                let job = PublishJob {
                    post_id: root.id.clone(),
                    version: root.version,
                    step: Step::Comment {
                        position: item.position,
                    },
                };
                let mut request = JobRequest::new(QUEUE_NAME, &job)
                    .after(delay)
                    .key(ctx.follow_up_key(&format!("comment:{}", item.position)));
                if let Some((key, limit)) = self.publisher.limit_of(root) {
                    request = request.limit(key, limit);
                }
                ctx.push(request).await?;
            }
            None => self.thread_finished(root).await?,
        }
        Ok(())
    }

    /// Every item is out (or failed): a repeating post queues its next occurrence.
    async fn thread_finished(&self, root: &post::Model) -> anyhow::Result<()> {
        let Some(next) = next_repeat(root, now()) else {
            return Ok(());
        };
        let Some(current) = repo::find_live(&self.db, &root.id).await? else {
            return Ok(());
        };
        if current.version != root.version {
            return Ok(());
        }
        repo::change_date(&self.db, &current, next, true).await?;
        let version = repo::bump_version(&self.db, &current.id).await?;
        if let Some(updated) = repo::find_live(&self.db, &current.id).await? {
            self.publisher
                .schedule(&post::Model { version, ..updated })
                .await?;
            tracing::info!(post = %root.id, next = %to_json_time(&next), "repeating post queued again");
        }
        Ok(())
    }

    async fn fail_root(
        &self,
        root: &post::Model,
        channel: Option<&ChannelView>,
        message: &str,
    ) -> anyhow::Result<()> {
        pubrepo::mark_error(&self.db, &root.id, message).await?;
        let channel = match channel {
            Some(c) => Some(c.clone()),
            None => {
                self.channels
                    .get(&root.organization_id, &root.integration_id)
                    .await?
            }
        };
        let (provider, name) = channel
            .as_ref()
            .map(|c| (provider_name(c), c.name.clone()))
            .unwrap_or_else(|| ("the network".into(), "the channel".into()));
        self.notifier
            .notify(Notice {
                organization_id: root.organization_id.clone(),
                subject: format!("Error posting on {provider} for {name}"),
                message: format!(
                    "Error posting on {} for {}: {}",
                    escape_html(&provider),
                    escape_html(&name),
                    escape_html(message)
                ),
                link: Some(format!("{}/p/{}?share=true", self.frontend_url, root.id)),
                kind: NoticeKind::Failure,
            })
            .await;
        if let (Some(channel), Some(fresh)) = (channel, repo::find_live(&self.db, &root.id).await?)
        {
            self.listener.failed(&self.event(&fresh, &channel)).await;
        }
        Ok(())
    }

    /// A reply failed after the root went out: the item ends in ERROR, the thread stops.
    async fn fail_item(
        &self,
        root: &post::Model,
        item: &post::Model,
        channel: &ChannelView,
        message: &str,
    ) -> anyhow::Result<()> {
        pubrepo::mark_error(&self.db, &item.id, message).await?;
        pubrepo::clear_pending(&self.db, &item.id).await?;
        self.notifier
            .notify(Notice {
                organization_id: root.organization_id.clone(),
                subject: format!(
                    "Error posting a reply on {} for {}",
                    provider_name(channel),
                    channel.name
                ),
                message: format!(
                    "Item {} of your thread on {} for {} failed: {}",
                    item.position + 1,
                    escape_html(&provider_name(channel)),
                    escape_html(&channel.name),
                    escape_html(message)
                ),
                link: Some(format!("{}/p/{}?share=true", self.frontend_url, root.id)),
                kind: NoticeKind::Failure,
            })
            .await;
        if let Some(fresh) = repo::find_live(&self.db, &item.id).await? {
            self.listener.failed(&self.event(&fresh, channel)).await;
        }
        self.thread_finished(root).await
    }

    async fn fail_either(
        &self,
        root: &post::Model,
        item: &post::Model,
        channel: &ChannelView,
        message: &str,
    ) -> anyhow::Result<()> {
        if item.position == 0 {
            self.fail_root(root, Some(channel), message).await
        } else {
            self.fail_item(root, item, channel, message).await
        }
    }

    async fn live_published_root(&self, job: &PublishJob) -> anyhow::Result<Option<post::Model>> {
        Ok(repo::find_live(&self.db, &job.post_id)
            .await?
            .filter(|r| r.version == job.version && r.state == PUBLISHED))
    }

    async fn push_check(
        &self,
        job: &PublishJob,
        ctx: &JobContext,
        position: i32,
        checks: u32,
        errors: u32,
    ) -> anyhow::Result<()> {
        let next = PublishJob {
            post_id: job.post_id.clone(),
            version: job.version,
            step: Step::Check {
                position,
                checks,
                errors,
            },
        };
        ctx.push(
            JobRequest::new(QUEUE_NAME, &next)
                .after(self.settings.check_interval)
                .key(ctx.follow_up_key(&format!("check:{position}:{checks}"))),
        )
        .await?;
        Ok(())
    }

    async fn push_verify(
        &self,
        job: &PublishJob,
        ctx: &JobContext,
        until: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let next = PublishJob {
            post_id: job.post_id.clone(),
            version: job.version,
            step: Step::Verify,
        };
        ctx.push(
            JobRequest::new(QUEUE_NAME, &next)
                .at(until + chrono::Duration::seconds(5))
                .key(ctx.follow_up_key(&format!("verify:{}", until.timestamp()))),
        )
        .await?;
        Ok(())
    }

    /// Keeps the claim alive while a long publication (a video upload) runs.
    fn renew_claim_while_running(&self, root: &post::Model) -> tokio::task::JoinHandle<()> {
        let db = self.db.clone();
        let id = root.id.clone();
        let version = root.version;
        let ttl = self.settings.claim_ttl;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(ttl / 3).await;
                let until = now() + chrono_duration(ttl);
                if let Err(e) = pubrepo::renew_claim(&db, &id, version, until).await {
                    tracing::warn!(post = %id, error = %e, "could not renew a publish claim");
                }
            }
        })
    }

    fn backoff(&self, retries: u32, hint: Option<Duration>) -> Duration {
        let exponential = self
            .settings
            .base_backoff
            .saturating_mul(2u32.saturating_pow(retries.min(16)));
        hint.unwrap_or(exponential)
            .min(self.settings.max_backoff)
            .max(Duration::from_secs(1))
    }

    fn event(&self, row: &post::Model, channel: &ChannelView) -> PostEvent {
        PostEvent {
            id: row.id.clone(),
            organization_id: row.organization_id.clone(),
            group: row.group_id.clone(),
            content: row.content.clone(),
            publish_date: to_json_time(&row.publish_date),
            state: row.state.clone(),
            release_url: row.release_url.clone(),
            release_id: row.release_id.clone(),
            error: row.error.clone(),
            integration: PostEventChannel {
                id: channel.id.clone(),
                name: channel.name.clone(),
                provider_identifier: channel.provider_identifier.clone(),
                picture: channel.picture.clone(),
                kind: "social".into(),
            },
        }
    }

    /// Re-drives root posts still queued past their time (up to the sweep window late) whose
    /// job is gone: finished without an outcome, or never pushed (a crash between the save and
    /// the push). Returns how many were re-driven.
    pub async fn sweep(&self) -> Result<u64, crate::PostsError> {
        let current = now();
        let since = current - chrono_duration(self.settings.sweep_window);
        // Leave the normal path a minute before deciding a post is stuck.
        let until = current - chrono::Duration::seconds(60);
        let overdue = repo::overdue_roots(&self.db, since, until, 10_000).await?;
        let mut redriven = 0;
        for root in overdue {
            let key = format!("post:{}:v{}:publish", root.id, root.version);
            let record = self
                .publisher
                .jobs()
                .find(QUEUE_NAME, &key)
                .await
                .map_err(|e| crate::PostsError::Internal(e.into()))?;
            let alive = record
                .as_ref()
                .is_some_and(|r| matches!(r.status.as_str(), "Pending" | "Queued" | "Running"));
            if alive {
                continue;
            }
            let suffix = current.format("%Y%m%d%H").to_string();
            let outcome = self
                .publisher
                .push(
                    &root,
                    Step::Publish,
                    record.is_some().then_some(suffix.as_str()),
                )
                .await?;
            if outcome.is_new() {
                redriven += 1;
                tracing::info!(post = %root.id, "sweep re-drove an overdue post");
            }
        }
        Ok(redriven)
    }
}

fn published_ref(item: &post::Model) -> Option<PublishedRef> {
    Some(PublishedRef {
        id: item.release_id.clone()?,
        url: item.release_url.clone().unwrap_or_default(),
    })
}

fn provider_name(channel: &ChannelView) -> String {
    let id = &channel.provider_identifier;
    let mut chars = id.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => id.clone(),
    }
}

fn unconfirmed_message() -> String {
    "We couldn't confirm your post was published: the request was sent but no answer came back. \
     Check the channel before publishing it again."
        .into()
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
