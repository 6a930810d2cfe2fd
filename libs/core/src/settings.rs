//! Typed settings: `config/default.toml` (compiled in), an optional local file, then environment
//! variables — Postiz's own names (`DATABASE_URL`, `PORT`, ...) and `POSTIZ__SECTION__KEY`.
//! Unknown keys and invalid values stop the boot with a message naming the key.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use config::{Config, File, FileFormat};
use postiz_provider::ProviderConfig;
use serde::Deserialize;

pub use crate::media_settings::MediaSettings;

/// The defaults, compiled into the binary so it runs from any directory.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// Postiz environment variable names and the setting each one fills.
pub const POSTIZ_ENV_VARS: &[(&str, &str)] = &[
    ("NODE_ENV", "app.environment"),
    ("POSTIZ_DATA_DIR", "app.data_dir"),
    ("FRONTEND_URL", "app.frontend_url"),
    ("MAIN_URL", "app.main_url"),
    ("BACKEND_INTERNAL_URL", "app.backend_internal_url"),
    ("NEXT_PUBLIC_BACKEND_URL", "app.backend_url"),
    ("NOT_SECURED", "app.not_secured"),
    ("DISABLE_REGISTRATION", "app.disable_registration"),
    ("DISALLOW_PLUS", "app.disallow_plus"),
    ("HIDDEN_PROVIDERS", "app.hidden_providers"),
    ("MIGRATE_PROVIDERS", "app.migrate_providers"),
    ("PORT", "server.port"),
    ("DATABASE_URL", "database.url"),
    ("REDIS_URL", "redis.url"),
    ("JWT_SECRET", "auth.jwt_secret"),
    ("ENCRYPTION_KEY", "auth.encryption_key"),
    ("EMAIL_PROVIDER", "email.provider"),
    ("EMAIL_HOST", "email.host"),
    ("EMAIL_PORT", "email.port"),
    ("EMAIL_SECURE", "email.secure"),
    ("EMAIL_USER", "email.user"),
    ("EMAIL_PASS", "email.pass"),
    ("EMAIL_FROM_NAME", "email.from_name"),
    ("EMAIL_FROM_ADDRESS", "email.from_address"),
    ("LOG_FORMAT", "telemetry.log_format"),
    // Media (see `media_settings::MEDIA_ENV_VARS`, which a test keeps in step with these).
    ("STORAGE_PROVIDER", "media.storage_provider"),
    ("UPLOAD_DIRECTORY", "media.local.directory"),
    ("CLOUDFLARE_ACCOUNT_ID", "media.cloudflare.account_id"),
    ("CLOUDFLARE_ACCESS_KEY", "media.cloudflare.access_key"),
    (
        "CLOUDFLARE_SECRET_ACCESS_KEY",
        "media.cloudflare.secret_access_key",
    ),
    ("CLOUDFLARE_BUCKETNAME", "media.cloudflare.bucket_name"),
    ("CLOUDFLARE_BUCKET_URL", "media.cloudflare.bucket_url"),
    ("CLOUDFLARE_REGION", "media.cloudflare.region"),
    ("DISABLE_SSRF_PROTECTION", "media.disable_ssrf_protection"),
    ("API_LIMIT", "public_api.api_limit"),
];

