//! Connecting channels: the authorization URL and its state, the callback that finishes the
//! connection (`social-connect`), picking a page for between-steps providers, and the
//! `MIGRATE_PROVIDERS` moves.

use postiz_entity::integration;
use postiz_provider::{
    AuthFlow, AuthUrlRequest, AuthenticateRequest, AuthenticatedAccount, ChannelAuth, Page,
    ProviderError,
};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use super::{Channel, ChannelService, expiry_of, posting_times_json};
use crate::error::{ChannelError, connect_error};
use crate::repository::{self as repo, ConnectionUpdate, NewChannel};

/// Longest account id, name or handle stored (the columns' width).
const MAX_COLUMN: usize = 255;
/// Longest redirect URL kept with a state.
const MAX_REDIRECT: usize = 2048;
/// Posting times Postiz gives a new channel, in the user's local minutes of the day.
const LOCAL_POSTING_TIMES: [i32; 3] = [560, 850, 1140];

/// Options of `GET /integrations/social/:integration`.
#[derive(Debug, Clone, Default)]
pub struct AuthUrlOptions {
    /// Reconnect the channel of this account id (Postiz `refresh`, the channel's `internalId`).
    pub refresh: Option<String>,
    /// The connection is part of onboarding; echoed by `social-connect`.
    pub onboarding: bool,
    /// Where the dashboard goes after connecting (Postiz `redirectUrl`, returned as `returnURL`).
    pub redirect: Option<String>,
}

/// What `social-connect` receives.
#[derive(Clone, Default)]
pub struct ConnectInput {
    pub state: String,
    /// The authorization code, OAuth 1.0a verifier, or base64 JSON of the custom fields.
    pub code: String,
    /// The browser's UTC offset in minutes (`dayjs().utcOffset()`), for default posting times.
    pub timezone: Option<i32>,
}

impl std::fmt::Debug for ConnectInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectInput")
            .field("state", &self.state)
            .field("code", &"<redacted>")
            .field("timezone", &self.timezone)
            .finish()
    }
}

/// A finished connection.
#[derive(Debug, Clone)]
pub struct Connected {
    pub channel: Channel,
    pub onboarding: bool,
    /// Pages to pick from, for a between-steps provider (empty otherwise or when listing failed).
    pub pages: Vec<Page>,
    pub return_url: Option<String>,
}

/// What is kept with an OAuth state until the network sends the user back (one hour, single
/// use). The code verifier is a secret: the cache entry is the only place it lives.
#[derive(Serialize, Deserialize)]
struct ConnectState {
    organization_id: String,
    provider: String,
    code_verifier: String,
    refresh: Option<String>,
    onboarding: bool,
    redirect: Option<String>,
}

fn state_key(state: &str) -> String {
    format!("channels:connect:{state}")
}

/// A between-steps channel created from a state, whose page may be picked with that state.
#[derive(Serialize, Deserialize)]
struct PendingPick {
    organization_id: String,
    channel_id: String,
}

fn pick_key(state: &str) -> String {
    format!("channels:pick:{state}")
}

/// The account id a between-steps channel holds until its page is picked: unique per provider
/// and authorizing account, so it never collides with a real channel of that account (a LinkedIn
/// member connected as a profile and authorizing a page).
fn placeholder_id(identifier: &str, account_id: &str) -> String {
    format!("{identifier}:pending:{account_id}")
}

fn truncate(value: &str, max: usize) -> String {
    value.chars().take(max).collect()
}

/// Postiz's fallback name: the name, else the handle up to its first dot, else `Channel_<id>`.
fn channel_name(account: &AuthenticatedAccount) -> String {
    let name = account.name.trim();
    let name = if !name.is_empty() {
        name.to_string()
    } else if !account.username.trim().is_empty() {
        let handle = account.username.trim();
        handle.split('.').next().unwrap_or(handle).to_string()
    } else {
        format!("Channel_{}", account.id.chars().take(8).collect::<String>())
    };
    truncate(&name, MAX_COLUMN)
}

