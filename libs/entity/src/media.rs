//! `media`: a file in an organization's media library (Postiz `Media`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether a media file is an image or a video (Postiz `Media.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    #[sea_orm(string_value = "image")]
    Image,
    #[sea_orm(string_value = "video")]
    Video,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: String,
    /// Stored file name (`<random>.<ext>`), as Postiz's `name`.
    pub name: String,
    /// The uploader's file name, made safe, with the sniffed extension.
    pub original_name: Option<String>,
    /// Public URL of the file, returned to clients as `path`.
    pub path: String,
    /// Key of the object in the storage (`2026/11/22/<random>.<ext>`).
    pub storage_key: String,
    /// MIME type sniffed from the content.
    pub mime_type: String,
    pub kind: MediaKind,
    /// Size in bytes.
    pub file_size: i64,
    pub alt: Option<String>,
    /// URL of the video thumbnail.
    pub thumbnail: Option<String>,
    /// Position of the thumbnail in the video, in milliseconds.
    pub thumbnail_timestamp: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id",
        on_delete = "Cascade"
    )]
    Organization,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
