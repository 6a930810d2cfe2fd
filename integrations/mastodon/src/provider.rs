//! The Mastodon [`Provider`].

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use postiz_provider::http::decode_json;
use postiz_provider::oauth::{Pkce, random_token, token_request};
use postiz_provider::{
    AuthFlow, AuthUrl, AuthUrlRequest, AuthenticateRequest, AuthenticatedAccount, Capabilities,
    ChannelAuth, EditorFormat, ErrorClassifier, HttpClient, MediaItem, MediaKind, MediaRules,
    PostItem, Provider, ProviderError, PublishOutcome, PublishedRef, Replay, RetryPolicy, TokenSet,
};
use reqwest::multipart::{Form, Part};
use reqwest::{Body, StatusCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::errors::{MastodonClassifier, TokenClassifier};
use crate::length::status_length;

/// Longest status, as Postiz declares it (Mastodon's default `max_characters`).
pub const MAX_LENGTH: usize = 500;

/// Scopes Postiz requests. `profile` (Mastodon 4.3+) only allows `verify_credentials`.
pub const SCOPES: [&str; 3] = ["write:statuses", "profile", "write:media"];

/// Longest pause between two checks of a processing media attachment.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(10);

/// Marker returned by the media-check classifier for a 404: the attachment is not (or no
/// longer) an unattached upload of this account.
const MEDIA_GONE: &str = "media attachment lookup";

/// Everything the provider is built with.
#[derive(Clone)]
pub struct MastodonSettings {
    pub client_id: String,
    pub client_secret: String,
    /// Base URL of the instance new channels connect to, without a trailing slash.
    pub instance: String,
    /// Default OAuth redirect URI (`{FRONTEND_URL}/integrations/social/mastodon`).
    pub redirect_uri: String,
    /// Send PKCE (S256) parameters with the authorization request.
    pub pkce: bool,
    /// How long `publish` waits in place for uploaded media to finish processing before
    /// answering `Pending`.
    pub media_wait: Duration,
    /// First pause between media checks; doubled after each check, up to 10 seconds.
    pub poll_interval: Duration,
}

/// Publishes statuses to a Mastodon instance.
pub struct MastodonProvider {
    caps: Capabilities,
    http: HttpClient,
    settings: MastodonSettings,
}

/// `GET /api/v1/accounts/verify_credentials` (CredentialAccount, the fields we use).
#[derive(Debug, Deserialize)]
struct Account {
    id: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    acct: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    avatar: Option<String>,
}

/// A MediaAttachment; `url` is null while the full-size file is still processing.
#[derive(Debug, Deserialize)]
struct MediaAttachment {
    id: String,
    #[serde(default)]
    url: Option<String>,
}

/// A Status (the fields we use); `url` is nullable, `uri` is the federation URI.
#[derive(Debug, Deserialize)]
struct Status {
    id: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    uri: Option<String>,
}

/// A status waiting for its media to finish processing: the `Pending` data and what
/// `check_status` needs to create the status once the media are ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PendingStatus {
    status: String,
    media_ids: Vec<String>,
    idempotency_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    in_reply_to_id: Option<String>,
}

enum MediaState {
    Ready,
    Processing,
    /// 404: not an unattached upload of this account any more (already attached by an earlier
    /// attempt whose answer was lost, or expired); the status creation gives the verdict.
    Gone,
}

/// Media checks: 404 is reported with a marker, 422 means processing failed.
struct MediaCheckClassifier;

impl ErrorClassifier for MediaCheckClassifier {
    fn message(&self, status: StatusCode, body: &str) -> String {
        MastodonClassifier.message(status, body)
    }

    fn classify(
        &self,
        status: StatusCode,
        headers: &reqwest::header::HeaderMap,
        body: &str,
    ) -> ProviderError {
        match status {
            StatusCode::NOT_FOUND => ProviderError::Unsupported(MEDIA_GONE),
            StatusCode::UNPROCESSABLE_ENTITY => ProviderError::Rejected(format!(
                "Mastodon could not process the media: {}",
                self.message(status, body)
            )),
            _ => MastodonClassifier.classify(status, headers, body),
        }
    }
}

