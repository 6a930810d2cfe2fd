//! Queries on `post_comments` (review comments).

use postiz_core::ids::{new_id, now};
use postiz_entity::post_comment;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

pub async fn insert(
    db: &impl ConnectionTrait,
    org_id: &str,
    user_id: &str,
    post_id: &str,
    content: &str,
) -> Result<post_comment::Model, DbErr> {
    let at = now();
    post_comment::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org_id.to_string()),
        post_id: Set(post_id.to_string()),
        user_id: Set(user_id.to_string()),
        content: Set(content.to_string()),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
}

/// A post's live comments, oldest first.
pub async fn of_post(
    db: &impl ConnectionTrait,
    post_id: &str,
) -> Result<Vec<post_comment::Model>, DbErr> {
    post_comment::Entity::find()
        .filter(post_comment::Column::PostId.eq(post_id))
        .filter(post_comment::Column::DeletedAt.is_null())
        .order_by_asc(post_comment::Column::CreatedAt)
        .order_by_asc(post_comment::Column::Id)
        .all(db)
        .await
}
