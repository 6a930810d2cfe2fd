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
                    .table(Invitations::Table)
                    .if_not_exists()
                    .col(string_len(Invitations::Id, 36).primary_key())
                    .col(string_len(Invitations::OrganizationId, 36))
                    .col(string_len(Invitations::Email, 320))
                    .col(string_len(Invitations::Role, 16))
                    .col(string_len_null(Invitations::InvitedById, 36))
                    .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invitations::AcceptedAt))
                    .col(string_len_null(Invitations::AcceptedById, 36))
                    .col(timestamp_with_time_zone_null(Invitations::RevokedAt))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invitations::Table, Invitations::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_invitations_org")
                    .table(Invitations::Table)
                    .col(Invitations::OrganizationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Invitations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Invitations {
    Table,
    Id,
    OrganizationId,
    Email,
    Role,
    InvitedById,
    ExpiresAt,
    AcceptedAt,
    AcceptedById,
    RevokedAt,
    CreatedAt,
}
