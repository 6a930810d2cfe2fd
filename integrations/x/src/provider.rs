//! The X provider and its factory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use postiz_provider::media::rechunk;
use postiz_provider::{
    AdditionalSetting, AuthFlow, AuthUrl, AuthUrlRequest, AuthenticateRequest,
    AuthenticatedAccount, BuildError, Capabilities, ChannelAuth, ConfigField, EditorFormat,
    EnvBinding, HttpClient, MediaItem, MediaKind, MediaRules, MediaSummary, PostItem, Provider,
    ProviderConfig, ProviderContext, ProviderError, ProviderFactory, PublishOutcome, PublishedRef,
    Replay, TokenSet, async_trait, validate_media_rules,
};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, RequestBuilder};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::errors::{XClassifier, json_message};
use crate::html;
use crate::oauth1::{
    Consumer, SignRequest, Token, authorization_header, form_value, parse_form, percent_encode,
};
use crate::text;

/// The provider identifier, as in Postiz.
pub const IDENTIFIER: &str = "x";
/// Largest APPEND chunk we send; X documents 5 MB per chunk.
pub const MAX_CHUNK_SIZE: usize = 4 * 1024 * 1024;
/// X numbers APPEND segments from 0 to 999.
const MAX_SEGMENTS: u64 = 1000;
const DEFAULT_PROCESSING_TIMEOUT: Duration = Duration::from_secs(300);
const DEFAULT_BASE: &str = "https://api.x.com";
/// X's documented limit for media alt text.
const MAX_ALT_TEXT: usize = 1000;
const USER_FIELDS: &str = "username,verified,verified_type,profile_image_url,name";
const REPLY_SETTINGS: [&str; 4] = ["following", "mentionedUsers", "subscribers", "verified"];

/// The X provider. Stateless apart from configuration; everything per channel comes in
/// [`ChannelAuth`].
pub struct XProvider {
    caps: Capabilities,
    http: HttpClient,
    consumer: Consumer,
    api: String,
    upload: String,
    oauth: String,
    /// The `X_URL` base, when set.
    callback_base: Option<String>,
    /// The dashboard's callback for `x`, used when neither `X_URL` nor the request gives one.
    default_redirect: String,
    chunk_size: usize,
    processing_timeout: Duration,
}

fn capabilities(strip_links: bool) -> Capabilities {
    Capabilities {
        identifier: IDENTIFIER,
        name: "X",
        tool_tip: Some(
            "X connects the account you are signed in to; to connect another one, switch accounts on X first",
        ),
        // Postiz declares the HTML editor for X so that articles keep their formatting; posts
        // are flattened to plain text here.
        editor: EditorFormat::Html,
        auth_flow: AuthFlow::OAuth1a,
        scopes: Vec::new(),
        between_steps: false,
        supports_comments: true,
        // Media processing is awaited inside the publication (bounded), before the post exists.
        async_processing: false,
        refreshable: false,
        // X rate limits are per user; Postiz allows ten X publications at once.
        max_concurrent_jobs: 10,
        media: MediaRules::four_images_or_one_video(),
        custom_fields: Vec::new(),
        is_web3: false,
        strip_links,
    }
}

fn truthy(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        !matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "" | "0" | "false" | "no" | "off"
        )
    })
}

/// The settings of an X post (Postiz `XDto`), read leniently.
#[derive(Debug, Default)]
struct XSettings {
    who_can_reply_post: Option<String>,
    community: Option<String>,
    made_with_ai: bool,
    paid_partnership: bool,
    article: bool,
    article_title: Option<String>,
    article_published: bool,
}

impl XSettings {
    fn from_value(value: &Value) -> Self {
        let text = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let flag = |name: &str| match value.get(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        };
        Self {
            who_can_reply_post: text("who_can_reply_post"),
            community: text("community"),
            made_with_ai: flag("made_with_ai"),
            paid_partnership: flag("paid_partnership"),
            article: text("post_type").as_deref() == Some("article"),
            article_title: text("article_title"),
            article_published: text("article_status").as_deref() == Some("published"),
        }
    }

