//! The LinkedIn providers: a member's profile (`linkedin`) and a company page (`linkedin-page`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use postiz_provider::oauth::{self, require_scopes};
use postiz_provider::{
    AuthFlow, AuthUrl, AuthUrlRequest, AuthenticateRequest, AuthenticatedAccount, Capabilities,
    ChannelAuth, EditorFormat, HttpClient, MediaKind, MediaRules, MediaSummary, Page, PostItem,
    Provider, ProviderError, PublishOutcome, PublishedRef, Replay, TokenSet, validate_media_rules,
};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::api::{
    Acl, AclPage, Me, MediaEndpoint, Organization, PendingMedia, PendingPost, UserInfo,
};
use crate::classify::{LinkedInClassifier, TokenClassifier};
use crate::text;

/// Identifier of the personal-profile provider.
pub const PERSONAL: &str = "linkedin";
/// Identifier of the company-page provider.
pub const PAGE: &str = "linkedin-page";

/// Scopes Postiz requests for both identifiers (one LinkedIn app serves both).
pub const SCOPES: [&str; 7] = [
    "openid",
    "profile",
    "w_member_social",
    "r_basicprofile",
    "rw_organization_admin",
    "w_organization_social",
    "r_organization_social",
];

/// Longest post, as Postiz declares it (LinkedIn's documented commentary limit).
const MAX_LENGTH: usize = 3000;
/// Roles on a page that allow posting as the page.
const POSTING_ROLES: [&str; 2] = ["ADMINISTRATOR", "CONTENT_ADMINISTRATOR"];
/// How long a pending publication waits for LinkedIn to process its media.
const PROCESSING_BUDGET: Duration = Duration::from_secs(60 * 60);
/// Page size and bound when listing the member's page roles.
const ACL_PAGE_SIZE: usize = 100;
const ACL_MAX_PAGES: usize = 10;

/// Which kind of LinkedIn account a provider publishes as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// The member's own profile: author `urn:li:person:{id}`.
    Personal,
    /// A company page the member administers: author `urn:li:organization:{id}`.
    Page,
}

/// What a provider is built from.
#[derive(Clone)]
pub struct LinkedInSettings {
    pub client_id: String,
    pub client_secret: String,
    /// `https://www.linkedin.com` (authorization and token endpoints).
    pub auth_base: String,
    /// `https://api.linkedin.com`.
    pub api_base: String,
    /// `LinkedIn-Version` header, `YYYYMM`.
    pub version: String,
    /// Redirect URI used when a request does not carry one.
    pub redirect_uri: String,
}

/// One LinkedIn provider.
pub struct LinkedInProvider {
    kind: AccountKind,
    capabilities: Capabilities,
    pub(crate) http: HttpClient,
    client_id: String,
    client_secret: String,
    auth_base: String,
    pub(crate) api_base: String,
    version: String,
    redirect_uri: String,
}

