//! Video through the Bluesky video service, as its documentation recommends:
//!
//! 1. `com.atproto.server.getServiceAuth` on the PDS: a token with the PDS (`did:web:<pds host>`)
//!    as audience, bound to `com.atproto.repo.uploadBlob`, valid 30 minutes;
//! 2. `POST {video}/xrpc/app.bsky.video.uploadVideo?did=<did>&name=<file>` with that token and
//!    the file streamed as the body (never held whole in memory);
//! 3. `GET {video}/xrpc/app.bsky.video.getJobStatus?jobId=…` until the job status carries the blob
//!    (the service stores the processed video on the PDS itself);
//! 4. the post embeds `app.bsky.embed.video` with that blob.
//!
//! The wait in step 3 is bounded; past it the publication answers pending and
//! `check_status` finishes it. A job status with a blob is used even when it reports an error
//! (`already_exists`: the same video was processed before).

use std::sync::Mutex;
use std::time::Instant;

use postiz_provider::http::decode_json;
use postiz_provider::{
    ChannelAuth, ErrorClassifier, MediaItem, ProviderError, Replay, RetryPolicy, oauth,
};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};

use crate::BlueskyProvider;
use crate::xrpc::{JobStatus, SessionInfo, XrpcClassifier, classify_with_message, pds_endpoint};

/// `app.bsky.embed.video#main.video.maxSize`.
pub const MAX_VIDEO_BYTES: u64 = 100_000_000;
/// Lifetime requested for the upload's service token, as the documentation recommends.
const SERVICE_TOKEN_SECS: i64 = 30 * 60;

/// Where a video upload stands when the publication must go on.
pub enum VideoOutcome {
    /// Processed: the blob to embed.
    Ready(Value),
    /// Still processing after the bounded wait: the job to poll.
    Processing(String),
}

/// The `app.bsky.embed.video` embed of a processed video.
pub fn embed(blob: Value, alt: Option<&str>) -> Value {
    let mut embed = json!({ "$type": "app.bsky.embed.video", "video": blob });
    if let Some(alt) = alt.map(str::trim).filter(|a| !a.is_empty()) {
        embed["alt"] = json!(alt);
    }
    embed
}

/// What a pending publication keeps until the video is processed: the job and the record to create.
pub fn pending_data(job_id: &str, record: Value, alt: Option<&str>) -> Value {
    json!({ "jobId": job_id, "record": record, "alt": alt })
}

/// [`pending_data`] read back.
pub struct PendingVideo {
    pub job_id: String,
    pub record: Value,
    pub alt: Option<String>,
}

impl PendingVideo {
    pub fn read(data: &Value) -> Result<Self, ProviderError> {
        let unreadable = || ProviderError::Config("unreadable pending Bluesky video data".into());
        let job_id = data
            .get("jobId")
            .and_then(Value::as_str)
            .filter(|j| !j.is_empty())
            .ok_or_else(unreadable)?
            .to_string();
        let record = data
            .get("record")
            .filter(|r| r.is_object())
            .ok_or_else(unreadable)?
            .clone();
        let alt = data.get("alt").and_then(Value::as_str).map(str::to_string);
        Ok(Self {
            job_id,
            record,
            alt,
        })
    }
}

/// Classifies video-service answers like the PDS, and keeps a job status found in an error
/// answer (the service reports some outcomes, such as `already_exists`, that way).
#[derive(Default)]
struct VideoClassifier {
    job: Mutex<Option<JobStatus>>,
}

impl VideoClassifier {
    fn job_in(body: &str) -> Option<JobStatus> {
        JobStatus::from_answer(&serde_json::from_str::<Value>(body).ok()?)
    }

    fn take_job(&self) -> Option<JobStatus> {
        self.job.lock().ok().and_then(|mut j| j.take())
    }
}

impl ErrorClassifier for VideoClassifier {
    fn message(&self, status: StatusCode, body: &str) -> String {
        if let Some(job) = Self::job_in(body)
            && let Some(text) = job
                .message
                .as_deref()
                .or(job.error.as_deref())
                .filter(|t| !t.trim().is_empty())
        {
            return text.to_string();
        }
        XrpcClassifier.message(status, body)
    }

    fn classify(&self, status: StatusCode, headers: &HeaderMap, body: &str) -> ProviderError {
        if let Some(job) = Self::job_in(body)
            && let Ok(mut slot) = self.job.lock()
        {
            *slot = Some(job);
        }
        classify_with_message(status, headers, body, self.message(status, body))
    }
}

fn extension(mime: &str) -> &'static str {
    match mime {
        "video/quicktime" => "mov",
        "video/webm" => "webm",
        "video/mpeg" => "mpeg",
        _ => "mp4",
    }
}

