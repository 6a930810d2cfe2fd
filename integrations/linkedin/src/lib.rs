//! LinkedIn for Postiz: two providers sharing one LinkedIn application.
//!
//! | identifier | name | publishes as |
//! |---|---|---|
//! | `linkedin` | LinkedIn | the member (`urn:li:person:{id}`) |
//! | `linkedin-page` | LinkedIn Page | a company page the member administers (`urn:li:organization:{id}`), picked after OAuth (`between_steps`) |
//!
//! Both read `LINKEDIN_CLIENT_ID` / `LINKEDIN_CLIENT_SECRET`; without them the factory answers
//! [`BuildError::MissingCredentials`].
//!
//! # Configuration
//!
//! Base URLs (`[providers.<identifier>.urls]`):
//! - `auth`: `https://www.linkedin.com` — `/oauth/v2/authorization` and `/oauth/v2/accessToken`;
//! - `api`: `https://api.linkedin.com` — `/v2/userinfo`, `/v2/me` and the versioned `/rest/...` APIs.
//!
//! Options (`[providers.<identifier>.options]`):
//! - `version`: the `LinkedIn-Version` header (`YYYYMM`), default [`DEFAULT_VERSION`]. LinkedIn
//!   supports each monthly version for at least a year and answers 426 once it is sunset (reported
//!   as a configuration error).
//!
//! # Behaviour
//!
//! - OAuth 2 authorization code without PKCE (LinkedIn's standard 3-legged flow); the granted
//!   scopes are checked against the requested ones. Refresh uses `grant_type=refresh_token`
//!   (LinkedIn issues refresh tokens to approved apps only; without one the channel must be
//!   reconnected).
//! - Posts go through the Posts API (`POST /rest/posts`), the new post's URN comes back in the
//!   `x-restli-id` header. The text is escaped for LinkedIn's "little" text format; mentions
//!   `@[Name](urn:li:organization:ID)` are kept.
//! - Images use the Images API, videos the Videos API (multi-part upload streamed part by part,
//!   then `finalizeUpload`). Uploaded media is processed asynchronously and must be `AVAILABLE`
//!   before a post references it, so a post with media answers [`PublishOutcome::Pending`] and the
//!   post is created by `check_status` once the media is ready (videos and page images are
//!   polled; personal images, which a member token cannot read back, wait one check).
//!   Several images make a MultiImage post; Postiz's `post_as_images_carousel` setting (a PDF
//!   document carousel in Postiz) is published as MultiImage too, organic carousels not being
//!   offered by the Posts API.
//! - Comments (`POST /rest/socialActions/{post}/comments`) are text only and all go on the root
//!   post.
//!
//! [`PublishOutcome::Pending`]: postiz_provider::PublishOutcome::Pending

mod api;
mod classify;
mod media;
mod provider;
mod text;

use std::sync::Arc;

use postiz_provider::{
    BuildError, ConfigField, EnvBinding, Provider, ProviderConfig, ProviderContext, ProviderFactory,
};

pub use provider::{AccountKind, LinkedInProvider, LinkedInSettings, PAGE, PERSONAL, SCOPES};

/// `LinkedIn-Version` sent when the `version` option is not set.
pub const DEFAULT_VERSION: &str = "202603";
/// Default of the `auth` URL.
pub const DEFAULT_AUTH_URL: &str = "https://www.linkedin.com";
/// Default of the `api` URL.
pub const DEFAULT_API_URL: &str = "https://api.linkedin.com";

static ENV_BINDINGS: [EnvBinding; 2] = [
    EnvBinding::new("LINKEDIN_CLIENT_ID", ConfigField::ClientId),
    EnvBinding::new("LINKEDIN_CLIENT_SECRET", ConfigField::ClientSecret),
];

/// Builds the `linkedin` and `linkedin-page` providers.
pub struct LinkedInFactory;

/// A `YYYYMM` version, optionally with a `.NN` patch suffix.
fn valid_version(version: &str) -> bool {
    let (main, patch) = match version.split_once('.') {
        Some((main, patch)) => (main, Some(patch)),
        None => (version, None),
    };
    main.len() == 6
        && main.chars().all(|c| c.is_ascii_digit())
        && patch.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

impl ProviderFactory for LinkedInFactory {
    fn identifiers(&self) -> &'static [&'static str] {
        &[PERSONAL, PAGE]
    }

    fn env_bindings(&self, identifier: &str) -> &'static [EnvBinding] {
        if identifier == PERSONAL || identifier == PAGE {
            &ENV_BINDINGS
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
        let kind = match identifier {
            PERSONAL => AccountKind::Personal,
            PAGE => AccountKind::Page,
            other => {
                return Err(BuildError::Invalid(format!(
                    "the LinkedIn factory does not build {other:?}"
                )));
            }
        };
        let (client_id, client_secret) = config.client_credentials()?;
        let version = config.option("version").unwrap_or(DEFAULT_VERSION).trim();
        if !valid_version(version) {
            return Err(BuildError::Invalid(format!(
                "LinkedIn option `version` must be YYYYMM, got {version:?}"
            )));
        }
        Ok(Arc::new(LinkedInProvider::new(
            kind,
            context.http.clone(),
            LinkedInSettings {
                client_id,
                client_secret,
                auth_base: config.url("auth", DEFAULT_AUTH_URL),
                api_base: config.url("api", DEFAULT_API_URL),
                version: version.to_string(),
                redirect_uri: context.redirect_uri(identifier),
            },
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(valid_version("202603"));
        assert!(valid_version("202508.02"));
        assert!(!valid_version("2026-03"));
        assert!(!valid_version("20263"));
        assert!(!valid_version("202603."));
    }
}
