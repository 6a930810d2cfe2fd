//! Media: uploads, the media library, where files are stored (a local folder served at
//! `/uploads`, or an S3-compatible bucket such as R2), and the media the publisher reads.
//!
//! * [`controller`]: `/media` routes (Postiz `MediaController`); [`uploads`]: `/uploads/...`;
//! * [`service`]: the [`MediaService`] the controllers, the public API and the publisher call;
//! * [`storage`]: the [`Storage`] trait over `object_store`, with streamed multipart writes and
//!   ranged reads; [`sniff`]: file types from magic bytes;
//! * [`repository`]: the `media` table; [`dto`]: Postiz's JSON shapes.
//!
//! The settings ([`settings`], the `[media]` section) and the SSRF-safe fetcher ([`ssrf`]) live
//! in `postiz-core`, which loads the settings and whose fetcher other modules (outgoing
//! webhooks, feeds) share; they are re-exported here.
//!
//! # For the publisher
//!
//! Posts store their media as Postiz does, `{id, path, alt?, thumbnail?}`. At publish time the
//! posts module turns each entry into a [`postiz_provider::MediaItem`] with
//! [`MediaService::resolve_reference`] (and checks them when a post is saved with
//! [`MediaService::check_reference`]):
//!
//! ```text
//! let mut item = media
//!     .resolve_reference(org_id, &entry.id, &entry.path)
//!     .await
//!     .map_err(MediaError::into_provider_error)?; // Rejected (final) or Transient (retry)
//! item.alt = entry.alt.or(item.alt);               // the post's alt text wins
//! let bytes = item.source.stream().await?;         // streamed from storage or the network
//! ```
//!
//! A file deleted from the library after it was attached to a scheduled post still publishes
//! (deletion is soft and keeps the stored object); a `path` that is an external URL is fetched
//! through the SSRF-safe fetcher on every read.

pub mod controller;
pub mod dto;
pub mod remote;
pub mod repository;
pub mod service;
pub mod sniff;
pub mod storage;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod third_party;
pub mod uploads;

pub use postiz_core::media_settings as settings;
pub use postiz_core::ssrf;

pub use dto::{MediaPageView, MediaView};
pub use remote::RemoteMedia;
pub use service::{
    MediaError, MediaService, PublicFile, StoredFile, StoredMedia, UploadPolicy,
    fetcher_from_settings,
};
pub use settings::{MEDIA_ENV_VARS, MediaSettings, StorageProvider};
pub use sniff::{FileType, sniff};
pub use ssrf::{FetchConfig, FetchError, FetchRequest, SafeFetcher, SsrfPolicy};
pub use storage::{
    ByteRange, ObjectStorage, PutError, S3Config, Storage, StorageError, put_stream,
};

/// Mounts `/media` and `/uploads`. Needs a `web::Data<MediaService>` and the auth context.
pub fn configure(cfg: &mut paperclip::actix::web::ServiceConfig) {
    controller::configure(cfg);
    uploads::configure(cfg);
    third_party::configure(cfg);
}
