//! Where uploaded files live: a local folder or an S3-compatible bucket, behind one trait.
//!
//! Writes are streamed: a file smaller than one part is sent in one request, a larger one as a
//! multipart upload, so a 1 GB video never sits in memory (at most about
//! `part_size * (concurrency + 1)` bytes per upload). Reads are streams too, with byte ranges.

use std::fmt;
use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, ClientOptions, GetOptions, GetRange, GetResultPayload, ObjectStore,
    ObjectStoreExt,
};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::settings::{MediaSettings, StorageProvider};

/// Chunk size of streams read from the local folder.
const LOCAL_READ_CHUNK: usize = 256 * 1024;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object {0} not found")]
    NotFound(String),
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
    #[error("storage misconfigured: {0}")]
    Config(String),
    #[error("storage error: {0}")]
    Backend(#[source] anyhow::Error),
}

impl StorageError {
    fn from_store(key: &str, e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => StorageError::NotFound(key.to_string()),
            object_store::Error::InvalidPath { .. } => StorageError::InvalidKey(key.to_string()),
            other => StorageError::Backend(other.into()),
        }
    }
}

/// A byte range of an object, as HTTP `Range` headers express them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ByteRange {
    /// `start..end`, end exclusive (`bytes=start-(end-1)`).
    Bounded(Range<u64>),
    /// From an offset to the end (`bytes=start-`).
    From(u64),
    /// The last n bytes (`bytes=-n`).
    Suffix(u64),
}

impl From<Range<u64>> for ByteRange {
    fn from(r: Range<u64>) -> Self {
        ByteRange::Bounded(r)
    }
}

/// What a stored object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub last_modified: DateTime<Utc>,
    pub e_tag: Option<String>,
}

/// A stream of an object's bytes (or of a range of them).
pub struct ObjectStream {
    /// The bytes, in chunks.
    pub stream: BoxStream<'static, Result<Bytes, StorageError>>,
    /// The range returned, within the object.
    pub range: Range<u64>,
    /// Size of the whole object.
    pub size: u64,
    pub last_modified: DateTime<Utc>,
    pub e_tag: Option<String>,
    /// The content type the storage holds (S3); `None` for the local folder.
    pub content_type: Option<String>,
}

impl fmt::Debug for ObjectStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStream")
            .field("range", &self.range)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl ObjectStream {
    /// The whole returned range in memory (tests and small files).
    pub async fn bytes(self) -> Result<Bytes, StorageError> {
        let mut out = BytesMut::with_capacity((self.range.end - self.range.start) as usize);
        let mut stream = self.stream;
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.freeze())
    }
}

/// An object being written. Dropping it without [`ObjectWriter::finish`] leaves nothing
/// visible, but call [`ObjectWriter::abort`] to release the storage's resources at once.
#[async_trait]
pub trait ObjectWriter: Send {
    /// Appends bytes; waits while too many parts are in flight.
    async fn write(&mut self, chunk: Bytes) -> Result<(), StorageError>;
    /// Completes the object; it becomes visible atomically. Returns its size.
    async fn finish(self: Box<Self>) -> Result<u64, StorageError>;
    /// Gives up: pending parts are cancelled and nothing is stored.
    async fn abort(self: Box<Self>) -> Result<(), StorageError>;
}

