//! Leases of the job engine's cross-process concurrency limits (`postiz-jobs`): one row per taken
//! slot of a key (`provider:linkedin` slot 0, slot 1, ...). A slot is free when its row is absent
//! or expired, so the slot of a killed process frees itself. Times are epoch milliseconds of the
//! database clock. The job queue tables themselves belong to apalis and are created by its own
//! migrations (`postiz_jobs::JobQueue::migrate`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobLeases::Table)
                    .if_not_exists()
                    .col(string_len(JobLeases::LeaseKey, 191))
                    .col(integer(JobLeases::Slot))
                    .col(string_len(JobLeases::Holder, 64))
                    .col(string_len_null(JobLeases::JobId, 64))
                    .col(big_integer(JobLeases::AcquiredAtMs))
                    .col(big_integer(JobLeases::ExpiresAtMs))
                    .primary_key(
                        Index::create()
                            .col(JobLeases::LeaseKey)
                            .col(JobLeases::Slot),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobLeases::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum JobLeases {
    Table,
    LeaseKey,
    Slot,
    Holder,
    JobId,
    AcquiredAtMs,
    ExpiresAtMs,
}
