//! The Bluesky provider (`bluesky`), over the AT Protocol's XRPC HTTP API.
//!
//! # Connecting
//! Bluesky is a credentials network: the dashboard shows the custom fields `service` (the PDS,
//! `https://bsky.social` by default), `identifier` (handle, DID or email) and `password` (an app
//! password; two-factor sign-in codes are not supported) and posts them as base64 JSON in `code`.
//! [`Provider::authenticate`] opens a session with `com.atproto.server.createSession`, reads the
//! profile with `app.bsky.actor.getProfile`, and keeps the credentials in the channel's sealed
//! `custom` data: `{"service", "identifier", "password"}`.
//!
//! # Tokens
//! The access token is the session's `accessJwt` (its lifetime read from the JWT `exp`), the
//! refresh token its `refreshJwt`. [`Provider::refresh`] calls `com.atproto.server.refreshSession`;
//! when the refresh JWT itself is expired or revoked it logs in again with the stored app
//! password, so a channel only needs reconnecting when the app password was revoked
//! ([`ProviderError::Disconnected`]).
//!
//! # Publishing
//! A post is an `app.bsky.feed.post` record created with `com.atproto.repo.createRecord` in the
//! channel's repository (its DID). Links, mentions and hashtags become rich-text facets with UTF-8
//! byte offsets ([`richtext`]); mentions are resolved with `com.atproto.identity.resolveHandle` and
//! dropped when the handle does not resolve. Images (at most four, each at most 1,000,000 bytes as
//! the `app.bsky.embed.images` lexicon allows; larger ones are rejected, not downsized) go through
//! `com.atproto.repo.uploadBlob`. A video (at most one, 100,000,000 bytes) follows the documented
//! video-service flow: a service token from `com.atproto.server.getServiceAuth` (audience the
//! account's PDS, bound to `com.atproto.repo.uploadBlob`, 30 minutes), a streamed
//! `app.bsky.video.uploadVideo`, then `app.bsky.video.getJobStatus` until the job yields the blob.
//! That polling is bounded (`video_max_wait_secs`); a video still processing then returns
//! [`PublishOutcome::Pending`] and [`Provider::check_status`] creates the post once the blob exists.
//!
//! The release id is the post's `at://` URI; the release URL is
//! `https://bsky.app/profile/<handle>/post/<rkey>`. Thread items reply with
//! `{root, parent}` strong references whose CIDs are read with `com.atproto.repo.getRecord`.
//!
//! # Configuration (`[providers.bluesky]`)
//! No client id or secret: every channel brings its own credentials, so the provider is always
//! built. URL names:
//! - `service`: the default PDS when a channel stored none (`https://bsky.social`);
//! - `video`: the video service (`https://video.bsky.app`);
//! - `web`: the web app for release URLs (`https://bsky.app`).
//!
//! Options:
//! - `disable_ssrf_protection` (`true`/`false`, env `DISABLE_SSRF_PROTECTION` as in Postiz): accept
//!   service URLs on private addresses or plain HTTP at connect time (a service URL typed by the
//!   user must otherwise be HTTPS and resolve to public addresses; the configured default is
//!   trusted);
//! - `video_poll_interval_ms` (default 3000): pause between job status reads;
//! - `video_max_wait_secs` (default 120): how long a publication waits for video processing
//!   before answering pending.

pub mod richtext;
mod service;
mod video;
mod xrpc;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use postiz_provider::config::ConfigField;
use postiz_provider::oauth;
use postiz_provider::{
    AuthFlow, AuthUrl, AuthUrlRequest, AuthenticateRequest, AuthenticatedAccount, BuildError,
    Capabilities, ChannelAuth, CustomField, EditorFormat, EnvBinding, FieldType, HttpClient,
    MediaKind, MediaRules, MediaSummary, PostItem, Provider, ProviderConfig, ProviderContext,
    ProviderError, ProviderFactory, PublishOutcome, PublishedRef, Replay, TokenSet, async_trait,
    validate_media_rules,
};
use serde_json::{Value, json};
use unicode_segmentation::UnicodeSegmentation;