impl BlueskyProvider {
    /// Uploads a video and waits, within the configured bound, for its processing.
    pub(crate) async fn upload_video(
        &self,
        service: &str,
        channel: &ChannelAuth,
        media: &MediaItem,
    ) -> Result<VideoOutcome, ProviderError> {
        let size = media.source.size().await?;
        if size == 0 {
            return Err(ProviderError::Rejected("The video file is empty".into()));
        }
        if size > MAX_VIDEO_BYTES {
            return Err(ProviderError::Rejected(format!(
                "The video is {size} bytes; Bluesky accepts videos up to 100,000,000 bytes"
            )));
        }
        let did = Self::repo_of(channel)?;
        let access = channel.tokens.access_token.as_str();
        let audience = self.pds_audience(service, access).await?;
        let token = self.upload_token(service, access, &audience).await?;

        let mime = if media.mime_type.starts_with("video/") {
            media.mime_type.as_str()
        } else {
            "video/mp4"
        };
        let name = format!("{}.{}", oauth::random_token(12), extension(mime));
        let url = format!("{}/xrpc/app.bsky.video.uploadVideo", self.video_url);
        let body = Mutex::new(Some(media.source.stream().await?));
        let classifier = VideoClassifier::default();
        // The body is a stream that can be sent once: no in-place retries for this request.
        let once = self.http.with_retry(RetryPolicy::none());
        let result = once
            .send(
                || {
                    let request = once
                        .raw()
                        .post(&url)
                        .query(&[("did", did), ("name", name.as_str())])
                        .bearer_auth(&token)
                        .header(CONTENT_TYPE, mime)
                        .header(CONTENT_LENGTH, size)
                        .timeout(once.upload_timeout());
                    match body.lock().ok().and_then(|mut b| b.take()) {
                        Some(stream) => request.body(reqwest::Body::wrap_stream(stream)),
                        None => request,
                    }
                },
                Replay::Once,
                &classifier,
            )
            .await;
        let job = match result {
            Ok(response) => {
                let answer: Value = decode_json(response).await?;
                JobStatus::from_answer(&answer).ok_or_else(|| {
                    ProviderError::Rejected(
                        "unexpected answer from the Bluesky video service".into(),
                    )
                })?
            }
            Err(error) => match classifier.take_job() {
                Some(job) if job.blob.is_some() || (!job.job_id.is_empty() && !job.failed()) => job,
                _ => return Err(error),
            },
        };
        self.wait_for_video(job).await
    }

    /// Polls the job until it yields the blob, fails, or the bounded wait ends.
    async fn wait_for_video(&self, job: JobStatus) -> Result<VideoOutcome, ProviderError> {
        if let Some(blob) = job.blob {
            return Ok(VideoOutcome::Ready(blob));
        }
        if job.failed() || job.job_id.is_empty() {
            return Err(ProviderError::Rejected(job.failure_message()));
        }
        let job_id = job.job_id;
        let deadline = Instant::now() + self.video_max_wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::info!(
                    job_id,
                    "Bluesky video still processing; publication pending"
                );
                return Ok(VideoOutcome::Processing(job_id));
            }
            tokio::time::sleep(self.video_poll_interval.min(left)).await;
            match self.job_status(&job_id).await {
                Ok(status) => {
                    if let Some(blob) = status.blob {
                        return Ok(VideoOutcome::Ready(blob));
                    }
                    if status.failed() {
                        return Err(ProviderError::Rejected(status.failure_message()));
                    }
                }
                Err(e) if e.is_retryable() => {
                    tracing::debug!(job_id, "reading the video job failed, polling on: {e}");
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One read of a processing job (public endpoint, no token).
    pub(crate) async fn job_status(&self, job_id: &str) -> Result<JobStatus, ProviderError> {
        let url = format!("{}/xrpc/app.bsky.video.getJobStatus", self.video_url);
        let classifier = VideoClassifier::default();
        let result = self
            .http
            .send(
                || self.http.raw().get(&url).query(&[("jobId", job_id)]),
                Replay::Safe,
                &classifier,
            )
            .await;
        match result {
            Ok(response) => {
                let answer: Value = decode_json(response).await?;
                JobStatus::from_answer(&answer).ok_or_else(|| {
                    ProviderError::Rejected(
                        "unexpected answer from the Bluesky video service".into(),
                    )
                })
            }
            Err(error) => match classifier.take_job() {
                Some(job) if job.blob.is_some() => Ok(job),
                _ => Err(error),
            },
        }
    }

    /// `did:web:<host>` of the account's PDS, from the DID document of the session (the
    /// configured service may be an entryway such as bsky.social that forwards to it).
    async fn pds_audience(&self, service: &str, access: &str) -> Result<String, ProviderError> {
        let url = Self::xrpc(service, "com.atproto.server.getSession");
        let info: SessionInfo = self
            .http
            .json(
                || self.http.raw().get(&url).bearer_auth(access),
                Replay::Safe,
                &XrpcClassifier,
            )
            .await?;
        let endpoint = info
            .did_doc
            .as_ref()
            .and_then(pds_endpoint)
            .unwrap_or_else(|| service.to_string());
        let host = url::Url::parse(&endpoint)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .ok_or_else(|| ProviderError::Config(format!("no host in the PDS URL {endpoint}")))?;
        Ok(format!("did:web:{host}"))
    }

    /// A service token for the video service to upload the processed blob to the PDS.
    async fn upload_token(
        &self,
        service: &str,
        access: &str,
        audience: &str,
    ) -> Result<String, ProviderError> {
        #[derive(serde::Deserialize)]
        struct ServiceToken {
            token: String,
        }
        let url = Self::xrpc(service, "com.atproto.server.getServiceAuth");
        let exp = (chrono::Utc::now().timestamp() + SERVICE_TOKEN_SECS).to_string();
        let answer: ServiceToken = self
            .http
            .json(
                || {
                    self.http
                        .raw()
                        .get(&url)
                        .query(&[
                            ("aud", audience),
                            ("lxm", "com.atproto.repo.uploadBlob"),
                            ("exp", exp.as_str()),
                        ])
                        .bearer_auth(access)
                },
                Replay::Safe,
                &XrpcClassifier,
            )
            .await?;
        Ok(answer.token)
    }
}