/// Prefix of the generic environment overrides (`POSTIZ__SERVER__PORT=8080`).
pub const ENV_PREFIX: &str = "POSTIZ";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub app: AppSettings,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub auth: AuthSettings,
    pub email: EmailSettings,
    pub workers: WorkerSettings,
    pub telemetry: TelemetrySettings,
    /// Uploads and where they are stored; every key has a default.
    #[serde(default)]
    pub media: MediaSettings,
    /// The public API (`/public/v1`): rate limit and idempotency.
    #[serde(default)]
    pub public_api: PublicApiSettings,
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl<'de> Deserialize<'de> for Environment {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        match raw.trim().to_ascii_lowercase().as_str() {
            "production" | "prod" => Ok(Self::Production),
            "development" | "dev" | "test" | "local" => Ok(Self::Development),
            other => Err(serde::de::Error::custom(format!(
                "`{other}` is not an environment (expected development or production)"
            ))),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    pub environment: Environment,
    pub data_dir: PathBuf,
    pub frontend_url: String,
    pub main_url: String,
    pub backend_internal_url: String,
    pub backend_url: String,
    pub not_secured: bool,
    pub disable_registration: bool,
    pub disallow_plus: bool,
    pub hidden_providers: String,
    pub migrate_providers: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub json_limit: usize,
    pub posts_json_limit: usize,
    pub calendar_cache_mb: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: u64,
    /// Seconds a pooled PostgreSQL connection may sit idle before it is checked as it is handed
    /// out (0: checked every time).
    pub ping_after_idle: u64,
    pub migrate_on_start: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    pub url: String,
    pub key_prefix: String,
    pub pool_size: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_secret: String,
    pub session_ttl_hours: u32,
    pub session_renew_after_hours: u32,
    pub encryption_key: String,
    pub cookie_domain: String,
    pub invitation_ttl_hours: u32,
    pub password_reset_ttl_minutes: u32,
    pub activation_ttl_hours: u32,
    /// How long this process trusts the session's user and memberships it read, in
    /// milliseconds (0: read them on every request).
    pub identity_cache_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    pub provider: String,
    pub host: String,
    pub port: u16,
    pub secure: bool,
    pub user: String,
    pub pass: String,
    pub from_name: String,
    pub from_address: String,
}

impl EmailSettings {
    /// Whether mail goes out through SMTP (Postiz's `nodemailer` provider).
    pub fn uses_smtp(&self) -> bool {
        matches!(
            self.provider.trim().to_ascii_lowercase().as_str(),
            "nodemailer" | "smtp"
        )
    }
}

/// Background workers of this process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    pub in_serve: bool,
    pub publish_concurrency: usize,
    pub poll_interval_ms: u64,
    pub orphan_timeout_secs: u64,
    pub claim_ttl_secs: u64,
    pub retry_base_secs: u64,
    pub fetch_batch: usize,
    pub publish_dispatchers: usize,
    /// How long this process reuses an organization's webhooks it read when a publication ends,
    /// in milliseconds (0: read them for every publication).
    pub webhooks_cache_ms: u64,
    /// Hours a finished job is kept (its idempotency key with it) before the hourly purge
    /// deletes it. At least [`MIN_JOB_RETENTION_HOURS`].
    pub finished_jobs_retention_hours: u64,
}

impl WorkerSettings {
    /// `finished_jobs_retention_hours` as a duration: how long finished jobs and webhook
    /// deliveries are kept.
    pub fn finished_jobs_retention(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.finished_jobs_retention_hours.saturating_mul(3600))
    }
}

/// The missed-post sweep looks two days back and finds a post's job by its key: a finished job
/// must outlive that window (and a day of margin), or the sweep could publish its post again.
pub const MIN_JOB_RETENTION_HOURS: u64 = 72;
/// A century: longer is no different from keeping them.
pub const MAX_JOB_RETENTION_HOURS: u64 = 876_000;

/// The public API (`/public/v1`, API-key authentication).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PublicApiSettings {
    /// `POST /public/v1/posts` requests allowed per organization per hour (Postiz `API_LIMIT`).
    pub api_limit: u64,
    /// How long an `Idempotency-Key` and its answer are kept, in hours.
    pub idempotency_ttl_hours: u64,
}