use crate::richtext::FacetKind;
use crate::video::VideoOutcome;
use crate::xrpc::{Profile, RecordRef, Session, XrpcClassifier};

/// The provider identifier.
pub const IDENTIFIER: &str = "bluesky";
/// Default PDS (the `service` custom field's default).
pub const DEFAULT_SERVICE: &str = "https://bsky.social";
/// Default video service.
pub const DEFAULT_VIDEO_SERVICE: &str = "https://video.bsky.app";
/// Default web app used in release URLs.
pub const DEFAULT_WEB: &str = "https://bsky.app";

/// `app.bsky.feed.post` text limit, in graphemes (Postiz `maxLength`).
const MAX_GRAPHEMES: usize = 300;
/// `app.bsky.embed.images#image.image.maxSize`.
const MAX_IMAGE_BYTES: u64 = 1_000_000;
const POST_COLLECTION: &str = "app.bsky.feed.post";

const ENV_BINDINGS: &[EnvBinding] = &[EnvBinding::new(
    "DISABLE_SSRF_PROTECTION",
    ConfigField::Option("disable_ssrf_protection"),
)];

/// Builds the Bluesky provider.
pub struct BlueskyFactory;

impl ProviderFactory for BlueskyFactory {
    fn identifiers(&self) -> &'static [&'static str] {
        &[IDENTIFIER]
    }

    fn env_bindings(&self, identifier: &str) -> &'static [EnvBinding] {
        if identifier == IDENTIFIER {
            ENV_BINDINGS
        } else {
            &[]
        }
    }

    fn build(
        &self,
        identifier: &str,
        config: &ProviderConfig,
        context: &ProviderContext,
    ) -> Result<Arc<dyn Provider>, BuildError> {
        if identifier != IDENTIFIER {
            return Err(BuildError::Invalid(format!(
                "the Bluesky factory does not build `{identifier}`"
            )));
        }
        Ok(Arc::new(BlueskyProvider::new(
            config,
            context.http.clone(),
        )?))
    }
}

/// The Bluesky provider; see the crate documentation.
pub struct BlueskyProvider {
    caps: Capabilities,
    http: HttpClient,
    default_service: String,
    video_url: String,
    web_url: String,
    allow_private_service: bool,
    video_poll_interval: Duration,
    video_max_wait: Duration,
}

fn bool_option(config: &ProviderConfig, name: &str) -> Result<bool, BuildError> {
    match config.option(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => Ok(false),
        Some(v) => Err(BuildError::Invalid(format!(
            "option `{name}` must be true or false, not `{v}`"
        ))),
    }
}

fn u64_option(config: &ProviderConfig, name: &str, default: u64) -> Result<u64, BuildError> {
    match config.option(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| {
            BuildError::Invalid(format!("option `{name}` must be a whole number, not `{v}`"))
        }),
    }
}

/// The credential fields, exactly as Postiz declares them (keys, labels, regexes, types).
fn custom_fields() -> Vec<CustomField> {
    vec![
        CustomField {
            key: "service".into(),
            label: "Service".into(),
            default_value: Some(DEFAULT_SERVICE.into()),
            validation: r"/^(https?:\/\/)?((([a-zA-Z0-9\-_]{1,256}\.[a-zA-Z]{2,6})|(([0-9]{1,3}\.){3}[0-9]{1,3}))(:[0-9]{1,5})?)(\/[^\s]*)?$/".into(),
            field_type: FieldType::Text,
            hint: None,
        },
        CustomField {
            key: "identifier".into(),
            label: "Identifier".into(),
            default_value: None,
            validation: "/^.+$/".into(),
            field_type: FieldType::Text,
            hint: None,
        },
        CustomField {
            key: "password".into(),
            label: "Password".into(),
            default_value: None,
            validation: "/^.{3,}$/".into(),
            field_type: FieldType::Password,
            hint: None,
        },
    ]
}

