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
                    .table(Customers::Table)
                    .if_not_exists()
                    .col(string_len(Customers::Id, 36).primary_key())
                    .col(string_len(Customers::OrganizationId, 36))
                    .col(string_len(Customers::Name, 255))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone_null(Customers::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Customers::Table, Customers::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customers_org_name")
                    .table(Customers::Table)
                    .col(Customers::OrganizationId)
                    .col(Customers::Name)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Customers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Customers {
    Table,
    Id,
    OrganizationId,
    Name,
    CreatedAt,
    DeletedAt,
}
