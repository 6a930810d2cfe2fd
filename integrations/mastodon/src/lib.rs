//! The Mastodon provider (`mastodon`).
//!
//! Connects accounts of one Mastodon instance with OAuth 2 (authorization code, PKCE S256 as
//! documented for Mastodon 4.3+), publishes statuses with up to four images or one video,
//! and threads comments as replies (`in_reply_to_id`).
//!
//! # Configuration (`[providers.mastodon]`)
//!
//! | key | Postiz variable | meaning |
//! |---|---|---|
//! | `client_id` | `MASTODON_CLIENT_ID` | the application's client key on the instance |
//! | `client_secret` | `MASTODON_CLIENT_SECRET` | the application's client secret |
//! | `urls.instance` | `MASTODON_URL` | base URL of the instance, default `https://mastodon.social` |
//! | `options.pkce` | | `true` (default) or `false`: send PKCE parameters when authorizing |
//! | `options.media_wait_secs` | | how long `publish` waits in place for media processing, default 180 |
//! | `options.media_poll_interval_ms` | | first pause between media checks, default 1000 (doubles, up to 10 s) |
//!
//! The instance a channel was connected to is saved in its sealed `custom` data
//! (`{"instance": "https://..."}`) and used for every later call, so existing channels keep
//! working if `MASTODON_URL` changes.
//!
//! # Calls
//!
//! - `GET {instance}/oauth/authorize`, `POST {instance}/oauth/token` (no refresh: tokens live
//!   until revoked, so a 401 marks the channel disconnected);
//! - `GET /api/v1/accounts/verify_credentials` to resolve the account;
//! - `POST /api/v2/media` (multipart `file` and `description` = alt text). It answers 200 with a
//!   `url` when processed synchronously, or 202 with `url: null` while the instance processes
//!   the file; `GET /api/v1/media/:id` is then polled (206 while processing) with a doubling
//!   pause, for at most `media_wait_secs`. When the media are still not ready, `publish`
//!   answers `Pending` and `check_status` checks them again and creates the status once they
//!   are ready;
//! - `POST /api/v1/statuses` with `status`, `visibility=public`, `media_ids[]`,
//!   `in_reply_to_id` and an `Idempotency-Key` derived from the post item (id, parent and
//!   content). Mastodon keeps idempotency keys for one hour, so a retry of a publication whose
//!   answer was lost returns the status already created instead of a duplicate.

use std::sync::Arc;
use std::time::Duration;

use postiz_provider::{
    BuildError, ConfigField, EnvBinding, Provider, ProviderConfig, ProviderContext, ProviderFactory,
};

pub mod errors;
pub mod length;
mod provider;

pub use provider::{MAX_LENGTH, MastodonProvider, MastodonSettings, SCOPES};

/// The provider's identifier.
pub const IDENTIFIER: &str = "mastodon";

/// The instance used when neither the config nor `MASTODON_URL` names one (as Postiz).
pub const DEFAULT_INSTANCE: &str = "https://mastodon.social";

const IDENTIFIERS: &[&str] = &[IDENTIFIER];

const ENV_BINDINGS: &[EnvBinding] = &[
    EnvBinding::new("MASTODON_URL", ConfigField::Url("instance")),
    EnvBinding::new("MASTODON_CLIENT_ID", ConfigField::ClientId),
    EnvBinding::new("MASTODON_CLIENT_SECRET", ConfigField::ClientSecret),
];

/// Builds the Mastodon provider.
pub struct MastodonFactory;

impl ProviderFactory for MastodonFactory {
    fn identifiers(&self) -> &'static [&'static str] {
        IDENTIFIERS
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
                "the Mastodon factory does not build `{identifier}`"
            )));
        }
        let (client_id, client_secret) = config.client_credentials()?;
        let mut instance = config.url("instance", DEFAULT_INSTANCE);
        if instance.trim().is_empty() {
            instance = DEFAULT_INSTANCE.to_string();
        }
        let instance = instance.trim().to_string();
        if !(instance.starts_with("https://") || instance.starts_with("http://")) {
            return Err(BuildError::Invalid(format!(
                "the Mastodon instance must be an http(s) URL, got `{instance}`"
            )));
        }
        let pkce = match config
            .option("pkce")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("true" | "1" | "yes" | "on") => true,
            Some("false" | "0" | "no" | "off") => false,
            Some(other) => {
                return Err(BuildError::Invalid(format!(
                    "options.pkce must be true or false, got `{other}`"
                )));
            }
        };
        let media_wait = Duration::from_secs(number_option(config, "media_wait_secs", 180)?);
        let poll_interval =
            Duration::from_millis(number_option(config, "media_poll_interval_ms", 1000)?);
        let settings = MastodonSettings {
            client_id,
            client_secret,
            instance,
            redirect_uri: context.redirect_uri(IDENTIFIER),
            pkce,
            media_wait,
            poll_interval,
        };
        Ok(Arc::new(MastodonProvider::new(
            context.http.clone(),
            settings,
        )))
    }
}

fn number_option(config: &ProviderConfig, name: &str, default: u64) -> Result<u64, BuildError> {
    match config.option(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| {
            BuildError::Invalid(format!("options.{name} must be a whole number, got `{v}`"))
        }),
    }
}
