//! Handing out credentials to the publisher, refreshing tokens (before expiry, after a 401, and
//! in a proactive sweep), and flagging channels that need reconnecting.
//!
//! Refreshes of one channel never race: a per-channel lock in the cache (Redis across
//! processes) lets one caller talk to the network while the others wait and then read the
//! tokens it stored, and the write itself is a compare-and-set on the sealed tokens, so a
//! refresh never overwrites a reconnection that happened meanwhile.

use std::sync::Arc;
use std::time::{Duration, Instant};

use postiz_core::ids::{now, random_token};
use postiz_core::notify::{Notice, NoticeKind};
use postiz_entity::integration;
use postiz_provider::{ChannelAuth, Provider, ProviderError};

use super::{Channel, ChannelService, expiry_of};
use crate::error::ChannelError;
use crate::repository as repo;

/// A channel and what [`ChannelService::channel_auth`] answers for it, from one read.
pub type ChannelWithAuth = (
    Channel,
    Result<(Arc<dyn Provider>, ChannelAuth), ChannelError>,
);

/// Pause between two looks at a lock held by another refresh.
const LOCK_POLL: Duration = Duration::from_millis(100);

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Channels whose token expires within the window.
    pub due: usize,
    pub refreshed: usize,
    /// Refreshes refused by the network: those channels now need reconnecting.
    pub failed: usize,
    /// Left for later: refresh running elsewhere, provider off, or a failure that may pass.
    pub skipped: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Refresh unless another caller already replaced the tokens.
    Force,
    /// Refresh when the token expires within this window.
    Within(Duration),
}

struct Lock {
    key: String,
    nonce: String,
}

enum Acquired {
    Lock(Lock),
    /// Another caller changed the channel while we waited (new tokens, or flagged).
    Changed(Box<integration::Model>),
}

fn expires_within(row: &integration::Model, window: Duration) -> bool {
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    row.token_expires_at
        .is_some_and(|at| at <= now().checked_add_signed(window).unwrap_or(at))
}

/// Whether a refresh failure means the channel must be reconnected (as opposed to a failure
/// that may pass).
fn is_permanent(e: &ProviderError) -> bool {
    !matches!(
        e,
        ProviderError::Transient(_)
            | ProviderError::RateLimited { .. }
            | ProviderError::Unconfirmed(_)
    )
}

impl ChannelService {
    /// The provider and credentials to act for a channel, refreshing the token first when it
    /// expires within [`ChannelConfig::refresh_margin`](super::ChannelConfig::refresh_margin).
    ///
    /// Errors: [`ChannelError::NotFound`] (deleted), [`ChannelError::Disabled`],
    /// [`ChannelError::InBetweenSteps`], [`ChannelError::RefreshNeeded`] (the channel must be
    /// reconnected; the organization was told), [`ChannelError::Provider`] (a failure that may
    /// pass: retry later).
    pub async fn channel_auth(
        &self,
        channel_id: &str,
    ) -> Result<(Arc<dyn Provider>, ChannelAuth), ChannelError> {
        let row = self.usable_row(channel_id).await?;
        self.auth_for_row(row).await
    }

    /// The organization's channel and, read from the same row, what
    /// [`channel_auth`](Self::channel_auth) answers for it: the publisher needs both for every
    /// publication, and one read is half the queries. `None`: no such live channel.
    pub async fn channel_with_auth(
        &self,
        org_id: &str,
        channel_id: &str,
    ) -> Result<Option<ChannelWithAuth>, ChannelError> {
        let Some(row) = repo::find_in_org(self.db(), org_id, channel_id).await? else {
            return Ok(None);
        };
        let channel = Channel::from_row(row.clone(), None);
        let auth = match check_usable(&row) {
            Ok(()) => self.auth_for_row(row).await,
            Err(e) => Err(e),
        };
        Ok(Some((channel, auth)))
    }

    /// [`channel_auth`](Self::channel_auth) for a row that passed `check_usable`.
    async fn auth_for_row(
        &self,
        row: integration::Model,
    ) -> Result<(Arc<dyn Provider>, ChannelAuth), ChannelError> {
        let provider = self.provider_of(&row)?;
        let margin = self.inner.config.refresh_margin;
        let row = if provider.capabilities().refreshable && expires_within(&row, margin) {
            self.refresh_row(row, &provider, Mode::Within(margin), true)
                .await?
                .unwrap_or_else(|row| row)
        } else {
            row
        };
        Ok((provider, self.auth_of(&row)?))
    }

