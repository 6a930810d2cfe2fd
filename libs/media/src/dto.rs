//! Request and response bodies of `/media`, in Postiz's JSON shape, documented for OpenAPI.

use paperclip::actix::Apiv2Schema;
use postiz_entity::media;
use serde::{Deserialize, Serialize};
use validator::Validate;

/// A library file as Postiz returns it (`saveFile`, `getMedia`, `deleteMedia`,
/// `saveMediaInformation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct MediaView {
    pub id: String,
    /// Stored file name (`<random>.<ext>`).
    pub name: String,
    /// The uploader's file name, made safe, with the extension of the detected format.
    pub original_name: Option<String>,
    /// Public URL of the file: `<backend URL>/uploads/...` for the local folder, the bucket's
    /// public URL for S3/R2.
    pub path: String,
    /// URL of the video thumbnail.
    pub thumbnail: Option<String>,
    /// Alternative text.
    pub alt: Option<String>,
    /// Position of the thumbnail in the video, in milliseconds.
    pub thumbnail_timestamp: Option<i64>,
}

impl From<media::Model> for MediaView {
    fn from(m: media::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            original_name: m.original_name,
            path: m.path,
            thumbnail: m.thumbnail,
            alt: m.alt,
            thumbnail_timestamp: m.thumbnail_timestamp,
        }
    }
}

/// `GET /media`: one page of the library, newest first, 18 per page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Apiv2Schema)]
pub struct MediaPageView {
    /// Number of pages.
    pub pages: u64,
    pub results: Vec<MediaView>,
}

/// `GET /media?page&search`.
#[derive(Debug, Clone, Default, Deserialize, Apiv2Schema)]
pub struct MediaListQuery {
    /// Page number, from 1 (0 or absent means 1).
    pub page: Option<String>,
    /// Case-insensitive part of the original file name.
    pub search: Option<String>,
}

/// `POST /media/upload-simple` with `preventSave=true`: where the file was stored (not added
/// to the library).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Apiv2Schema)]
pub struct StoredPathView {
    pub path: String,
}

/// `POST /media/information`.
#[derive(Debug, Clone, Deserialize, Validate, Apiv2Schema)]
#[serde(rename_all = "camelCase")]
pub struct SaveMediaInformationRequest {
    /// The media file.
    #[validate(length(min = 1, max = 100))]
    pub id: String,
    /// Alternative text; empty or null clears it.
    #[serde(default)]
    pub alt: Option<String>,
    /// An http(s) URL (usually from `upload-simple` with `preventSave=true`); empty or null
    /// clears it.
    #[serde(default)]
    pub thumbnail: Option<String>,
    /// Position of the thumbnail in the video, in milliseconds; null clears it.
    #[serde(default)]
    pub thumbnail_timestamp: Option<f64>,
}

/// An AI video generator offered by `GET /media/video-options`. This build has none, so the
/// list is always empty; the type documents the shape the dashboard reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Apiv2Schema)]
pub struct VideoOption {
    pub identifier: String,
    pub title: String,
    pub description: String,
    /// Where the dashboard offers it (`text-to-image`, ...).
    pub placement: String,
    pub trial: bool,
}
