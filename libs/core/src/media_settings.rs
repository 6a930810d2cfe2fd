//! Settings of the media module: the `[media]` section of [`crate::Settings`], with Postiz's
//! environment variables (bound in [`crate::settings::POSTIZ_ENV_VARS`]).
//!
//! Every field has a default, so the section may be absent from the configuration file. They
//! live in core because the settings are loaded here; `postiz-media` re-exports them.

use std::path::PathBuf;

use serde::{Deserialize, Deserializer};

/// Postiz environment variable names and the media setting each one fills (part of
/// [`crate::settings::POSTIZ_ENV_VARS`]).
pub const MEDIA_ENV_VARS: &[(&str, &str)] = &[
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
];

const MIB: u64 = 1024 * 1024;

/// Names accepted in `media.allowed_types` (with the aliases jpg, tif, quicktime).
pub const TYPE_NAMES: &[&str] = &[
    "jpeg", "png", "gif", "webp", "avif", "bmp", "tiff", "mp4", "mov", "webm",
];

/// What Postiz accepts (`CustomFileValidationPipe`): every image format and MP4 video.
pub const DEFAULT_TYPES: &[&str] = &["jpeg", "png", "gif", "webp", "avif", "bmp", "tiff", "mp4"];

/// The canonical name of a type name or alias.
pub fn canonical_type_name(name: &str) -> Option<&'static str> {
    let n = name.trim().to_ascii_lowercase();
    let n = match n.as_str() {
        "jpg" => "jpeg",
        "tif" => "tiff",
        "quicktime" => "mov",
        other => other,
    };
    TYPE_NAMES.iter().copied().find(|t| *t == n)
}

/// Which storage holds uploaded files (Postiz `STORAGE_PROVIDER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorageProvider {
    /// A folder on this machine, served at `/uploads`.
    #[default]
    Local,
    /// Cloudflare R2 (Postiz's `cloudflare`).
    Cloudflare,
    /// Any S3-compatible service: AWS S3, MinIO, Ceph, ...
    S3,
}

impl<'de> Deserialize<'de> for StorageProvider {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "local" => Ok(Self::Local),
            "cloudflare" | "r2" => Ok(Self::Cloudflare),
            "s3" | "minio" | "aws" => Ok(Self::S3),
            other => Err(serde::de::Error::custom(format!(
                "`{other}` is not a storage provider (expected local, cloudflare or s3)"
            ))),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaSettings {
    /// `local` (default), `cloudflare` or `s3`. Env: STORAGE_PROVIDER.
    pub storage_provider: StorageProvider,
    /// Largest image accepted, in bytes (Postiz: 10 MB).
    pub max_image_bytes: u64,
    /// Largest video accepted, in bytes (Postiz: 1 GB).
    pub max_video_bytes: u64,
    /// Accepted formats: jpeg, png, gif, webp, avif, bmp, tiff, mp4, mov, webm (a list or a
    /// comma-separated string). Default: Postiz's set (all images and mp4).
    #[serde(deserialize_with = "types_list")]
    pub allowed_types: Vec<String>,
    /// Size of each part of a multipart upload, in bytes (at least 5 MiB, S3's minimum).
    pub part_size_bytes: u64,
    /// Parts uploaded at the same time. Memory held per upload is about
    /// `part_size_bytes * (upload_concurrency + 1)`.
    pub upload_concurrency: usize,
    /// Let "upload from URL" reach private networks. Env: DISABLE_SSRF_PROTECTION.
    pub disable_ssrf_protection: bool,
    pub fetch: FetchSettings,
    pub local: LocalSettings,
    pub cloudflare: CloudflareSettings,
    pub s3: S3Settings,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            storage_provider: StorageProvider::Local,
            max_image_bytes: 10 * MIB,
            max_video_bytes: 1024 * MIB,
            allowed_types: DEFAULT_TYPES.iter().map(|t| (*t).to_string()).collect(),
            part_size_bytes: 8 * MIB,
            upload_concurrency: 4,
            disable_ssrf_protection: false,
            fetch: FetchSettings::default(),
            local: LocalSettings::default(),
            cloudflare: CloudflareSettings::default(),
            s3: S3Settings::default(),
        }
    }
}