    /// The community id from `https://x.com/i/communities/<id>` or a bare id.
    fn community_id(&self) -> Result<Option<String>, ProviderError> {
        let Some(community) = self.community.as_deref() else {
            return Ok(None);
        };
        let id = community
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        if id.is_empty() || id.len() > 19 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ProviderError::Rejected(
                "Invalid X community URL. It should look like https://x.com/i/communities/1493446837214187523".into(),
            ));
        }
        Ok(Some(id.to_string()))
    }

    fn reply_settings(&self) -> Result<Option<&str>, ProviderError> {
        match self.who_can_reply_post.as_deref() {
            None | Some("everyone") => Ok(None),
            Some(v) if REPLY_SETTINGS.contains(&v) => Ok(Some(v)),
            Some(other) => Err(ProviderError::Rejected(format!(
                "Unknown X reply setting \"{other}\""
            ))),
        }
    }
}

#[derive(Deserialize)]
struct DataEnvelope<T> {
    data: Option<T>,
}

#[derive(Deserialize)]
struct CreatedTweet {
    id: String,
}

#[derive(Deserialize)]
struct Me {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    verified: bool,
    #[serde(default)]
    profile_image_url: Option<String>,
}

#[derive(Deserialize)]
struct MediaUpload {
    id: String,
    #[serde(default)]
    processing_info: Option<ProcessingInfo>,
}

#[derive(Deserialize, Clone)]
struct ProcessingInfo {
    #[serde(default)]
    state: String,
    #[serde(default)]
    check_after_secs: Option<u64>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct ArticleDraft {
    id: String,
}

#[derive(Deserialize)]
struct ArticlePublished {
    post_id: String,
}

/// An uploaded media whose processing may still run.
struct Uploaded {
    id: String,
    processing: Option<ProcessingInfo>,
}

/// The user's access token and secret of a channel.
struct UserToken {
    token: String,
    secret: String,
}

impl UserToken {
    fn of(channel: &ChannelAuth) -> Result<Self, ProviderError> {
        let tokens = &channel.tokens;
        if let Some(secret) = tokens.access_secret.as_deref().filter(|s| !s.is_empty()) {
            return Ok(Self {
                token: tokens.access_token.clone(),
                secret: secret.to_string(),
            });
        }
        // Channels imported from Postiz keep `token:secret` in one string.
        match tokens.access_token.split_once(':') {
            Some((token, secret)) if !token.is_empty() && !secret.is_empty() => Ok(Self {
                token: token.to_string(),
                secret: secret.to_string(),
            }),
            _ => Err(ProviderError::Disconnected(
                "the X channel has no access token secret; reconnect it".into(),
            )),
        }
    }

    fn as_token(&self) -> Token<'_> {
        Token {
            token: &self.token,
            secret: &self.secret,
        }
    }
}

