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
                    .table(Sets::Table)
                    .if_not_exists()
                    .col(string_len(Sets::Id, 36).primary_key())
                    .col(string_len(Sets::OrganizationId, 36))
                    .col(string_len(Sets::Name, 255))
                    .col(text(Sets::Content))
                    .col(timestamp_with_time_zone(Sets::CreatedAt))
                    .col(timestamp_with_time_zone(Sets::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Sets::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sets::Table, Sets::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sets_org")
                    .table(Sets::Table)
                    .col(Sets::OrganizationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Signatures::Table)
                    .if_not_exists()
                    .col(string_len(Signatures::Id, 36).primary_key())
                    .col(string_len(Signatures::OrganizationId, 36))
                    .col(text(Signatures::Content))
                    .col(boolean(Signatures::AutoAdd).default(false))
                    .col(timestamp_with_time_zone(Signatures::CreatedAt))
                    .col(timestamp_with_time_zone(Signatures::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Signatures::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Signatures::Table, Signatures::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_signatures_org")
                    .table(Signatures::Table)
                    .col(Signatures::OrganizationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Signatures::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Sets::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Sets {
    Table,
    Id,
    OrganizationId,
    Name,
    Content,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
pub enum Signatures {
    Table,
    Id,
    OrganizationId,
    Content,
    AutoAdd,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}
