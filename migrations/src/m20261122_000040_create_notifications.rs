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
                    .table(Notifications::Table)
                    .if_not_exists()
                    .col(string_len(Notifications::Id, 36).primary_key())
                    .col(string_len(Notifications::OrganizationId, 36))
                    .col(text(Notifications::Content))
                    .col(text_null(Notifications::Link))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The bell: an organization's newest notifications, and the count since a time.
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_org_created")
                    .table(Notifications::Table)
                    .col(Notifications::OrganizationId)
                    .col(Notifications::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationDigestItems::Table)
                    .if_not_exists()
                    .col(string_len(NotificationDigestItems::Id, 36).primary_key())
                    .col(string_len(NotificationDigestItems::OrganizationId, 36))
                    .col(string_len(NotificationDigestItems::Kind, 16))
                    .col(text(NotificationDigestItems::Subject))
                    .col(text(NotificationDigestItems::Message))
                    .col(timestamp_with_time_zone(NotificationDigestItems::CreatedAt))
                    .col(string_len_null(NotificationDigestItems::ClaimToken, 36))
                    .col(timestamp_with_time_zone_null(
                        NotificationDigestItems::ClaimedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                NotificationDigestItems::Table,
                                NotificationDigestItems::OrganizationId,
                            )
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The digest run: organizations whose oldest waiting item is due.
        manager
            .create_index(
                Index::create()
                    .name("ix_notification_digest_items_org_created")
                    .table(NotificationDigestItems::Table)
                    .col(NotificationDigestItems::OrganizationId)
                    .col(NotificationDigestItems::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notification_digest_items_claim")
                    .table(NotificationDigestItems::Table)
                    .col(NotificationDigestItems::ClaimToken)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(NotificationDigestItems::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Notifications {
    Table,
    Id,
    OrganizationId,
    Content,
    Link,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
pub enum NotificationDigestItems {
    Table,
    Id,
    OrganizationId,
    Kind,
    Subject,
    Message,
    CreatedAt,
    ClaimToken,
    ClaimedAt,
}
