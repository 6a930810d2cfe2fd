use sea_orm_migration::{prelude::*, schema::*};

use super::m20261122_000002_create_organizations::Organizations;
use super::m20261122_000005_create_customers::Customers;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Integrations::Table)
                    .if_not_exists()
                    .col(string_len(Integrations::Id, 36).primary_key())
                    .col(string_len(Integrations::OrganizationId, 36))
                    .col(string_len(Integrations::InternalId, 255))
                    .col(string_len(Integrations::ProviderIdentifier, 64))
                    .col(string_len(Integrations::Kind, 16).default("social"))
                    .col(string_len(Integrations::Name, 255))
                    .col(text_null(Integrations::Picture))
                    .col(string_len_null(Integrations::Profile, 255))
                    .col(text(Integrations::TokensSealed))
                    .col(timestamp_with_time_zone_null(Integrations::TokenExpiresAt))
                    .col(text_null(Integrations::CustomSealed))
                    .col(boolean(Integrations::Disabled).default(false))
                    .col(boolean(Integrations::InBetweenSteps).default(false))
                    .col(boolean(Integrations::RefreshNeeded).default(false))
                    .col(json_binary(Integrations::PostingTimes))
                    .col(json_binary(Integrations::AdditionalSettings))
                    .col(string_len_null(Integrations::CustomerId, 36))
                    .col(string_len_null(Integrations::RootInternalId, 255))
                    .col(timestamp_with_time_zone(Integrations::CreatedAt))
                    .col(timestamp_with_time_zone(Integrations::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Integrations::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Integrations::Table, Integrations::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Integrations::Table, Integrations::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // One channel per organization and network account (reconnecting updates it in place).
        manager
            .create_index(
                Index::create()
                    .name("ux_integrations_org_internal")
                    .table(Integrations::Table)
                    .col(Integrations::OrganizationId)
                    .col(Integrations::InternalId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Proactive token refresh scans by expiry.
        manager
            .create_index(
                Index::create()
                    .name("ix_integrations_token_expires")
                    .table(Integrations::Table)
                    .col(Integrations::TokenExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Integrations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Integrations {
    Table,
    Id,
    OrganizationId,
    InternalId,
    ProviderIdentifier,
    Kind,
    Name,
    Picture,
    Profile,
    TokensSealed,
    TokenExpiresAt,
    CustomSealed,
    Disabled,
    InBetweenSteps,
    RefreshNeeded,
    PostingTimes,
    AdditionalSettings,
    CustomerId,
    RootInternalId,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}
