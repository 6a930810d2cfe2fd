//! The media library: uploads (streamed, sniffed, capped), uploads from URL (SSRF-safe),
//! listing, deletion, alt text and thumbnails, the files `/uploads` serves, and reading media
//! back for the publisher ([`MediaService::resolve_reference`]).
//! No actix types here: controllers turn [`MediaError`] into the API error.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use postiz_core::ssrf::{FetchConfig, FetchError, FetchRequest, SafeFetcher, SsrfPolicy};
use postiz_core::{AppError, ErrorCode, Settings};
use postiz_entity::media::MediaKind as EntityKind;
use postiz_provider::{ByteStream, MediaItem, MediaKind, MediaSource, ProviderError};
use sea_orm::DatabaseConnection;

use crate::dto::{MediaPageView, MediaView, VideoOption};
use crate::remote::{RemoteMedia, fetch_provider_error};
use crate::repository::{self as repo, MediaInformation, NewMedia};
use crate::settings::MediaSettings;
use crate::sniff::{FileType, SNIFF_LEN, sniff};
use crate::storage::{
    ByteRange, ObjectInfo, ObjectStream, PutError, Storage, StorageError, put_stream,
};

/// Why a media operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("Unsupported file type. Allowed: {allowed}.")]
    UnsupportedType { allowed: String },
    #[error("The file is empty.")]
    Empty,
    #[error(
        "File size exceeds the maximum allowed size of {limit} bytes ({} for {kind}s).",
        human_size(*limit)
    )]
    TooLarge { kind: &'static str, limit: u64 },
    #[error("The upload was interrupted: {0}")]
    Interrupted(String),
    #[error("Failed to fetch URL: {0}")]
    Fetch(#[source] FetchError),
    #[error("Media not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("media storage failed")]
    Storage(#[from] StorageError),
    /// A post's media that cannot be read, classified for the publisher.
    #[error("{0}")]
    Publish(ProviderError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for MediaError {
    fn from(e: sea_orm::DbErr) -> Self {
        MediaError::Internal(e.into())
    }
}

impl From<MediaError> for AppError {
    #[track_caller]
    fn from(e: MediaError) -> Self {
        let message = e.to_string();
        match e {
            // Postiz answers 400 to refused files, oversize ones included.
            MediaError::UnsupportedType { .. }
            | MediaError::Empty
            | MediaError::TooLarge { .. }
            | MediaError::Interrupted(_)
            | MediaError::Invalid(_) => AppError::bad_request(message),
            MediaError::Fetch(cause) => AppError::bad_request(message).with_cause(cause),
            MediaError::NotFound => AppError::new(ErrorCode::NotFound, message),
            MediaError::Storage(cause) => AppError::unavailable(cause),
            MediaError::Publish(ProviderError::Rejected(m)) => AppError::bad_request(m),
            MediaError::Publish(cause) => AppError::unavailable(cause),
            MediaError::Internal(cause) => AppError::internal(cause),
        }
    }
}

impl MediaError {
    /// The error as the publisher classifies it: final (`Rejected`, with a message for the
    /// user) or worth retrying (`Transient`).
    pub fn into_provider_error(self) -> ProviderError {
        match self {
            MediaError::Publish(e) => e,
            MediaError::Storage(e) => provider_error(e),
            MediaError::Fetch(e) => fetch_provider_error("", e),
            MediaError::Internal(e) => {
                ProviderError::Transient(format!("media lookup failed: {e}"))
            }
            other => ProviderError::Rejected(other.to_string()),
        }
    }
}

fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= 1024 * MIB && bytes.is_multiple_of(1024 * MIB) {
        format!("{} GB", bytes / (1024 * MIB))
    } else if bytes >= MIB {
        format!("{:.0} MB", bytes as f64 / MIB as f64)
    } else {
        format!("{bytes} bytes")
    }
}

/// A file written to storage (with or without a library row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub key: String,
    /// Public URL.
    pub path: String,
    /// `<random>.<ext>`.
    pub name: String,
    pub original_name: String,
    pub file_type: FileType,
    pub size: u64,
}

/// Upload limits and accepted formats.
#[derive(Debug, Clone)]
pub struct UploadPolicy {
    pub max_image_bytes: u64,
    pub max_video_bytes: u64,
    pub allowed: Vec<FileType>,
}

impl Default for UploadPolicy {
    fn default() -> Self {
        Self {
            max_image_bytes: 10 * 1024 * 1024,
            max_video_bytes: 1024 * 1024 * 1024,
            allowed: FileType::POSTIZ_DEFAULT.to_vec(),
        }
    }
}

impl UploadPolicy {
    pub fn from_settings(settings: &MediaSettings) -> Result<Self, String> {
        let allowed = settings
            .type_names()?
            .into_iter()
            .map(|name| {
                FileType::parse(name).ok_or_else(|| format!("media.allowed_types: `{name}`"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            max_image_bytes: settings.max_image_bytes,
            max_video_bytes: settings.max_video_bytes,
            allowed,
        })
    }

    pub fn limit_for(&self, kind: MediaKind) -> u64 {
        match kind {
            MediaKind::Image => self.max_image_bytes,
            MediaKind::Video => self.max_video_bytes,
        }
    }

    /// The largest file of any accepted kind.
    pub fn largest(&self) -> u64 {
        let video = self.allowed.iter().any(|t| t.kind() == MediaKind::Video);
        if video {
            self.max_video_bytes.max(self.max_image_bytes)
        } else {
            self.max_image_bytes
        }
    }

    fn allowed_list(&self) -> String {
        self.allowed
            .iter()
            .map(|t| t.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Builds the fetcher "upload from URL" uses from the settings.
pub fn fetcher_from_settings(settings: &MediaSettings) -> Result<SafeFetcher, FetchError> {
    SafeFetcher::new(FetchConfig {
        policy: SsrfPolicy {
            allow_private: settings.disable_ssrf_protection,
            allowed_ips: Vec::new(),
        },
        connect_timeout: Duration::from_secs(settings.fetch.connect_timeout_secs.max(1)),
        read_timeout: Duration::from_secs(settings.fetch.read_timeout_secs.max(1)),
        total_timeout: Duration::from_secs(settings.fetch.total_timeout_secs.max(1)),
        max_redirects: settings.fetch.max_redirects,
        max_bytes: settings.max_video_bytes.max(settings.max_image_bytes),
        ..FetchConfig::default()
    })
}

#[derive(Clone)]
pub struct MediaService {
    db: DatabaseConnection,
    storage: Arc<dyn Storage>,
    fetcher: SafeFetcher,
    policy: Arc<UploadPolicy>,
}

impl fmt::Debug for MediaService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaService")
            .field("storage", &self.storage)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl MediaService {
    pub fn new(
        db: DatabaseConnection,
        storage: Arc<dyn Storage>,
        fetcher: SafeFetcher,
        policy: UploadPolicy,
    ) -> Self {
        Self {
            db,
            storage,
            fetcher,
            policy: Arc::new(policy),
        }
    }

    /// The service the settings describe: the storage (local folder, R2 or S3 bucket), the
    /// SSRF-safe fetcher and the upload limits.
    pub fn from_settings(db: DatabaseConnection, settings: &Settings) -> Result<Self, MediaError> {
        let storage = crate::storage::from_settings(&settings.media, &settings.backend_url())?;
        let fetcher =
            fetcher_from_settings(&settings.media).map_err(|e| MediaError::Internal(e.into()))?;
        let policy = UploadPolicy::from_settings(&settings.media).map_err(MediaError::Invalid)?;
        Ok(Self::new(db, storage, fetcher, policy))
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    pub fn policy(&self) -> &UploadPolicy {
        &self.policy
    }

    /// `GET /media/video-options`: the AI video generators this deployment offers. This build
    /// ships none (Postiz's are paid third-party services), so the list is empty; the dashboard
    /// then hides the "generate video" button.
    pub fn video_options(&self) -> Vec<VideoOption> {
        Vec::new()
    }

    /// Whether `/uploads` serves files: only when they are kept in the local folder (a bucket
    /// serves its own files at its public URL).
    pub fn serves_uploads(&self) -> bool {
        self.storage.local_root().is_some()
    }

    /// The file `/uploads/<path>` names, if it is one we stored. Only keys of the shape we
    /// write are accepted (`2026/11/22/<hex>.<ext>`: letters, digits, `-`, `_` and inner dots,
    /// a known media extension), so traversal, hidden files, partial uploads and folders are
    /// all "not found".
    pub async fn public_file(&self, path: &str) -> Result<PublicFile, MediaError> {
        if !self.serves_uploads() {
            return Err(MediaError::NotFound);
        }
        let (key, file_type) = public_key(path).ok_or(MediaError::NotFound)?;
        let info = self.storage.head(&key).await.map_err(not_found_or)?;
        Ok(PublicFile {
            key,
            mime: file_type.mime(),
            info,
        })
    }

    /// The bytes of a file [`MediaService::public_file`] found, or a range of them.
    pub async fn read_public(
        &self,
        file: &PublicFile,
        range: Option<ByteRange>,
    ) -> Result<ObjectStream, MediaError> {
        self.storage
            .get(&file.key, range)
            .await
            .map_err(not_found_or)
    }

    /// Removes a stored file that will not be kept (the request it came with was refused).
    pub async fn discard(&self, stored: &StoredFile) {
        if let Err(e) = self.storage.delete(&stored.key).await {
            tracing::warn!(key = stored.key, error = %e, "removing a refused upload failed");
        }
    }

    /// Uploads a file into the library (`/media/upload-server`, `/media/upload-simple`,
    /// `/public/v1/upload`). `declared_size` (Content-Length) fails oversize uploads early.
    pub async fn upload<S, E>(
        &self,
        org_id: &str,
        original_name: Option<&str>,
        declared_size: Option<u64>,
        body: S,
    ) -> Result<MediaView, MediaError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: fmt::Display,
    {
        let stored = self.store(original_name, declared_size, body).await?;
        self.save(org_id, &stored).await
    }

    /// Stores a file without adding it to the library (`upload-simple` with
    /// `preventSave=true`, thumbnails): returns where it is.
    pub async fn store<S, E>(
        &self,
        original_name: Option<&str>,
        declared_size: Option<u64>,
        body: S,
    ) -> Result<StoredFile, MediaError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: fmt::Display,
    {
        if declared_size.is_some_and(|n| n > self.policy.largest()) {
            return Err(self.too_large_for_any());
        }
        let mut body = std::pin::pin!(body);
        // Buffer just enough to recognise the format.
        let mut head: Vec<Bytes> = Vec::new();
        let mut head_len = 0usize;
        while head_len < SNIFF_LEN {
            match body.next().await {
                Some(Ok(chunk)) => {
                    head_len += chunk.len();
                    if !chunk.is_empty() {
                        head.push(chunk);
                    }
                }
                Some(Err(e)) => return Err(MediaError::Interrupted(e.to_string())),
                None => break,
            }
        }
        if head_len == 0 {
            return Err(MediaError::Empty);
        }
        let prefix: Vec<u8> = head
            .iter()
            .flat_map(|c| c.iter().copied())
            .take(SNIFF_LEN)
            .collect();
        let file_type = sniff(&prefix)
            .filter(|t| self.policy.allowed.contains(t))
            .ok_or_else(|| MediaError::UnsupportedType {
                allowed: self.policy.allowed_list(),
            })?;
        let kind = file_type.kind();
        let limit = self.policy.limit_for(kind);
        if declared_size.is_some_and(|n| n > limit) {
            return Err(too_large(kind, limit));
        }
        let key = new_key(file_type);
        let name = key.rsplit('/').next().unwrap_or(&key).to_string();
        let stream = futures_util::stream::iter(head.into_iter().map(Ok::<Bytes, String>))
            .chain(body.map(|r| r.map_err(|e| e.to_string())));
        let size = put_stream(
            self.storage.as_ref(),
            &key,
            file_type.mime(),
            stream,
            Some(limit),
        )
        .await
        .map_err(|e| match e {
            PutError::TooLarge { limit } => too_large(kind, limit),
            PutError::Source(message) => MediaError::Interrupted(message),
            PutError::Storage(s) => MediaError::Storage(s),
        })?;
        tracing::info!(
            key,
            size,
            mime = file_type.mime(),
            storage = self.storage.kind(),
            "media stored"
        );
        Ok(StoredFile {
            path: self.storage.public_url(&key),
            key,
            name,
            original_name: safe_original_name(original_name, file_type),
            file_type,
            size,
        })
    }

    /// Adds a stored file to the organization's library; on failure the file is removed.
    pub async fn save(&self, org_id: &str, stored: &StoredFile) -> Result<MediaView, MediaError> {
        let inserted = repo::insert(
            &self.db,
            NewMedia {
                organization_id: org_id,
                name: &stored.name,
                original_name: Some(&stored.original_name),
                path: &stored.path,
                storage_key: &stored.key,
                mime_type: stored.file_type.mime(),
                kind: entity_kind(stored.file_type.kind()),
                file_size: i64::try_from(stored.size).unwrap_or(i64::MAX),
            },
        )
        .await;
        match inserted {
            Ok(row) => Ok(row.into()),
            Err(e) => {
                if let Err(del) = self.storage.delete(&stored.key).await {
                    tracing::warn!(key = stored.key, error = %del, "removing an orphan upload failed");
                }
                Err(e.into())
            }
        }
    }

    /// Downloads a URL SSRF-safely and adds it to the library (`/public/v1/upload-from-url`).
    pub async fn upload_from_url(&self, org_id: &str, url: &str) -> Result<MediaView, MediaError> {
        let response = self
            .fetcher
            .send(FetchRequest::get(url).with_max_bytes(self.policy.largest()))
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| match e {
                FetchError::TooLarge { .. } => self.too_large_for_any(),
                other => MediaError::Fetch(other),
            })?;
        let original = file_name_of(&response.url);
        let declared = response.content_length();
        let stored = self
            .store(original.as_deref(), declared, response.into_stream())
            .await?;
        self.save(org_id, &stored).await
    }

    /// `GET /media?page&search`.
    pub async fn list(
        &self,
        org_id: &str,
        page: Option<u64>,
        search: Option<&str>,
    ) -> Result<MediaPageView, MediaError> {
        let page = repo::list(&self.db, org_id, page.unwrap_or(1), search).await?;
        Ok(MediaPageView {
            pages: page.pages,
            results: page.results.into_iter().map(MediaView::from).collect(),
        })
    }

    /// A live library file.
    pub async fn get(&self, org_id: &str, media_id: &str) -> Result<MediaView, MediaError> {
        repo::find(&self.db, org_id, media_id)
            .await?
            .map(MediaView::from)
            .ok_or(MediaError::NotFound)
    }

    /// Removes a file from the library (soft delete). The stored object is kept: scheduled and
    /// published posts keep its URL (networks that pull media fetch it at publish time, and
    /// published posts link to it), and a soft-deleted row can only be restored if its file
    /// still exists. Objects are reclaimed by a later cleanup of long-deleted, unreferenced rows.
    pub async fn delete(&self, org_id: &str, media_id: &str) -> Result<MediaView, MediaError> {
        repo::soft_delete(&self.db, org_id, media_id)
            .await?
            .map(MediaView::from)
            .ok_or(MediaError::NotFound)
    }

    /// `POST /media/information`: alt text, thumbnail URL and thumbnail position (ms).
    pub async fn save_information(
        &self,
        org_id: &str,
        media_id: &str,
        alt: Option<&str>,
        thumbnail: Option<&str>,
        thumbnail_timestamp: Option<i64>,
    ) -> Result<MediaView, MediaError> {
        let thumbnail = thumbnail.map(str::trim).filter(|t| !t.is_empty());
        if let Some(t) = thumbnail {
            match url::Url::parse(t) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => {
                    return Err(MediaError::Invalid(
                        "thumbnail must be an http(s) URL".into(),
                    ));
                }
            }
        }
        if thumbnail_timestamp.is_some_and(|t| t < 0) {
            return Err(MediaError::Invalid(
                "thumbnailTimestamp must not be negative".into(),
            ));
        }
        let info = MediaInformation {
            alt: alt.map(str::to_string),
            thumbnail: thumbnail.map(str::to_string),
            thumbnail_timestamp,
        };
        repo::update_information(&self.db, org_id, media_id, info)
            .await?
            .map(MediaView::from)
            .ok_or(MediaError::NotFound)
    }

    /// The file of a media row, to stream to a network. Deleted rows are included: a post
    /// scheduled before the file left the library still publishes it.
    pub async fn open(&self, org_id: &str, media_id: &str) -> Result<StoredMedia, MediaError> {
        let row = repo::find_including_deleted(&self.db, org_id, media_id)
            .await?
            .ok_or(MediaError::NotFound)?;
        Ok(StoredMedia {
            storage: Arc::clone(&self.storage),
            size: u64::try_from(row.file_size).unwrap_or(0),
            kind: provider_kind(row.kind),
            key: row.storage_key,
            mime_type: row.mime_type,
            url: row.path,
            alt: row.alt,
            thumbnail: row.thumbnail,
        })
    }

    /// A post's media item for a provider, reading from storage.
    pub async fn media_item(&self, org_id: &str, media_id: &str) -> Result<MediaItem, MediaError> {
        Ok(self.open(org_id, media_id).await?.into_media_item())
    }

    /// Checks a media reference when a post is saved: it must be a file of the organization's
    /// library (deleted ones included, so editing a post keeps its media), a file of our
    /// storage, or an http(s) URL that is not obviously private (names are resolved and
    /// checked again when the post is published).
    pub async fn check_reference(
        &self,
        org_id: &str,
        id: &str,
        path: &str,
    ) -> Result<(), MediaError> {
        self.locate(org_id, id, path).await.map(|_| ())
    }

    /// **The publisher's entry point.** The media a provider reads for a reference stored in
    /// a post (Postiz's `image` entries `{id, path, alt?, thumbnail?}`):
    ///
    /// 1. a file of the organization's library, found by `id`, **even if it was deleted from
    ///    the library after the post was scheduled** (deletion keeps the stored object);
    /// 2. otherwise, when `path` is a URL of our own storage, that object;
    /// 3. otherwise `path` as an external URL, fetched through the SSRF-safe fetcher (each
    ///    read resolves and checks the address again, follows redirects checked, and stops at
    ///    the size limit of the detected kind).
    ///
    /// The format is always detected from the bytes. Files are streamed (from storage or from
    /// the network), never held whole in memory. `alt` and `thumbnail_url` are the library's;
    /// the caller lays the post's own over them. Errors convert with
    /// [`MediaError::into_provider_error`]: a missing or unusable file is `Rejected` (final,
    /// the message names the file), an unreachable server or storage `Transient` (retried).
    pub async fn resolve_reference(
        &self,
        org_id: &str,
        id: &str,
        path: &str,
    ) -> Result<MediaItem, MediaError> {
        let located = self
            .locate(org_id, id, path)
            .await
            .map_err(|e| MediaError::Publish(reference_error(path, e)))?;
        let item = match located {
            Located::Row(stored) => stored.into_media_item(),
            Located::Object { key, info } => self
                .open_object(&key, &info, path)
                .await
                .map_err(MediaError::Publish)?
                .into_media_item(),
            Located::External(url) => self.open_external(url).await.map_err(MediaError::Publish)?,
        };
        Ok(item)
    }

    async fn locate(&self, org_id: &str, id: &str, path: &str) -> Result<Located, MediaError> {
        let id = id.trim();
        if !id.is_empty() {
            match self.open(org_id, id).await {
                Ok(stored) => return Ok(Located::Row(stored)),
                Err(MediaError::NotFound) => {}
                Err(other) => return Err(other),
            }
        }
        let path = path.trim();
        if let Some(key) = self.storage.key_for_url(path) {
            let info = self.storage.head(&key).await.map_err(not_found_or)?;
            return Ok(Located::Object { key, info });
        }
        let url = url::Url::parse(path).map_err(|_| {
            MediaError::Invalid(format!(
                "`{path}` is neither a file of the media library nor an http(s) URL"
            ))
        })?;
        self.fetcher
            .config()
            .policy
            .check_url(&url)
            .map_err(MediaError::Fetch)?;
        Ok(Located::External(url))
    }

    /// An object of our storage that has no library row (its type read from its first bytes).
    async fn open_object(
        &self,
        key: &str,
        info: &ObjectInfo,
        url: &str,
    ) -> Result<StoredMedia, ProviderError> {
        let head_len = info.size.min(SNIFF_LEN as u64);
        let head = self
            .storage
            .get(key, Some(ByteRange::Bounded(0..head_len)))
            .await
            .map_err(provider_error)?
            .bytes()
            .await
            .map_err(provider_error)?;
        let file_type = sniff(&head).ok_or_else(|| {
            ProviderError::Rejected(format!("{url} is not an image or a video we can publish"))
        })?;
        Ok(StoredMedia {
            storage: Arc::clone(&self.storage),
            key: key.to_string(),
            size: info.size,
            kind: file_type.kind(),
            mime_type: file_type.mime().to_string(),
            url: url.to_string(),
            alt: None,
            thumbnail: None,
        })
    }

    /// An external file: fetched once to learn its type and size (only the first bytes are
    /// read), then streamed again on each read.
    async fn open_external(&self, url: url::Url) -> Result<MediaItem, ProviderError> {
        let largest = self.policy.largest();
        let response = self
            .fetcher
            .send(FetchRequest::get(url.as_str()).with_max_bytes(largest))
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| fetch_provider_error(url.as_str(), e))?;
        let declared = response.content_length();
        let mut body = response.into_stream();
        let mut head: Vec<u8> = Vec::with_capacity(SNIFF_LEN);
        while head.len() < SNIFF_LEN {
            match body.next().await {
                Some(Ok(chunk)) => head.extend_from_slice(&chunk),
                Some(Err(e)) => return Err(fetch_provider_error(url.as_str(), e)),
                None => break,
            }
        }
        drop(body);
        let file_type = sniff(&head).ok_or_else(|| {
            ProviderError::Rejected(format!("{url} is not an image or a video we can publish"))
        })?;
        let kind = file_type.kind();
        let limit = self.policy.limit_for(kind);
        if declared.is_some_and(|n| n > limit) {
            return Err(ProviderError::Rejected(format!(
                "{url}: {}",
                too_large(kind, limit)
            )));
        }
        let source = RemoteMedia::new(self.fetcher.clone(), url.to_string(), limit, declared);
        Ok(MediaItem {
            kind,
            mime_type: file_type.mime().to_string(),
            url: url.to_string(),
            alt: None,
            thumbnail_url: None,
            source: Arc::new(source),
        })
    }

    fn too_large_for_any(&self) -> MediaError {
        let video = self.policy.largest() == self.policy.max_video_bytes
            && self
                .policy
                .allowed
                .iter()
                .any(|t| t.kind() == MediaKind::Video);
        if video {
            too_large(MediaKind::Video, self.policy.max_video_bytes)
        } else {
            too_large(MediaKind::Image, self.policy.max_image_bytes)
        }
    }
}

enum Located {
    Row(StoredMedia),
    Object { key: String, info: ObjectInfo },
    External(url::Url),
}

/// A file `/uploads` serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicFile {
    pub key: String,
    /// Content type, from the extension we gave the file after sniffing it.
    pub mime: &'static str,
    pub info: ObjectInfo,
}

/// The storage key `/uploads/<path>` may name, with the type its extension stands for.
pub fn public_key(path: &str) -> Option<(String, FileType)> {
    let path = path.strip_prefix('/').unwrap_or(path);
    if path.is_empty() || path.len() > 512 {
        return None;
    }
    let segments: Vec<&str> = path.split('/').collect();
    if segments.len() > 8 {
        return None;
    }
    let valid = |s: &&str| {
        !s.is_empty()
            && s.len() <= 128
            && !s.starts_with('.')
            && !s.ends_with('.')
            && !s.contains("..")
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    if !segments.iter().all(valid) {
        return None;
    }
    let last = segments.last()?;
    let (_, extension) = last.rsplit_once('.')?;
    let file_type = FileType::ALL
        .into_iter()
        .find(|t| t.extension().eq_ignore_ascii_case(extension))
        .or_else(|| match extension.to_ascii_lowercase().as_str() {
            "jpeg" => Some(FileType::Jpeg),
            "tiff" => Some(FileType::Tiff),
            _ => None,
        })?;
    Some((path.to_string(), file_type))
}

fn not_found_or(e: StorageError) -> MediaError {
    match e {
        StorageError::NotFound(_) | StorageError::InvalidKey(_) => MediaError::NotFound,
        other => MediaError::Storage(other),
    }
}

/// A reference that cannot be located, as the publisher classifies it.
fn reference_error(path: &str, e: MediaError) -> ProviderError {
    match e {
        MediaError::NotFound => {
            ProviderError::Rejected(format!("The media file {path} no longer exists in storage"))
        }
        MediaError::Fetch(f) => fetch_provider_error(path, f),
        MediaError::Storage(s) => provider_error(s),
        other => other.into_provider_error(),
    }
}

fn too_large(kind: MediaKind, limit: u64) -> MediaError {
    MediaError::TooLarge {
        kind: match kind {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
        },
        limit,
    }
}

fn entity_kind(kind: MediaKind) -> EntityKind {
    match kind {
        MediaKind::Image => EntityKind::Image,
        MediaKind::Video => EntityKind::Video,
    }
}

fn provider_kind(kind: EntityKind) -> MediaKind {
    match kind {
        EntityKind::Image => MediaKind::Image,
        EntityKind::Video => MediaKind::Video,
    }
}

/// `YYYY/MM/DD/<32 hex>.<ext>` (Postiz's local layout; random, unguessable names).
fn new_key(file_type: FileType) -> String {
    let date = chrono::Utc::now().format("%Y/%m/%d");
    format!(
        "{date}/{}.{}",
        uuid::Uuid::new_v4().simple(),
        file_type.extension()
    )
}

/// The uploader's name without its extension, made safe (no path separators or control
/// characters, at most 100 characters), with the sniffed extension (as Postiz).
pub fn safe_original_name(original: Option<&str>, file_type: FileType) -> String {
    let raw = original.unwrap_or("").trim();
    let base = match raw.rfind('.') {
        Some(i) if !raw[i + 1..].contains(['/', '\\']) => &raw[..i],
        _ => raw,
    };
    let cleaned: String = base
        .chars()
        .map(|c| if c == '/' || c == '\\' { '_' } else { c })
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    let cleaned = cleaned.trim();
    let base = if cleaned.is_empty() {
        "upload"
    } else {
        cleaned
    };
    format!("{base}.{}", file_type.extension())
}

/// The last path segment of a URL, percent-decoded, when there is one.
fn file_name_of(url: &url::Url) -> Option<String> {
    let segment = url.path_segments()?.next_back()?.to_string();
    if segment.is_empty() {
        return None;
    }
    let decoded: Vec<u8> = percent_decode(&segment);
    Some(String::from_utf8_lossy(&decoded).into_owned())
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A stored media file, readable as a stream; what the publisher hands to providers.
#[derive(Clone)]
pub struct StoredMedia {
    storage: Arc<dyn Storage>,
    key: String,
    size: u64,
    pub kind: MediaKind,
    pub mime_type: String,
    /// Public URL (for networks that pull media themselves).
    pub url: String,
    pub alt: Option<String>,
    pub thumbnail: Option<String>,
}

impl fmt::Debug for StoredMedia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredMedia")
            .field("key", &self.key)
            .field("size", &self.size)
            .field("kind", &self.kind)
            .field("mime_type", &self.mime_type)
            .finish_non_exhaustive()
    }
}

impl StoredMedia {
    pub fn key(&self) -> &str {
        &self.key
    }

    /// A range of the file (chunked upload protocols, HTTP range requests).
    pub async fn range(&self, range: ByteRange) -> Result<ObjectStream, StorageError> {
        self.storage.get(&self.key, Some(range)).await
    }

    pub fn into_media_item(self) -> MediaItem {
        MediaItem {
            kind: self.kind,
            mime_type: self.mime_type.clone(),
            url: self.url.clone(),
            alt: self.alt.clone().filter(|a| !a.is_empty()),
            thumbnail_url: self.thumbnail.clone(),
            source: Arc::new(self),
        }
    }
}

fn provider_error(e: StorageError) -> ProviderError {
    match e {
        StorageError::NotFound(key) => {
            ProviderError::Config(format!("the media file {key} is missing from storage"))
        }
        StorageError::InvalidKey(key) => ProviderError::Config(format!("invalid media key {key}")),
        StorageError::Config(m) => ProviderError::Config(m),
        StorageError::Backend(e) => ProviderError::Transient(format!("media storage: {e}")),
    }
}

#[async_trait]
impl MediaSource for StoredMedia {
    async fn size(&self) -> Result<u64, ProviderError> {
        if self.size > 0 {
            return Ok(self.size);
        }
        self.storage
            .head(&self.key)
            .await
            .map(|i| i.size)
            .map_err(provider_error)
    }

    async fn stream(&self) -> Result<ByteStream, ProviderError> {
        let object = self
            .storage
            .get(&self.key, None)
            .await
            .map_err(provider_error)?;
        Ok(Box::pin(object.stream.map(|r| r.map_err(provider_error))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn original_names_are_made_safe() {
        let png = FileType::Png;
        assert_eq!(safe_original_name(Some("holiday.jpeg"), png), "holiday.png");
        assert_eq!(
            safe_original_name(Some("../../etc/passwd"), png),
            ".._.._etc_passwd.png"
        );
        assert_eq!(safe_original_name(Some("a\\b/c.html"), png), "a_b_c.png");
        assert_eq!(safe_original_name(Some(""), png), "upload.png");
        assert_eq!(safe_original_name(None, FileType::Mp4), "upload.mp4");
        assert_eq!(safe_original_name(Some(".png"), png), "upload.png");
        assert_eq!(safe_original_name(Some("x\u{0}y\n.gif"), png), "xy.png");
        let long = "é".repeat(300);
        let safe = safe_original_name(Some(&long), png);
        assert_eq!(safe.chars().count(), 104);
    }

    #[test]
    fn keys_are_dated_and_random() {
        let a = new_key(FileType::Mp4);
        let b = new_key(FileType::Mp4);
        assert_ne!(a, b);
        let parts: Vec<&str> = a.split('/').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0].len(), 4);
        assert!(parts[3].ends_with(".mp4"));
        assert_eq!(parts[3].len(), 32 + 4);
    }

    #[test]
    fn file_names_come_from_the_url_path() {
        let u = |s: &str| url::Url::parse(s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            file_name_of(&u("https://cdn.example.com/a/My%20Photo.jpg?x=1")),
            Some("My Photo.jpg".into())
        );
        assert_eq!(file_name_of(&u("https://cdn.example.com/")), None);
    }

    #[test]
    fn only_keys_we_write_are_public() {
        let key = |p: &str| public_key(p).map(|(k, t)| (k, t.mime()));
        assert_eq!(
            key("2026/11/22/0123abcd.png"),
            Some(("2026/11/22/0123abcd.png".into(), "image/png"))
        );
        assert_eq!(key("/2026/11/22/a.MP4").map(|(_, m)| m), Some("video/mp4"));
        assert_eq!(key("a.jpg").map(|(_, m)| m), Some("image/jpeg"));
        for bad in [
            "",
            "/",
            "2026/",
            "2026/11",
            "../x.png",
            "a/../x.png",
            "a//x.png",
            ".hidden.png",
            "a/.x/y.png",
            "x.png.",
            "x..png",
            "x.png#1",
            "x.html",
            "x.svg",
            "x",
            "%2e%2e/x.png",
            "a\\x.png",
            "a b.png",
            "é.png",
        ] {
            assert_eq!(key(bad), None, "{bad}");
        }
        assert_eq!(key(&format!("{}.png", "a".repeat(200))), None);
    }

    #[test]
    fn errors_map_to_postiz_statuses() {
        let e: AppError = MediaError::UnsupportedType {
            allowed: "PNG".into(),
        }
        .into();
        assert_eq!(e.code(), ErrorCode::BadRequest);
        let e: AppError = too_large(MediaKind::Image, 10 * 1024 * 1024).into();
        assert_eq!(e.code(), ErrorCode::BadRequest);
        assert!(e.message().contains("10485760"), "{}", e.message());
        assert!(e.message().contains("10 MB"), "{}", e.message());
        let e: AppError = MediaError::NotFound.into();
        assert_eq!(e.code(), ErrorCode::NotFound);
    }
}