fn capabilities() -> Capabilities {
    Capabilities {
        identifier: IDENTIFIER,
        name: "Bluesky",
        tool_tip: Some(
            "Two-factor sign-in is not supported: connect with an app password (Bluesky settings, Privacy and security, App passwords).",
        ),
        editor: EditorFormat::Normal,
        auth_flow: AuthFlow::Credentials,
        scopes: Vec::new(),
        between_steps: false,
        supports_comments: true,
        async_processing: true,
        refreshable: true,
        max_concurrent_jobs: 2,
        media: MediaRules::four_images_or_one_video(),
        custom_fields: custom_fields(),
        is_web3: false,
        strip_links: false,
    }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn custom_str<'a>(channel: &'a ChannelAuth, key: &str) -> Option<&'a str> {
    non_empty(channel.custom.as_ref()?.get(key)?.as_str())
}

/// Splits `at://<repo>/<collection>/<rkey>`.
fn parse_at_uri(uri: &str) -> Option<(&str, &str, &str)> {
    let rest = uri.strip_prefix("at://")?;
    let mut parts = rest.splitn(3, '/');
    let repo = parts.next().filter(|p| !p.is_empty())?;
    let collection = parts.next().filter(|p| !p.is_empty())?;
    let rkey = parts.next().filter(|p| !p.is_empty() && !p.contains('/'))?;
    Some((repo, collection, rkey))
}

/// Up to three language tags from the post settings (`langs`: an array or a comma list).
fn langs(settings: &Value) -> Option<Value> {
    let list: Vec<String> = match settings.get("langs")? {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Value::String(s) => s.split(',').map(str::to_string).collect(),
        _ => return None,
    };
    let list: Vec<String> = list
        .into_iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .take(3)
        .collect();
    (!list.is_empty()).then(|| json!(list))
}

impl BlueskyProvider {
    /// Builds the provider from its configuration.
    pub fn new(config: &ProviderConfig, http: HttpClient) -> Result<Self, BuildError> {
        Ok(Self {
            caps: capabilities(),
            http,
            default_service: service::normalize(&config.url("service", DEFAULT_SERVICE)),
            video_url: config.url("video", DEFAULT_VIDEO_SERVICE),
            web_url: config.url("web", DEFAULT_WEB),
            allow_private_service: bool_option(config, "disable_ssrf_protection")?,
            video_poll_interval: Duration::from_millis(u64_option(
                config,
                "video_poll_interval_ms",
                3000,
            )?),
            video_max_wait: Duration::from_secs(u64_option(config, "video_max_wait_secs", 120)?),
        })
    }

    fn xrpc(service: &str, nsid: &str) -> String {
        format!("{service}/xrpc/{nsid}")
    }

    /// The channel's PDS: the one stored at connect time, else the configured default.
    fn service_of(&self, channel: &ChannelAuth) -> String {
        custom_str(channel, "service")
            .map(service::normalize)
            .unwrap_or_else(|| self.default_service.clone())
    }

    /// The channel's repository (its DID).
    fn repo_of(channel: &ChannelAuth) -> Result<&str, ProviderError> {
        non_empty(Some(channel.internal_id.as_str()))
            .ok_or_else(|| ProviderError::Config("the channel has no Bluesky DID".into()))
    }

    fn post_url(&self, channel: &ChannelAuth, uri: &str) -> String {
        let rkey = uri.rsplit('/').next().unwrap_or_default();
        let who = non_empty(Some(channel.username.as_str())).unwrap_or(&channel.internal_id);
        format!("{}/profile/{who}/post/{rkey}", self.web_url)
    }

    async fn create_session(
        &self,
        service: &str,
        identifier: &str,
        password: &str,
    ) -> Result<Session, ProviderError> {
        let url = Self::xrpc(service, "com.atproto.server.createSession");
        let body = json!({ "identifier": identifier, "password": password });
        let session: Session = self
            .http
            .json(
                || self.http.raw().post(&url).json(&body),
                Replay::Safe,
                &XrpcClassifier,
            )
            .await?;
        session.checked()
    }