impl XProvider {
    /// Builds the provider from its configuration.
    pub fn new(config: &ProviderConfig, context: &ProviderContext) -> Result<Self, BuildError> {
        let (key, secret) = config.client_credentials()?;
        let chunk_size = match config.option("upload_chunk_size") {
            None => MAX_CHUNK_SIZE,
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| BuildError::Invalid(format!("upload_chunk_size: {v}")))?
                .min(MAX_CHUNK_SIZE),
        };
        let processing_timeout =
            match config.option("media_processing_timeout_secs") {
                None => DEFAULT_PROCESSING_TIMEOUT,
                Some(v) => Duration::from_secs(v.trim().parse::<u64>().map_err(|_| {
                    BuildError::Invalid(format!("media_processing_timeout_secs: {v}"))
                })?),
            };
        Ok(Self {
            caps: capabilities(truthy(config.option("strip_links"))),
            http: context.http.clone(),
            consumer: Consumer { key, secret },
            api: config.url("api", DEFAULT_BASE),
            upload: config.url("upload", DEFAULT_BASE),
            oauth: config.url("oauth", DEFAULT_BASE),
            callback_base: config.option("callback_url").map(str::to_string),
            default_redirect: context.redirect_uri(IDENTIFIER),
            chunk_size,
            processing_timeout,
        })
    }

    /// Where X sends the user back: `X_URL` when set, else the dashboard's callback.
    fn callback(&self, requested: &str) -> String {
        const PATH: &str = "/integrations/social/x";
        if let Some(base) = &self.callback_base {
            let base = base.trim_end_matches('/');
            return if base.ends_with(PATH) {
                base.to_string()
            } else {
                format!("{base}{PATH}")
            };
        }
        if requested.is_empty() {
            self.default_redirect.clone()
        } else {
            requested.to_string()
        }
    }

    fn parse_url(raw: &str, query: &[(&str, &str)]) -> Result<Url, ProviderError> {
        let result = if query.is_empty() {
            Url::parse(raw)
        } else {
            Url::parse_with_params(raw, query)
        };
        result.map_err(|e| ProviderError::Config(format!("invalid X URL {raw}: {e}")))
    }

    /// A request signed for `token` (or for the application alone), built anew for each attempt.
    fn signed(
        &self,
        method: Method,
        url: &Url,
        token: Option<Token<'_>>,
        oauth_extra: &[(&str, &str)],
    ) -> RequestBuilder {
        let header = authorization_header(
            &self.consumer,
            token,
            &SignRequest {
                method: method.as_str(),
                url,
                form: &[],
                oauth_extra,
            },
        );
        self.http
            .raw()
            .request(method, url.clone())
            .header(AUTHORIZATION, header)
    }

    async fn post_json<T: for<'de> Deserialize<'de>>(
        &self,
        url: &Url,
        user: &UserToken,
        body: &Value,
        replay: Replay,
    ) -> Result<T, ProviderError> {
        let payload = body.to_string();
        let response = self
            .http
            .send(
                || {
                    self.signed(Method::POST, url, Some(user.as_token()), &[])
                        .header(CONTENT_TYPE, "application/json")
                        .body(payload.clone())
                },
                replay,
                &XClassifier,
            )
            .await?;
        data_of(response).await
    }

    /// A signed POST without a body (finalize, article publish).
    async fn post_empty<T: for<'de> Deserialize<'de>>(
        &self,
        url: &Url,
        user: &UserToken,
        replay: Replay,
    ) -> Result<T, ProviderError> {
        let response = self
            .http
            .send(
                || self.signed(Method::POST, url, Some(user.as_token()), &[]),
                replay,
                &XClassifier,
            )
            .await?;
        data_of(response).await
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(
        &self,
        url: &Url,
        user: &UserToken,
    ) -> Result<T, ProviderError> {
        let response = self
            .http
            .send(
                || self.signed(Method::GET, url, Some(user.as_token()), &[]),
                Replay::Safe,
                &XClassifier,
            )
            .await?;
        data_of(response).await
    }

    fn status_url(&self, username: &str, id: &str) -> String {
        let user = if username.is_empty() { "i" } else { username };
        format!("https://x.com/{user}/status/{id}")
    }

    /// The post text X receives: the editor HTML flattened, links removed when configured.
    fn tweet_text(&self, message: &str) -> String {
        let text = html::to_tweet_text(message);
        if self.caps.strip_links {
            strip_links(&text)
        } else {
            text
        }
    }

    // -----------------------------------------------------------------------------------------
    // Media

    /// Uploads one media file with the chunked flow; returns its id and pending processing.
    async fn upload_one(
        &self,
        user: &UserToken,
        media: &MediaItem,
        for_article: bool,
    ) -> Result<Uploaded, ProviderError> {
        let total = media.source.size().await?;
        let mime = if media.mime_type.trim().is_empty() {
            match media.kind {
                MediaKind::Image => "image/jpeg".to_string(),
                MediaKind::Video => "video/mp4".to_string(),
            }
        } else {
            media.mime_type.trim().to_ascii_lowercase()
        };
        let category = match media.kind {
            MediaKind::Video => "tweet_video",
            // Articles reference images by the tweet_image category.
            MediaKind::Image if mime == "image/gif" && !for_article => "tweet_gif",
            MediaKind::Image => "tweet_image",
        };
        // Keep within X's 1000 segments: larger files get larger chunks, up to the maximum.
        let needed = usize::try_from(total.div_ceil(MAX_SEGMENTS)).unwrap_or(usize::MAX);
        let chunk_size = self.chunk_size.max(needed);
        if chunk_size > MAX_CHUNK_SIZE {
            return Err(ProviderError::Rejected(format!(
                "The file is too large for X ({total} bytes)"
            )));
        }

        let init_url = Self::parse_url(&format!("{}/2/media/upload/initialize", self.upload), &[])?;
        let init: MediaUpload = self
            .post_json(
                &init_url,
                user,
                &json!({ "media_type": mime, "total_bytes": total, "media_category": category }),
                Replay::Safe,
            )
            .await?;
        let media_id = init.id;

        let append_url = Self::parse_url(
            &format!("{}/2/media/upload/{media_id}/append", self.upload),
            &[],
        )?;
        let mut chunks = rechunk(media.source.stream().await?, chunk_size);
        let mut segment: u64 = 0;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk?;
            let index = segment.to_string();
            self.http
                .send(
                    || {
                        let part = reqwest::multipart::Part::stream_with_length(
                            reqwest::Body::from(chunk.clone()),
                            chunk.len() as u64,
                        )
                        .file_name("media")
                        .mime_str("application/octet-stream")
                        .unwrap_or_else(|_| {
                            reqwest::multipart::Part::stream(reqwest::Body::from(chunk.clone()))
                        });
                        let form = reqwest::multipart::Form::new()
                            .text("segment_index", index.clone())
                            .part("media", part);
                        self.signed(Method::POST, &append_url, Some(user.as_token()), &[])
                            .timeout(self.http.upload_timeout())
                            .multipart(form)
                    },
                    Replay::Safe,
                    &XClassifier,
                )
                .await?;
            segment += 1;
        }

        let finalize_url = Self::parse_url(
            &format!("{}/2/media/upload/{media_id}/finalize", self.upload),
            &[],
        )?;
        let finalized: MediaUpload = self.post_empty(&finalize_url, user, Replay::Safe).await?;

        if let Some(alt) = media
            .alt
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            && media.kind == MediaKind::Image
        {
            let alt: String = alt.chars().take(MAX_ALT_TEXT).collect();
            let metadata_url = Self::parse_url(&format!("{}/2/media/metadata", self.upload), &[])?;
            let payload =
                json!({ "id": media_id, "metadata": { "alt_text": { "text": alt } } }).to_string();
            // An alt text is an accessibility extra: its failure must not cost the post.
            let sent = self
                .http
                .send(
                    || {
                        self.signed(Method::POST, &metadata_url, Some(user.as_token()), &[])
                            .header(CONTENT_TYPE, "application/json")
                            .body(payload.clone())
                    },
                    Replay::Safe,
                    &XClassifier,
                )
                .await;
            if let Err(e) = sent {
                tracing::warn!(class = e.class(), error = %e, "X refused the media alt text");
            }
        }

        Ok(Uploaded {
            id: media_id,
            processing: finalized.processing_info,
        })
    }

    /// Waits until X has processed a media (videos, GIFs), within the configured bound.
    async fn wait_processing(
        &self,
        user: &UserToken,
        media_id: &str,
        mut info: Option<ProcessingInfo>,
        deadline: Instant,
    ) -> Result<(), ProviderError> {
        let status_url = Self::parse_url(
            &format!("{}/2/media/upload", self.upload),
            &[("command", "STATUS"), ("media_id", media_id)],
        )?;
        loop {
            let Some(current) = info else {
                // No processing_info: the media is ready.
                return Ok(());
            };
            match current.state.as_str() {
                "succeeded" => return Ok(()),
                "failed" => {
                    let reason = current
                        .error
                        .as_ref()
                        .and_then(json_message)
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default();
                    return Err(ProviderError::Rejected(format!(
                        "X could not process the media{reason}"
                    )));
                }
                _ => {}
            }
            let wait = Duration::from_secs(current.check_after_secs.unwrap_or(1).max(1));
            if Instant::now() + wait > deadline {
                return Err(ProviderError::Transient(format!(
                    "X is still processing the media after {} s",
                    self.processing_timeout.as_secs()
                )));
            }
            tokio::time::sleep(wait).await;
            let status: MediaUpload = self.get_json(&status_url, user).await?;
            info = status.processing_info;
        }
    }

    /// Uploads every media of an item, then waits for their processing; returns the ids in order.
    async fn upload_all(
        &self,
        user: &UserToken,
        media: &[MediaItem],
        for_article: bool,
    ) -> Result<Vec<String>, ProviderError> {
        let mut uploaded = Vec::with_capacity(media.len());
        // One at a time, so that only one chunk is in memory.
        for item in media {
            uploaded.push(self.upload_one(user, item, for_article).await?);
        }
        let deadline = Instant::now() + self.processing_timeout;
        for item in &uploaded {
            self.wait_processing(user, &item.id, item.processing.clone(), deadline)
                .await?;
        }
        Ok(uploaded.into_iter().map(|u| u.id).collect())
    }

    // -----------------------------------------------------------------------------------------
    // Posts

    async fn create_tweet(
        &self,
        channel: &ChannelAuth,
        user: &UserToken,
        body: Value,
    ) -> Result<PublishOutcome, ProviderError> {
        let url = Self::parse_url(&format!("{}/2/tweets", self.api), &[])?;
        let created: CreatedTweet = self.post_json(&url, user, &body, Replay::Once).await?;
        let link = self.status_url(&channel.username, &created.id);
        Ok(PublishOutcome::published(created.id, link))
    }

    /// The common part of a post or reply body: text, media and the content labels.
    fn tweet_body(
        &self,
        item: &PostItem,
        settings: &XSettings,
        media_ids: Vec<String>,
    ) -> Result<Value, ProviderError> {
        let text = self.tweet_text(&item.message);
        if text.trim().is_empty() && media_ids.is_empty() {
            return Err(ProviderError::Rejected(
                "An X post needs text or media".into(),
            ));
        }
        let mut body = json!({});
        if !text.trim().is_empty() {
            body["text"] = Value::String(text);
        }
        if !media_ids.is_empty() {
            body["media"] = json!({ "media_ids": media_ids });
        }
        if settings.made_with_ai {
            body["made_with_ai"] = Value::Bool(true);
        }
        if settings.paid_partnership {
            body["paid_partnership"] = Value::Bool(true);
        }
        Ok(body)
    }

    async fn publish_article(
        &self,
        channel: &ChannelAuth,
        user: &UserToken,
        item: &PostItem,
        settings: &XSettings,
    ) -> Result<PublishOutcome, ProviderError> {
        let title = settings
            .article_title
            .clone()
            .ok_or_else(|| ProviderError::Rejected("An X article needs a title".into()))?;
        if item.media.iter().any(|m| m.kind == MediaKind::Video) {
            return Err(ProviderError::Rejected(
                "X articles only support images".into(),
            ));
        }
        let images = self.upload_all(user, &item.media, true).await?;
        let content = html::to_article_content(&item.message, &images);

        let draft_url = Self::parse_url(&format!("{}/2/articles/draft", self.api), &[])?;
        let draft: ArticleDraft = self
            .post_json(
                &draft_url,
                user,
                &json!({ "title": title, "content_state": content }),
                Replay::Once,
            )
            .await?;
        if !settings.article_published {
            return Ok(PublishOutcome::published(
                draft.id,
                "https://x.com/i/articles",
            ));
        }

        let publish_url = Self::parse_url(
            &format!("{}/2/articles/{}/publish", self.api, draft.id),
            &[],
        )?;
        let published: ArticlePublished = self
            .post_empty(&publish_url, user, Replay::Once)
            .await
            .map_err(|e| match e {
            ProviderError::Rejected(m) => ProviderError::Rejected(format!(
                "X created the article draft but did not publish it: {m}"
            )),
            other => other,
        })?;
        let link = self.status_url(&channel.username, &published.post_id);
        Ok(PublishOutcome::published(published.post_id, link))
    }
}

