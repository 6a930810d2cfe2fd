use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .if_not_exists()
                    .col(string_len(Organizations::Id, 36).primary_key())
                    .col(string_len(Organizations::Name, 255))
                    .col(text_null(Organizations::Description))
                    .col(string_len_null(Organizations::ApiKeyHash, 64).unique_key())
                    .col(text_null(Organizations::ApiKeySealed))
                    .col(boolean(Organizations::AllowTrial).default(false))
                    .col(boolean(Organizations::IsTrailing).default(false))
                    .col(timestamp_with_time_zone_null(Organizations::StreakSince))
                    .col(string_len(Organizations::Shortlink, 8).default("ASK"))
                    .col(string_len_null(Organizations::PaymentId, 255))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .col(timestamp_with_time_zone(Organizations::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Organizations::DeletedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Organizations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Organizations {
    Table,
    Id,
    Name,
    Description,
    ApiKeyHash,
    ApiKeySealed,
    AllowTrial,
    IsTrailing,
    StreakSince,
    Shortlink,
    PaymentId,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}
