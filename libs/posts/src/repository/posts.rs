//! Queries on `posts`.

use chrono::{DateTime, Utc};
use postiz_core::ids::{new_id, now};
use postiz_entity::post;
use sea_orm::sea_query::{Expr, ExprTrait, SelectStatement, UnionType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, DerivePartialModel,
    EntityTrait, PaginatorTrait, PartialModelTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set,
};

pub const QUEUE: &str = "QUEUE";
pub const PUBLISHED: &str = "PUBLISHED";
pub const ERROR: &str = "ERROR";
pub const DRAFT: &str = "DRAFT";

/// The values of one thread item to write.
pub struct ItemWrite<'a> {
    /// Reuse this id (editing) or create a new row.
    pub id: Option<&'a str>,
    pub organization_id: &'a str,
    pub integration_id: &'a str,
    pub group_id: &'a str,
    pub parent_post_id: Option<&'a str>,
    pub position: i32,
    pub state: &'a str,
    pub publish_date: DateTime<Utc>,
    pub content: &'a str,
    pub delay_minutes: i32,
    pub settings: serde_json::Value,
    pub images: serde_json::Value,
    pub interval_in_days: Option<i32>,
    pub repeat_timezone: Option<&'a str>,
    pub creation_method: &'a str,
}

/// A post row of the organization by id, deleted or not.
pub async fn find_any(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
) -> Result<Option<post::Model>, DbErr> {
    post::Entity::find_by_id(id.to_string())
        .filter(post::Column::OrganizationId.eq(org_id))
        .one(db)
        .await
}