/// Decodes `{"data": ...}`; a success without data is X refusing with an `errors` array.
async fn data_of<T: for<'de> Deserialize<'de>>(
    response: reqwest::Response,
) -> Result<T, ProviderError> {
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| ProviderError::Transient(format!("reading X's answer failed: {e}")))?;
    let value: Value = serde_json::from_str(&body).map_err(|e| {
        ProviderError::Rejected(format!(
            "unexpected answer from X ({status}): {e}: {}",
            postiz_provider::error::truncate_message(&body, 300)
        ))
    })?;
    let envelope: DataEnvelope<T> = serde_json::from_value(value.clone()).map_err(|e| {
        ProviderError::Rejected(format!(
            "unexpected answer from X ({status}): {e}: {}",
            postiz_provider::error::truncate_message(&body, 300)
        ))
    })?;
    envelope.data.ok_or_else(|| {
        ProviderError::Rejected(
            json_message(&value).unwrap_or_else(|| format!("X answered {status} without data")),
        )
    })
}

/// Removes the URLs X would link from a text and tidies the spaces they leave.
fn strip_links(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in text::find_urls(&chars) {
        out.extend(&chars[last..start]);
        last = end;
    }
    out.extend(&chars[last..]);
    let mut tidy = String::with_capacity(out.len());
    for line in out.split('\n') {
        let collapsed = line
            .split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if !tidy.is_empty() {
            tidy.push('\n');
        }
        tidy.push_str(&collapsed);
    }
    tidy.trim().to_string()
}