    async fn refresh_session(
        &self,
        service: &str,
        refresh_jwt: &str,
    ) -> Result<Session, ProviderError> {
        let url = Self::xrpc(service, "com.atproto.server.refreshSession");
        let session: Session = self
            .http
            .json(
                || self.http.raw().post(&url).bearer_auth(refresh_jwt),
                Replay::Safe,
                &XrpcClassifier,
            )
            .await?;
        session.checked()
    }

    /// Logs in again with the app password stored at connect time.
    async fn relogin(
        &self,
        service: &str,
        channel: &ChannelAuth,
    ) -> Result<TokenSet, ProviderError> {
        let (Some(identifier), Some(password)) = (
            custom_str(channel, "identifier"),
            custom_str(channel, "password"),
        ) else {
            return Err(ProviderError::Disconnected(
                "the Bluesky session expired and no app password is stored".into(),
            ));
        };
        let session = match self.create_session(service, identifier, password).await {
            Ok(session) => session,
            Err(ProviderError::RefreshNeeded(m) | ProviderError::Rejected(m)) => {
                return Err(ProviderError::Disconnected(format!(
                    "Bluesky refused the stored app password: {m}"
                )));
            }
            Err(e) => return Err(e),
        };
        session.ensure_active()?;
        if !channel.internal_id.is_empty() && session.did != channel.internal_id {
            return Err(ProviderError::Disconnected(
                "the stored credentials now open another Bluesky account".into(),
            ));
        }
        Ok(session.token_set())
    }

    async fn get_profile(&self, service: &str, access: &str, did: &str) -> Option<Profile> {
        let url = Self::xrpc(service, "app.bsky.actor.getProfile");
        let result: Result<Profile, ProviderError> = self
            .http
            .json(
                || {
                    self.http
                        .raw()
                        .get(&url)
                        .query(&[("actor", did)])
                        .bearer_auth(access)
                },
                Replay::Safe,
                &XrpcClassifier,
            )
            .await;
        match result {
            Ok(profile) => Some(profile),
            Err(e) => {
                tracing::warn!(class = e.class(), "reading the Bluesky profile failed: {e}");
                None
            }
        }
    }

    /// The DID of a handle, or `None` when it does not resolve.
    async fn resolve_handle(
        &self,
        service: &str,
        handle: &str,
    ) -> Result<Option<String>, ProviderError> {
        #[derive(serde::Deserialize)]
        struct Resolved {
            did: String,
        }
        let url = Self::xrpc(service, "com.atproto.identity.resolveHandle");
        let result: Result<Resolved, ProviderError> = self
            .http
            .json(
                || self.http.raw().get(&url).query(&[("handle", handle)]),
                Replay::Safe,
                &XrpcClassifier,
            )
            .await;
        match result {
            Ok(r) if !r.did.is_empty() => Ok(Some(r.did)),
            Ok(_) => Ok(None),
            Err(e) if e.is_retryable() => Err(e),
            Err(e) => {
                tracing::debug!(handle, "mention left as text: {e}");
                Ok(None)
            }
        }
    }

    /// The rich-text facets of a text, with mentions resolved to DIDs.
    async fn facets(&self, service: &str, text: &str) -> Result<Vec<Value>, ProviderError> {
        let mut resolved: HashMap<String, Option<String>> = HashMap::new();
        let mut facets = Vec::new();
        for facet in richtext::detect(text) {
            let feature = match facet.kind {
                FacetKind::Mention(handle) => {
                    let key = handle.to_ascii_lowercase();
                    let did = match resolved.get(&key) {
                        Some(did) => did.clone(),
                        None => {
                            let did = self.resolve_handle(service, &handle).await?;
                            resolved.insert(key, did.clone());
                            did
                        }
                    };
                    let Some(did) = did else { continue };
                    json!({ "$type": "app.bsky.richtext.facet#mention", "did": did })
                }
                FacetKind::Link(uri) => {
                    json!({ "$type": "app.bsky.richtext.facet#link", "uri": uri })
                }
                FacetKind::Tag(tag) => {
                    json!({ "$type": "app.bsky.richtext.facet#tag", "tag": tag })
                }
            };
            facets.push(json!({
                "index": { "byteStart": facet.byte_start, "byteEnd": facet.byte_end },
                "features": [feature],
            }));
        }
        Ok(facets)
    }

