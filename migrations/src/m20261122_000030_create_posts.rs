use sea_orm_migration::{prelude::*, schema::*};

use super::m20261122_000002_create_organizations::Organizations;
use super::m20261122_000006_create_integrations::Integrations;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Posts::Table)
                    .if_not_exists()
                    .col(string_len(Posts::Id, 36).primary_key())
                    .col(string_len(Posts::OrganizationId, 36))
                    .col(string_len(Posts::IntegrationId, 36))
                    .col(string_len(Posts::GroupId, 64))
                    .col(string_len_null(Posts::ParentPostId, 36))
                    .col(integer(Posts::Position).default(0))
                    .col(string_len(Posts::State, 16))
                    .col(timestamp_with_time_zone(Posts::PublishDate))
                    .col(text(Posts::Content))
                    .col(integer(Posts::DelayMinutes).default(0))
                    .col(json_binary(Posts::Settings))
                    .col(json_binary(Posts::Images))
                    .col(text_null(Posts::Title))
                    .col(text_null(Posts::Description))
                    .col(integer_null(Posts::IntervalInDays))
                    .col(string_len_null(Posts::RepeatTimezone, 64))
                    .col(string_len(Posts::CreationMethod, 16))
                    .col(text_null(Posts::ReleaseId))
                    .col(text_null(Posts::ReleaseUrl))
                    .col(text_null(Posts::Error))
                    .col(integer(Posts::Version).default(0))
                    .col(timestamp_with_time_zone_null(Posts::ClaimedUntil))
                    .col(json_binary_null(Posts::PendingData))
                    .col(timestamp_with_time_zone(Posts::CreatedAt))
                    .col(timestamp_with_time_zone(Posts::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Posts::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Posts::Table, Posts::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Posts::Table, Posts::IntegrationId)
                            .to(Integrations::Table, Integrations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            // The calendar: an organization's posts in a date range.
            (
                "ix_posts_org_date",
                vec![Posts::OrganizationId, Posts::PublishDate],
            ),
            ("ix_posts_group", vec![Posts::GroupId]),
            // The sweep: queued posts past their time.
            (
                "ix_posts_state_date",
                vec![Posts::State, Posts::PublishDate],
            ),
            ("ix_posts_integration", vec![Posts::IntegrationId]),
            ("ix_posts_parent", vec![Posts::ParentPostId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Posts::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Posts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Posts {
    Table,
    Id,
    OrganizationId,
    IntegrationId,
    GroupId,
    ParentPostId,
    Position,
    State,
    PublishDate,
    Content,
    DelayMinutes,
    Settings,
    Images,
    Title,
    Description,
    IntervalInDays,
    RepeatTimezone,
    CreationMethod,
    ReleaseId,
    ReleaseUrl,
    Error,
    Version,
    ClaimedUntil,
    PendingData,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}
