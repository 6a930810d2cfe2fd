//! The organization's calendar change counter, kept by database triggers (see the entity
//! `calendar_change`).

use postiz_entity::calendar_change;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

/// How many times what the organization's calendar shows has changed: the sum of its rows (0
/// before the first change). It only grows, and every committed change makes it grow.
pub async fn calendar_version(db: &impl ConnectionTrait, org_id: &str) -> Result<i64, DbErr> {
    let version = calendar_change::Entity::find()
        .select_only()
        // PostgreSQL sums BIGINT into NUMERIC; the cast brings it back to what both decode.
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(counter), 0) AS BIGINT)"),
            "version",
        )
        .filter(calendar_change::Column::OrganizationId.eq(org_id))
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(version.unwrap_or(0))
}