impl Default for PublicApiSettings {
    fn default() -> Self {
        Self {
            api_limit: 90,
            idempotency_ttl_hours: 24,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    pub log_format: LogFormat,
    pub log_level: String,
}

/// A setting that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct SettingsError(pub String);

/// Where the settings come from; tests pass their own environment instead of the process's.
#[derive(Debug, Clone, Default)]
pub struct SettingsSources {
    /// A TOML file layered over the defaults (must exist when given).
    pub file: Option<PathBuf>,
    /// Environment variables (name -> value).
    pub env: HashMap<String, String>,
    /// More Postiz variable bindings, declared by provider crates (`X_API_KEY` -> `providers.x.client_id`).
    pub extra_bindings: Vec<(String, String)>,
}

impl SettingsSources {
    /// The process environment, `config/local.toml` when present, or the file named by `POSTIZ_CONFIG`.
    pub fn from_process(extra_bindings: Vec<(String, String)>) -> Self {
        let env: HashMap<String, String> = std::env::vars().collect();
        let file = env.get("POSTIZ_CONFIG").map(PathBuf::from).or_else(|| {
            let local = PathBuf::from("config/local.toml");
            local.exists().then_some(local)
        });
        Self {
            file,
            env,
            extra_bindings,
        }
    }
}

impl Settings {
    /// Loads and validates the settings.
    pub fn load(sources: &SettingsSources) -> Result<Self, SettingsError> {
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
        if let Some(path) = &sources.file {
            if !path.exists() {
                return Err(SettingsError(format!(
                    "the config file {} does not exist",
                    path.display()
                )));
            }
            builder = builder.add_source(File::from(path.as_path()).format(FileFormat::Toml));
        }

        // Which variable set which key, to name it in error messages.
        let mut origin: BTreeMap<String, String> = BTreeMap::new();
        let bindings = POSTIZ_ENV_VARS
            .iter()
            .map(|(v, k)| ((*v).to_string(), (*k).to_string()))
            .chain(sources.extra_bindings.iter().cloned());
        for (var, key) in bindings {
            // Postiz .env files leave unused variables empty: empty means unset.
            if let Some(value) = sources.env.get(&var).filter(|v| !v.trim().is_empty()) {
                builder = builder
                    .set_override(key.as_str(), value.trim())
                    .map_err(|e| SettingsError(format!("{var}: {e}")))?;
                origin.insert(key, var);
            }
        }
        let generic_prefix = format!("{ENV_PREFIX}__");
        for (var, value) in &sources.env {
            let Some(path) = var.strip_prefix(&generic_prefix) else {
                continue;
            };
            let key = path.to_ascii_lowercase().replace("__", ".");
            builder = builder
                .set_override(key.as_str(), value.as_str())
                .map_err(|e| SettingsError(format!("{var}: {e}")))?;
            origin.insert(key, var.clone());
        }

        let settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| SettingsError(name_origin(e.to_string(), &origin)))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let fail = |key: &str, why: &str| Err(SettingsError(format!("{key}: {why}")));
        if url::Url::parse(&self.app.frontend_url).is_err() {
            return fail("app.frontend_url (FRONTEND_URL)", "must be an absolute URL");
        }
        for (key, value) in [
            ("app.main_url (MAIN_URL)", &self.app.main_url),
            (
                "app.backend_internal_url (BACKEND_INTERNAL_URL)",
                &self.app.backend_internal_url,
            ),
            (
                "app.backend_url (NEXT_PUBLIC_BACKEND_URL)",
                &self.app.backend_url,
            ),
        ] {
            if !value.is_empty() && url::Url::parse(value).is_err() {
                return fail(key, "must be an absolute URL or empty");
            }
        }
        let db = self.database.url.trim();
        if !db.is_empty()
            && !["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| db.starts_with(p))
        {
            return fail(
                "database.url (DATABASE_URL)",
                "must start with sqlite:, postgres:// or postgresql://",
            );
        }
        if let Err(e) = postiz_provider::registry::parse_migrations(&self.app.migrate_providers) {
            return fail("app.migrate_providers (MIGRATE_PROVIDERS)", &e);
        }
        if self.database.max_connections == 0 {
            return fail("database.max_connections", "must be at least 1");
        }
        let redis = self.redis.url.trim();
        if !redis.is_empty() && !redis.starts_with("redis://") && !redis.starts_with("rediss://") {
            return fail(
                "redis.url (REDIS_URL)",
                "must start with redis:// or rediss://",
            );
        }
        if self.workers.publish_concurrency == 0 {
            return fail("workers.publish_concurrency", "must be at least 1");
        }
        if !(50..=60_000).contains(&self.workers.poll_interval_ms) {
            return fail("workers.poll_interval_ms", "must be between 50 and 60000");
        }
        if self.workers.retry_base_secs == 0 {
            return fail("workers.retry_base_secs", "must be at least 1");
        }
        if !(1..=64).contains(&self.workers.fetch_batch) {
            return fail("workers.fetch_batch", "must be between 1 and 64");
        }
        if !(1..=64).contains(&self.workers.publish_dispatchers) {
            return fail("workers.publish_dispatchers", "must be between 1 and 64");
        }
        if self.workers.orphan_timeout_secs < 3 {
            return fail("workers.orphan_timeout_secs", "must be at least 3");
        }
        if self.workers.claim_ttl_secs < 3 {
            return fail("workers.claim_ttl_secs", "must be at least 3");
        }
        if !(MIN_JOB_RETENTION_HOURS..=MAX_JOB_RETENTION_HOURS)
            .contains(&self.workers.finished_jobs_retention_hours)
        {
            return fail(
                "workers.finished_jobs_retention_hours",
                "must be between 72 (the missed-post sweep looks two days back) and 876000",
            );
        }
        if self.redis.pool_size == 0 {
            return fail("redis.pool_size", "must be at least 1");
        }
        if self.public_api.api_limit == 0 {
            return fail("public_api.api_limit (API_LIMIT)", "must be at least 1");
        }
        if !(1..=24 * 30).contains(&self.public_api.idempotency_ttl_hours) {
            return fail(
                "public_api.idempotency_ttl_hours",
                "must be between 1 and 720",
            );
        }
        if self.auth.session_ttl_hours == 0 {
            return fail("auth.session_ttl_hours", "must be at least 1");
        }
        if self.auth.session_renew_after_hours >= self.auth.session_ttl_hours {
            return fail(
                "auth.session_renew_after_hours",
                "must be shorter than auth.session_ttl_hours",
            );
        }
        if self.app.environment == Environment::Production && self.auth.jwt_secret.trim().is_empty()
        {
            return fail(
                "auth.jwt_secret (JWT_SECRET)",
                "is required in production (NODE_ENV=production)",
            );
        }
        if !self.auth.jwt_secret.is_empty() && self.auth.jwt_secret.len() < 16 {
            return fail(
                "auth.jwt_secret (JWT_SECRET)",
                "must be at least 16 characters",
            );
        }
        if self.email.uses_smtp() {
            if self.email.host.trim().is_empty() {
                return fail(
                    "email.host (EMAIL_HOST)",
                    "is required when EMAIL_PROVIDER selects SMTP",
                );
            }
            if self.email.from_address.trim().is_empty() {
                return fail(
                    "email.from_address (EMAIL_FROM_ADDRESS)",
                    "is required when EMAIL_PROVIDER selects SMTP",
                );
            }
        }
        self.media.validate().map_err(SettingsError)?;
        Ok(())
    }

    /// Whether the deployment sends e-mail (then new local accounts must be activated, as in Postiz).
    pub fn email_enabled(&self) -> bool {
        self.email.uses_smtp()
    }

    /// The database URL, defaulting to a SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        let url = self.database.url.trim();
        if url.is_empty() {
            let path = self.app.data_dir.join("postiz.db");
            format!("sqlite://{}?mode=rwc", path.display())
        } else {
            url.to_string()
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }

    /// Public URL of this backend, for links to uploaded files.
    pub fn backend_url(&self) -> String {
        if self.app.backend_url.is_empty() {
            format!("http://localhost:{}", self.server.port)
        } else {
            self.app.backend_url.trim_end_matches('/').to_string()
        }
    }

    pub fn frontend_url(&self) -> &str {
        self.app.frontend_url.trim_end_matches('/')
    }

    /// Origins allowed by CORS: the dashboard and `MAIN_URL`.
    pub fn cors_origins(&self) -> Vec<String> {
        let mut origins = vec![origin_of(&self.app.frontend_url)];
        if !self.app.main_url.is_empty() {
            origins.push(origin_of(&self.app.main_url));
        }
        origins.dedup();
        origins
    }

    /// Settings for tests and tools: the defaults with the given overrides, no process environment.
    pub fn for_tests(data_dir: &Path) -> Result<Self, SettingsError> {
        let mut env = HashMap::new();
        env.insert(
            "POSTIZ__APP__DATA_DIR".to_string(),
            data_dir.display().to_string(),
        );
        env.insert("POSTIZ__SERVER__PORT".to_string(), "0".to_string());
        env.insert(
            "POSTIZ__MEDIA__LOCAL__DIRECTORY".to_string(),
            data_dir.join("uploads").display().to_string(),
        );
        env.insert(
            "JWT_SECRET".to_string(),
            "test-secret-that-is-long-enough-0123456789".to_string(),
        );
        Self::load(&SettingsSources {
            file: None,
            env,
            extra_bindings: Vec::new(),
        })
    }
}

/// `scheme://host[:port]` of a URL, as browsers send it in `Origin`.
fn origin_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => u.origin().ascii_serialization(),
        Err(_) => url.trim_end_matches('/').to_string(),
    }
}