/// Limits of "upload from URL".
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchSettings {
    pub connect_timeout_secs: u64,
    /// Longest silence while reading the answer.
    pub read_timeout_secs: u64,
    /// Longest whole download, body included.
    pub total_timeout_secs: u64,
    pub max_redirects: usize,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            connect_timeout_secs: 10,
            read_timeout_secs: 30,
            total_timeout_secs: 600,
            max_redirects: 5,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LocalSettings {
    /// Folder of uploaded files. Env: UPLOAD_DIRECTORY.
    pub directory: PathBuf,
    /// Public URL of that folder. Empty: `<backend URL>/uploads`.
    pub public_url: String,
}

impl Default for LocalSettings {
    fn default() -> Self {
        Self {
            directory: PathBuf::from("./uploads"),
            public_url: String::new(),
        }
    }
}

/// Cloudflare R2, with Postiz's variable names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CloudflareSettings {
    /// Env: CLOUDFLARE_ACCOUNT_ID. The endpoint is `https://<account>.r2.cloudflarestorage.com`.
    pub account_id: String,
    /// Env: CLOUDFLARE_ACCESS_KEY.
    pub access_key: String,
    /// Env: CLOUDFLARE_SECRET_ACCESS_KEY.
    pub secret_access_key: String,
    /// Env: CLOUDFLARE_BUCKETNAME.
    pub bucket_name: String,
    /// Public URL of the bucket (custom domain or r2.dev). Env: CLOUDFLARE_BUCKET_URL.
    pub bucket_url: String,
    /// Env: CLOUDFLARE_REGION.
    pub region: String,
}

impl Default for CloudflareSettings {
    fn default() -> Self {
        Self {
            account_id: String::new(),
            access_key: String::new(),
            secret_access_key: String::new(),
            bucket_name: String::new(),
            bucket_url: String::new(),
            region: "auto".into(),
        }
    }
}

/// A generic S3-compatible bucket (AWS S3, MinIO, ...).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct S3Settings {
    /// Empty: AWS S3 for the region.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `endpoint/bucket/key` URLs (MinIO) instead of `bucket.endpoint/key`.
    pub path_style: bool,
    /// Public URL objects are served from. Empty: derived from the endpoint and bucket.
    pub public_url: String,
}

impl Default for S3Settings {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            bucket: String::new(),
            region: "us-east-1".into(),
            access_key_id: String::new(),
            secret_access_key: String::new(),
            path_style: true,
            public_url: String::new(),
        }
    }
}

