//! The providers enabled at startup, looked up by identifier.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::provider::Provider;

/// Enabled providers plus the operator's catalogue switches (Postiz `HIDDEN_PROVIDERS` and
/// `MIGRATE_PROVIDERS`).
#[derive(Clone, Default)]
pub struct ProviderRegistry {
    providers: BTreeMap<&'static str, Arc<dyn Provider>>,
    hidden: Vec<String>,
    /// old identifier -> new identifier.
    migrations: BTreeMap<String, String>,
    /// Operators' overrides of providers' concurrency limits.
    concurrency: BTreeMap<String, u32>,
}

impl ProviderRegistry {
    pub fn new(hidden: Vec<String>, migrations: BTreeMap<String, String>) -> Self {
        Self {
            providers: BTreeMap::new(),
            hidden,
            migrations,
            concurrency: BTreeMap::new(),
        }
    }

    /// Overrides the provider's limit of publications in flight at once.
    pub fn set_max_concurrent_jobs(&mut self, identifier: &str, max: u32) {
        self.concurrency.insert(identifier.to_string(), max.max(1));
    }

    /// Publications of `identifier` allowed in flight at once: the operator's override or the
    /// provider's own limit; `None` for an unknown provider.
    pub fn max_concurrent_jobs(&self, identifier: &str) -> Option<u32> {
        let provider = self.providers.get(identifier)?;
        Some(
            self.concurrency
                .get(identifier)
                .copied()
                .unwrap_or(provider.capabilities().max_concurrent_jobs)
                .max(1),
        )
    }

    pub fn insert(&mut self, provider: Arc<dyn Provider>) {
        self.providers.insert(provider.identifier(), provider);
    }

    /// An enabled provider, hidden or not (existing channels of hidden providers keep working).
    pub fn get(&self, identifier: &str) -> Option<Arc<dyn Provider>> {
        self.providers.get(identifier).cloned()
    }

    /// Providers offered for new connections: enabled and not hidden, in identifier order.
    pub fn catalogue(&self) -> impl Iterator<Item = &Arc<dyn Provider>> {
        self.providers
            .values()
            .filter(|p| !self.is_hidden(p.identifier()))
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn Provider>> {
        self.providers.values()
    }

    pub fn is_hidden(&self, identifier: &str) -> bool {
        self.hidden.iter().any(|h| h == identifier)
    }

    /// The provider a channel of `identifier` reconnects through, when migrated.
    pub fn migration_target(&self, identifier: &str) -> Option<&str> {
        self.migrations.get(identifier).map(String::as_str)
    }

    /// Identifiers migrated to `identifier`.
    pub fn migration_sources(&self, identifier: &str) -> Vec<&str> {
        self.migrations
            .iter()
            .filter(|(_, to)| to.as_str() == identifier)
            .map(|(from, _)| from.as_str())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.providers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }
}

/// Parses Postiz's `HIDDEN_PROVIDERS` (`"tiktok,x"`).
pub fn parse_hidden(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Parses Postiz's `MIGRATE_PROVIDERS` (`"tiktok:tiktok-business,old:new"`).
pub fn parse_migrations(value: &str) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    for pair in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (from, to) = pair
            .split_once(':')
            .ok_or_else(|| format!("`{pair}` is not old:new"))?;
        let (from, to) = (from.trim(), to.trim());
        if from.is_empty() || to.is_empty() || from == to {
            return Err(format!("`{pair}` is not old:new"));
        }
        map.insert(from.to_string(), to.to_string());
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_operator_switches() {
        assert_eq!(parse_hidden(" x, ,tiktok"), vec!["x", "tiktok"]);
        let m = parse_migrations("tiktok:tiktok-business").unwrap_or_default();
        assert_eq!(m.get("tiktok").map(String::as_str), Some("tiktok-business"));
        assert!(parse_migrations("nonsense").is_err());
    }
}