    /// Refreshes the token after the network answered 401 (`ProviderError::RefreshNeeded`) and
    /// returns the new credentials. When another caller refreshed the channel meanwhile, its
    /// tokens are returned without a second refresh. A provider whose tokens cannot be
    /// refreshed, or a refused refresh, flags the channel for reconnection, tells the
    /// organization and answers [`ChannelError::RefreshNeeded`].
    pub async fn refresh_after_unauthorized(
        &self,
        channel_id: &str,
    ) -> Result<(Arc<dyn Provider>, ChannelAuth), ChannelError> {
        let row = self.usable_row(channel_id).await?;
        let provider = self.provider_of(&row)?;
        if !provider.capabilities().refreshable {
            let reason = "the network refused the channel's token, which cannot be refreshed";
            self.flag_refresh_needed(&row, reason).await?;
            return Err(ChannelError::RefreshNeeded(reason.into()));
        }
        let row = self
            .refresh_row(row, &provider, Mode::Force, true)
            .await?
            .unwrap_or_else(|row| row);
        Ok((provider, self.auth_of(&row)?))
    }

    /// The network says the channel's authorization is gone (`ProviderError::Disconnected`):
    /// flag it for reconnection and tell the organization (once).
    pub async fn mark_disconnected(
        &self,
        channel_id: &str,
        reason: &str,
    ) -> Result<(), ChannelError> {
        let row = repo::find_live(self.db(), channel_id)
            .await?
            .ok_or(ChannelError::NotFound)?;
        self.flag_refresh_needed(&row, reason).await
    }

    /// Refreshes every connected channel whose token expires within `within` (for the job
    /// engine to run periodically; Postiz's `refresh` command uses one day). Channels being
    /// refreshed elsewhere are skipped, refused refreshes flag the channel and notify.
    pub async fn refresh_expiring(&self, within: Duration) -> Result<SweepReport, ChannelError> {
        let before =
            now() + chrono::Duration::from_std(within).unwrap_or(chrono::Duration::days(365));
        let rows = repo::expiring(self.db(), before).await?;
        let mut report = SweepReport {
            due: rows.len(),
            ..Default::default()
        };
        for row in rows {
            let Some(provider) = self
                .provider(&row.provider_identifier)
                .filter(|p| p.capabilities().refreshable)
            else {
                report.skipped += 1;
                continue;
            };
            let id = row.id.clone();
            match self
                .refresh_row(row, &provider, Mode::Within(within), false)
                .await
            {
                Ok(Ok(_)) => report.refreshed += 1,
                Ok(Err(_)) => report.skipped += 1,
                Err(ChannelError::RefreshNeeded(_)) => report.failed += 1,
                Err(e) => {
                    tracing::warn!(channel = %id, error = %e, "token refresh postponed");
                    report.skipped += 1;
                }
            }
        }
        Ok(report)
    }

    async fn usable_row(&self, channel_id: &str) -> Result<integration::Model, ChannelError> {
        let row = repo::find_live(self.db(), channel_id)
            .await?
            .ok_or(ChannelError::NotFound)?;
        check_usable(&row)?;
        Ok(row)
    }

    /// Refreshes under the channel's lock. `Ok(Ok(row))` holds new tokens (ours or another
    /// caller's); `Ok(Err(row))` means nothing was done (not due, or the lock was busy and
    /// `wait` is false).
    async fn refresh_row(
        &self,
        row: integration::Model,
        provider: &Arc<dyn Provider>,
        mode: Mode,
        wait: bool,
    ) -> Result<Result<integration::Model, integration::Model>, ChannelError> {
        let seen = row.tokens_sealed.clone();
        let lock = match self.lock(&row.id, &seen, wait).await? {
            Some(Acquired::Lock(lock)) => lock,
            Some(Acquired::Changed(changed)) => {
                check_usable(&changed)?;
                return Ok(Ok(*changed));
            }
            None => return Ok(Err(row)),
        };
        let result = self.refresh_locked(&row.id, &seen, provider, mode).await;
        self.unlock(lock).await;
        result
    }