impl MastodonProvider {
    pub fn new(http: HttpClient, settings: MastodonSettings) -> Self {
        let caps = Capabilities {
            identifier: crate::IDENTIFIER,
            name: "Mastodon",
            tool_tip: None,
            editor: EditorFormat::Normal,
            auth_flow: AuthFlow::OAuth2 {
                pkce: settings.pkce,
            },
            scopes: SCOPES.iter().map(|s| (*s).to_string()).collect(),
            between_steps: false,
            supports_comments: true,
            async_processing: true,
            // Mastodon access tokens do not expire and no refresh token is issued.
            refreshable: false,
            // As Postiz: instances have generous per-account limits.
            max_concurrent_jobs: 5,
            // Documented: up to 4 images, or a single video (or animated GIF), per status.
            media: MediaRules::four_images_or_one_video(),
            custom_fields: Vec::new(),
            is_web3: false,
            strip_links: false,
        };
        Self {
            caps,
            http,
            settings,
        }
    }

    fn redirect_uri<'a>(&'a self, requested: &'a str) -> &'a str {
        if requested.trim().is_empty() {
            &self.settings.redirect_uri
        } else {
            requested
        }
    }

    /// The instance of a channel: the one saved at connect time, else the configured one
    /// (channels connected before the instance was saved).
    fn instance_of(&self, channel: &ChannelAuth) -> Result<String, ProviderError> {
        let saved = channel
            .custom
            .as_ref()
            .and_then(|c| c.get("instance"))
            .and_then(|v| v.as_str())
            .map(|s| s.trim().trim_end_matches('/'))
            .filter(|s| !s.is_empty());
        match saved {
            None => Ok(self.settings.instance.clone()),
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                Ok(url.to_string())
            }
            Some(_) => Err(ProviderError::Config(
                "the channel's saved Mastodon instance is not an http(s) URL".into(),
            )),
        }
    }

    fn token<'a>(&self, channel: &'a ChannelAuth) -> Result<&'a str, ProviderError> {
        let token = channel.tokens.access_token.as_str();
        if token.is_empty() {
            return Err(ProviderError::Disconnected(
                "the channel has no access token".into(),
            ));
        }
        Ok(token)
    }

    async fn verify_credentials(
        &self,
        instance: &str,
        token: &str,
    ) -> Result<Account, ProviderError> {
        let url = format!("{instance}/api/v1/accounts/verify_credentials");
        self.http
            .json(
                || self.http.raw().get(&url).bearer_auth(token),
                Replay::Safe,
                &MastodonClassifier,
            )
            .await
    }

    /// Uploads one media file with `POST /api/v2/media`, the alt text as `description`.
    /// Uploading again after a failure is harmless (at worst an unattached attachment, which
    /// the instance deletes), so images are sent with `Replay::Safe`.
    async fn upload(
        &self,
        instance: &str,
        token: &str,
        media: &MediaItem,
    ) -> Result<MediaAttachment, ProviderError> {
        let url = format!("{instance}/api/v2/media");
        let mime = if media.mime_type.trim().is_empty() {
            "application/octet-stream"
        } else {
            media.mime_type.trim()
        };
        // The instance needs the file's MIME type; check it parses before building parts.
        Part::bytes(Vec::new()).mime_str(mime).map_err(|_| {
            ProviderError::Rejected(format!("the media has an invalid MIME type: {mime}"))
        })?;
        let file_name = file_name(media);
        let description = media
            .alt
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        let form = |body: Body, len: u64| {
            let part = Part::stream_with_length(body, len).file_name(file_name.clone());
            let part = match part.mime_str(mime) {
                Ok(p) => p,
                // Unreachable: the MIME type was checked above.
                Err(_) => Part::bytes(Vec::new()),
            };
            let form = Form::new().part("file", part);
            match &description {
                Some(d) => form.text("description", d.clone()),
                None => form,
            }
        };

        let response = match media.kind {
            MediaKind::Image => {
                let bytes = media.source.bytes().await?;
                let len = bytes.len() as u64;
                self.http
                    .send(
                        || {
                            self.http
                                .raw()
                                .post(&url)
                                .bearer_auth(token)
                                .multipart(form(Body::from(bytes.clone()), len))
                        },
                        Replay::Safe,
                        &MastodonClassifier,
                    )
                    .await?
            }
            MediaKind::Video => {
                // Mastodon has no chunked upload; the video is streamed from storage in one
                // multipart request with its exact length, never held whole in memory. A
                // stream cannot be replayed, so this request is attempted once; a failure
                // goes back to the scheduler (nothing was published yet).
                let len = media.source.size().await?;
                let stream = media.source.stream().await?;
                let slot = Mutex::new(Some(form(Body::wrap_stream(stream), len)));
                let once = self.http.with_retry(RetryPolicy::none());
                let timeout = self.http.upload_timeout();
                once.send(
                    || {
                        let request = once.raw().post(&url).bearer_auth(token).timeout(timeout);
                        match slot.lock().ok().and_then(|mut f| f.take()) {
                            Some(form) => request.multipart(form),
                            None => request,
                        }
                    },
                    Replay::Safe,
                    &MastodonClassifier,
                )
                .await?
            }
        };
        decode_json(response).await
    }

    /// One check of an uploaded attachment with `GET /api/v1/media/:id`: 206 while
    /// processing, 200 with a `url` once done.
    async fn media_state(
        &self,
        instance: &str,
        token: &str,
        id: &str,
    ) -> Result<MediaState, ProviderError> {
        let url = format!("{instance}/api/v1/media/{}", path_segment(id));
        let response = self
            .http
            .send(
                || self.http.raw().get(&url).bearer_auth(token),
                Replay::Safe,
                &MediaCheckClassifier,
            )
            .await;
        match response {
            Ok(r) if r.status() == StatusCode::PARTIAL_CONTENT => Ok(MediaState::Processing),
            Ok(r) => {
                let media: MediaAttachment = decode_json(r).await?;
                Ok(if media.url.is_some() {
                    MediaState::Ready
                } else {
                    MediaState::Processing
                })
            }
            Err(ProviderError::Unsupported(MEDIA_GONE)) => Ok(MediaState::Gone),
            Err(e) => Err(e),
        }
    }

    /// The attachments among `ids` that are still processing.
    async fn still_processing(
        &self,
        instance: &str,
        token: &str,
        ids: &[String],
    ) -> Result<Vec<String>, ProviderError> {
        let mut processing = Vec::new();
        for id in ids {
            match self.media_state(instance, token, id).await? {
                MediaState::Ready => {}
                MediaState::Gone => {
                    tracing::warn!(media_id = %id, "Mastodon no longer lists an uploaded attachment");
                }
                MediaState::Processing => processing.push(id.clone()),
            }
        }
        Ok(processing)
    }

    /// Waits, within the configured bound and with a doubling pause, for the attachments to
    /// finish processing. Returns whether they all did.
    async fn wait_for_media(
        &self,
        instance: &str,
        token: &str,
        ids: &[String],
    ) -> Result<bool, ProviderError> {
        let deadline = Instant::now() + self.settings.media_wait;
        let cap = MAX_POLL_INTERVAL.max(self.settings.poll_interval);
        let mut pause = self.settings.poll_interval;
        let mut pending = ids.to_vec();
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = pause.saturating_mul(2).min(cap);
            match self.still_processing(instance, token, &pending).await {
                Ok(left) if left.is_empty() => return Ok(true),
                Ok(left) => pending = left,
                // A failed check says nothing about the media: keep checking until the bound.
                Err(ProviderError::Transient(e)) => {
                    tracing::debug!(error = %e, "Mastodon media check failed; checking again");
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// `POST /api/v1/statuses`. Sent once (`Replay::Once`); the `Idempotency-Key` makes any
    /// later retry of the same item within the hour Mastodon keeps keys return the status
    /// already created instead of a duplicate.
    async fn create_status(
        &self,
        instance: &str,
        token: &str,
        draft: &PendingStatus,
    ) -> Result<PublishOutcome, ProviderError> {
        let url = format!("{instance}/api/v1/statuses");
        let mut form: Vec<(&str, &str)> =
            vec![("status", draft.status.as_str()), ("visibility", "public")];
        for id in &draft.media_ids {
            form.push(("media_ids[]", id.as_str()));
        }
        if let Some(parent) = &draft.in_reply_to_id {
            form.push(("in_reply_to_id", parent.as_str()));
        }
        let status: Status = self
            .http
            .json(
                || {
                    self.http
                        .raw()
                        .post(&url)
                        .bearer_auth(token)
                        .header("Idempotency-Key", draft.idempotency_key.as_str())
                        .form(&form)
                },
                Replay::Once,
                &MastodonClassifier,
            )
            .await?;
        let link = status
            .url
            .filter(|u| !u.is_empty())
            .or(status.uri.filter(|u| !u.is_empty()))
            .unwrap_or_else(|| format!("{instance}/statuses/{}", status.id));
        Ok(PublishOutcome::published(status.id, link))
    }

    /// Uploads the media of an item, waits for them within the bound, then creates the status
    /// (a reply when `in_reply_to` is given).
    async fn post_item(
        &self,
        channel: &ChannelAuth,
        item: &PostItem,
        in_reply_to: Option<&str>,
    ) -> Result<PublishOutcome, ProviderError> {
        let instance = self.instance_of(channel)?;
        let token = self.token(channel)?;
        let mut media_ids = Vec::with_capacity(item.media.len());
        let mut processing = Vec::new();
        for media in &item.media {
            let attachment = self.upload(&instance, token, media).await?;
            if attachment.url.is_none() {
                processing.push(attachment.id.clone());
            }
            media_ids.push(attachment.id);
        }
        let draft = PendingStatus {
            status: item.message.clone(),
            media_ids,
            idempotency_key: idempotency_key(item, in_reply_to),
            in_reply_to_id: in_reply_to.map(str::to_string),
        };
        if !processing.is_empty() && !self.wait_for_media(&instance, token, &processing).await? {
            tracing::info!(
                post_item = %item.id,
                media = processing.len(),
                "Mastodon media still processing; the status will be created by check_status"
            );
            let data = serde_json::to_value(&draft)
                .map_err(|e| ProviderError::Config(format!("cannot encode pending data: {e}")))?;
            return Ok(PublishOutcome::Pending { data });
        }
        self.create_status(&instance, token, &draft).await
    }
}

#[async_trait]
impl Provider for MastodonProvider {
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn max_length(&self, _channel: &ChannelAuth, _settings: &serde_json::Value) -> usize {
        MAX_LENGTH
    }

    fn text_length(&self, text: &str) -> usize {
        status_length(text)
    }

    async fn auth_url(&self, request: AuthUrlRequest) -> Result<AuthUrl, ProviderError> {
        let state = random_token(32);
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", self.redirect_uri(&request.redirect_uri))
            .append_pair("scope", &SCOPES.join(" "))
            .append_pair("state", &state);
        let code_verifier = if self.settings.pkce {
            // Documented for Mastodon 4.3+; older servers (no PKCE columns in Doorkeeper's
            // grants table) ignore both parameters and the verifier.
            let pkce = Pkce::generate();
            query
                .append_pair("code_challenge", &pkce.challenge)
                .append_pair("code_challenge_method", "S256");
            pkce.verifier
        } else {
            String::new()
        };
        Ok(AuthUrl {
            url: format!(
                "{}/oauth/authorize?{}",
                self.settings.instance,
                query.finish()
            ),
            code_verifier,
            state,
        })
    }

    async fn authenticate(
        &self,
        request: AuthenticateRequest,
    ) -> Result<AuthenticatedAccount, ProviderError> {
        let instance = self.settings.instance.clone();
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", request.code.as_str()),
            ("client_id", self.settings.client_id.as_str()),
            ("client_secret", self.settings.client_secret.as_str()),
            ("redirect_uri", self.redirect_uri(&request.redirect_uri)),
        ];
        if !request.code_verifier.is_empty() {
            form.push(("code_verifier", request.code_verifier.as_str()));
        }
        let answer = token_request(
            &self.http,
            &format!("{instance}/oauth/token"),
            &form,
            &TokenClassifier,
        )
        .await?;
        check_granted_scopes(&answer.granted_scopes())?;
        let mut tokens: TokenSet = answer.into_token_set();
        // Mastodon tokens live until revoked.
        tokens.expires_in = None;
        let account = self
            .verify_credentials(&instance, &tokens.access_token)
            .await?;
        let username = if account.username.is_empty() {
            account.acct.clone()
        } else {
            account.username.clone()
        };
        let name = if account.display_name.trim().is_empty() {
            username.clone()
        } else {
            account.display_name.trim().to_string()
        };
        Ok(AuthenticatedAccount {
            id: account.id,
            name,
            username,
            picture: account.avatar.filter(|a| !a.is_empty()),
            tokens,
            additional_settings: Vec::new(),
            custom: Some(serde_json::json!({ "instance": instance })),
        })
    }

    /// Mastodon tokens do not expire: the stored tokens are returned unchanged.
    async fn refresh(&self, channel: &ChannelAuth) -> Result<TokenSet, ProviderError> {
        Ok(channel.tokens.clone())
    }

    async fn publish(
        &self,
        channel: &ChannelAuth,
        item: &PostItem,
    ) -> Result<PublishOutcome, ProviderError> {
        self.post_item(channel, item, None).await
    }

    async fn comment(
        &self,
        channel: &ChannelAuth,
        _root: &PublishedRef,
        parent: &PublishedRef,
        item: &PostItem,
    ) -> Result<PublishOutcome, ProviderError> {
        self.post_item(channel, item, Some(&parent.id)).await
    }

    /// Checks once whether the media of a pending status finished processing, and creates the
    /// status (with its idempotency key) when they did.
    async fn check_status(
        &self,
        channel: &ChannelAuth,
        pending: &serde_json::Value,
    ) -> Result<PublishOutcome, ProviderError> {
        let draft: PendingStatus = serde_json::from_value(pending.clone())
            .map_err(|e| ProviderError::Config(format!("unreadable pending Mastodon data: {e}")))?;
        let instance = self.instance_of(channel)?;
        let token = self.token(channel)?;
        let processing = match self
            .still_processing(&instance, token, &draft.media_ids)
            .await
        {
            Ok(processing) => processing,
            // A failed check says nothing about the media: check again later.
            Err(ProviderError::Transient(e)) => {
                tracing::debug!(error = %e, "Mastodon media check failed; still pending");
                draft.media_ids.clone()
            }
            Err(e) => return Err(e),
        };
        if !processing.is_empty() {
            return Ok(PublishOutcome::Pending {
                data: pending.clone(),
            });
        }
        self.create_status(&instance, token, &draft).await
    }
}

/// Fails when the token answer lists scopes and one we need is missing. Mastodon scopes are
/// hierarchical: `write` covers `write:statuses`.
fn check_granted_scopes(granted: &[String]) -> Result<(), ProviderError> {
    if granted.is_empty() {
        return Ok(());
    }
    let missing: Vec<&str> = SCOPES
        .iter()
        .copied()
        .filter(|scope| {
            let parent = scope.split(':').next().unwrap_or(scope);
            !granted.iter().any(|g| g == scope || g == parent)
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ProviderError::InsufficientScopes(missing.join(", ")))
    }
}

/// A stable key per item and content: a retry of the same publication reuses it (Mastodon
/// then returns the status it already created, for up to an hour), while an edited item or a
/// reply to another parent gets a new one.
fn idempotency_key(item: &PostItem, in_reply_to: Option<&str>) -> String {
    let mut hash = Sha256::new();
    for field in [
        item.id.as_str(),
        in_reply_to.unwrap_or(""),
        item.message.as_str(),
    ] {
        hash.update(field.as_bytes());
        hash.update([0u8]);
    }
    for media in &item.media {
        hash.update(media.url.as_bytes());
        hash.update([0u8]);
        hash.update(media.alt.as_deref().unwrap_or("").as_bytes());
        hash.update([0u8]);
    }
    let digest = hash.finalize();
    let hex: String = digest[..20].iter().map(|b| format!("{b:02x}")).collect();
    format!("postiz-{hex}")
}

/// The file name sent with an upload: the last segment of the media URL.
fn file_name(media: &MediaItem) -> String {
    let path = media.url.split(['?', '#']).next().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default().trim();
    if name.is_empty() {
        match media.kind {
            MediaKind::Image => "image".to_string(),
            MediaKind::Video => "video".to_string(),
        }
    } else {
        name.to_string()
    }
}

fn path_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn item(id: &str, message: &str) -> PostItem {
        PostItem {
            id: id.into(),
            message: message.into(),
            media: Vec::new(),
            settings: serde_json::json!({}),
        }
    }

    #[test]
    fn idempotency_keys_follow_item_and_content() {
        let a = idempotency_key(&item("1", "hello"), None);
        assert_eq!(a, idempotency_key(&item("1", "hello"), None));
        assert!(a.starts_with("postiz-") && a.len() == "postiz-".len() + 40);
        assert_ne!(a, idempotency_key(&item("2", "hello"), None));
        assert_ne!(a, idempotency_key(&item("1", "hello!"), None));
        assert_ne!(a, idempotency_key(&item("1", "hello"), Some("99")));
    }

    #[test]
    fn scopes_check_accepts_parents() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
        assert!(check_granted_scopes(&[]).is_ok());
        assert!(check_granted_scopes(&s(&["write:statuses", "profile", "write:media"])).is_ok());
        assert!(check_granted_scopes(&s(&["write", "profile"])).is_ok());
        assert_eq!(
            check_granted_scopes(&s(&["write:statuses", "profile"])),
            Err(ProviderError::InsufficientScopes("write:media".into()))
        );
    }

    #[test]
    fn file_names() {
        let media = |url: &str, kind| MediaItem {
            kind,
            mime_type: "image/png".into(),
            url: url.into(),
            alt: None,
            thumbnail_url: None,
            source: Arc::new(postiz_provider::InMemoryMedia(Default::default())),
        };
        assert_eq!(
            file_name(&media("https://cdn/x/a.png?sig=1", MediaKind::Image)),
            "a.png"
        );
        assert_eq!(file_name(&media("", MediaKind::Video)), "video");
    }
}
