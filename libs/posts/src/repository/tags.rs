//! Queries on `tags` and `post_tags`. Deleted tags keep their row (`deleted_at`) and their links,
//! but no query here returns them.

use chrono::{DateTime, Utc};
use postiz_core::ids::{new_id, now};
use postiz_entity::{post, post_tag, tag};

use super::posts::PostSummaryRow;
use sea_orm::sea_query::{Expr, ExprTrait, UnionType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    JoinType, PartialModelTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait,
    Set,
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

/// A calendar post joined with one of its live tags: a post with two tags comes twice, one
/// without tags once with the tag columns NULL.
#[derive(Debug, FromQueryResult)]
struct CalendarTagRow {
    id: String,
    integration_id: String,
    group_id: String,
    state: String,
    publish_date: DateTime<Utc>,
    content: String,
    interval_in_days: Option<i32>,
    repeat_timezone: Option<String>,
    creation_method: String,
    release_id: Option<String>,
    release_url: Option<String>,
    tag_id: Option<String>,
    tag_organization_id: Option<String>,
    tag_name: Option<String>,
    tag_color: Option<String>,
    tag_created_at: Option<DateTime<Utc>>,
    tag_updated_at: Option<DateTime<Utc>>,
}

/// The root posts the calendar shows between `from` and `to` (see
/// [`super::posts::calendar_halves`]), each with its live tags, in no particular order: one
/// query where the posts and their tags were two. A post with several tags is repeated, one
/// tag per row. Two branches of a UNION ALL, as the calendar's own query: with one OR,
/// PostgreSQL without fresh statistics read every post of the organization (measured 15.8 ms
/// against 0.2 ms).
pub async fn calendar_with_tags(
    db: &impl ConnectionTrait,
    org_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(PostSummaryRow, Option<tag::Model>)>, DbErr> {
    let branch = |which: Condition| {
        PostSummaryRow::select_cols(post::Entity::find().select_only())
            .column_as(tag::Column::Id, "tag_id")
            .column_as(tag::Column::OrganizationId, "tag_organization_id")
            .column_as(tag::Column::Name, "tag_name")
            .column_as(tag::Column::Color, "tag_color")
            .column_as(tag::Column::CreatedAt, "tag_created_at")
            .column_as(tag::Column::UpdatedAt, "tag_updated_at")
            .join(JoinType::LeftJoin, post_tag::Relation::Post.def().rev())
            // In the join, not the WHERE: a post whose tags are all deleted still shows.
            .join(
                JoinType::LeftJoin,
                post_tag::Relation::Tag.def().on_condition(|_, tags| {
                    Condition::all().add(Expr::col((tags, tag::Column::DeletedAt)).is_null())
                }),
            )
            .filter(which)
            .into_query()
    };
    let [single, repeating] = super::posts::calendar_halves(org_id, from, to);
    let mut statement = branch(single);
    statement.union(UnionType::All, branch(repeating));
    let rows = CalendarTagRow::find_by_statement(db.get_database_backend().build(&statement))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(CalendarTagRow::split).collect())
}

impl CalendarTagRow {
    fn split(self) -> (PostSummaryRow, Option<tag::Model>) {
        let tag = match (
            self.tag_id,
            self.tag_organization_id,
            self.tag_name,
            self.tag_color,
            self.tag_created_at,
            self.tag_updated_at,
        ) {
            (
                Some(id),
                Some(organization_id),
                Some(name),
                Some(color),
                Some(created_at),
                Some(updated_at),
            ) => Some(tag::Model {
                id,
                organization_id,
                name,
                color,
                created_at,
                updated_at,
                deleted_at: None,
            }),
            _ => None,
        };
        let post = PostSummaryRow {
            id: self.id,
            integration_id: self.integration_id,
            group_id: self.group_id,
            state: self.state,
            publish_date: self.publish_date,
            content: self.content,
            interval_in_days: self.interval_in_days,
            repeat_timezone: self.repeat_timezone,
            creation_method: self.creation_method,
            release_id: self.release_id,
            release_url: self.release_url,
        };
        (post, tag)
    }
}
