//! Publishing: a post scheduled for 09:00 is published at 09:00, once, with its thread, or the
//! user learns exactly why not.
//!
//! Each queued root post has one job on the `publish` queue, keyed by post id and version, due
//! at its publish date. Editing, rescheduling or deleting bumps the version, so an old job finds
//! itself stale and does nothing. The job's steps:
//!
//! 1. **Publish** — claim the post (so two attempts never publish it twice), check the channel,
//!    get fresh credentials, convert the HTML to the network's format, resolve media, publish.
//!    `RefreshNeeded` refreshes the token and tries again (up to 3 times); rate limits and
//!    transient failures come back later as follow-up jobs with backoff; a rejection ends in
//!    ERROR with the network's message; an unconfirmed publish (the request went out, no answer
//!    came back) ends in ERROR and is never retried.
//! 2. **Check** — a publication the network processes asynchronously is polled every 20 s, up
//!    to 90 times (about 30 minutes), before it counts as published.
//! 3. **Comment** — each thread item after its delay, replying to the previous item.
//! 4. **Verify** — when a job finds another attempt's live claim, it checks back when that
//!    claim expires: an attempt that died without recording its outcome ends the post in ERROR
//!    ("could not be confirmed") instead of publishing it a second time.
//!
//! After each outcome: an in-app notification (and e-mail per the users' preferences), the
//! organization's webhooks, and for repeating posts the next occurrence.
//!
//! A sweep at start and every hour re-drives root posts still queued past their time (up to two
//! days late), so no post stays in QUEUE after a crash or an outage.

mod engine;
mod job;

pub use engine::{PublishEngine, PublishSettings};
pub use job::{PublishJob, QUEUE_NAME, Step};

use std::sync::Arc;

use postiz_entity::post;
use postiz_jobs::{JobQueue, JobRequest, PushOutcome};
use postiz_provider::ProviderRegistry;

use crate::error::PostsError;

/// Enqueues publications.
#[derive(Clone)]
pub struct Publisher {
    jobs: JobQueue,
    providers: Arc<ProviderRegistry>,
}

impl Publisher {
    pub fn new(jobs: JobQueue, providers: Arc<ProviderRegistry>) -> Self {
        Self { jobs, providers }
    }

    pub fn jobs(&self) -> &JobQueue {
        &self.jobs
    }

    /// Schedules the publication of a queued root post at its publish date. Pushing the same
    /// post and version again is a no-op.
    pub async fn schedule(&self, root: &post::Model) -> Result<(), PostsError> {
        self.push(root, Step::Publish, None).await.map(|_| ())
    }

    /// Pushes a step of a post's publication; `redrive` makes a fresh key for the sweep.
    pub(crate) async fn push(
        &self,
        root: &post::Model,
        step: Step,
        redrive: Option<&str>,
    ) -> Result<PushOutcome, PostsError> {
        let job = PublishJob {
            post_id: root.id.clone(),
            version: root.version,
            step,
        };
        let mut key = format!("post:{}:v{}:publish", root.id, root.version);
        if let Some(suffix) = redrive {
            key.push_str(&format!(":redrive:{suffix}"));
        }
        let mut request = JobRequest::new(QUEUE_NAME, &job)
            .at(root.publish_date)
            .key(key);
        if let Some((limit_key, limit)) = self.limit_of(root) {
            request = request.limit(limit_key, limit);
        }
        self.jobs
            .push(request)
            .await
            .map_err(|e| PostsError::Internal(e.into()))
    }

    /// The cross-process concurrency limit of the post's provider (Postiz `maxConcurrentJob`,
    /// shared by identifiers with the same prefix, such as `linkedin` and `linkedin-page`).
    pub(crate) fn limit_of(&self, root: &post::Model) -> Option<(String, u32)> {
        let identifier = root.settings.get("__type").and_then(|v| v.as_str())?;
        let max = self.providers.max_concurrent_jobs(identifier)?;
        let prefix = identifier.split('-').next().unwrap_or(identifier);
        Some((format!("provider:{prefix}"), max))
    }
}