/// Adds the environment variable that set the failing key to a config error message.
fn name_origin(message: String, origin: &BTreeMap<String, String>) -> String {
    for (key, var) in origin {
        if message.contains(&format!("`{key}`")) || message.contains(&format!("key {key}")) {
            return format!("{message} (set by environment variable {var})");
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)], file: Option<&str>) -> Result<Settings, SettingsError> {
        let dir = tempfile::tempdir().map_err(|e| SettingsError(e.to_string()))?;
        let file = match file {
            Some(content) => {
                let path = dir.path().join("local.toml");
                std::fs::write(&path, content).map_err(|e| SettingsError(e.to_string()))?;
                Some(path)
            }
            None => None,
        };
        Settings::load(&SettingsSources {
            file,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            extra_bindings: vec![("X_API_KEY".into(), "providers.x.client_id".into())],
        })
    }

    #[test]
    fn defaults_load_without_any_configuration() {
        let s = load(&[], None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.server.port, 3000);
        assert!(s.is_sqlite());
        assert!(s.database_url().ends_with("postiz.db?mode=rwc"));
        assert!(!s.email_enabled());
    }

    #[test]
    fn postiz_variables_are_read() {
        let s = load(
            &[
                ("PORT", "5000"),
                ("DATABASE_URL", "postgres://u@localhost/db"),
                ("NOT_SECURED", "true"),
                ("FRONTEND_URL", "https://app.example.com"),
                ("X_API_KEY", "key"),
                ("REDIS_URL", ""),
            ],
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.server.port, 5000);
        assert_eq!(s.database_url(), "postgres://u@localhost/db");
        assert!(s.app.not_secured);
        assert_eq!(s.redis.url, "");
        assert_eq!(
            s.providers.get("x").and_then(|p| p.client_id.as_deref()),
            Some("key")
        );
    }

    #[test]
    fn generic_overrides_reach_any_key() {
        let s =
            load(&[("POSTIZ__SERVER__JSON_LIMIT", "1234")], None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.server.json_limit, 1234);
    }

    #[test]
    fn invalid_value_names_the_variable() {
        let err = load(&[("PORT", "not-a-port")], None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("PORT"), "{err}");
    }

    #[test]
    fn a_job_retention_shorter_than_the_sweep_window_or_endless_is_refused() {
        for hours in ["48", "876001", "18446744073709551615"] {
            let err = load(
                &[("POSTIZ__WORKERS__FINISHED_JOBS_RETENTION_HOURS", hours)],
                None,
            )
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
            assert!(
                err.contains("workers.finished_jobs_retention_hours"),
                "{hours}: {err}"
            );
        }
        let s = load(
            &[("POSTIZ__WORKERS__FINISHED_JOBS_RETENTION_HOURS", "72")],
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.workers.finished_jobs_retention_hours, 72);
        let defaults = load(&[], None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(defaults.workers.finished_jobs_retention_hours, 168);
    }

    #[test]
    fn unknown_key_in_file_is_refused_with_its_name() {
        let err = load(&[], Some("[server]\nprot = 1\n"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("prot"), "{err}");
    }

    #[test]
    fn production_requires_a_jwt_secret() {
        let err = load(&[("NODE_ENV", "production")], None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("JWT_SECRET"), "{err}");
        assert!(
            load(
                &[
                    ("NODE_ENV", "production"),
                    ("JWT_SECRET", "0123456789abcdef0123")
                ],
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn smtp_needs_a_host() {
        let err = load(&[("EMAIL_PROVIDER", "nodemailer")], None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("EMAIL_HOST"), "{err}");
    }

    #[test]
    fn media_defaults_follow_postiz() {
        use crate::media_settings::StorageProvider;
        let s = load(&[], None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.media.storage_provider, StorageProvider::Local);
        assert_eq!(s.media.max_image_bytes, 10 * 1024 * 1024);
        assert_eq!(s.media.max_video_bytes, 1024 * 1024 * 1024);
        assert_eq!(s.media.local.directory, PathBuf::from("./uploads"));
        assert!(!s.media.disable_ssrf_protection);
        let defaults = MediaSettings::default();
        assert_eq!(s.media.allowed_types, defaults.allowed_types);
        assert_eq!(s.media.part_size_bytes, defaults.part_size_bytes);
        assert_eq!(
            s.media.fetch.total_timeout_secs,
            defaults.fetch.total_timeout_secs
        );
        assert_eq!(s.media.cloudflare.region, defaults.cloudflare.region);
        assert_eq!(s.media.s3.region, defaults.s3.region);
    }

    #[test]
    fn media_variables_are_bound_under_postiz_names() {
        for (var, key) in crate::media_settings::MEDIA_ENV_VARS {
            assert!(
                POSTIZ_ENV_VARS.contains(&(*var, *key)),
                "{var} -> {key} is not bound"
            );
        }
    }

    #[test]
    fn postiz_variables_fill_the_cloudflare_settings() {
        use crate::media_settings::StorageProvider;
        let s = load(
            &[
                ("STORAGE_PROVIDER", "cloudflare"),
                ("CLOUDFLARE_ACCOUNT_ID", "0123abcd"),
                ("CLOUDFLARE_ACCESS_KEY", "key"),
                ("CLOUDFLARE_SECRET_ACCESS_KEY", "secret"),
                ("CLOUDFLARE_BUCKETNAME", "postiz"),
                ("CLOUDFLARE_BUCKET_URL", "https://media.example.com"),
                ("CLOUDFLARE_REGION", "auto"),
                ("DISABLE_SSRF_PROTECTION", "true"),
                ("UPLOAD_DIRECTORY", "/var/postiz/uploads"),
            ],
            Some("[media]\nmax_image_bytes = 1048576\n"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.media.storage_provider, StorageProvider::Cloudflare);
        assert_eq!(s.media.cloudflare.account_id, "0123abcd");
        assert_eq!(s.media.cloudflare.bucket_name, "postiz");
        assert_eq!(s.media.cloudflare.bucket_url, "https://media.example.com");
        assert!(s.media.disable_ssrf_protection);
        assert!(crate::ssrf::SsrfPolicy::from_settings(&s).allow_private);
        assert_eq!(
            s.media.local.directory,
            PathBuf::from("/var/postiz/uploads")
        );
        assert_eq!(s.media.max_image_bytes, 1_048_576);
    }

    #[test]
    fn media_values_from_the_environment_are_coerced() {
        let s = load(
            &[
                ("POSTIZ__MEDIA__MAX_VIDEO_BYTES", "2147483648"),
                ("POSTIZ__MEDIA__ALLOWED_TYPES", "png,mp4,mov"),
                ("POSTIZ__MEDIA__S3__PATH_STYLE", "false"),
            ],
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.media.max_video_bytes, 2_147_483_648);
        assert_eq!(
            s.media.type_names().unwrap_or_default(),
            vec!["png", "mp4", "mov"]
        );
        assert!(!s.media.s3.path_style);
    }

    #[test]
    fn media_mistakes_are_named() {
        let err = |env: &[(&str, &str)], file: Option<&str>| {
            load(env, file)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let e = err(&[], Some("[media]\nmax_image_byte = 1\n"));
        assert!(e.contains("max_image_byte"), "{e}");
        let e = err(&[("STORAGE_PROVIDER", "ftp")], None);
        assert!(e.contains("ftp") && e.contains("STORAGE_PROVIDER"), "{e}");
        let e = err(&[("STORAGE_PROVIDER", "cloudflare")], None);
        assert!(e.contains("CLOUDFLARE_ACCOUNT_ID"), "{e}");
        let e = err(&[("POSTIZ__MEDIA__ALLOWED_TYPES", "svg")], None);
        assert!(e.contains("media.allowed_types"), "{e}");
    }

    #[test]
    fn the_public_api_limit_follows_postiz() {
        let s = load(&[], None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.public_api.api_limit, 90);
        assert_eq!(s.public_api.idempotency_ttl_hours, 24);
        let s = load(&[("API_LIMIT", "30")], None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.public_api.api_limit, 30);
        let err = load(&[("API_LIMIT", "0")], None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("API_LIMIT"), "{err}");
    }

    #[test]
    fn cors_origins_are_origins() {
        let s = load(
            &[
                ("FRONTEND_URL", "https://app.example.com/"),
                ("MAIN_URL", "https://example.com/x"),
            ],
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.cors_origins(),
            vec!["https://app.example.com", "https://example.com"]
        );
    }
}
