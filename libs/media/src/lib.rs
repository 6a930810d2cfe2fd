//! Media: uploads, the media library and where files are stored (a local folder or an
//! S3-compatible bucket), plus SSRF-safe fetching of user-given URLs.
//!
//! * [`storage`]: the [`Storage`] trait over `object_store`, with streamed multipart writes and
//!   ranged reads;
//! * [`sniff`]: file types from magic bytes;
//! * [`ssrf`]: the SSRF-safe HTTP fetcher (self-contained, meant to move to `libs/core`);
//! * [`repository`] and [`service`]: the `media` table and the [`MediaService`] the
//!   controllers and the publisher call.

pub mod repository;
pub mod service;
pub mod settings;
pub mod sniff;
pub mod ssrf;
pub mod storage;

pub use service::{
    MediaError, MediaPageView, MediaService, MediaView, StoredFile, StoredMedia, UploadPolicy,
    fetcher_from_settings,
};
pub use settings::{MEDIA_ENV_VARS, MediaSettings, StorageProvider};
pub use sniff::{FileType, sniff};
pub use ssrf::{FetchConfig, FetchError, FetchRequest, SafeFetcher, SsrfPolicy};
pub use storage::{
    ByteRange, ObjectStorage, PutError, S3Config, Storage, StorageError, put_stream,
};