/// A live post row by id (any organization; for the publisher and the public preview).
pub async fn find_live(db: &impl ConnectionTrait, id: &str) -> Result<Option<post::Model>, DbErr> {
    post::Entity::find_by_id(id.to_string())
        .filter(post::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// Whether an id is taken by a row of another organization.
pub async fn id_of_other_org(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
) -> Result<bool, DbErr> {
    Ok(post::Entity::find_by_id(id.to_string())
        .filter(post::Column::OrganizationId.ne(org_id))
        .count(db)
        .await?
        > 0)
}

/// Inserts or updates one item; an update keeps `created_at` and the version.
pub async fn write_item(
    db: &impl ConnectionTrait,
    item: ItemWrite<'_>,
) -> Result<post::Model, DbErr> {
    let at = now();
    let existing = match item.id {
        Some(id) => find_any(db, item.organization_id, id).await?,
        None => None,
    };
    match existing {
        Some(row) => {
            let mut active: post::ActiveModel = row.into();
            active.integration_id = Set(item.integration_id.to_string());
            active.group_id = Set(item.group_id.to_string());
            active.parent_post_id = Set(item.parent_post_id.map(str::to_string));
            active.position = Set(item.position);
            active.state = Set(item.state.to_string());
            active.publish_date = Set(item.publish_date);
            active.content = Set(item.content.to_string());
            active.delay_minutes = Set(item.delay_minutes);
            active.settings = Set(item.settings);
            active.images = Set(item.images);
            active.interval_in_days = Set(item.interval_in_days);
            active.repeat_timezone = Set(item.repeat_timezone.map(str::to_string));
            active.updated_at = Set(at);
            active.deleted_at = Set(None);
            active.update(db).await
        }
        None => {
            post::ActiveModel {
                id: Set(item.id.map(str::to_string).unwrap_or_else(new_id)),
                organization_id: Set(item.organization_id.to_string()),
                integration_id: Set(item.integration_id.to_string()),
                group_id: Set(item.group_id.to_string()),
                parent_post_id: Set(item.parent_post_id.map(str::to_string)),
                position: Set(item.position),
                state: Set(item.state.to_string()),
                publish_date: Set(item.publish_date),
                content: Set(item.content.to_string()),
                delay_minutes: Set(item.delay_minutes),
                settings: Set(item.settings),
                images: Set(item.images),
                title: Set(None),
                description: Set(None),
                interval_in_days: Set(item.interval_in_days),
                repeat_timezone: Set(item.repeat_timezone.map(str::to_string)),
                creation_method: Set(item.creation_method.to_string()),
                release_id: Set(None),
                release_url: Set(None),
                error: Set(None),
                version: Set(0),
                claimed_until: Set(None),
                pending_data: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
                deleted_at: Set(None),
            }
            .insert(db)
            .await
        }
    }
}

/// Soft-deletes the live items of a group except `keep`; with `channels`, only on those
/// channels (some channels of a post were edited, its other channels stay).
pub async fn delete_group_except(
    db: &impl ConnectionTrait,
    org_id: &str,
    group_id: &str,
    channels: Option<&[String]>,
    keep: &[String],
) -> Result<u64, DbErr> {
    let mut query = post::Entity::update_many()
        .col_expr(post::Column::DeletedAt, Expr::value(now()))
        .col_expr(
            post::Column::Version,
            Expr::col(post::Column::Version).add(1),
        )
        .filter(post::Column::OrganizationId.eq(org_id))
        .filter(post::Column::GroupId.eq(group_id))
        .filter(post::Column::DeletedAt.is_null());
    if let Some(channels) = channels {
        query = query.filter(post::Column::IntegrationId.is_in(channels.iter().cloned()));
    }
    if !keep.is_empty() {
        query = query.filter(post::Column::Id.is_not_in(keep.iter().cloned()));
    }
    query.exec(db).await.map(|r| r.rows_affected)
}

/// Soft-deletes every live post of a channel (the channel was deleted).
pub async fn delete_channel_posts(
    db: &impl ConnectionTrait,
    org_id: &str,
    channel_id: &str,
) -> Result<u64, DbErr> {
    post::Entity::update_many()
        .col_expr(post::Column::DeletedAt, Expr::value(now()))
        .col_expr(
            post::Column::Version,
            Expr::col(post::Column::Version).add(1),
        )
        .filter(post::Column::OrganizationId.eq(org_id))
        .filter(post::Column::IntegrationId.eq(channel_id))
        .filter(post::Column::DeletedAt.is_null())
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

/// Bumps a root post's version (any queued job of an older version becomes stale) and
/// returns the new version.
pub async fn bump_version(db: &impl ConnectionTrait, id: &str) -> Result<i32, DbErr> {
    post::Entity::update_many()
        .col_expr(
            post::Column::Version,
            Expr::col(post::Column::Version).add(1),
        )
        .col_expr(post::Column::UpdatedAt, Expr::value(now()))
        .filter(post::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(post::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .map_or(0, |p| p.version))
}

/// The live items of a group in thread order.
pub async fn group_items(
    db: &impl ConnectionTrait,
    org_id: Option<&str>,
    group_id: &str,
) -> Result<Vec<post::Model>, DbErr> {
    let mut query = post::Entity::find()
        .filter(post::Column::GroupId.eq(group_id))
        .filter(post::Column::DeletedAt.is_null());
    if let Some(org) = org_id {
        query = query.filter(post::Column::OrganizationId.eq(org));
    }
    query
        .order_by_asc(post::Column::IntegrationId)
        .order_by_asc(post::Column::Position)
        .all(db)
        .await
}

/// The live thread a root belongs to (root first).
pub async fn thread_of(
    db: &impl ConnectionTrait,
    root: &post::Model,
) -> Result<Vec<post::Model>, DbErr> {
    // Every column of `ix_posts_group_org_channel`, so no planner prefers another index.
    post::Entity::find()
        .filter(post::Column::GroupId.eq(root.group_id.as_str()))
        .filter(post::Column::OrganizationId.eq(root.organization_id.as_str()))
        .filter(post::Column::IntegrationId.eq(root.integration_id.as_str()))
        .filter(post::Column::DeletedAt.is_null())
        .order_by_asc(post::Column::Position)
        .all(db)
        .await
}

/// The columns the calendar and the list view show of a post: no settings, media or error
/// text to read and decode for every post of the week. A change to any of them must move the
/// calendar's change count (the update trigger of migration `m20261207_000060` lists them):
/// a column added here needs a migration adding it there, or kept calendars go stale.
/// Also read from SQLite's JSON array of the fields in this order
/// ([`calendar_rows`](super::calendar_rows)).
#[derive(Debug, Clone, DerivePartialModel, serde::Deserialize)]
#[sea_orm(entity = "post::Entity")]
pub struct PostSummaryRow {
    pub id: String,
    pub integration_id: String,
    pub group_id: String,
    pub state: String,
    #[serde(deserialize_with = "super::calendar_rows::json_time")]
    pub publish_date: DateTime<Utc>,
    pub content: String,
    pub interval_in_days: Option<i32>,
    pub repeat_timezone: Option<String>,
    pub creation_method: String,
    pub release_id: Option<String>,
    pub release_url: Option<String>,
}

/// The settings of the calendar's posts (the public API lists posts with them).
#[derive(Debug, Clone, DerivePartialModel)]
#[sea_orm(entity = "post::Entity")]
pub struct CalendarSettingsRow {
    pub id: String,
    pub settings: serde_json::Value,
}

/// The two halves of the organization's live root posts the calendar reads, each matched by
/// one index: the single posts in the range (ix_posts_org_date), and every repeating post
/// (ix_posts_org_repeat; the caller expands them, so one that starts after the range yields
/// nothing). Two branches of a UNION ALL rather than one WHERE with OR, and no date bound on the repeating half: given either,
/// a planner may read every earlier post of the organization through the date index (seen on
/// SQLite for a late week, 3.2 ms against 0.13 ms; on PostgreSQL right after a burst, before
/// its statistics caught up, 7 to 86 ms against 0.07 ms). `> 0` rather than `IS NOT NULL`:
/// only a positive interval repeats, and it keeps SQLite on the repeat index.
pub(crate) fn calendar_halves(
    org_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> [Condition; 2] {
    let live_roots = || {
        Condition::all()
            .add(post::Column::OrganizationId.eq(org_id))
            .add(post::Column::ParentPostId.is_null())
            .add(post::Column::DeletedAt.is_null())
    };
    [
        live_roots()
            .add(post::Column::PublishDate.gte(from))
            .add(post::Column::PublishDate.lte(to))
            .add(
                Condition::any()
                    .add(post::Column::IntervalInDays.is_null())
                    .add(post::Column::IntervalInDays.lte(0)),
            ),
        live_roots().add(post::Column::IntervalInDays.gt(0)),
    ]
}

/// The organization's root posts for the calendar, as `M`, in no particular order (see
/// [`calendar_halves`]). Every channel's: the caller keeps those of the channels it shows (on
/// SQLite an `IN` list of channel ids costs a temporary index per query, more than the rows it
/// would leave out).
pub async fn calendar<M>(
    db: &impl ConnectionTrait,
    org_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<M>, DbErr>
where
    M: PartialModelTrait + Send + Sync,
{
    let statement = calendar_statement::<M>(org_id, from, to);
    M::find_by_statement(db.get_database_backend().build(&statement))
        .all(db)
        .await
}

/// The statement of [`calendar`]: `M`'s columns of the two halves, as one UNION ALL.
pub(crate) fn calendar_statement<M: PartialModelTrait>(
    org_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> SelectStatement {
    let [single, repeating] = calendar_halves(org_id, from, to);
    let half = |which: Condition| {
        M::select_cols(post::Entity::find().select_only().filter(which)).into_query()
    };
    let mut statement = half(single);
    statement.union(UnionType::All, half(repeating));
    statement
}

/// What the list view asks for.
pub struct ListFilter<'a> {
    pub org_id: &'a str,
    pub channel_ids: &'a [String],
    pub state: Option<&'a str>,
    pub upcoming_only: bool,
    pub newest_first: bool,
    pub page: u64,
    pub limit: u64,
}

/// A page of root posts for the list view, and the total.
pub async fn list_page(
    db: &impl ConnectionTrait,
    filter: ListFilter<'_>,
) -> Result<(Vec<PostSummaryRow>, u64), DbErr> {
    let ListFilter {
        org_id,
        channel_ids,
        state,
        upcoming_only,
        newest_first,
        page,
        limit,
    } = filter;
    let mut query = post::Entity::find()
        .filter(post::Column::OrganizationId.eq(org_id))
        .filter(post::Column::ParentPostId.is_null())
        .filter(post::Column::DeletedAt.is_null())
        .filter(post::Column::IntervalInDays.is_null())
        .filter(post::Column::IntegrationId.is_in(channel_ids.iter().cloned()));
    if let Some(state) = state {
        query = query.filter(post::Column::State.eq(state));
    }
    if upcoming_only {
        query = query.filter(post::Column::PublishDate.gte(now()));
    }
    let total = query.clone().count(db).await?;
    let query = if newest_first {
        query.order_by_desc(post::Column::PublishDate)
    } else {
        query.order_by_asc(post::Column::PublishDate)
    };
    let rows = query
        .order_by_asc(post::Column::Id)
        .offset(page * limit)
        .limit(limit)
        .into_partial_model::<PostSummaryRow>()
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Publish dates of the organization's live posts within a window, for finding free slots.
pub async fn taken_dates(
    db: &impl ConnectionTrait,
    org_id: &str,
    channel_ids: Option<&[String]>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    let mut query = post::Entity::find()
        .select_only()
        .column(post::Column::PublishDate)
        .filter(post::Column::OrganizationId.eq(org_id))
        .filter(post::Column::DeletedAt.is_null())
        .filter(post::Column::ParentPostId.is_null())
        .filter(post::Column::PublishDate.gte(from))
        .filter(post::Column::PublishDate.lt(to));
    if let Some(ids) = channel_ids {
        query = query.filter(post::Column::IntegrationId.is_in(ids.iter().cloned()));
    }
    query.into_tuple::<DateTime<Utc>>().all(db).await
}

/// Moves a root post (and its thread) to another date; with `requeue` it goes back to the
/// queue (or stays a draft) with its release cleared.
pub async fn change_date(
    db: &impl ConnectionTrait,
    root: &post::Model,
    date: DateTime<Utc>,
    requeue: bool,
) -> Result<(), DbErr> {
    let mut update = post::Entity::update_many()
        .col_expr(post::Column::PublishDate, Expr::value(date))
        .col_expr(post::Column::UpdatedAt, Expr::value(now()))
        .filter(post::Column::GroupId.eq(root.group_id.as_str()))
        .filter(post::Column::OrganizationId.eq(root.organization_id.as_str()))
        .filter(post::Column::IntegrationId.eq(root.integration_id.as_str()))
        .filter(post::Column::DeletedAt.is_null());
    if requeue {
        let state = if root.state == DRAFT { DRAFT } else { QUEUE };
        update = update
            .col_expr(post::Column::State, Expr::value(state))
            .col_expr(post::Column::ReleaseId, Expr::value(Option::<String>::None))
            .col_expr(
                post::Column::ReleaseUrl,
                Expr::value(Option::<String>::None),
            )
            .col_expr(post::Column::Error, Expr::value(Option::<String>::None))
            .col_expr(
                post::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                post::Column::PendingData,
                Expr::value(Option::<serde_json::Value>::None),
            );
    }
    update.exec(db).await.map(|_| ())
}

/// Root posts still queued whose time passed within the window (the sweep).
pub async fn overdue_roots(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<post::Model>, DbErr> {
    post::Entity::find()
        .filter(post::Column::State.eq(QUEUE))
        .filter(post::Column::ParentPostId.is_null())
        .filter(post::Column::DeletedAt.is_null())
        .filter(post::Column::PublishDate.gte(since))
        .filter(post::Column::PublishDate.lt(until))
        .order_by_asc(post::Column::PublishDate)
        .limit(limit)
        .all(db)
        .await
}
