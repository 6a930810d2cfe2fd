use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(string_len(Users::Id, 36).primary_key())
                    .col(string_len(Users::Email, 320))
                    .col(text_null(Users::PasswordHash))
                    .col(string_len(Users::ProviderName, 16))
                    .col(string_len_null(Users::ProviderId, 255))
                    .col(string_len_null(Users::Name, 255))
                    .col(string_len_null(Users::LastName, 255))
                    .col(text_null(Users::Bio))
                    .col(string_len_null(Users::PictureId, 36))
                    .col(text_null(Users::PicturePath))
                    .col(integer(Users::Timezone).default(0))
                    .col(boolean(Users::IsSuperAdmin).default(false))
                    .col(boolean(Users::Activated).default(true))
                    .col(boolean(Users::SendSuccessEmails).default(true))
                    .col(boolean(Users::SendFailureEmails).default(true))
                    .col(boolean(Users::SendStreakEmails).default(true))
                    .col(timestamp_with_time_zone(Users::LastReadNotifications))
                    .col(integer(Users::SessionVersion).default(0))
                    .col(timestamp_with_time_zone_null(Users::LastOnline))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Users::DeletedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_users_email_provider")
                    .table(Users::Table)
                    .col(Users::Email)
                    .col(Users::ProviderName)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    ProviderName,
    ProviderId,
    Name,
    LastName,
    Bio,
    PictureId,
    PicturePath,
    Timezone,
    IsSuperAdmin,
    Activated,
    SendSuccessEmails,
    SendFailureEmails,
    SendStreakEmails,
    LastReadNotifications,
    SessionVersion,
    LastOnline,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}
