use sea_orm_migration::{prelude::*, schema::*};

use super::m20261122_000002_create_organizations::Organizations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Media::Table)
                    .if_not_exists()
                    .col(string_len(Media::Id, 36).primary_key())
                    .col(string_len(Media::OrganizationId, 36))
                    .col(string_len(Media::Name, 255))
                    .col(string_len_null(Media::OriginalName, 255))
                    .col(text(Media::Path))
                    .col(string_len(Media::StorageKey, 512))
                    .col(string_len(Media::MimeType, 64))
                    .col(string_len(Media::Kind, 16).default("image"))
                    .col(big_integer(Media::FileSize).default(0))
                    .col(text_null(Media::Alt))
                    .col(text_null(Media::Thumbnail))
                    .col(big_integer_null(Media::ThumbnailTimestamp))
                    .col(timestamp_with_time_zone(Media::CreatedAt))
                    .col(timestamp_with_time_zone(Media::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Media::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Media::Table, Media::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The library: one organization's live files, newest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_media_org_deleted_created")
                    .table(Media::Table)
                    .col(Media::OrganizationId)
                    .col(Media::DeletedAt)
                    .col(Media::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // From a stored object back to its row (cleanup of deleted files).
        manager
            .create_index(
                Index::create()
                    .name("ix_media_storage_key")
                    .table(Media::Table)
                    .col(Media::StorageKey)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Media::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Media {
    Table,
    Id,
    OrganizationId,
    Name,
    OriginalName,
    Path,
    StorageKey,
    MimeType,
    Kind,
    FileSize,
    Alt,
    Thumbnail,
    ThumbnailTimestamp,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}