#[async_trait]
impl Provider for XProvider {
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn max_length(&self, channel: &ChannelAuth, settings: &Value) -> usize {
        if XSettings::from_value(settings).article {
            // Long-form articles are not bound by the post limit.
            100_000
        } else if channel.setting_enabled("Verified") {
            4000
        } else {
            280
        }
    }

    fn text_length(&self, text: &str) -> usize {
        text::weighted_length(&html::to_tweet_text(text))
    }

    fn validate(&self, items: &[MediaSummary], settings: &Value) -> Result<(), String> {
        let settings = XSettings::from_value(settings);
        if settings.article {
            if items.iter().any(|i| i.videos > 0) {
                return Err("X articles only support images".into());
            }
            if !settings.article_published && items.len() > 1 {
                return Err(
                    "A draft X article cannot have thread replies: remove them or publish the article"
                        .into(),
                );
            }
            // Images are embedded in the article body, so the per-post media rules do not apply
            // to the first item.
            return validate_media_rules(&self.caps.media, items.get(1..).unwrap_or_default());
        }
        validate_media_rules(&self.caps.media, items)
    }

    async fn auth_url(&self, request: AuthUrlRequest) -> Result<AuthUrl, ProviderError> {
        let callback = self.callback(&request.redirect_uri);
        let url = Self::parse_url(
            &format!("{}/oauth/request_token", self.oauth),
            &[("x_auth_access_type", "write")],
        )?;
        let response = self
            .http
            .send(
                || self.signed(Method::POST, &url, None, &[("oauth_callback", &callback)]),
                Replay::Safe,
                &XClassifier,
            )
            .await?;
        let body = response
            .text()
            .await
            .map_err(|e| ProviderError::Transient(format!("reading X's answer failed: {e}")))?;
        let form = parse_form(&body);
        let (Some(token), Some(secret)) = (
            form_value(&form, "oauth_token"),
            form_value(&form, "oauth_token_secret"),
        ) else {
            return Err(ProviderError::Rejected(
                "X did not return a request token".into(),
            ));
        };
        if form_value(&form, "oauth_callback_confirmed") == Some("false") {
            return Err(ProviderError::Rejected(
                "X did not accept the callback URL; add it to the app's callback URLs".into(),
            ));
        }
        Ok(AuthUrl {
            url: format!(
                "{}/oauth/authenticate?oauth_token={}",
                self.oauth,
                percent_encode(token)
            ),
            code_verifier: format!("{token}:{secret}"),
            state: token.to_string(),
        })
    }