    async fn refresh_locked(
        &self,
        channel_id: &str,
        seen: &str,
        provider: &Arc<dyn Provider>,
        mode: Mode,
    ) -> Result<Result<integration::Model, integration::Model>, ChannelError> {
        // Read again under the lock: another process may have finished a refresh just before.
        let current = repo::find_live(self.db(), channel_id)
            .await?
            .ok_or(ChannelError::NotFound)?;
        check_usable(&current)?;
        if current.tokens_sealed != seen {
            return Ok(Ok(current));
        }
        if let Mode::Within(window) = mode
            && !expires_within(&current, window)
        {
            return Ok(Err(current));
        }
        let auth = self.auth_of(&current)?;
        match provider.refresh(&auth).await {
            Ok(fresh) => {
                let tokens = auth.tokens.merged_after_refresh(fresh);
                let sealed = self.seal_tokens(&tokens)?;
                let written =
                    repo::replace_tokens(self.db(), channel_id, seen, &sealed, expiry_of(&tokens))
                        .await?;
                let updated = repo::find_live(self.db(), channel_id)
                    .await?
                    .ok_or(ChannelError::NotFound)?;
                if written {
                    tracing::info!(channel = channel_id, provider = %current.provider_identifier, "token refreshed");
                } else {
                    // Reconnected while we refreshed: the reconnection's tokens win.
                    check_usable(&updated)?;
                }
                Ok(Ok(updated))
            }
            Err(e) if is_permanent(&e) => {
                tracing::warn!(channel = channel_id, provider = %current.provider_identifier, class = e.class(), error = %e, "token refresh refused");
                let reason = e.user_message();
                self.flag_refresh_needed(&current, &reason).await?;
                Err(ChannelError::RefreshNeeded(reason))
            }
            Err(e) => {
                tracing::info!(channel = channel_id, class = e.class(), error = %e, "token refresh failed; will retry");
                Err(ChannelError::Provider(e))
            }
        }
    }

    /// Takes the channel's refresh lock. While another caller holds it, waits (when `wait`)
    /// until it is released or the channel changed; `None` when busy and not waiting.
    async fn lock(
        &self,
        channel_id: &str,
        seen: &str,
        wait: bool,
    ) -> Result<Option<Acquired>, ChannelError> {
        let key = format!("channels:refresh-lock:{channel_id}");
        let nonce = random_token(24);
        let deadline = Instant::now() + self.inner.config.lock_wait;
        loop {
            if self
                .inner
                .cache
                .set_if_absent(&key, &nonce, self.inner.config.lock_ttl)
                .await?
            {
                return Ok(Some(Acquired::Lock(Lock { key, nonce })));
            }
            if !wait {
                return Ok(None);
            }
            if Instant::now() >= deadline {
                return Err(ChannelError::Provider(ProviderError::Transient(
                    "another refresh of this channel is still running".into(),
                )));
            }
            tokio::time::sleep(LOCK_POLL).await;
            let current = repo::find_live(self.db(), channel_id)
                .await?
                .ok_or(ChannelError::NotFound)?;
            if current.tokens_sealed != seen || current.refresh_needed {
                return Ok(Some(Acquired::Changed(Box::new(current))));
            }
        }
    }

    async fn unlock(&self, lock: Lock) {
        // Release only our own lock (it may have expired and been taken by someone else).
        match self.inner.cache.get(&lock.key).await {
            Ok(Some(holder)) if holder == lock.nonce => {
                if let Err(e) = self.inner.cache.delete(&lock.key).await {
                    tracing::warn!(error = %e, "refresh lock not released; it expires on its own");
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "refresh lock not released; it expires on its own")
            }
        }
    }

    /// Flags the channel for reconnection and tells the organization, once per flagging.
    async fn flag_refresh_needed(
        &self,
        row: &integration::Model,
        reason: &str,
    ) -> Result<(), ChannelError> {
        if !repo::mark_refresh_needed(self.db(), &row.id).await? {
            return Ok(());
        }
        let launches = format!("{}/launches", self.inner.config.frontend_url);
        let subject = format!(
            "Could not refresh your {} channel {}",
            row.provider_identifier, row.name
        );
        self.inner
            .notifier
            .notify(Notice {
                organization_id: row.organization_id.clone(),
                message: format!(
                    "{subject}: {reason}. Please go back to the system and connect it again {launches}"
                ),
                subject,
                link: Some(launches),
                kind: NoticeKind::Info,
            })
            .await;
        Ok(())
    }
}

fn check_usable(row: &integration::Model) -> Result<(), ChannelError> {
    if row.deleted_at.is_some() {
        return Err(ChannelError::NotFound);
    }
    if row.refresh_needed {
        return Err(ChannelError::RefreshNeeded(
            "the channel must be reconnected".into(),
        ));
    }
    if row.in_between_steps {
        return Err(ChannelError::InBetweenSteps);
    }
    if row.disabled {
        return Err(ChannelError::Disabled);
    }
    Ok(())
}