    /// Uploads one image and returns its `app.bsky.embed.images#image` entry.
    async fn upload_image(
        &self,
        service: &str,
        access: &str,
        position: usize,
        media: &postiz_provider::MediaItem,
    ) -> Result<Value, ProviderError> {
        let too_large = |size: u64| {
            ProviderError::Rejected(format!(
                "Image {position} is {size} bytes; Bluesky accepts images up to 1,000,000 bytes. Please use a smaller image."
            ))
        };
        let size = media.source.size().await?;
        if size > MAX_IMAGE_BYTES {
            return Err(too_large(size));
        }
        let bytes = media.source.bytes().await?;
        if bytes.len() as u64 > MAX_IMAGE_BYTES {
            return Err(too_large(bytes.len() as u64));
        }
        let mime = non_empty(Some(media.mime_type.as_str())).unwrap_or("image/jpeg");
        let url = Self::xrpc(service, "com.atproto.repo.uploadBlob");
        #[derive(serde::Deserialize)]
        struct Uploaded {
            blob: Value,
        }
        let uploaded: Uploaded = self
            .http
            .json(
                || {
                    self.http
                        .raw()
                        .post(&url)
                        .bearer_auth(access)
                        .header(reqwest::header::CONTENT_TYPE, mime)
                        .body(bytes.clone())
                },
                Replay::Safe,
                &XrpcClassifier,
            )
            .await?;
        let mut entry = json!({
            "alt": media.alt.clone().unwrap_or_default(),
            "image": uploaded.blob,
        });
        if let Ok(dim) = imagesize::blob_size(&bytes)
            && dim.width > 0
            && dim.height > 0
        {
            entry["aspectRatio"] = json!({ "width": dim.width, "height": dim.height });
        }
        Ok(entry)
    }

    /// Creates the post record; `record` holds everything but `$type`, `createdAt` and `embed`.
    async fn create_post(
        &self,
        channel: &ChannelAuth,
        mut record: Value,
        embed: Option<Value>,
    ) -> Result<PublishOutcome, ProviderError> {
        let service = self.service_of(channel);
        let repo = Self::repo_of(channel)?;
        record["$type"] = json!(POST_COLLECTION);
        record["createdAt"] =
            json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        if let Some(embed) = embed {
            record["embed"] = embed;
        }
        let body = json!({ "repo": repo, "collection": POST_COLLECTION, "record": record });
        let url = Self::xrpc(&service, "com.atproto.repo.createRecord");
        let access = channel.tokens.access_token.as_str();
        let created: RecordRef = self
            .http
            .json(
                || self.http.raw().post(&url).bearer_auth(access).json(&body),
                Replay::Once,
                &XrpcClassifier,
            )
            .await?;
        let url = self.post_url(channel, &created.uri);
        Ok(PublishOutcome::published(created.uri, url))
    }