/// Where media files are stored.
#[async_trait]
pub trait Storage: Send + Sync + fmt::Debug {
    /// `local` or `s3`, for logs.
    fn kind(&self) -> &'static str;
    /// Starts writing `key`.
    async fn writer(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<Box<dyn ObjectWriter>, StorageError>;
    /// Reads `key`, or a range of it.
    async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<ObjectStream, StorageError>;
    async fn head(&self, key: &str) -> Result<ObjectInfo, StorageError>;
    /// Deletes `key`; deleting a missing object is not an error.
    async fn delete(&self, key: &str) -> Result<(), StorageError>;
    /// The URL the object is publicly served at.
    fn public_url(&self, key: &str) -> String;
    /// The key of an object from its public URL, when the URL is one of ours.
    fn key_for_url(&self, url: &str) -> Option<String> {
        let base = self.public_url("");
        let rest = url.strip_prefix(base.as_str())?;
        let key = rest.split(['?', '#']).next().unwrap_or(rest);
        object_path(key).ok().map(|_| key.to_string())
    }
    /// The folder holding the objects when they are local files (to serve `/uploads`).
    fn local_root(&self) -> Option<&FsPath> {
        None
    }
}

/// Why [`put_stream`] failed.
#[derive(Debug, thiserror::Error)]
pub enum PutError {
    /// The stream was longer than the limit; nothing was kept.
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    /// The source stream failed (client disconnected, remote server error).
    #[error("reading the upload failed: {0}")]
    Source(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Stores a stream under `key`, refusing it once it exceeds `max_bytes`. On any failure the
/// upload is aborted and the object deleted, so nothing partial remains. Returns the size.
///
/// The stream need not be `Send` (actix payloads are not).
pub async fn put_stream<S, E>(
    storage: &dyn Storage,
    key: &str,
    content_type: &str,
    stream: S,
    max_bytes: Option<u64>,
) -> Result<u64, PutError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: fmt::Display,
{
    let mut writer = storage.writer(key, content_type).await?;
    let mut stream = std::pin::pin!(stream);
    let mut written: u64 = 0;
    let outcome: Result<(), PutError> = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| PutError::Source(e.to_string()))?;
            if chunk.is_empty() {
                continue;
            }
            let next = written.saturating_add(chunk.len() as u64);
            if let Some(limit) = max_bytes
                && next > limit
            {
                return Err(PutError::TooLarge { limit });
            }
            writer.write(chunk).await?;
            written = next;
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => match writer.finish().await {
            Ok(size) => Ok(size),
            Err(e) => {
                discard(storage, key).await;
                Err(e.into())
            }
        },
        Err(e) => {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(key, error = %abort, "aborting an upload failed");
            }
            discard(storage, key).await;
            Err(e)
        }
    }
}

/// Best-effort removal of whatever a failed upload may have left.
async fn discard(storage: &dyn Storage, key: &str) {
    if let Err(e) = storage.delete(key).await {
        tracing::warn!(key, error = %e, "removing a failed upload failed");
    }
}

/// Builds the storage the settings describe. `backend_url` is this server's public URL; the
/// local folder is served under `<backend_url>/uploads` unless `media.local.public_url` says
/// otherwise.
pub fn from_settings(
    settings: &MediaSettings,
    backend_url: &str,
) -> Result<Arc<dyn Storage>, StorageError> {
    settings.validate().map_err(StorageError::Config)?;
    let part_size = usize::try_from(settings.part_size_bytes)
        .map_err(|_| StorageError::Config("media.part_size_bytes is too large".into()))?;
    let storage = match settings.storage_provider {
        StorageProvider::Local => {
            let public = if settings.local.public_url.trim().is_empty() {
                format!("{}/uploads", backend_url.trim_end_matches('/'))
            } else {
                settings.local.public_url.clone()
            };
            ObjectStorage::local(&settings.local.directory, &public)?
        }
        StorageProvider::Cloudflare => {
            let c = &settings.cloudflare;
            ObjectStorage::s3(&S3Config {
                endpoint: format!("https://{}.r2.cloudflarestorage.com", c.account_id.trim()),
                bucket: c.bucket_name.trim().to_string(),
                region: if c.region.trim().is_empty() {
                    "auto".into()
                } else {
                    c.region.trim().to_string()
                },
                access_key_id: c.access_key.clone(),
                secret_access_key: c.secret_access_key.clone(),
                path_style: true,
                public_url: c.bucket_url.clone(),
            })?
        }
        StorageProvider::S3 => {
            let s = &settings.s3;
            let endpoint = s.endpoint.trim().trim_end_matches('/').to_string();
            let public_url = if !s.public_url.trim().is_empty() {
                s.public_url.clone()
            } else if endpoint.is_empty() {
                format!(
                    "https://{}.s3.{}.amazonaws.com",
                    s.bucket.trim(),
                    s.region.trim()
                )
            } else if s.path_style {
                format!("{endpoint}/{}", s.bucket.trim())
            } else {
                virtual_host_url(&endpoint, s.bucket.trim())
            };
            ObjectStorage::s3(&S3Config {
                endpoint,
                bucket: s.bucket.trim().to_string(),
                region: s.region.trim().to_string(),
                access_key_id: s.access_key_id.clone(),
                secret_access_key: s.secret_access_key.clone(),
                path_style: s.path_style,
                public_url,
            })?
        }
    };
    Ok(Arc::new(
        storage.with_parts(part_size, settings.upload_concurrency),
    ))
}

