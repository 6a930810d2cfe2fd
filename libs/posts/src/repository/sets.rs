//! Queries on `sets`. A deleted set keeps its row (`deleted_at`); no query here returns it.

use chrono::{DateTime, Utc};
use postiz_core::ids::{new_id, now};
use postiz_entity::set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

/// The organization's sets, newest first (as Postiz lists them).
pub async fn list(db: &impl ConnectionTrait, org_id: &str) -> Result<Vec<set::Model>, DbErr> {
    set::Entity::find()
        .filter(set::Column::OrganizationId.eq(org_id))
        .filter(set::Column::DeletedAt.is_null())
        .order_by_desc(set::Column::CreatedAt)
        .order_by_desc(set::Column::Id)
        .all(db)
        .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
) -> Result<Option<set::Model>, DbErr> {
    set::Entity::find_by_id(id.to_string())
        .filter(set::Column::OrganizationId.eq(org_id))
        .filter(set::Column::DeletedAt.is_null())
        .one(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    org_id: &str,
    name: &str,
    content: &str,
) -> Result<set::Model, DbErr> {
    let at = now();
    set::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org_id.to_string()),
        name: Set(name.to_string()),
        content: Set(content.to_string()),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
}

/// Changes a live set of the organization; `false` when there is none with that id.
pub async fn update(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
    name: &str,
    content: &str,
) -> Result<bool, DbErr> {
    let result = set::Entity::update_many()
        .col_expr(set::Column::Name, Expr::value(name))
        .col_expr(set::Column::Content, Expr::value(content))
        .col_expr(set::Column::UpdatedAt, Expr::value(now()))
        .filter(set::Column::Id.eq(id))
        .filter(set::Column::OrganizationId.eq(org_id))
        .filter(set::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Marks a live set of the organization deleted; `false` when there is none with that id.
pub async fn soft_delete(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = set::Entity::update_many()
        .col_expr(set::Column::DeletedAt, Expr::value(Some(at)))
        .col_expr(set::Column::UpdatedAt, Expr::value(at))
        .filter(set::Column::Id.eq(id))
        .filter(set::Column::OrganizationId.eq(org_id))
        .filter(set::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