/// Default posting times for a browser offset (09:20, 14:10 and 19:00 local), as minutes of the
/// UTC day; without an offset, Postiz's `[120, 400, 700]`.
fn default_posting_times(timezone: Option<i32>) -> Vec<i32> {
    match timezone.filter(|tz| (-24 * 60..=24 * 60).contains(tz)) {
        Some(tz) => LOCAL_POSTING_TIMES
            .iter()
            .map(|t| (t - tz).rem_euclid(24 * 60))
            .collect(),
        None => super::DEFAULT_POSTING_TIMES.to_vec(),
    }
}

/// The provider's view of an account just authorized, for page listing and selection.
fn account_auth(account: &AuthenticatedAccount) -> ChannelAuth {
    ChannelAuth {
        internal_id: account.id.clone(),
        username: account.username.clone(),
        tokens: account.tokens.clone(),
        custom: account.custom.clone(),
        additional_settings: account.additional_settings.clone(),
    }
}

/// Page listing and selection errors for the user: refusals are 400 with the network's words.
fn page_error(e: ProviderError) -> ChannelError {
    match e {
        ProviderError::Transient(_)
        | ProviderError::RateLimited { .. }
        | ProviderError::Unconfirmed(_) => ChannelError::Provider(e),
        ProviderError::Unsupported(_) => {
            ChannelError::Invalid("Provider does not support page selection".into())
        }
        other => ChannelError::Invalid(other.user_message()),
    }
}

impl ChannelService {
    /// Builds the network's authorization URL and keeps the state (organization, code verifier,
    /// reconnected account, onboarding, redirect) for one hour. With `refresh`, the channel of
    /// that account id is reconnected, through the provider it migrates to when
    /// `MIGRATE_PROVIDERS` says so. A network failure is [`ChannelError::Provider`].
    pub async fn auth_url(
        &self,
        org_id: &str,
        identifier: &str,
        options: AuthUrlOptions,
    ) -> Result<String, ChannelError> {
        let refresh = options
            .refresh
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        let target = match refresh.as_deref() {
            Some(internal_id) => {
                let existing = repo::find_live_by_internal_id(self.db(), org_id, internal_id)
                    .await?
                    .ok_or(ChannelError::NotFound)?;
                if existing.provider_identifier != identifier {
                    return Err(ChannelError::Invalid(format!(
                        "This channel was not connected with {identifier}"
                    )));
                }
                self.registry()
                    .migration_target(identifier)
                    .filter(|to| self.provider(to).is_some())
                    .unwrap_or(identifier)
                    .to_string()
            }
            None => {
                // Hidden providers keep their channels but take no new ones.
                if self.registry().is_hidden(identifier) {
                    return Err(ChannelError::ProviderNotAllowed);
                }
                identifier.to_string()
            }
        };
        let provider = self
            .provider(&target)
            .ok_or(ChannelError::ProviderNotAllowed)?;
        let redirect = options
            .redirect
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| self.check_redirect(r))
            .transpose()?;

