//! Shapes of the LinkedIn answers we read (only the fields we use).

use serde::{Deserialize, Serialize};

/// `GET /v2/userinfo` (OpenID Connect).
#[derive(Debug, Deserialize)]
pub struct UserInfo {
    /// The member id: the person URN is `urn:li:person:{sub}`.
    pub sub: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub picture: Option<String>,
}

/// `GET /v2/me` (basic profile; we only need the public profile handle).
#[derive(Debug, Deserialize)]
pub struct Me {
    #[serde(default, rename = "vanityName")]
    pub vanity_name: Option<String>,
}

/// One page of `GET /rest/organizationAcls?q=roleAssignee`.
#[derive(Debug, Deserialize)]
pub struct AclPage {
    #[serde(default)]
    pub elements: Vec<Acl>,
}

/// A role of the member on an organization.
#[derive(Debug, Deserialize)]
pub struct Acl {
    /// `urn:li:organization:{id}` (`organizationalTarget` in the older `organizationalEntityAcls`).
    #[serde(default, alias = "organizationalTarget")]
    pub organization: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
}

/// `GET /rest/organizations/{id}`.
#[derive(Debug, Deserialize)]
pub struct Organization {
    #[serde(default, rename = "localizedName")]
    pub localized_name: Option<String>,
    #[serde(default, rename = "vanityName")]
    pub vanity_name: Option<String>,
    #[serde(default, rename = "logoV2")]
    pub logo: Option<Logo>,
}

/// The organization logo: digital media asset URNs.
#[derive(Debug, Deserialize)]
pub struct Logo {
    #[serde(default)]
    pub original: Option<String>,
    #[serde(default)]
    pub cropped: Option<String>,
}

/// `GET /rest/images/{urn}` and `GET /rest/videos/{urn}`: processing status and download URL.
#[derive(Debug, Deserialize)]
pub struct MediaInfo {
    /// `WAITING_UPLOAD`, `PROCESSING`, `AVAILABLE` or `PROCESSING_FAILED`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, rename = "processingFailureReason")]
    pub processing_failure_reason: Option<String>,
    #[serde(default, rename = "downloadUrl")]
    pub download_url: Option<String>,
}

/// `POST /rest/images?action=initializeUpload`.
#[derive(Debug, Deserialize)]
pub struct ImageInit {
    pub value: ImageInitValue,
}

#[derive(Debug, Deserialize)]
pub struct ImageInitValue {
    #[serde(rename = "uploadUrl")]
    pub upload_url: String,
    /// `urn:li:image:{id}`.
    pub image: String,
}

/// `POST /rest/videos?action=initializeUpload`.
#[derive(Debug, Deserialize)]
pub struct VideoInit {
    pub value: VideoInitValue,
}

#[derive(Debug, Deserialize)]
pub struct VideoInitValue {
    /// `urn:li:video:{id}`.
    pub video: String,
    #[serde(rename = "uploadInstructions")]
    pub upload_instructions: Vec<UploadInstruction>,
    /// Echoed back in `finalizeUpload` (documented as possibly empty).
    #[serde(default, rename = "uploadToken")]
    pub upload_token: String,
}

/// One part of a multi-part video upload: the inclusive byte range to PUT to `upload_url`.
#[derive(Debug, Clone, Deserialize)]
pub struct UploadInstruction {
    #[serde(rename = "uploadUrl")]
    pub upload_url: String,
    #[serde(rename = "firstByte")]
    pub first_byte: u64,
    #[serde(rename = "lastByte")]
    pub last_byte: u64,
}

/// Which Media API a processing status is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaEndpoint {
    Images,
    Videos,
}

impl MediaEndpoint {
    pub fn path(self) -> &'static str {
        match self {
            Self::Images => "images",
            Self::Videos => "videos",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Images => "image",
            Self::Videos => "video",
        }
    }
}

/// A media file still being processed when the publication went pending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingMedia {
    pub urn: String,
    pub endpoint: MediaEndpoint,
}

/// What `publish` hands to `check_status`: the exact post to create once the media is ready.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingPost {
    /// The Posts API request body, media URNs included.
    pub post: serde_json::Value,
    /// Media whose status can be read; the post is created when all are `AVAILABLE`.
    #[serde(default)]
    pub poll: Vec<PendingMedia>,
    /// Further checks to wait for media whose status a member token cannot read (images and
    /// documents of personal posts).
    #[serde(default)]
    pub grace_checks: u32,
    /// Unix time (seconds) after which we stop waiting and fail without publishing.
    pub deadline: u64,
}
