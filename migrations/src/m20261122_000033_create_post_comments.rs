use sea_orm_migration::{prelude::*, schema::*};

use super::m20261122_000001_create_users::Users;
use super::m20261122_000030_create_posts::Posts;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PostComments::Table)
                    .if_not_exists()
                    .col(string_len(PostComments::Id, 36).primary_key())
                    .col(string_len(PostComments::OrganizationId, 36))
                    .col(string_len(PostComments::PostId, 36))
                    .col(string_len(PostComments::UserId, 36))
                    .col(text(PostComments::Content))
                    .col(timestamp_with_time_zone(PostComments::CreatedAt))
                    .col(timestamp_with_time_zone(PostComments::UpdatedAt))
                    .col(timestamp_with_time_zone_null(PostComments::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PostComments::Table, PostComments::PostId)
                            .to(Posts::Table, Posts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PostComments::Table, PostComments::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_post_comments_post")
                    .table(PostComments::Table)
                    .col(PostComments::PostId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PostComments::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum PostComments {
    Table,
    Id,
    OrganizationId,
    PostId,
    UserId,
    Content,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}