    async fn authenticate(
        &self,
        request: AuthenticateRequest,
    ) -> Result<AuthenticatedAccount, ProviderError> {
        // No channel exists yet: a refused token is a failed connection attempt, not a lost
        // channel.
        self.connect(request).await.map_err(|e| match e {
            ProviderError::Disconnected(m) => ProviderError::Rejected(m),
            other => other,
        })
    }

    async fn refresh(&self, channel: &ChannelAuth) -> Result<TokenSet, ProviderError> {
        // OAuth 1.0a tokens do not expire.
        Ok(channel.tokens.clone())
    }

    async fn publish(
        &self,
        channel: &ChannelAuth,
        item: &PostItem,
    ) -> Result<PublishOutcome, ProviderError> {
        let user = UserToken::of(channel)?;
        let settings = XSettings::from_value(&item.settings);
        if settings.article {
            return self.publish_article(channel, &user, item, &settings).await;
        }
        let reply_settings = settings.reply_settings()?;
        let community = settings.community_id()?;
        let media_ids = self.upload_all(&user, &item.media, false).await?;
        let mut body = self.tweet_body(item, &settings, media_ids)?;
        if let Some(reply) = reply_settings {
            body["reply_settings"] = Value::String(reply.to_string());
        }
        if let Some(id) = community {
            body["community_id"] = Value::String(id);
            body["share_with_followers"] = Value::Bool(true);
        }
        self.create_tweet(channel, &user, body).await
    }

