//! Queries on `tags` and `post_tags`. Deleted tags keep their row (`deleted_at`) and their links,
//! but no query here returns them.

use chrono::{DateTime, Utc};
use postiz_core::ids::{new_id, now};
use postiz_entity::{post_tag, tag};
use sea_orm::sea_query::{Expr, UnionType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Set,
};

/// Largest number of bound values per `IN (...)` list.
const CHUNK: usize = 500;

/// The organization's tags, oldest first.
pub async fn list(db: &impl ConnectionTrait, org_id: &str) -> Result<Vec<tag::Model>, DbErr> {
    tag::Entity::find()
        .filter(tag::Column::OrganizationId.eq(org_id))
        .filter(tag::Column::DeletedAt.is_null())
        .order_by_asc(tag::Column::CreatedAt)
        .order_by_asc(tag::Column::Id)
        .all(db)
        .await
}

/// One of the organization's tags.
pub async fn find(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
) -> Result<Option<tag::Model>, DbErr> {
    tag::Entity::find_by_id(id.to_string())
        .filter(tag::Column::OrganizationId.eq(org_id))
        .filter(tag::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// A tag of the organization named exactly `name`, other than `except`.
pub async fn find_by_name(
    db: &impl ConnectionTrait,
    org_id: &str,
    name: &str,
    except: Option<&str>,
) -> Result<Option<tag::Model>, DbErr> {
    let mut query = tag::Entity::find()
        .filter(tag::Column::OrganizationId.eq(org_id))
        .filter(tag::Column::Name.eq(name))
        .filter(tag::Column::DeletedAt.is_null());
    if let Some(id) = except {
        query = query.filter(tag::Column::Id.ne(id));
    }
    query.one(db).await
}

/// The organization's tags whose name is one of `names`, oldest first.
pub async fn find_by_names(
    db: &impl ConnectionTrait,
    org_id: &str,
    names: &[String],
) -> Result<Vec<tag::Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in names.chunks(CHUNK) {
        out.extend(
            tag::Entity::find()
                .filter(tag::Column::OrganizationId.eq(org_id))
                .filter(tag::Column::Name.is_in(chunk.iter().map(String::as_str)))
                .filter(tag::Column::DeletedAt.is_null())
                .order_by_asc(tag::Column::CreatedAt)
                .order_by_asc(tag::Column::Id)
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

pub async fn insert(
    db: &impl ConnectionTrait,
    org_id: &str,
    name: &str,
    color: &str,
) -> Result<tag::Model, DbErr> {
    let at = now();
    tag::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org_id.to_string()),
        name: Set(name.to_string()),
        color: Set(color.to_string()),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
}

/// Renames and recolors a live tag of the organization; `false` when there is none with that id.
pub async fn update(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
    name: &str,
    color: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = tag::Entity::update_many()
        .col_expr(tag::Column::Name, Expr::value(name))
        .col_expr(tag::Column::Color, Expr::value(color))
        .col_expr(tag::Column::UpdatedAt, Expr::value(at))
        .filter(tag::Column::Id.eq(id))
        .filter(tag::Column::OrganizationId.eq(org_id))
        .filter(tag::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Marks a live tag of the organization deleted; `false` when there is none with that id. Its
/// links to posts stay (the posts keep their history) but are no longer returned.
pub async fn soft_delete(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = tag::Entity::update_many()
        .col_expr(tag::Column::DeletedAt, Expr::value(Some(at)))
        .col_expr(tag::Column::UpdatedAt, Expr::value(at))
        .filter(tag::Column::Id.eq(id))
        .filter(tag::Column::OrganizationId.eq(org_id))
        .filter(tag::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Removes every tag from a post.
pub async fn unlink_post(db: &impl ConnectionTrait, post_id: &str) -> Result<u64, DbErr> {
    post_tag::Entity::delete_many()
        .filter(post_tag::Column::PostId.eq(post_id))
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

/// Links a post to tags (ids must be distinct and not linked yet).
pub async fn link(
    db: &impl ConnectionTrait,
    post_id: &str,
    tag_ids: &[String],
) -> Result<u64, DbErr> {
    let at = now();
    post_tag::Entity::insert_many(tag_ids.iter().map(|tag_id| post_tag::ActiveModel {
        post_id: Set(post_id.to_string()),
        tag_id: Set(tag_id.clone()),
        created_at: Set(at),
    }))
    .exec_without_returning(db)
    .await
}

/// `(post id, tag)` for every live tag of the posts, oldest tag first.
pub async fn tags_of_posts(
    db: &impl ConnectionTrait,
    post_ids: &[String],
) -> Result<Vec<(String, tag::Model)>, DbErr> {
    let mut out = Vec::new();
    for chunk in post_ids.chunks(CHUNK) {
        let rows = post_tag::Entity::find()
            .filter(post_tag::Column::PostId.is_in(chunk.iter().map(String::as_str)))
            .find_also_related(tag::Entity)
            .filter(tag::Column::DeletedAt.is_null())
            .order_by_asc(tag::Column::CreatedAt)
            .order_by_asc(tag::Column::Id)
            .all(db)
            .await?;
        out.extend(
            rows.into_iter()
                .filter_map(|(link, tag)| tag.map(|t| (link.post_id, t))),
        );
    }
    Ok(out)
}

/// A tag with the post it is attached to.
#[derive(Debug, FromQueryResult)]
struct PostTagRow {
    post_id: String,
    id: String,
    organization_id: String,
    name: String,
    color: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

/// `(post id, tag)` for every live tag of the root posts the calendar reads between `from`
/// and `to` (see [`super::posts::calendar_halves`]), in no particular order; used on SQLite,
/// PostgreSQL reads them with the posts ([`super::calendar_rows::calendar_posts`]). Joined from
/// the posts rather than asked with their ids: on SQLite an `IN` list of a week's post ids costs
/// a temporary index per query. Two branches of a UNION ALL, as the calendar's own query: with
/// one OR, PostgreSQL without fresh statistics read every post of the organization (measured
/// 15.8 ms against 0.2 ms).
pub async fn tags_of_calendar(
    db: &impl ConnectionTrait,
    org_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, tag::Model)>, DbErr> {
    let branch = |which: Condition| {
        post_tag::Entity::find()
            .select_only()
            .column(post_tag::Column::PostId)
            .columns(super::calendar_rows::TAG_COLUMNS)
            .column(tag::Column::DeletedAt)
            .join(JoinType::InnerJoin, post_tag::Relation::Tag.def())
            .join(JoinType::InnerJoin, post_tag::Relation::Post.def())
            .filter(tag::Column::DeletedAt.is_null())
            .filter(which)
            .into_query()
    };
    let [single, repeating] = super::posts::calendar_halves(org_id, from, to);
    let mut statement = branch(single);
    statement.union(UnionType::All, branch(repeating));
    let rows = PostTagRow::find_by_statement(db.get_database_backend().build(&statement))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                row.post_id,
                tag::Model {
                    id: row.id,
                    organization_id: row.organization_id,
                    name: row.name,
                    color: row.color,
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                    deleted_at: row.deleted_at,
                },
            )
        })
        .collect())
}