fn virtual_host_url(endpoint: &str, bucket: &str) -> String {
    match endpoint.split_once("://") {
        Some((scheme, host)) => format!("{scheme}://{bucket}.{host}"),
        None => format!("https://{bucket}.{endpoint}"),
    }
}

/// An S3-compatible bucket.
#[derive(Clone)]
pub struct S3Config {
    /// `https://host[:port]`; empty for AWS S3.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub path_style: bool,
    /// Public URL objects are served from (`<public_url>/<key>`).
    pub public_url: String,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// [`Storage`] over an `object_store` backend.
#[derive(Debug)]
pub struct ObjectStorage {
    store: Arc<dyn ObjectStore>,
    kind: &'static str,
    /// The local folder, when the backend is the file system.
    root: Option<PathBuf>,
    public_base: String,
    part_size: usize,
    concurrency: usize,
}

impl ObjectStorage {
    /// A local folder (created if missing), served at `public_base`.
    pub fn local(directory: &FsPath, public_base: &str) -> Result<Self, StorageError> {
        std::fs::create_dir_all(directory).map_err(|e| {
            StorageError::Config(format!(
                "cannot create the upload folder {}: {e}",
                directory.display()
            ))
        })?;
        let root = std::fs::canonicalize(directory).map_err(|e| {
            StorageError::Config(format!("upload folder {}: {e}", directory.display()))
        })?;
        let store = LocalFileSystem::new_with_prefix(&root)
            .map_err(|e| StorageError::Config(e.to_string()))?
            .with_automatic_cleanup(true);
        Ok(Self {
            store: Arc::new(store),
            kind: "local",
            root: Some(root),
            public_base: public_base.trim_end_matches('/').to_string(),
            part_size: 8 * 1024 * 1024,
            concurrency: 4,
        })
    }

    /// An S3-compatible bucket.
    pub fn s3(config: &S3Config) -> Result<Self, StorageError> {
        let options = ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(10))
            // Whole-request timeouts would cut long streamed downloads; a stalled read still fails.
            .with_timeout_disabled()
            .with_read_timeout(Duration::from_secs(60))
            .with_allow_http(config.endpoint.starts_with("http://"));
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_client_options(options)
            .with_allow_http(config.endpoint.starts_with("http://"));
        let endpoint = config.endpoint.trim_end_matches('/');
        if !endpoint.is_empty() {
            // Virtual-hosted requests need the bucket in the endpoint's host name.
            builder = builder.with_endpoint(if config.path_style {
                endpoint.to_string()
            } else {
                virtual_host_url(endpoint, &config.bucket)
            });
        }
        builder = builder.with_virtual_hosted_style_request(!config.path_style);
        let store = builder
            .build()
            .map_err(|e| StorageError::Config(e.to_string()))?;
        Ok(Self {
            store: Arc::new(store),
            kind: "s3",
            root: None,
            public_base: config.public_url.trim_end_matches('/').to_string(),
            part_size: 8 * 1024 * 1024,
            concurrency: 4,
        })
    }

    /// Part size and parallel parts of multipart uploads.
    pub fn with_parts(mut self, part_size: usize, concurrency: usize) -> Self {
        self.part_size = part_size.max(5 * 1024 * 1024);
        self.concurrency = concurrency.max(1);
        self
    }
}

/// Checks a key: relative, `/`-separated, no empty, `.` or `..` segments.
fn object_path(key: &str) -> Result<ObjectPath, StorageError> {
    let bad = key.is_empty()
        || key.starts_with('/')
        || key.contains('\\')
        || key
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..");
    if bad {
        return Err(StorageError::InvalidKey(key.to_string()));
    }
    ObjectPath::parse(key).map_err(|_| StorageError::InvalidKey(key.to_string()))
}

struct StoreWriter {
    inner: BufWriter,
    written: u64,
}

#[async_trait]
impl ObjectWriter for StoreWriter {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StorageError> {
        let len = chunk.len() as u64;
        self.inner
            .put(chunk)
            .await
            .map_err(|e| StorageError::Backend(e.into()))?;
        self.written += len;
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<u64, StorageError> {
        self.inner
            .shutdown()
            .await
            .map_err(|e| StorageError::Backend(e.into()))?;
        Ok(self.written)
    }