impl MediaSettings {
    /// The accepted type names, canonical and deduplicated; fails on an unknown name.
    pub fn type_names(&self) -> Result<Vec<&'static str>, String> {
        let mut out = Vec::new();
        for name in &self.allowed_types {
            let t = canonical_type_name(name).ok_or_else(|| {
                format!(
                    "media.allowed_types: `{name}` is not a known type (expected some of {})",
                    TYPE_NAMES.join(", ")
                )
            })?;
            if !out.contains(&t) {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Checks the values; the message names the setting and its variable.
    pub fn validate(&self) -> Result<(), String> {
        let types = self.type_names()?;
        if types.is_empty() {
            return Err("media.allowed_types: at least one type is required".into());
        }
        if self.max_image_bytes == 0 || self.max_video_bytes == 0 {
            return Err("media.max_image_bytes and media.max_video_bytes must be positive".into());
        }
        if self.part_size_bytes < 5 * MIB {
            return Err("media.part_size_bytes must be at least 5 MiB (5242880)".into());
        }
        if self.upload_concurrency == 0 {
            return Err("media.upload_concurrency must be at least 1".into());
        }
        if self.fetch.max_redirects > 20 {
            return Err("media.fetch.max_redirects must be at most 20".into());
        }
        let required = |value: &str, key: &str| {
            if value.trim().is_empty() {
                Err(format!(
                    "{key} is required when STORAGE_PROVIDER={}",
                    self.provider_name()
                ))
            } else {
                Ok(())
            }
        };
        let url = |value: &str, key: &str| match url::Url::parse(value.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
            _ => Err(format!("{key} must be an http(s) URL")),
        };
        match self.storage_provider {
            StorageProvider::Local => {
                if self.local.directory.as_os_str().is_empty() {
                    return Err("media.local.directory (UPLOAD_DIRECTORY) must not be empty".into());
                }
                if !self.local.public_url.trim().is_empty() {
                    url(&self.local.public_url, "media.local.public_url")?;
                }
            }
            StorageProvider::Cloudflare => {
                let c = &self.cloudflare;
                required(
                    &c.account_id,
                    "media.cloudflare.account_id (CLOUDFLARE_ACCOUNT_ID)",
                )?;
                required(
                    &c.access_key,
                    "media.cloudflare.access_key (CLOUDFLARE_ACCESS_KEY)",
                )?;
                required(
                    &c.secret_access_key,
                    "media.cloudflare.secret_access_key (CLOUDFLARE_SECRET_ACCESS_KEY)",
                )?;
                required(
                    &c.bucket_name,
                    "media.cloudflare.bucket_name (CLOUDFLARE_BUCKETNAME)",
                )?;
                required(
                    &c.bucket_url,
                    "media.cloudflare.bucket_url (CLOUDFLARE_BUCKET_URL)",
                )?;
                url(
                    &c.bucket_url,
                    "media.cloudflare.bucket_url (CLOUDFLARE_BUCKET_URL)",
                )?;
                if !c
                    .account_id
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
                {
                    return Err(
                        "media.cloudflare.account_id (CLOUDFLARE_ACCOUNT_ID) must be letters, digits and dashes"
                            .into(),
                    );
                }
            }
            StorageProvider::S3 => {
                let s = &self.s3;
                required(&s.bucket, "media.s3.bucket")?;
                required(&s.region, "media.s3.region")?;
                required(&s.access_key_id, "media.s3.access_key_id")?;
                required(&s.secret_access_key, "media.s3.secret_access_key")?;
                if !s.endpoint.trim().is_empty() {
                    url(&s.endpoint, "media.s3.endpoint")?;
                }
                if !s.public_url.trim().is_empty() {
                    url(&s.public_url, "media.s3.public_url")?;
                }
            }
        }
        Ok(())
    }

    fn provider_name(&self) -> &'static str {
        match self.storage_provider {
            StorageProvider::Local => "local",
            StorageProvider::Cloudflare => "cloudflare",
            StorageProvider::S3 => "s3",
        }
    }
}

/// Accepts `["png", "mp4"]` or `"png, mp4"` (environment variables are strings).
fn types_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<String>),
        Text(String),
    }
    Ok(match ListOrString::deserialize(d)? {
        ListOrString::List(list) => list,
        ListOrString::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: serde_json::Value) -> Result<MediaSettings, String> {
        serde_json::from_value(json).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_follow_postiz() {
        let s = parse(serde_json::json!({})).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.storage_provider, StorageProvider::Local);
        assert_eq!(s.max_image_bytes, 10 * 1024 * 1024);
        assert_eq!(s.max_video_bytes, 1024 * 1024 * 1024);
        assert_eq!(s.local.directory, PathBuf::from("./uploads"));
        let types = s.type_names().unwrap_or_default();
        assert!(types.contains(&"mp4"));
        assert!(!types.contains(&"mov"));
        assert!(s.validate().is_ok());
    }

    #[test]
    fn unknown_keys_and_providers_are_refused() {
        assert!(parse(serde_json::json!({"max_image_byte": 1})).is_err());
        assert!(parse(serde_json::json!({"storage_provider": "ftp"})).is_err());
        let s = parse(serde_json::json!({"storage_provider": "Cloudflare"}));
        assert_eq!(
            s.map(|s| s.storage_provider).ok(),
            Some(StorageProvider::Cloudflare)
        );
    }

    #[test]
    fn cloudflare_needs_its_variables() {
        let s = parse(serde_json::json!({
            "storage_provider": "cloudflare",
            "cloudflare": {"account_id": "abc", "access_key": "k", "secret_access_key": "s",
                           "bucket_name": "b"}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let err = s.validate().err().unwrap_or_default();
        assert!(err.contains("CLOUDFLARE_BUCKET_URL"), "{err}");
    }

    #[test]
    fn types_accept_a_comma_separated_string() {
        let s = parse(serde_json::json!({"allowed_types": "png, mp4,QuickTime,jpg"}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.type_names().unwrap_or_default(),
            vec!["png", "mp4", "mov", "jpeg"]
        );
        let s =
            parse(serde_json::json!({"allowed_types": ["svg"]})).unwrap_or_else(|e| panic!("{e}"));
        assert!(s.validate().is_err());
    }

    #[test]
    fn bindings_use_postiz_names() {
        let vars: Vec<&str> = MEDIA_ENV_VARS.iter().map(|(v, _)| *v).collect();
        for v in [
            "STORAGE_PROVIDER",
            "UPLOAD_DIRECTORY",
            "CLOUDFLARE_ACCOUNT_ID",
            "CLOUDFLARE_BUCKETNAME",
            "CLOUDFLARE_BUCKET_URL",
            "DISABLE_SSRF_PROTECTION",
        ] {
            assert!(vars.contains(&v), "{v}");
        }
        assert!(MEDIA_ENV_VARS.iter().all(|(_, k)| k.starts_with("media.")));
    }
}