        let auth = provider
            .auth_url(AuthUrlRequest::default())
            .await
            .map_err(|e| {
                tracing::warn!(provider = %target, class = e.class(), error = %e, "authorization URL failed");
                ChannelError::Provider(e)
            })?;
        if auth.state.is_empty() {
            return Err(ChannelError::Internal(anyhow::anyhow!(
                "the provider {target} returned an empty state"
            )));
        }
        let state = ConnectState {
            organization_id: org_id.to_string(),
            provider: target,
            code_verifier: auth.code_verifier,
            refresh,
            onboarding: options.onboarding,
            redirect,
        };
        let stored = self
            .inner
            .cache
            .set_if_absent(
                &state_key(&auth.state),
                &serde_json::to_string(&state)?,
                self.inner.config.state_ttl,
            )
            .await?;
        if !stored {
            return Err(ChannelError::Internal(anyhow::anyhow!(
                "OAuth state collision"
            )));
        }
        Ok(auth.url)
    }

    /// A return URL the dashboard may be sent to: a path, the dashboard itself, or an app link
    /// (`postiz://...`); never another website.
    fn check_redirect(&self, url: &str) -> Result<String, ChannelError> {
        let invalid = || ChannelError::Invalid("redirectUrl is not allowed".into());
        if url.len() > MAX_REDIRECT {
            return Err(invalid());
        }
        if url.starts_with('/') {
            return if url.starts_with("//") || url.contains('\\') {
                Err(invalid())
            } else {
                Ok(url.to_string())
            };
        }
        let parsed = url::Url::parse(url).map_err(|_| invalid())?;
        match parsed.scheme() {
            "http" | "https" => {
                let frontend =
                    url::Url::parse(&self.inner.config.frontend_url).map_err(|_| invalid())?;
                if parsed.origin() == frontend.origin() {
                    Ok(url.to_string())
                } else {
                    Err(invalid())
                }
            }
            "javascript" | "data" | "file" | "vbscript" | "blob" => Err(invalid()),
            _ => Ok(url.to_string()),
        }
    }

    /// Finishes a connection from the network's callback. The organization comes from the
    /// state, which is consumed (single use). One channel per organization and account:
    /// reconnecting updates the row in place (same id), clears `refresh_needed`, revives a
    /// deleted row, and keeps the stored refresh token when the network sends none.
    /// Between-steps providers create the channel `in_between_steps` and answer the pages.
    pub async fn connect(
        &self,
        identifier: &str,
        input: ConnectInput,
    ) -> Result<Connected, ChannelError> {
        let provider = self
            .provider(identifier)
            .ok_or(ChannelError::ProviderNotAllowed)?;
        let state_value = input.state.trim();
        if state_value.is_empty() {
            return Err(ChannelError::InvalidState);
        }
        let raw = self
            .inner
            .cache
            .take(&state_key(state_value))
            .await?
            .ok_or(ChannelError::InvalidState)?;
        let state: ConnectState =
            serde_json::from_str(&raw).map_err(|_| ChannelError::InvalidState)?;
        if state.provider != identifier {
            return Err(ChannelError::InvalidState);
        }
        let org_id = state.organization_id.clone();
        let caps = provider.capabilities();

        // Credential networks get base64 in a URL query, where `+` may have turned into a space.
        let code = match caps.auth_flow {
            AuthFlow::Credentials => input.code.trim().replace(' ', "+"),
            _ => input.code.trim().to_string(),
        };
        let account = provider
            .authenticate(AuthenticateRequest {
                code,
                code_verifier: state.code_verifier.clone(),
                redirect_uri: String::new(),
            })
            .await
            .map_err(|e| {
                tracing::info!(
                    provider = identifier,
                    class = e.class(),
                    "connection refused"
                );
                connect_error(e)
            })?;
        if account.id.trim().is_empty() {
            return Err(ChannelError::ConnectFailed("Invalid API key".into()));
        }
        let member_id = account.id.clone();
        let is_refresh = state.refresh.is_some();

        let (account, internal_id, in_between) = match (caps.between_steps, &state.refresh) {
            // Reconnecting a page: authorize as the member, then resolve the same page again.
            (true, Some(page_id)) => {
                let mut page = provider
                    .select_page(&account_auth(&account), page_id)
                    .await
                    .map_err(connect_error)?;
                if page.custom.is_none() {
                    page.custom = account.custom.clone();
                }
                let id = page.id.clone();
                (page, id, false)
            }
            (true, None) => {
                let id = placeholder_id(identifier, &account.id);
                (account, id, true)
            }
            (false, _) => {
                let id = account.id.clone();
                (account, id, false)
            }
        };
        if internal_id.chars().count() > MAX_COLUMN {
            return Err(ChannelError::ConnectFailed(
                "The network returned an account id that is too long".into(),
            ));
        }

        let tx = postiz_core::db::begin_write(self.db()).await?;
        match state.refresh.as_deref() {
            Some(refresh) if refresh != internal_id => {
                self.migrate_for_reconnect(
                    &tx,
                    &org_id,
                    refresh,
                    identifier,
                    &internal_id,
                    &account.username,
                )
                .await?;
            }
            None if !in_between => {
                self.adopt_migrated_channel(
                    &tx,
                    &org_id,
                    identifier,
                    &internal_id,
                    &account.username,
                )
                .await?;
            }
            _ => {}
        }
        let row = self
            .upsert(
                &tx,
                Upsert {
                    org_id: &org_id,
                    identifier,
                    internal_id: &internal_id,
                    root_internal_id: &member_id,
                    account: &account,
                    in_between,
                    is_refresh,
                    timezone: input.timezone,
                },
            )
            .await?;
        tx.commit().await?;

        let pages = if in_between {
            // The page may be picked by someone without a session (a shared connect link):
            // the state then authorizes that one pick.
            let pick = PendingPick {
                organization_id: org_id.clone(),
                channel_id: row.id.clone(),
            };
            self.inner
                .cache
                .set(
                    &pick_key(state_value),
                    &serde_json::to_string(&pick)?,
                    self.inner.config.state_ttl,
                )
                .await?;
            match provider.list_pages(&account_auth(&account)).await {
                Ok(pages) => pages,
                Err(e) => {
                    tracing::warn!(provider = identifier, class = e.class(), error = %e, "listing pages failed");
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        Ok(Connected {
            channel: Channel::from_row(row, None),
            onboarding: state.onboarding,
            pages,
            return_url: state.redirect,
        })
    }

    /// Creates the channel of an account or updates it in place.
    async fn upsert(
        &self,
        tx: &impl ConnectionTrait,
        u: Upsert<'_>,
    ) -> Result<integration::Model, ChannelError> {
        let account = u.account;
        let name = channel_name(account);
        let profile = truncate(account.username.trim(), MAX_COLUMN);
        let custom_sealed = account
            .custom
            .as_ref()
            .map(|c| self.seal_custom(c))
            .transpose()?;
        let settings = (!account.additional_settings.is_empty())
            .then(|| serde_json::to_value(&account.additional_settings))
            .transpose()?;
        match repo::find_by_internal_id(tx, u.org_id, u.internal_id).await? {
            None => {
                let tokens = account.tokens.clone();
                Ok(repo::insert(
                    tx,
                    NewChannel {
                        organization_id: u.org_id.to_string(),
                        internal_id: u.internal_id.to_string(),
                        provider_identifier: u.identifier.to_string(),
                        name,
                        picture: account.picture.clone(),
                        profile: Some(profile),
                        tokens_sealed: self.seal_tokens(&tokens)?,
                        token_expires_at: expiry_of(&tokens),
                        custom_sealed,
                        in_between_steps: u.in_between,
                        posting_times: posting_times_json(&default_posting_times(u.timezone)),
                        additional_settings: settings.unwrap_or_else(|| serde_json::json!([])),
                        root_internal_id: truncate(u.root_internal_id, MAX_COLUMN),
                    },
                )
                .await?)
            }
            Some(row) => {
                let stored = self.open_tokens(&row).unwrap_or_else(|e| {
                    tracing::warn!(channel = %row.id, error = %format!("{e}"), "stored tokens unreadable; replaced");
                    Default::default()
                });
                // A network that sends no refresh token on reconnection keeps the old one valid.
                let tokens = stored.merged_after_refresh(account.tokens.clone());
                Ok(repo::update_connection(
                    tx,
                    &row.id,
                    ConnectionUpdate {
                        provider_identifier: Some(u.identifier.to_string()),
                        name: Some(name),
                        picture: account.picture.clone(),
                        profile: Some(profile),
                        tokens_sealed: Some(self.seal_tokens(&tokens)?),
                        token_expires_at: Some(expiry_of(&tokens)),
                        custom_sealed,
                        in_between_steps: (!u.is_refresh).then_some(u.in_between),
                        additional_settings: settings,
                        revive: row.deleted_at.is_some(),
                        ..Default::default()
                    },
                )
                .await?)
            }
        }
    }

    /// A reconnection that came back with another account id: either the wrong account, or a
    /// channel moving to the provider `MIGRATE_PROVIDERS` names, matched by handle and moved in
    /// place (same id, posts and settings).
    async fn migrate_for_reconnect(
        &self,
        tx: &impl ConnectionTrait,
        org_id: &str,
        refresh: &str,
        identifier: &str,
        new_internal_id: &str,
        username: &str,
    ) -> Result<(), ChannelError> {
        let wrong = || {
            ChannelError::ConnectFailed(
                "Please refresh the channel that needs to be refreshed".into(),
            )
        };
        let existing = repo::find_live_by_internal_id(tx, org_id, refresh)
            .await?
            .ok_or_else(wrong)?;
        if self
            .registry()
            .migration_target(&existing.provider_identifier)
            != Some(identifier)
        {
            return Err(wrong());
        }
        if existing.profile.as_deref() != Some(username) {
            return Err(ChannelError::ConnectFailed(format!(
                "Please connect the same account (@{}) that needs to be refreshed",
                existing.profile.as_deref().unwrap_or_default()
            )));
        }
        self.move_channel(tx, org_id, &existing, identifier, new_internal_id)
            .await
    }

    /// A fresh connection of a migration target for an account the organization has on the
    /// source provider adopts that channel instead of creating a duplicate.
    async fn adopt_migrated_channel(
        &self,
        tx: &impl ConnectionTrait,
        org_id: &str,
        identifier: &str,
        internal_id: &str,
        username: &str,
    ) -> Result<(), ChannelError> {
        let sources = self.registry().migration_sources(identifier);
        if sources.is_empty()
            || repo::find_live_by_internal_id(tx, org_id, internal_id)
                .await?
                .is_some()
        {
            return Ok(());
        }
        let found = repo::list(tx, org_id).await?.into_iter().find(|(c, _)| {
            sources.contains(&c.provider_identifier.as_str())
                && c.profile.as_deref() == Some(username)
        });
        match found {
            Some((existing, _)) => {
                self.move_channel(tx, org_id, &existing, identifier, internal_id)
                    .await
            }
            None => Ok(()),
        }
    }

    async fn move_channel(
        &self,
        tx: &impl ConnectionTrait,
        org_id: &str,
        existing: &integration::Model,
        identifier: &str,
        new_internal_id: &str,
    ) -> Result<(), ChannelError> {
        if repo::find_live_by_internal_id(tx, org_id, new_internal_id)
            .await?
            .is_some()
        {
            return Err(ChannelError::ConnectFailed(
                "This account is already connected as another channel, please delete one of them first".into(),
            ));
        }
        repo::release_deleted_internal_id(tx, org_id, new_internal_id).await?;
        let root = match existing.root_internal_id.as_deref() {
            Some(root) if root != existing.internal_id => root.to_string(),
            _ => new_internal_id.to_string(),
        };
        repo::migrate(tx, &existing.id, new_internal_id, identifier, &root).await?;
        tracing::info!(channel = %existing.id, from = %existing.provider_identifier, to = identifier, "channel migrated");
        Ok(())
    }

    /// The pages a between-steps channel can be bound to (Postiz `pages` / `companies`).
    pub async fn list_pages(
        &self,
        org_id: &str,
        channel_id: &str,
    ) -> Result<Vec<Page>, ChannelError> {
        let row = repo::find_in_org(self.db(), org_id, channel_id)
            .await?
            .ok_or(ChannelError::NotFound)?;
        let provider = self
            .provider(&row.provider_identifier)
            .ok_or(ChannelError::ProviderNotAllowed)?;
        if !provider.capabilities().between_steps {
            return Err(ChannelError::Invalid(
                "Provider does not support page selection".into(),
            ));
        }
        let auth = self.member_auth(&row)?;
        provider.list_pages(&auth).await.map_err(page_error)
    }

    /// Binds a between-steps channel to the page the user picked. When that page already is a
    /// channel of the organization (even deleted), that channel is updated and revived and the
    /// half-connected one retired.
    pub async fn select_page(
        &self,
        org_id: &str,
        channel_id: &str,
        page_id: &str,
    ) -> Result<Channel, ChannelError> {
        let row = repo::find_in_org(self.db(), org_id, channel_id)
            .await?
            .ok_or(ChannelError::NotFound)?;
        if !row.in_between_steps {
            return Err(ChannelError::Invalid("Invalid request".into()));
        }
        let provider = self
            .provider(&row.provider_identifier)
            .ok_or(ChannelError::ProviderNotAllowed)?;
        if !provider.capabilities().between_steps {
            return Err(ChannelError::Invalid(
                "Provider does not support page selection".into(),
            ));
        }
        let page_id = page_id.trim();
        if page_id.is_empty() || page_id.chars().count() > MAX_COLUMN {
            return Err(ChannelError::Invalid("page is required".into()));
        }
        let auth = self.member_auth(&row)?;
        let account = provider
            .select_page(&auth, page_id)
            .await
            .map_err(page_error)?;
        if account.id.trim().is_empty() || account.id.chars().count() > MAX_COLUMN {
            return Err(ChannelError::Invalid(
                "The network returned no usable page id".into(),
            ));
        }

        let tx = postiz_core::db::begin_write(self.db()).await?;
        let existing = repo::find_by_internal_id(&tx, org_id, &account.id).await?;
        let target = match existing {
            Some(other) if other.id != row.id => {
                repo::retire(&tx, &row.id, &row.internal_id).await?;
                other
            }
            _ => row.clone(),
        };
        let stored = self.open_tokens(&target).unwrap_or_default();
        let tokens = stored.merged_after_refresh(account.tokens.clone());
        let custom_sealed = match account.custom.as_ref() {
            Some(c) => Some(self.seal_custom(c)?),
            None => row.custom_sealed.clone(),
        };
        let settings = (!account.additional_settings.is_empty())
            .then(|| serde_json::to_value(&account.additional_settings))
            .transpose()?;
        let updated = repo::update_connection(
            &tx,
            &target.id,
            ConnectionUpdate {
                internal_id: Some(account.id.clone()),
                provider_identifier: Some(row.provider_identifier.clone()),
                name: Some(channel_name(&account)),
                picture: account.picture.clone(),
                profile: Some(truncate(account.username.trim(), MAX_COLUMN)),
                tokens_sealed: Some(self.seal_tokens(&tokens)?),
                token_expires_at: Some(expiry_of(&tokens)),
                custom_sealed,
                in_between_steps: Some(false),
                additional_settings: settings,
                root_internal_id: row.root_internal_id.clone(),
                revive: true,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Channel::from_row(updated, None))
    }

    /// Picks the page of a channel created by `social-connect` with `state`, without a session
    /// (Postiz `POST /integrations/public/provider/:id/connect`, used when a connect link was
    /// shared with someone who is not signed in). The state authorizes one pick of that channel.
    pub async fn select_page_with_state(
        &self,
        state: &str,
        channel_id: &str,
        page_id: &str,
    ) -> Result<Channel, ChannelError> {
        let key = pick_key(state.trim());
        let raw = self
            .inner
            .cache
            .get(&key)
            .await?
            .ok_or(ChannelError::InvalidState)?;
        let pick: PendingPick =
            serde_json::from_str(&raw).map_err(|_| ChannelError::InvalidState)?;
        if pick.channel_id != channel_id {
            return Err(ChannelError::InvalidState);
        }
        let channel = self
            .select_page(&pick.organization_id, channel_id, page_id)
            .await?;
        self.inner.cache.delete(&key).await?;
        Ok(channel)
    }

    /// The authorizing member's view of a between-steps channel (its placeholder id replaced by
    /// the member's account id).
    fn member_auth(&self, row: &integration::Model) -> Result<ChannelAuth, ChannelError> {
        let mut auth = self.auth_of(row)?;
        if let Some(root) = row.root_internal_id.as_deref().filter(|r| !r.is_empty()) {
            auth.internal_id = root.to_string();
        }
        Ok(auth)
    }
}

struct Upsert<'a> {
    org_id: &'a str,
    identifier: &'a str,
    internal_id: &'a str,
    root_internal_id: &'a str,
    account: &'a AuthenticatedAccount,
    in_between: bool,
    is_refresh: bool,
    timezone: Option<i32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_times_follow_the_browser_offset() {
        assert_eq!(default_posting_times(None), vec![120, 400, 700]);
        assert_eq!(default_posting_times(Some(0)), vec![560, 850, 1140]);
        // UTC+2: 09:20 local is 07:20 UTC.
        assert_eq!(default_posting_times(Some(120)), vec![440, 730, 1020]);
        // UTC+10 wraps to the previous UTC day.
        assert_eq!(default_posting_times(Some(600)), vec![1400, 250, 540]);
        assert_eq!(default_posting_times(Some(99_999)), vec![120, 400, 700]);
    }

    #[test]
    fn names_fall_back_like_postiz() {
        let mut a = AuthenticatedAccount {
            id: "1234567890".into(),
            name: " ".into(),
            username: "me.bsky.social".into(),
            picture: None,
            tokens: Default::default(),
            additional_settings: Vec::new(),
            custom: None,
        };
        assert_eq!(channel_name(&a), "me");
        a.username.clear();
        assert_eq!(channel_name(&a), "Channel_12345678");
        a.name = "Jane".into();
        assert_eq!(channel_name(&a), "Jane");
    }

    #[test]
    fn placeholders_do_not_collide_with_accounts() {
        assert_eq!(
            placeholder_id("linkedin-page", "abc"),
            "linkedin-page:pending:abc"
        );
    }
}
