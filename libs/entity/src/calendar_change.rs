//! `calendar_changes`: how many times what an organization's calendar shows has changed.
//! Database triggers bump it in the same transaction as the change (migration
//! `m20261207_000060_calendar_changes`), whichever process writes; readers compare the sum of
//! an organization's rows with the sum a cached answer was built under.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: String,
    /// Spreads one organization's counter over rows, so concurrent PostgreSQL transactions
    /// (each bumps the row of its own server process) do not queue on one row lock.
    #[sea_orm(primary_key, auto_increment = false)]
    pub shard: i32,
    pub counter: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
