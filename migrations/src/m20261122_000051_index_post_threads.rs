//! A post's rows are read by group: the thread by group, organization and channel (in
//! `position` order) every time the publisher finishes an item, a group by group and
//! organization when it is opened, edited or deleted. With only `ix_posts_group` beside the
//! organization and channel indexes, SQLite without statistics took the organization's or the
//! channel's index and read every post of it to find the group's rows (500 table look-ups per
//! publication in the benchmark, 10,000 to open a post in an organization of 10,000). Leading
//! with the group and matching every column those queries compare, this index is the one
//! the planner takes; it also serves look-ups by group alone, so it replaces `ix_posts_group`.

use sea_orm_migration::prelude::*;

use super::m20261122_000030_create_posts::Posts;

const NAME: &str = "ix_posts_group_org_channel";
const REPLACED: &str = "ix_posts_group";

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
                    .col(Posts::GroupId)
                    .col(Posts::OrganizationId)
                    .col(Posts::IntegrationId)
                    .col(Posts::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(REPLACED).table(Posts::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(REPLACED)
                    .table(Posts::Table)
                    .col(Posts::GroupId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(NAME).table(Posts::Table).to_owned())
            .await
    }
}
