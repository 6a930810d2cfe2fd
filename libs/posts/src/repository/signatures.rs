//! Queries on `signatures`. A deleted signature keeps its row (`deleted_at`); no query here
//! returns it.

use chrono::{DateTime, Utc};
use postiz_core::ids::{new_id, now};
use postiz_entity::{organization, signature};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

/// The organization's signatures, oldest first.
pub async fn list(db: &impl ConnectionTrait, org_id: &str) -> Result<Vec<signature::Model>, DbErr> {
    signature::Entity::find()
        .filter(signature::Column::OrganizationId.eq(org_id))
        .filter(signature::Column::DeletedAt.is_null())
        .order_by_asc(signature::Column::CreatedAt)
        .order_by_asc(signature::Column::Id)
        .all(db)
        .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
) -> Result<Option<signature::Model>, DbErr> {
    signature::Entity::find_by_id(id.to_string())
        .filter(signature::Column::OrganizationId.eq(org_id))
        .filter(signature::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// The live signature marked `auto_add`, if any (the newest, should several exist).
pub async fn find_auto_add(
    db: &impl ConnectionTrait,
    org_id: &str,
) -> Result<Option<signature::Model>, DbErr> {
    signature::Entity::find()
        .filter(signature::Column::OrganizationId.eq(org_id))
        .filter(signature::Column::AutoAdd.eq(true))
        .filter(signature::Column::DeletedAt.is_null())
        .order_by_desc(signature::Column::UpdatedAt)
        .order_by_desc(signature::Column::Id)
        .one(db)
        .await
}

/// Serializes the signature writes of one organization until the transaction ends, so two
/// concurrent `autoAdd` changes cannot both win. PostgreSQL locks the organization's row;
/// SQLite already serializes writers, provided the transaction's first statement after this
/// one is a write (which is why this does nothing there rather than read).
pub async fn lock_organization(db: &impl ConnectionTrait, org_id: &str) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    organization::Entity::find_by_id(org_id.to_string())
        .select_only()
        .column(organization::Column::Id)
        .lock_exclusive()
        .into_tuple::<String>()
        .one(db)
        .await
        .map(|_| ())
}

pub async fn insert(
    db: &impl ConnectionTrait,
    org_id: &str,
    content: &str,
    auto_add: bool,
) -> Result<signature::Model, DbErr> {
    let at = now();
    signature::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org_id.to_string()),
        content: Set(content.to_string()),
        auto_add: Set(auto_add),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
}

/// Changes a live signature of the organization; `false` when there is none with that id.
pub async fn update(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
    content: &str,
    auto_add: bool,
) -> Result<bool, DbErr> {
    let result = signature::Entity::update_many()
        .col_expr(signature::Column::Content, Expr::value(content))
        .col_expr(signature::Column::AutoAdd, Expr::value(auto_add))
        .col_expr(signature::Column::UpdatedAt, Expr::value(now()))
        .filter(signature::Column::Id.eq(id))
        .filter(signature::Column::OrganizationId.eq(org_id))
        .filter(signature::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Clears `auto_add` on every signature of the organization except `keep`.
pub async fn clear_auto_add_except(
    db: &impl ConnectionTrait,
    org_id: &str,
    keep: &str,
) -> Result<u64, DbErr> {
    signature::Entity::update_many()
        .col_expr(signature::Column::AutoAdd, Expr::value(false))
        .col_expr(signature::Column::UpdatedAt, Expr::value(now()))
        .filter(signature::Column::OrganizationId.eq(org_id))
        .filter(signature::Column::AutoAdd.eq(true))
        .filter(signature::Column::Id.ne(keep))
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

/// Marks a live signature of the organization deleted; `false` when there is none with that id.
pub async fn soft_delete(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = signature::Entity::update_many()
        .col_expr(signature::Column::DeletedAt, Expr::value(Some(at)))
        .col_expr(signature::Column::UpdatedAt, Expr::value(at))
        .filter(signature::Column::Id.eq(id))
        .filter(signature::Column::OrganizationId.eq(org_id))
        .filter(signature::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