    /// The strong reference (`{uri, cid}`) of a published post.
    async fn strong_ref(
        &self,
        service: &str,
        access: &str,
        uri: &str,
    ) -> Result<Value, ProviderError> {
        let (repo, collection, rkey) = parse_at_uri(uri).ok_or_else(|| {
            ProviderError::Rejected(format!("`{uri}` is not the AT URI of a Bluesky post"))
        })?;
        let url = Self::xrpc(service, "com.atproto.repo.getRecord");
        let record: RecordRef = self
            .http
            .json(
                || {
                    self.http
                        .raw()
                        .get(&url)
                        .query(&[("repo", repo), ("collection", collection), ("rkey", rkey)])
                        .bearer_auth(access)
                },
                Replay::Safe,
                &XrpcClassifier,
            )
            .await?;
        let cid = record
            .cid
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ProviderError::Rejected(format!("Bluesky returned no CID for {uri}")))?;
        let uri = if record.uri.is_empty() {
            uri.to_string()
        } else {
            record.uri
        };
        Ok(json!({ "uri": uri, "cid": cid }))
    }

    /// Publishes one item, as a reply when `reply` is given.
    async fn post_item(
        &self,
        channel: &ChannelAuth,
        item: &PostItem,
        reply: Option<Value>,
    ) -> Result<PublishOutcome, ProviderError> {
        let service = self.service_of(channel);
        let access = channel.tokens.access_token.as_str();
        Self::repo_of(channel)?;
        validate_media_rules(
            &self.caps.media,
            &[MediaSummary::of(item.media.iter().map(|m| m.kind))],
        )
        .map_err(ProviderError::Rejected)?;

        let mut record = json!({ "text": item.message });
        let facets = self.facets(&service, &item.message).await?;
        if !facets.is_empty() {
            record["facets"] = json!(facets);
        }
        if let Some(reply) = reply {
            record["reply"] = reply;
        }
        if let Some(langs) = langs(&item.settings) {
            record["langs"] = langs;
        }

        let video = item.media.iter().find(|m| m.kind == MediaKind::Video);
        let embed = if let Some(video) = video {
            match self.upload_video(&service, channel, video).await? {
                VideoOutcome::Ready(blob) => Some(video::embed(blob, video.alt.as_deref())),
                VideoOutcome::Processing(job_id) => {
                    return Ok(PublishOutcome::Pending {
                        data: video::pending_data(&job_id, record, video.alt.as_deref()),
                    });
                }
            }
        } else if item.media.is_empty() {
            None
        } else {
            let mut images = Vec::with_capacity(item.media.len());
            for (index, media) in item.media.iter().enumerate() {
                images.push(
                    self.upload_image(&service, access, index + 1, media)
                        .await?,
                );
            }
            Some(json!({ "$type": "app.bsky.embed.images", "images": images }))
        };
        self.create_post(channel, record, embed).await
    }
}

#[async_trait]
impl Provider for BlueskyProvider {
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn max_length(&self, _channel: &ChannelAuth, _settings: &Value) -> usize {
        MAX_GRAPHEMES
    }

    /// Bluesky limits posts in extended grapheme clusters.
    fn text_length(&self, text: &str) -> usize {
        text.graphemes(true).count()
    }

    async fn auth_url(&self, _request: AuthUrlRequest) -> Result<AuthUrl, ProviderError> {
        let state = oauth::random_token(32);
        Ok(AuthUrl {
            url: state.clone(),
            code_verifier: String::new(),
            state,
        })
    }

    async fn authenticate(
        &self,
        request: AuthenticateRequest,
    ) -> Result<AuthenticatedAccount, ProviderError> {
        let fields = oauth::decode_credentials(&request.code)?;
        let service = non_empty(fields.get("service").map(String::as_str))
            .map(service::normalize)
            .unwrap_or_else(|| self.default_service.clone());
        let identifier = non_empty(fields.get("identifier").map(String::as_str))
            .ok_or_else(|| ProviderError::Rejected("The identifier is required".into()))?
            .to_string();
        let password = fields
            .get("password")
            .filter(|p| !p.is_empty())
            .ok_or_else(|| ProviderError::Rejected("The app password is required".into()))?
            .clone();
        // The operator's configured default is trusted; a URL the user typed is checked.
        if service != self.default_service {
            service::check(&service, self.allow_private_service).await?;
        }

        let session = match self.create_session(&service, &identifier, &password).await {
            Ok(session) => session,
            Err(ProviderError::RefreshNeeded(m) | ProviderError::Rejected(m)) => {
                return Err(ProviderError::Rejected(format!(
                    "Bluesky login failed: {m}"
                )));
            }
            Err(e) => return Err(e),
        };
        session
            .ensure_active()
            .map_err(|e| ProviderError::Rejected(e.user_message()))?;
        if session.did.is_empty() {
            return Err(ProviderError::Rejected(
                "Bluesky answered the login without an account DID".into(),
            ));
        }
        let profile = self
            .get_profile(&service, &session.access_jwt, &session.did)
            .await;
        let handle = if session.handle.is_empty() {
            profile
                .as_ref()
                .and_then(|p| p.handle.clone())
                .unwrap_or_else(|| session.did.clone())
        } else {
            session.handle.clone()
        };
        let name = profile
            .as_ref()
            .and_then(|p| non_empty(p.display_name.as_deref()))
            .map(str::to_string)
            .unwrap_or_else(|| handle.clone());
        let picture = profile
            .as_ref()
            .and_then(|p| non_empty(p.avatar.as_deref()))
            .map(str::to_string);
        Ok(AuthenticatedAccount {
            id: session.did.clone(),
            name,
            username: handle,
            picture,
            tokens: session.token_set(),
            additional_settings: Vec::new(),
            custom: Some(json!({
                "service": service,
                "identifier": identifier,
                "password": password,
            })),
        })
    }

