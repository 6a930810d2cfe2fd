//! How a provider crate is configured and built at startup.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::http::HttpClient;
use crate::provider::Provider;

/// The runtime switch and credentials of one provider, from `[providers.<identifier>]` in the
/// config files or from the provider's Postiz environment variables.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Off removes the provider from the catalogue and stops its publications.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Base URL overrides by name (`api`, `auth`, `upload`); tests point them at local servers.
    #[serde(default)]
    pub urls: BTreeMap<String, String>,
    /// Provider-specific options by name.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Publications to this network in flight at once across every worker process, instead of
    /// the provider's own `max_concurrent_jobs` (Postiz's `maxConcurrentJob`): raise it for a
    /// self-hosted instance or an API plan with higher limits.
    #[serde(default)]
    pub max_concurrent_jobs: Option<u32>,
}

fn enabled_by_default() -> bool {
    true
}

impl Default for ProviderConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            client_id: None,
            client_secret: None,
            urls: BTreeMap::new(),
            options: BTreeMap::new(),
            max_concurrent_jobs: None,
        }
    }
}

impl ProviderConfig {
    /// A base URL override or the network's default, without a trailing slash.
    pub fn url(&self, name: &str, default: &str) -> String {
        self.urls
            .get(name)
            .map(String::as_str)
            .unwrap_or(default)
            .trim_end_matches('/')
            .to_string()
    }

    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Client id and secret, or the error that makes the registry skip the provider.
    pub fn client_credentials(&self) -> Result<(String, String), BuildError> {
        match (self.client_id.as_deref(), self.client_secret.as_deref()) {
            (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
                Ok((id.to_string(), secret.to_string()))
            }
            _ => Err(BuildError::MissingCredentials),
        }
    }
}

/// Where a Postiz environment variable lands in a [`ProviderConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigField {
    ClientId,
    ClientSecret,
    Url(&'static str),
    Option(&'static str),
}

/// A Postiz environment variable read for a provider (`X_API_KEY` -> client id of `x`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvBinding {
    pub var: &'static str,
    pub field: ConfigField,
}

impl EnvBinding {
    pub const fn new(var: &'static str, field: ConfigField) -> Self {
        Self { var, field }
    }
}

/// Shared things a provider is built with.
#[derive(Clone)]
pub struct ProviderContext {
    pub http: HttpClient,
    /// The dashboard's public URL; OAuth callbacks land on `{frontend_url}/integrations/social/{id}`.
    pub frontend_url: String,
}

impl ProviderContext {
    /// The OAuth redirect URI Postiz uses for a provider.
    pub fn redirect_uri(&self, identifier: &str) -> String {
        format!(
            "{}/integrations/social/{identifier}",
            self.frontend_url.trim_end_matches('/')
        )
    }
}

/// Why a provider was not built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("no credentials configured")]
    MissingCredentials,
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// One integration crate's entry point. A crate may build several providers sharing an
/// application (LinkedIn and LinkedIn Page).
pub trait ProviderFactory: Send + Sync {
    /// The identifiers this factory builds, all sharing one `[providers.<identifier>]` section
    /// per identifier.
    fn identifiers(&self) -> &'static [&'static str];

    /// Postiz environment variables for an identifier.
    fn env_bindings(&self, identifier: &str) -> &'static [EnvBinding];

    /// Builds the provider for an identifier.
    fn build(
        &self,
        identifier: &str,
        config: &ProviderConfig,
        context: &ProviderContext,
    ) -> Result<Arc<dyn Provider>, BuildError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_override_and_default() {
        let mut c = ProviderConfig::default();
        assert_eq!(c.url("api", "https://api.x.com/"), "https://api.x.com");
        c.urls.insert("api".into(), "http://127.0.0.1:9999/".into());
        assert_eq!(c.url("api", "https://api.x.com"), "http://127.0.0.1:9999");
    }

    #[test]
    fn empty_credentials_are_missing() {
        let c = ProviderConfig {
            client_id: Some(String::new()),
            client_secret: Some("s".into()),
            ..Default::default()
        };
        assert_eq!(c.client_credentials(), Err(BuildError::MissingCredentials));
    }

    #[test]
    fn redirect_uri_follows_postiz() {
        let ctx = ProviderContext {
            http: HttpClient::new(Default::default()).unwrap_or_else(|e| panic!("{e}")),
            frontend_url: "https://app.example.com/".into(),
        };
        assert_eq!(
            ctx.redirect_uri("x"),
            "https://app.example.com/integrations/social/x"
        );
    }
}