/// Percent-encodes a path segment or query value (URNs in Rest.li paths must be encoded).
pub(crate) fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A boolean post setting sent as `true` or `"true"`.
fn setting_flag(settings: &Value, name: &str) -> bool {
    match settings.get(name) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn organization_id(value: &str) -> &str {
    value
        .trim()
        .strip_prefix("urn:li:organization:")
        .unwrap_or(value.trim())
}

/// The public page of a post.
pub fn post_url(urn: &str) -> String {
    format!("https://www.linkedin.com/feed/update/{urn}")
}

impl LinkedInProvider {
    pub fn new(kind: AccountKind, http: HttpClient, settings: LinkedInSettings) -> Self {
        let (identifier, name) = match kind {
            AccountKind::Personal => (PERSONAL, "LinkedIn"),
            AccountKind::Page => (PAGE, "LinkedIn Page"),
        };
        let capabilities = Capabilities {
            identifier,
            name,
            tool_tip: None,
            editor: EditorFormat::Normal,
            auth_flow: AuthFlow::OAuth2 { pkce: false },
            scopes: SCOPES.iter().map(|s| (*s).to_string()).collect(),
            between_steps: kind == AccountKind::Page,
            supports_comments: true,
            async_processing: true,
            refreshable: true,
            max_concurrent_jobs: 2,
            media: MediaRules {
                // MultiImage posts take 2 to 20 images; a video post carries one video only.
                max_images: 20,
                max_videos: 1,
                allow_mixed: false,
                media_required: false,
                media_in_comments: false,
            },
            custom_fields: Vec::new(),
            is_web3: false,
            strip_links: false,
        };
        Self {
            kind,
            capabilities,
            http,
            client_id: settings.client_id,
            client_secret: settings.client_secret,
            auth_base: settings.auth_base,
            api_base: settings.api_base,
            version: settings.version,
            redirect_uri: settings.redirect_uri,
        }
    }

    /// A versioned (`/rest`) request with the documented headers.
    pub(crate) fn rest(&self, method: Method, url: &str, token: &str) -> RequestBuilder {
        self.http
            .raw()
            .request(method, url)
            .bearer_auth(token)
            .header("LinkedIn-Version", &self.version)
            .header("X-Restli-Protocol-Version", "2.0.0")
    }

    fn token(channel: &ChannelAuth) -> Result<&str, ProviderError> {
        let token = channel.tokens.access_token.as_str();
        if token.is_empty() {
            return Err(ProviderError::Disconnected(
                "the channel has no LinkedIn access token".into(),
            ));
        }
        Ok(token)
    }

    /// The author / actor / owner URN of the channel.
    fn author(&self, channel: &ChannelAuth) -> Result<String, ProviderError> {
        let id = channel.internal_id.trim();
        if id.is_empty() {
            return Err(ProviderError::Config(
                "the channel has no LinkedIn account id".into(),
            ));
        }
        Ok(match self.kind {
            AccountKind::Personal => format!("urn:li:person:{id}"),
            AccountKind::Page => format!("urn:li:organization:{}", organization_id(id)),
        })
    }

    async fn user_info(&self, token: &str) -> Result<UserInfo, ProviderError> {
        let url = format!("{}/v2/userinfo", self.api_base);
        self.http
            .json(
                || self.http.raw().get(&url).bearer_auth(token),
                Replay::Safe,
                &LinkedInClassifier,
            )
            .await
    }

    /// The member's public profile handle; best effort (the profile still connects without it).
    async fn vanity_name(&self, token: &str) -> Result<Option<String>, ProviderError> {
        let url = format!("{}/v2/me", self.api_base);
        let me: Result<Me, ProviderError> = self
            .http
            .json(
                || {
                    self.http
                        .raw()
                        .get(&url)
                        .bearer_auth(token)
                        .header("X-Restli-Protocol-Version", "2.0.0")
                },
                Replay::Safe,
                &LinkedInClassifier,
            )
            .await;
        match me {
            Ok(me) => Ok(me.vanity_name.filter(|v| !v.is_empty())),
            Err(e @ (ProviderError::RefreshNeeded(_) | ProviderError::Transient(_))) => Err(e),
            Err(e) => {
                tracing::debug!(class = e.class(), "LinkedIn profile handle unavailable");
                Ok(None)
            }
        }
    }

    /// Ids of the organizations on which the member may post, in LinkedIn's order.
    async fn posting_organizations(&self, token: &str) -> Result<Vec<String>, ProviderError> {
        let mut ids: Vec<String> = Vec::new();
        let mut start = 0usize;
        for _ in 0..ACL_MAX_PAGES {
            let url = format!(
                "{}/rest/organizationAcls?q=roleAssignee&state=APPROVED&start={start}&count={ACL_PAGE_SIZE}",
                self.api_base
            );
            let page: AclPage = self
                .http
                .json(
                    || self.rest(Method::GET, &url, token),
                    Replay::Safe,
                    &LinkedInClassifier,
                )
                .await?;
            let received = page.elements.len();
            for Acl {
                organization,
                role,
                state,
            } in page.elements
            {
                let may_post = role.as_deref().is_some_and(|r| POSTING_ROLES.contains(&r))
                    && state.as_deref().is_none_or(|s| s == "APPROVED");
                let Some(urn) = organization.filter(|_| may_post) else {
                    continue;
                };
                let id = organization_id(&urn).to_string();
                if !id.is_empty() && !ids.contains(&id) {
                    ids.push(id);
                }
            }
            if received < ACL_PAGE_SIZE {
                break;
            }
            start += received;
        }
        Ok(ids)
    }

    async fn organization(&self, token: &str, id: &str) -> Result<Organization, ProviderError> {
        let url = format!("{}/rest/organizations/{}", self.api_base, encode(id));
        self.http
            .json(
                || self.rest(Method::GET, &url, token),
                Replay::Safe,
                &LinkedInClassifier,
            )
            .await
    }

    /// The download URL of an organization logo, if LinkedIn gives one (best effort).
    async fn logo_url(&self, token: &str, org: &Organization) -> Option<String> {
        let logo = org.logo.as_ref()?;
        let asset = logo.cropped.as_deref().or(logo.original.as_deref())?;
        // Logos are digital media assets; the Images API reads them under the image URN of the
        // same id.
        let id = asset.rsplit(':').next().filter(|id| !id.is_empty())?;
        let urn = format!("urn:li:image:{id}");
        match self.media_info(token, MediaEndpoint::Images, &urn).await {
            Ok(info) => info.download_url.filter(|u| !u.is_empty()),
            Err(e) => {
                tracing::debug!(class = e.class(), "LinkedIn page logo unavailable");
                None
            }
        }
    }

    async fn page_of(&self, token: &str, id: &str) -> Result<Page, ProviderError> {
        match self.organization(token, id).await {
            Ok(org) => {
                let picture = self.logo_url(token, &org).await.unwrap_or_default();
                Ok(Page {
                    id: id.to_string(),
                    name: org
                        .localized_name
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| format!("Organization {id}")),
                    username: org.vanity_name.unwrap_or_default(),
                    picture,
                })
            }
            Err(
                e @ (ProviderError::RefreshNeeded(_)
                | ProviderError::RateLimited { .. }
                | ProviderError::Transient(_)),
            ) => Err(e),
            Err(e) => {
                tracing::debug!(class = e.class(), "LinkedIn organization lookup failed");
                Ok(Page {
                    id: id.to_string(),
                    name: format!("Organization {id}"),
                    username: String::new(),
                    picture: String::new(),
                })
            }
        }
    }

    /// Creates the post and reads its URN from the `x-restli-id` header.
    async fn create_post(&self, token: &str, body: &Value) -> Result<PublishedRef, ProviderError> {
        let url = format!("{}/rest/posts", self.api_base);
        let response = self
            .http
            .send(
                || self.rest(Method::POST, &url, token).json(body),
                Replay::Once,
                &LinkedInClassifier,
            )
            .await?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let urn = header("x-restli-id").or_else(|| {
            // `Location: /rest/posts/urn%3Ali%3Ashare%3A123`
            header("location").and_then(|l| {
                let last = l.rsplit('/').next()?;
                let decoded: String = url::form_urlencoded::parse(format!("u={last}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())?;
                decoded.starts_with("urn:li:").then_some(decoded)
            })
        });
        match urn {
            Some(urn) => Ok(PublishedRef {
                url: post_url(&urn),
                id: urn,
            }),
            None => Err(ProviderError::Unconfirmed(
                "LinkedIn accepted the post but did not return its id".into(),
            )),
        }
    }

    fn post_body(author: &str, commentary: &str, content: Option<Value>) -> Value {
        let mut body = json!({
            "author": author,
            "commentary": commentary,
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": false,
        });
        if let (Some(content), Some(map)) = (content, body.as_object_mut()) {
            map.insert("content".into(), content);
        }
        body
    }

    fn media_entry(urn: &str, alt: Option<&str>) -> Value {
        let mut entry = json!({ "id": urn });
        if let (Some(alt), Some(map)) =
            (alt.filter(|a| !a.trim().is_empty()), entry.as_object_mut())
        {
            map.insert("altText".into(), Value::String(alt.trim().to_string()));
        }
        entry
    }

    /// Runs the checks of a pending publication and creates the post once its media is ready.
    async fn advance(
        &self,
        token: &str,
        mut pending: PendingPost,
    ) -> Result<PublishOutcome, ProviderError> {
        let mut still_processing = Vec::new();
        for media in &pending.poll {
            let info = self.media_info(token, media.endpoint, &media.urn).await?;
            match info.status.as_deref() {
                Some("AVAILABLE") => {}
                Some("PROCESSING_FAILED") => {
                    let reason = info
                        .processing_failure_reason
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default();
                    return Err(ProviderError::Rejected(format!(
                        "LinkedIn could not process the {}{reason}; nothing was published",
                        media.endpoint.label()
                    )));
                }
                _ => still_processing.push(media.clone()),
            }
        }
        let waiting = !still_processing.is_empty() || pending.grace_checks > 0;
        if waiting && now_unix() > pending.deadline {
            return Err(ProviderError::Rejected(
                "LinkedIn took too long to process the media; nothing was published".into(),
            ));
        }
        if !still_processing.is_empty() {
            pending.poll = still_processing;
            return Ok(PublishOutcome::Pending {
                data: serde_json::to_value(&pending)
                    .map_err(|e| ProviderError::Config(format!("pending data: {e}")))?,
            });
        }
        pending.poll.clear();
        if pending.grace_checks > 0 {
            pending.grace_checks -= 1;
            return Ok(PublishOutcome::Pending {
                data: serde_json::to_value(&pending)
                    .map_err(|e| ProviderError::Config(format!("pending data: {e}")))?,
            });
        }
        let published = self.create_post(token, &pending.post).await?;
        Ok(PublishOutcome::Published(published))
    }
}

#[async_trait]
impl Provider for LinkedInProvider {
    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn max_length(&self, _channel: &ChannelAuth, _settings: &Value) -> usize {
        MAX_LENGTH
    }

    fn text_length(&self, text: &str) -> usize {
        text::length(text)
    }

    fn validate(&self, items: &[MediaSummary], settings: &Value) -> Result<(), String> {
        if setting_flag(settings, "post_as_images_carousel") {
            let first = items.first();
            let images = first.map_or(0, |m| m.images);
            let videos = first.map_or(0, |m| m.videos);
            if images < 2 || videos > 0 {
                return Err(
                    "A LinkedIn carousel needs at least two images and no video".to_string()
                );
            }
        }
        validate_media_rules(&self.capabilities.media, items)
    }

    async fn auth_url(&self, request: AuthUrlRequest) -> Result<AuthUrl, ProviderError> {
        let state = oauth::random_token(32);
        let redirect = if request.redirect_uri.is_empty() {
            self.redirect_uri.as_str()
        } else {
            request.redirect_uri.as_str()
        };
        let url = format!(
            "{}/oauth/v2/authorization?response_type=code&client_id={}&redirect_uri={}&state={}&scope={}",
            self.auth_base,
            encode(&self.client_id),
            encode(redirect),
            state,
            encode(&SCOPES.join(" ")),
        );
        Ok(AuthUrl {
            url,
            code_verifier: String::new(),
            state,
        })
    }

    async fn authenticate(
        &self,
        request: AuthenticateRequest,
    ) -> Result<AuthenticatedAccount, ProviderError> {
        let redirect = if request.redirect_uri.is_empty() {
            self.redirect_uri.clone()
        } else {
            request.redirect_uri.clone()
        };
        let token_url = format!("{}/oauth/v2/accessToken", self.auth_base);
        let answer = oauth::token_request(
            &self.http,
            &token_url,
            &[
                ("grant_type", "authorization_code"),
                ("code", request.code.as_str()),
                ("redirect_uri", redirect.as_str()),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.as_str()),
            ],
            &TokenClassifier { refresh: false },
        )
        .await?;
        if answer.scope.is_some() {
            require_scopes(&self.capabilities.scopes, &answer.granted_scopes())?;
        }
        let tokens = answer.into_token_set();
        let info = self.user_info(&tokens.access_token).await?;
        let vanity = self.vanity_name(&tokens.access_token).await?;
        let name = info
            .name
            .filter(|n| !n.trim().is_empty())
            .or_else(|| {
                let full = format!(
                    "{} {}",
                    info.given_name.unwrap_or_default(),
                    info.family_name.unwrap_or_default()
                );
                Some(full.trim().to_string()).filter(|n| !n.is_empty())
            })
            .unwrap_or_else(|| "LinkedIn member".to_string());
        Ok(AuthenticatedAccount {
            username: vanity.unwrap_or_else(|| info.sub.clone()),
            id: info.sub,
            name,
            picture: info.picture.filter(|p| !p.is_empty()),
            tokens,
            additional_settings: Vec::new(),
            custom: None,
        })
    }

    async fn refresh(&self, channel: &ChannelAuth) -> Result<TokenSet, ProviderError> {
        let Some(refresh_token) = channel
            .tokens
            .refresh_token
            .as_deref()
            .filter(|t| !t.is_empty())
        else {
            return Err(ProviderError::Disconnected(
                "LinkedIn issued no refresh token for this channel; reconnect it".into(),
            ));
        };
        let token_url = format!("{}/oauth/v2/accessToken", self.auth_base);
        let answer = oauth::token_request(
            &self.http,
            &token_url,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.as_str()),
            ],
            &TokenClassifier { refresh: true },
        )
        .await?;
        Ok(answer.into_token_set())
    }

    async fn list_pages(&self, channel: &ChannelAuth) -> Result<Vec<Page>, ProviderError> {
        if self.kind != AccountKind::Page {
            return Err(ProviderError::Unsupported("page listing"));
        }
        let token = Self::token(channel)?;
        let mut pages = Vec::new();
        for id in self.posting_organizations(token).await? {
            pages.push(self.page_of(token, &id).await?);
        }
        Ok(pages)
    }

    async fn select_page(
        &self,
        channel: &ChannelAuth,
        page_id: &str,
    ) -> Result<AuthenticatedAccount, ProviderError> {
        if self.kind != AccountKind::Page {
            return Err(ProviderError::Unsupported("page selection"));
        }
        let id = organization_id(page_id);
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
            return Err(ProviderError::Rejected(format!(
                "{page_id:?} is not a LinkedIn organization id"
            )));
        }
        let token = Self::token(channel)?;
        if !self
            .posting_organizations(token)
            .await?
            .iter()
            .any(|o| o == id)
        {
            return Err(ProviderError::Rejected(
                "you are not an administrator of this LinkedIn page".into(),
            ));
        }
        let page = self.page_of(token, id).await?;
        Ok(AuthenticatedAccount {
            id: page.id,
            name: page.name,
            username: if page.username.is_empty() {
                id.to_string()
            } else {
                page.username
            },
            picture: Some(page.picture).filter(|p| !p.is_empty()),
            // Page posts are made with the administrator's member token.
            tokens: channel.tokens.clone(),
            additional_settings: Vec::new(),
            custom: None,
        })
    }

    async fn publish(
        &self,
        channel: &ChannelAuth,
        item: &PostItem,
    ) -> Result<PublishOutcome, ProviderError> {
        let token = Self::token(channel)?;
        let author = self.author(channel)?;
        let commentary = text::escape_commentary(&item.message);

        let videos = item
            .media
            .iter()
            .filter(|m| m.kind == MediaKind::Video)
            .count();
        if videos > 0 && item.media.len() > 1 {
            return Err(ProviderError::Rejected(
                "a LinkedIn post with a video can carry only that video".into(),
            ));
        }
        if setting_flag(&item.settings, "post_as_images_carousel") {
            // Organic carousels are not offered by the Posts API (Postiz builds a PDF document
            // instead); the images go out as a documented MultiImage post.
            tracing::debug!("LinkedIn carousel requested; publishing the images as MultiImage");
        }

        if item.media.is_empty() {
            let body = Self::post_body(&author, &commentary, None);
            return Ok(PublishOutcome::Published(
                self.create_post(token, &body).await?,
            ));
        }

        let mut entries = Vec::with_capacity(item.media.len());
        let mut poll = Vec::new();
        let mut grace_checks = 0;
        for media in &item.media {
            match media.kind {
                MediaKind::Image => {
                    let urn = self.upload_image(token, &author, media).await?;
                    match self.kind {
                        // Organization tokens can read the image status.
                        AccountKind::Page => poll.push(PendingMedia {
                            urn: urn.clone(),
                            endpoint: MediaEndpoint::Images,
                        }),
                        // A member token (w_member_social) cannot read images back: wait one
                        // check instead.
                        AccountKind::Personal => grace_checks = 1,
                    }
                    entries.push(Self::media_entry(&urn, media.alt.as_deref()));
                }
                MediaKind::Video => {
                    let urn = self.upload_video(token, &author, media).await?;
                    poll.push(PendingMedia {
                        urn: urn.clone(),
                        endpoint: MediaEndpoint::Videos,
                    });
                    entries.push(Self::media_entry(&urn, None));
                }
            }
        }
        let content = if entries.len() == 1 {
            json!({ "media": entries.remove(0) })
        } else {
            json!({ "multiImage": { "images": entries } })
        };
        // Media is processed asynchronously after upload and must be AVAILABLE before a post
        // may reference it: the post is created by `check_status`.
        let pending = PendingPost {
            post: Self::post_body(&author, &commentary, Some(content)),
            poll,
            grace_checks,
            deadline: now_unix() + PROCESSING_BUDGET.as_secs(),
        };
        Ok(PublishOutcome::Pending {
            data: serde_json::to_value(&pending)
                .map_err(|e| ProviderError::Config(format!("pending data: {e}")))?,
        })
    }

    async fn comment(
        &self,
        channel: &ChannelAuth,
        root: &PublishedRef,
        parent: &PublishedRef,
        item: &PostItem,
    ) -> Result<PublishOutcome, ProviderError> {
        if !item.media.is_empty() {
            return Err(ProviderError::Rejected(
                "LinkedIn comments can only contain text".into(),
            ));
        }
        let token = Self::token(channel)?;
        let actor = self.author(channel)?;
        // LinkedIn comments are not threaded under each other here: every item comments on the
        // root post, whatever the previous item was.
        tracing::debug!(parent = %parent.id, "LinkedIn comment goes on the root post");
        let url = format!(
            "{}/rest/socialActions/{}/comments",
            self.api_base,
            encode(&root.id)
        );
        let body = json!({
            "actor": actor,
            "object": root.id,
            // Plain text: the Comments API does not use the little text format.
            "message": { "text": text::plain_text(&item.message) },
        });
        let response = self
            .http
            .send(
                || self.rest(Method::POST, &url, token).json(&body),
                Replay::Once,
                &LinkedInClassifier,
            )
            .await?;
        let header_id = response
            .headers()
            .get("x-restli-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let answer: Value = response
            .text()
            .await
            .ok()
            .and_then(|b| serde_json::from_str(&b).ok())
            .unwrap_or(Value::Null);
        let pick = |key: &str| {
            answer
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let comment_urn = pick("commentUrn")
            .or_else(|| pick("$URN"))
            .or_else(|| header_id.filter(|h| h.starts_with("urn:li:comment:")));
        Ok(match comment_urn {
            Some(urn) => PublishOutcome::published(
                urn.clone(),
                format!("{}?commentUrn={}", post_url(&root.id), encode(&urn)),
            ),
            None => {
                let id = pick("id").unwrap_or_default();
                PublishOutcome::published(id, post_url(&root.id))
            }
        })
    }

    async fn check_status(
        &self,
        channel: &ChannelAuth,
        pending: &Value,
    ) -> Result<PublishOutcome, ProviderError> {
        let pending: PendingPost = serde_json::from_value(pending.clone())
            .map_err(|e| ProviderError::Config(format!("unreadable LinkedIn pending data: {e}")))?;
        let token = Self::token(channel)?;
        self.advance(token, pending).await
    }
}