    async fn comment(
        &self,
        channel: &ChannelAuth,
        _root: &PublishedRef,
        parent: &PublishedRef,
        item: &PostItem,
    ) -> Result<PublishOutcome, ProviderError> {
        let user = UserToken::of(channel)?;
        let settings = XSettings::from_value(&item.settings);
        let media_ids = self.upload_all(&user, &item.media, false).await?;
        let mut body = self.tweet_body(item, &settings, media_ids)?;
        body["reply"] = json!({ "in_reply_to_tweet_id": parent.id });
        self.create_tweet(channel, &user, body).await
    }
}

impl XProvider {
    /// Exchanges the verifier for the user's access token and reads the account.
    async fn connect(
        &self,
        request: AuthenticateRequest,
    ) -> Result<AuthenticatedAccount, ProviderError> {
        let Some((request_token, request_secret)) = request
            .code_verifier
            .split_once(':')
            .filter(|(t, s)| !t.is_empty() && !s.is_empty())
        else {
            return Err(ProviderError::Rejected(
                "The X connection attempt expired; start it again".into(),
            ));
        };
        let verifier = request.code.trim();
        if verifier.is_empty() {
            return Err(ProviderError::Rejected(
                "X did not return a verifier; start the connection again".into(),
            ));
        }
        let url = Self::parse_url(&format!("{}/oauth/access_token", self.oauth), &[])?;
        let response = self
            .http
            .send(
                || {
                    self.signed(
                        Method::POST,
                        &url,
                        Some(Token {
                            token: request_token,
                            secret: request_secret,
                        }),
                        &[("oauth_verifier", verifier)],
                    )
                },
                Replay::Safe,
                &XClassifier,
            )
            .await?;
        let body = response
            .text()
            .await
            .map_err(|e| ProviderError::Transient(format!("reading X's answer failed: {e}")))?;
        let form = parse_form(&body);
        let (Some(token), Some(secret)) = (
            form_value(&form, "oauth_token"),
            form_value(&form, "oauth_token_secret"),
        ) else {
            return Err(ProviderError::Rejected(
                "X did not return an access token".into(),
            ));
        };
        let user = UserToken {
            token: token.to_string(),
            secret: secret.to_string(),
        };

        let me_url = Self::parse_url(
            &format!("{}/2/users/me", self.api),
            &[("user.fields", USER_FIELDS)],
        )?;
        let me: Me = self.get_json(&me_url, &user).await?;
        Ok(AuthenticatedAccount {
            id: me.id,
            name: me.name,
            username: me.username,
            picture: me.profile_image_url.filter(|p| !p.is_empty()),
            tokens: TokenSet {
                access_token: user.token,
                access_secret: Some(user.secret),
                refresh_token: None,
                expires_in: None,
            },
            additional_settings: vec![AdditionalSetting {
                title: "Verified".into(),
                description: "Is this a verified user? (Premium)".into(),
                setting_type: "checkbox".into(),
                value: Value::Bool(me.verified),
                regex: None,
            }],
            custom: None,
        })
    }
}