    async fn abort(mut self: Box<Self>) -> Result<(), StorageError> {
        self.inner
            .abort()
            .await
            .map_err(|e| StorageError::Backend(e.into()))
    }
}

#[async_trait]
impl Storage for ObjectStorage {
    fn kind(&self) -> &'static str {
        self.kind
    }

    async fn writer(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<Box<dyn ObjectWriter>, StorageError> {
        let path = object_path(key)?;
        let mut inner = BufWriter::with_capacity(Arc::clone(&self.store), path, self.part_size)
            .with_max_concurrency(self.concurrency);
        // The file system has no metadata; its content type comes from the extension.
        if self.root.is_none() {
            let mut attributes = Attributes::new();
            attributes.insert(Attribute::ContentType, content_type.to_string().into());
            inner = inner.with_attributes(attributes);
        }
        Ok(Box::new(StoreWriter { inner, written: 0 }))
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<ObjectStream, StorageError> {
        let path = object_path(key)?;
        let range = range.map(|r| match r {
            ByteRange::Bounded(r) => GetRange::Bounded(r),
            ByteRange::From(o) => GetRange::Offset(o),
            ByteRange::Suffix(n) => GetRange::Suffix(n),
        });
        let result = self
            .store
            .get_opts(&path, GetOptions::new().with_range(range))
            .await
            .map_err(|e| StorageError::from_store(key, e))?;
        let returned = result.range.clone();
        let meta = result.meta.clone();
        let content_type = result
            .attributes
            .get(&Attribute::ContentType)
            .map(|v| v.as_ref().to_string());
        let stream = match result.payload {
            GetResultPayload::File(file, _) => local_stream(file, returned.clone()),
            GetResultPayload::Stream(s) => {
                let key = key.to_string();
                s.map_err(move |e| StorageError::from_store(&key, e))
                    .boxed()
            }
        };
        Ok(ObjectStream {
            stream,
            range: returned,
            size: meta.size,
            last_modified: meta.last_modified,
            e_tag: meta.e_tag,
            content_type,
        })
    }

    async fn head(&self, key: &str) -> Result<ObjectInfo, StorageError> {
        let path = object_path(key)?;
        let meta = self
            .store
            .head(&path)
            .await
            .map_err(|e| StorageError::from_store(key, e))?;
        Ok(ObjectInfo {
            size: meta.size,
            last_modified: meta.last_modified,
            e_tag: meta.e_tag,
        })
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = object_path(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StorageError::from_store(key, e)),
        }
    }

    fn public_url(&self, key: &str) -> String {
        format!("{}/{}", self.public_base, key)
    }

    fn local_root(&self) -> Option<&FsPath> {
        self.root.as_deref()
    }
}

/// Streams a range of a local file in large chunks (object_store's own reader uses 8 KiB).
fn local_stream(
    file: std::fs::File,
    range: Range<u64>,
) -> BoxStream<'static, Result<Bytes, StorageError>> {
    let io = |e: std::io::Error| StorageError::Backend(e.into());
    futures_util::stream::once(async move {
        let mut file = tokio::fs::File::from_std(file);
        file.seek(std::io::SeekFrom::Start(range.start))
            .await
            .map_err(io)?;
        let reader = file.take(range.end - range.start);
        Ok::<_, StorageError>(futures_util::stream::try_unfold(
            reader,
            move |mut reader| async move {
                let mut buf = BytesMut::with_capacity(LOCAL_READ_CHUNK);
                while buf.len() < LOCAL_READ_CHUNK {
                    let n = reader.read_buf(&mut buf).await.map_err(io)?;
                    if n == 0 {
                        break;
                    }
                }
                if buf.is_empty() {
                    Ok(None)
                } else {
                    Ok(Some((buf.freeze(), reader)))
                }
            },
        ))
    })
    .try_flatten()
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert!(object_path("2026/11/22/abc.png").is_ok());
        for bad in [
            "",
            "/abs.png",
            "a/../b.png",
            "a//b.png",
            "./a.png",
            "a\\b.png",
            "a/",
        ] {
            assert!(object_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn public_urls_of_s3_settings() {
        assert_eq!(
            virtual_host_url("https://s3.example.com", "media"),
            "https://media.s3.example.com"
        );
    }
}
