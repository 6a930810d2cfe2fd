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
            if config.max_concurrent_jobs == Some(0) {
                bail!("providers.{id}.max_concurrent_jobs: must be at least 1");
            }
            match factory.build(id, &config, &context) {
                Ok(provider) => {
                    registry.insert(provider);
                    if let Some(max) = config.max_concurrent_jobs {
                        registry.set_max_concurrent_jobs(id, max);
                    }
                }
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use postiz_core::settings::SettingsSources;

    use super::*;

    fn settings(env: &[(&str, &str)]) -> Settings {
        let mut vars: HashMap<String, String> = HashMap::new();
        vars.insert("MASTODON_CLIENT_ID".into(), "id".into());
        vars.insert("MASTODON_CLIENT_SECRET".into(), "secret".into());
        for (k, v) in env {
            vars.insert((*k).into(), (*v).into());
        }
        Settings::load(&SettingsSources {
            file: None,
            env: vars,
            extra_bindings: env_bindings(),
        })
        .unwrap()
    }

    #[test]
    fn operators_can_change_a_networks_concurrency_limit() {
        let registry = build(&settings(&[]), HttpSettings::default()).unwrap();
        assert_eq!(registry.max_concurrent_jobs("mastodon"), Some(5));
        let raised = settings(&[("POSTIZ__PROVIDERS__MASTODON__MAX_CONCURRENT_JOBS", "40")]);
        let registry = build(&raised, HttpSettings::default()).unwrap();
        assert_eq!(registry.max_concurrent_jobs("mastodon"), Some(40));
        let zero = settings(&[("POSTIZ__PROVIDERS__MASTODON__MAX_CONCURRENT_JOBS", "0")]);
        let Err(err) = build(&zero, HttpSettings::default()) else {
            panic!("a zero limit must stop the boot");
        };
        assert!(
            err.to_string()
                .contains("providers.mastodon.max_concurrent_jobs"),
            "{err}"
        );
    }
}
