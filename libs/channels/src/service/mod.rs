//! Business rules of channels. No actix types here: controllers turn results into responses and
//! [`ChannelError`] into the API error.

mod connect;
mod manage;
mod tokens;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use postiz_core::cache::Cache;
use postiz_core::notify::Notifier;
use postiz_core::secrets::Sealer;
use postiz_entity::{customer, integration};
use postiz_provider::{AdditionalSetting, ChannelAuth, Provider, ProviderRegistry, TokenSet};
use sea_orm::DatabaseConnection;

pub use connect::{AuthUrlOptions, ConnectInput, Connected};
pub use tokens::{ChannelWithAuth, SweepReport};

use crate::error::ChannelError;
use crate::hooks::ChannelHooks;

/// Posting times Postiz gives a channel connected without a time zone (minutes after midnight UTC).
pub const DEFAULT_POSTING_TIMES: [i32; 3] = [120, 400, 700];

/// Tunables of the channels module.
#[derive(Debug, Clone)]
pub struct ChannelConfig {
    /// The dashboard's URL, for links in notices.
    pub frontend_url: String,
    /// A token expiring within this margin is refreshed before it is handed out.
    pub refresh_margin: Duration,
    /// How long an OAuth state is kept (Postiz: one hour).
    pub state_ttl: Duration,
    /// Lifetime of the per-channel refresh lock (longer than any token request).
    pub lock_ttl: Duration,
    /// How long a caller waits for another process's refresh of the same channel.
    pub lock_wait: Duration,
}

impl ChannelConfig {
    pub fn new(frontend_url: &str) -> Self {
        Self {
            frontend_url: frontend_url.trim_end_matches('/').to_string(),
            refresh_margin: Duration::from_secs(5 * 60),
            state_ttl: Duration::from_secs(60 * 60),
            lock_ttl: Duration::from_secs(60),
            lock_wait: Duration::from_secs(30),
        }
    }
}

/// A customer (client group) as channels show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRef {
    pub id: String,
    pub name: String,
}

/// A connected channel without its secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub id: String,
    pub organization_id: String,
    /// The account's id on the network.
    pub internal_id: String,
    pub provider_identifier: String,
    /// `social` (or `article`).
    pub kind: String,
    pub name: String,
    pub picture: Option<String>,
    /// The account's handle on the network.
    pub profile: Option<String>,
    pub disabled: bool,
    pub in_between_steps: bool,
    pub refresh_needed: bool,
    /// Preferred posting times, minutes after midnight UTC.
    pub posting_times: Vec<i32>,
    /// The provider's additional settings with the user's values, as stored (a JSON array).
    pub additional_settings: serde_json::Value,
    pub customer_id: Option<String>,
    /// Filled by [`ChannelService::list`]; `None` elsewhere or without a customer.
    pub customer: Option<CustomerRef>,
    pub root_internal_id: Option<String>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Channel {
    pub(crate) fn from_row(row: integration::Model, customer: Option<customer::Model>) -> Self {
        Self {
            posting_times: posting_times_of(&row.posting_times),
            customer: customer.map(|c| CustomerRef {
                id: c.id,
                name: c.name,
            }),
            id: row.id,
            organization_id: row.organization_id,
            internal_id: row.internal_id,
            provider_identifier: row.provider_identifier,
            kind: row.kind,
            name: row.name,
            picture: row.picture,
            profile: row.profile,
            disabled: row.disabled,
            in_between_steps: row.in_between_steps,
            refresh_needed: row.refresh_needed,
            additional_settings: row.additional_settings,
            customer_id: row.customer_id,
            root_internal_id: row.root_internal_id,
            token_expires_at: row.token_expires_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            deleted_at: row.deleted_at,
        }
    }

    /// The additional settings the provider reads; entries that do not parse are skipped.
    pub fn settings(&self) -> Vec<AdditionalSetting> {
        settings_of(&self.additional_settings)
    }
}

/// Minutes out of `[{"time": 120}, ...]`; anything else is skipped.
pub(crate) fn posting_times_of(value: &serde_json::Value) -> Vec<i32> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("time").and_then(serde_json::Value::as_f64))
                .filter(|t| t.is_finite())
                .map(|t| t.round() as i32)
                .collect()
        })
        .unwrap_or_default()
}

/// `[{"time": minutes}, ...]`, as Postiz stores posting times.
pub fn posting_times_json(times: &[i32]) -> serde_json::Value {
    serde_json::Value::Array(
        times
            .iter()
            .map(|t| serde_json::json!({ "time": t }))
            .collect(),
    )
}

pub(crate) fn settings_of(value: &serde_json::Value) -> Vec<AdditionalSetting> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| serde_json::from_value(i.clone()).ok())
                .collect()
        })
        .unwrap_or_default()
}