    async fn refresh(&self, channel: &ChannelAuth) -> Result<TokenSet, ProviderError> {
        let service = self.service_of(channel);
        if let Some(refresh_jwt) = non_empty(channel.tokens.refresh_token.as_deref()) {
            match self.refresh_session(&service, refresh_jwt).await {
                Ok(session) => {
                    session.ensure_active()?;
                    return Ok(session.token_set());
                }
                // Expired or revoked refresh JWT (400 ExpiredToken/InvalidToken, 401), or another
                // refusal: a new session from the app password replaces it.
                Err(ProviderError::RefreshNeeded(_) | ProviderError::Rejected(_)) => {
                    tracing::info!("Bluesky refresh token refused; opening a new session");
                }
                Err(e) => return Err(e),
            }
        }
        self.relogin(&service, channel).await
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
        root: &PublishedRef,
        parent: &PublishedRef,
        item: &PostItem,
    ) -> Result<PublishOutcome, ProviderError> {
        let service = self.service_of(channel);
        let access = channel.tokens.access_token.as_str();
        let root_ref = self.strong_ref(&service, access, &root.id).await?;
        let parent_ref = if parent.id == root.id {
            root_ref.clone()
        } else {
            self.strong_ref(&service, access, &parent.id).await?
        };
        let reply = json!({ "root": root_ref, "parent": parent_ref });
        self.post_item(channel, item, Some(reply)).await
    }

    async fn check_status(
        &self,
        channel: &ChannelAuth,
        pending: &Value,
    ) -> Result<PublishOutcome, ProviderError> {
        let pending_video = video::PendingVideo::read(pending)?;
        let status = self.job_status(&pending_video.job_id).await?;
        if let Some(blob) = status.blob {
            let embed = video::embed(blob, pending_video.alt.as_deref());
            return self
                .create_post(channel, pending_video.record, Some(embed))
                .await;
        }
        if status.failed() {
            return Err(ProviderError::Rejected(status.failure_message()));
        }
        Ok(PublishOutcome::Pending {
            data: pending.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_uris() {
        assert_eq!(
            parse_at_uri("at://did:plc:abc/app.bsky.feed.post/3kabc"),
            Some(("did:plc:abc", "app.bsky.feed.post", "3kabc"))
        );
        assert_eq!(parse_at_uri("https://bsky.app/x"), None);
        assert_eq!(parse_at_uri("at://did:plc:abc/app.bsky.feed.post"), None);
    }

    #[test]
    fn languages_from_settings() {
        assert_eq!(
            langs(&json!({"langs": ["en", "fr", "de", "es"]})),
            Some(json!(["en", "fr", "de"]))
        );
        assert_eq!(
            langs(&json!({"langs": "en, ja"})),
            Some(json!(["en", "ja"]))
        );
        assert_eq!(langs(&json!({})), None);
    }

    #[test]
    fn options_are_validated() {
        let mut config = ProviderConfig::default();
        config
            .options
            .insert("video_max_wait_secs".into(), "soon".into());
        let http = HttpClient::new(Default::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            BlueskyProvider::new(&config, http.clone()),
            Err(BuildError::Invalid(_))
        ));
        config.options.clear();
        config
            .options
            .insert("disable_ssrf_protection".into(), "maybe".into());
        assert!(matches!(
            BlueskyProvider::new(&config, http),
            Err(BuildError::Invalid(_))
        ));
    }
}
