//! Registers the social network providers compiled in (cargo features) and switched on in
//! config, skipping those without credentials with one warning each.

use anyhow::{Context, bail};
use postiz_core::Settings;
use postiz_provider::registry::{parse_hidden, parse_migrations};
use postiz_provider::{
    BuildError, ConfigField, HttpClient, HttpSettings, ProviderContext, ProviderFactory,
    ProviderRegistry,
};

/// Every provider crate compiled into this binary.
// Each push sits behind its own feature, so the list cannot be one `vec![]`.
#[allow(clippy::vec_init_then_push)]
pub fn factories() -> Vec<Box<dyn ProviderFactory>> {
    let mut list: Vec<Box<dyn ProviderFactory>> = Vec::new();
    #[cfg(feature = "x")]
    list.push(Box::new(postiz_provider_x::XFactory));
    #[cfg(feature = "linkedin")]
    list.push(Box::new(postiz_provider_linkedin::LinkedInFactory));
    #[cfg(feature = "bluesky")]
    list.push(Box::new(postiz_provider_bluesky::BlueskyFactory));
    #[cfg(feature = "mastodon")]
    list.push(Box::new(postiz_provider_mastodon::MastodonFactory));
    list
}

/// The Postiz environment variables of every provider, as (variable, settings key) pairs.
pub fn env_bindings() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for factory in factories() {
        for id in factory.identifiers() {
            for binding in factory.env_bindings(id) {
                let key = match binding.field {
                    ConfigField::ClientId => format!("providers.{id}.client_id"),
                    ConfigField::ClientSecret => format!("providers.{id}.client_secret"),
                    ConfigField::Url(name) => format!("providers.{id}.urls.{name}"),
                    ConfigField::Option(name) => format!("providers.{id}.options.{name}"),
                };
                out.push((binding.var.to_string(), key));
            }
        }
    }
    out
}

/// Builds the registry from the settings. Unknown provider sections and invalid provider
/// settings stop the boot; missing credentials only skip the provider.
pub fn build(settings: &Settings, http: HttpSettings) -> anyhow::Result<ProviderRegistry> {
    let factories = factories();
    let known: Vec<&str> = factories
        .iter()
        .flat_map(|f| f.identifiers().iter().copied())
        .collect();
    for key in settings.providers.keys() {
        if !known.contains(&key.as_str()) {
            bail!(
                "providers.{key}: unknown provider (this build has: {})",
                known.join(", ")
            );
        }
    }
    let migrations = parse_migrations(&settings.app.migrate_providers)
        .map_err(|e| anyhow::anyhow!("app.migrate_providers (MIGRATE_PROVIDERS): {e}"))?;
    let mut registry =
        ProviderRegistry::new(parse_hidden(&settings.app.hidden_providers), migrations);
    let context = ProviderContext {
        http: HttpClient::new(http).context("HTTP client for providers")?,
        frontend_url: settings.frontend_url().to_string(),
    };
    for factory in &factories {
        for id in factory.identifiers() {
            let config = settings.providers.get(*id).cloned().unwrap_or_default();
            if !config.enabled {
                tracing::info!(provider = id, "provider disabled in config");
                continue;
            }
            match factory.build(id, &config, &context) {
                Ok(provider) => registry.insert(provider),
                Err(BuildError::MissingCredentials) => {
                    let vars: Vec<&str> = factory
                        .env_bindings(id)
                        .iter()
                        .filter(|b| {
                            matches!(b.field, ConfigField::ClientId | ConfigField::ClientSecret)
                        })
                        .map(|b| b.var)
                        .collect();
                    tracing::warn!(
                        provider = id,
                        "provider skipped: no credentials configured (set {})",
                        vars.join(" / ")
                    );
                }
                Err(BuildError::Invalid(why)) => bail!("providers.{id}: {why}"),
            }
        }
    }
    Ok(registry)
}