struct Inner {
    db: DatabaseConnection,
    sealer: Sealer,
    cache: Arc<dyn Cache>,
    providers: Arc<ProviderRegistry>,
    notifier: Arc<dyn Notifier>,
    config: ChannelConfig,
    hooks: RwLock<Vec<Arc<dyn ChannelHooks>>>,
}

/// The channels module's service: connect flows, channel management and token handling. Cheap
/// to clone. See the crate documentation for the publisher's part of the API.
#[derive(Clone)]
pub struct ChannelService {
    inner: Arc<Inner>,
}

impl ChannelService {
    pub fn new(
        db: DatabaseConnection,
        sealer: Sealer,
        cache: Arc<dyn Cache>,
        providers: Arc<ProviderRegistry>,
        notifier: Arc<dyn Notifier>,
        config: ChannelConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                sealer,
                cache,
                providers,
                notifier,
                config,
                hooks: RwLock::new(Vec::new()),
            }),
        }
    }

    /// Adds a listener for channel events (the posts module cancels a deleted channel's posts).
    pub fn register_hooks(&self, hooks: Arc<dyn ChannelHooks>) {
        if let Ok(mut list) = self.inner.hooks.write() {
            list.push(hooks);
        }
    }

    fn hooks(&self) -> Vec<Arc<dyn ChannelHooks>> {
        self.inner
            .hooks
            .read()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    fn registry(&self) -> &ProviderRegistry {
        &self.inner.providers
    }

    /// Providers offered for new connections (enabled, with credentials, not hidden), in
    /// identifier order.
    pub fn catalogue(&self) -> Vec<Arc<dyn Provider>> {
        self.registry().catalogue().cloned().collect()
    }

    /// An enabled provider by identifier (hidden ones included: their channels keep working).
    pub fn provider(&self, identifier: &str) -> Option<Arc<dyn Provider>> {
        self.registry().get(identifier)
    }

    fn provider_of(&self, row: &integration::Model) -> Result<Arc<dyn Provider>, ChannelError> {
        self.provider(&row.provider_identifier).ok_or_else(|| {
            ChannelError::Provider(postiz_provider::ProviderError::Config(format!(
                "the provider `{}` is not enabled on this server",
                row.provider_identifier
            )))
        })
    }

    fn seal_tokens(&self, tokens: &TokenSet) -> Result<String, ChannelError> {
        Ok(self.inner.sealer.seal(&serde_json::to_string(tokens)?))
    }

    fn open_tokens(&self, row: &integration::Model) -> Result<TokenSet, ChannelError> {
        let json = self.inner.sealer.open(&row.tokens_sealed)?;
        Ok(serde_json::from_str(&json)?)
    }

    fn seal_custom(&self, custom: &serde_json::Value) -> Result<String, ChannelError> {
        Ok(self.inner.sealer.seal(&serde_json::to_string(custom)?))
    }

    fn open_custom(
        &self,
        row: &integration::Model,
    ) -> Result<Option<serde_json::Value>, ChannelError> {
        match row.custom_sealed.as_deref() {
            None | Some("") => Ok(None),
            Some(sealed) => Ok(Some(serde_json::from_str(
                &self.inner.sealer.open(sealed)?,
            )?)),
        }
    }

    /// What a provider needs to act for the channel, opened from the row.
    fn auth_of(&self, row: &integration::Model) -> Result<ChannelAuth, ChannelError> {
        Ok(ChannelAuth {
            internal_id: row.internal_id.clone(),
            username: row.profile.clone().unwrap_or_default(),
            tokens: self.open_tokens(row)?,
            custom: self.open_custom(row)?,
            additional_settings: settings_of(&row.additional_settings),
        })
    }
}

/// When a token issued now with this lifetime expires.
pub(crate) fn expiry_of(tokens: &TokenSet) -> Option<DateTime<Utc>> {
    tokens
        .expires_in
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .map(|d| postiz_core::ids::now() + d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn posting_times_parse_leniently() {
        assert_eq!(
            posting_times_of(&json!([{"time": 120}, {"time": 400.0}, {"x": 1}, 5])),
            vec![120, 400]
        );
        assert_eq!(posting_times_of(&json!("nope")), Vec::<i32>::new());
        assert_eq!(
            posting_times_json(&[1, 2]),
            json!([{"time": 1}, {"time": 2}])
        );
    }

    #[test]
    fn settings_skip_what_does_not_parse() {
        let stored = json!([
            {"title": "Verified", "description": "d", "type": "checkbox", "value": true},
            {"bogus": 1}
        ]);
        let parsed = settings_of(&stored);
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].title, "Verified");
    }
}
