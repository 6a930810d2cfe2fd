//! The calendar reads an organization's repeating posts apart from its date range; this index
//! finds those few without reading every post the organization has.

use sea_orm_migration::prelude::*;

use super::m20261122_000030_create_posts::Posts;

const NAME: &str = "ix_posts_org_repeat";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Posts::Table)
                    .col(Posts::OrganizationId)
                    .col(Posts::IntervalInDays)
                    .col(Posts::PublishDate)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Posts::Table).to_owned())
            .await
    }
}