/// Builds the X provider (`x`).
pub struct XFactory;

const ENV: &[EnvBinding] = &[
    EnvBinding::new("X_API_KEY", ConfigField::ClientId),
    EnvBinding::new("X_API_SECRET", ConfigField::ClientSecret),
    EnvBinding::new("X_URL", ConfigField::Option("callback_url")),
    EnvBinding::new(
        "STRIP_LINKS_FROM_X_POSTS",
        ConfigField::Option("strip_links"),
    ),
];

impl ProviderFactory for XFactory {
    fn identifiers(&self) -> &'static [&'static str] {
        &[IDENTIFIER]
    }

    fn env_bindings(&self, identifier: &str) -> &'static [EnvBinding] {
        if identifier == IDENTIFIER { ENV } else { &[] }
    }

    fn build(
        &self,
        identifier: &str,
        config: &ProviderConfig,
        context: &ProviderContext,
    ) -> Result<Arc<dyn Provider>, BuildError> {
        if identifier != IDENTIFIER {
            return Err(BuildError::Invalid(format!(
                "the X factory does not build {identifier}"
            )));
        }
        Ok(Arc::new(XProvider::new(config, context)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_links_removes_urls_and_tidies() {
        assert_eq!(
            strip_links("Read https://example.com/a now\nand example.org too"),
            "Read now\nand too"
        );
    }

    #[test]
    fn community_ids() {
        let s = |c: &str| XSettings {
            community: Some(c.into()),
            ..Default::default()
        };
        assert_eq!(
            s("https://x.com/i/communities/1493446837214187523").community_id(),
            Ok(Some("1493446837214187523".into()))
        );
        assert_eq!(s("123").community_id(), Ok(Some("123".into())));
        assert!(s("https://x.com/i/communities/abc").community_id().is_err());
    }

    #[test]
    fn settings_are_read_leniently() {
        let s = XSettings::from_value(&json!({
            "__type": "x",
            "who_can_reply_post": "mentionedUsers",
            "made_with_ai": "true",
            "paid_partnership": false,
            "post_type": "article",
            "article_status": "published",
            "article_title": " T "
        }));
        assert_eq!(s.reply_settings(), Ok(Some("mentionedUsers")));
        assert!(s.made_with_ai && !s.paid_partnership && s.article && s.article_published);
        assert_eq!(s.article_title.as_deref(), Some("T"));
        assert_eq!(XSettings::default().reply_settings(), Ok(None));
        assert!(
            XSettings {
                who_can_reply_post: Some("nobody".into()),
                ..Default::default()
            }
            .reply_settings()
            .is_err()
        );
    }

    #[test]
    fn truthy_options() {
        assert!(truthy(Some("1")) && truthy(Some("true")) && truthy(Some("yes")));
        assert!(!truthy(None) && !truthy(Some("false")) && !truthy(Some("0")));
    }
}
