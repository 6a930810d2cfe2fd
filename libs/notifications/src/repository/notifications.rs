//! Queries on `notifications`, `notification_digest_items`, and the two things this module
//! reads or writes about users: when they last opened the bell, and who of an organization
//! receives e-mails.

use chrono::{DateTime, Utc};
use postiz_core::ids::{new_id, now};
use postiz_entity::{membership, notification, notification_digest_item as digest_item, user};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

// ---- notifications ----

/// A notice to record: a row of the organization's bell, and an item of its digest when the
/// notice is mailed in the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub organization_id: String,
    pub content: String,
    pub link: Option<String>,
    pub digest: Option<DigestRow>,
    /// When the notice was made (not when its group was written).
    pub created_at: DateTime<Utc>,
}

/// The digest part of a [`NoticeRow`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRow {
    pub kind: String,
    pub subject: String,
}

/// Inserts the notices' bell rows and digest items: two statements whatever their number.
pub async fn insert_notices(db: &impl ConnectionTrait, rows: &[NoticeRow]) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    notification::Entity::insert_many(rows.iter().map(|row| notification::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(row.organization_id.clone()),
        content: Set(row.content.clone()),
        link: Set(row.link.clone()),
        created_at: Set(row.created_at),
        deleted_at: Set(None),
    }))
    .exec_without_returning(db)
    .await?;
    let items: Vec<digest_item::ActiveModel> = rows
        .iter()
        .filter_map(|row| {
            let digest = row.digest.as_ref()?;
            Some(digest_item::ActiveModel {
                id: Set(new_id()),
                organization_id: Set(row.organization_id.clone()),
                kind: Set(digest.kind.clone()),
                subject: Set(digest.subject.clone()),
                message: Set(row.content.clone()),
                created_at: Set(row.created_at),
                claim_token: Set(None),
                claimed_at: Set(None),
            })
        })
        .collect();
    if !items.is_empty() {
        digest_item::Entity::insert_many(items)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Live notifications of the organization created after `since`.
pub async fn count_since(
    db: &impl ConnectionTrait,
    org_id: &str,
    since: DateTime<Utc>,
) -> Result<u64, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::OrganizationId.eq(org_id))
        .filter(notification::Column::DeletedAt.is_null())
        .filter(notification::Column::CreatedAt.gt(since))
        .count(db)
        .await
}

/// The organization's newest live notifications.
pub async fn latest(
    db: &impl ConnectionTrait,
    org_id: &str,
    limit: u64,
) -> Result<Vec<notification::Model>, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::OrganizationId.eq(org_id))
        .filter(notification::Column::DeletedAt.is_null())
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// One page of the organization's live notifications, newest first, and how many there are.
pub async fn page(
    db: &impl ConnectionTrait,
    org_id: &str,
    page: u64,
    limit: u64,
) -> Result<(Vec<notification::Model>, u64), DbErr> {
    let live = || {
        notification::Entity::find()
            .filter(notification::Column::OrganizationId.eq(org_id))
            .filter(notification::Column::DeletedAt.is_null())
    };
    let total = live().count(db).await?;
    let rows = live()
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .offset(page.saturating_mul(limit))
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

// ---- users ----

/// When the user last opened the notification list (`users.last_read_notifications`).
pub async fn last_read(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(user::Entity::find_by_id(user_id.to_string())
        .filter(user::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .map(|u| u.last_read_notifications))
}

/// Marks the user's notifications as read up to `at`.
pub async fn set_last_read(
    db: &impl ConnectionTrait,
    user_id: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::LastReadNotifications, Expr::value(at))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Someone who may receive the organization's e-mails, with their preferences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: String,
    pub send_success_emails: bool,
    pub send_failure_emails: bool,
}

/// The organization's active members (membership not disabled, user not deleted).
pub async fn recipients(db: &impl ConnectionTrait, org_id: &str) -> Result<Vec<Recipient>, DbErr> {
    let rows = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org_id))
        .filter(membership::Column::Disabled.eq(false))
        .order_by_asc(membership::Column::CreatedAt)
        .find_also_related(user::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(_, u)| u)
        .filter(|u| u.deleted_at.is_none())
        .map(|u| Recipient {
            email: u.email,
            send_success_emails: u.send_success_emails,
            send_failure_emails: u.send_failure_emails,
        })
        .collect())
}

// ---- digest items ----

/// Items no run holds: never claimed, or claimed by a run that stopped before `stale_before`.
fn claimable(stale_before: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(digest_item::Column::ClaimToken.is_null())
        .add(digest_item::Column::ClaimedAt.lt(stale_before))
}

/// Organizations with a claimable item created at or before `due_before`.
pub async fn organizations_with_due_items(
    db: &impl ConnectionTrait,
    due_before: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<Vec<String>, DbErr> {
    digest_item::Entity::find()
        .select_only()
        .column(digest_item::Column::OrganizationId)
        .distinct()
        .filter(digest_item::Column::CreatedAt.lte(due_before))
        .filter(claimable(stale_before))
        .into_tuple::<String>()
        .all(db)
        .await
}

/// Takes every claimable item of the organization for the run `token` (one atomic UPDATE, so
/// two runs never take the same item) and returns them, oldest first.
pub async fn claim_items(
    db: &impl ConnectionTrait,
    org_id: &str,
    token: &str,
    stale_before: DateTime<Utc>,
) -> Result<Vec<digest_item::Model>, DbErr> {
    digest_item::Entity::update_many()
        .col_expr(digest_item::Column::ClaimToken, Expr::value(token))
        .col_expr(digest_item::Column::ClaimedAt, Expr::value(now()))
        .filter(digest_item::Column::OrganizationId.eq(org_id))
        .filter(claimable(stale_before))
        .exec(db)
        .await?;
    digest_item::Entity::find()
        .filter(digest_item::Column::ClaimToken.eq(token))
        .order_by_asc(digest_item::Column::CreatedAt)
        .order_by_asc(digest_item::Column::Id)
        .all(db)
        .await
}

/// Removes the items of a finished run.
pub async fn delete_claimed(db: &impl ConnectionTrait, token: &str) -> Result<u64, DbErr> {
    digest_item::Entity::delete_many()
        .filter(digest_item::Column::ClaimToken.eq(token))
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

/// Items waiting for the organization's next digest (tests and tools).
pub async fn pending_items(
    db: &impl ConnectionTrait,
    org_id: &str,
) -> Result<Vec<digest_item::Model>, DbErr> {
    digest_item::Entity::find()
        .filter(digest_item::Column::OrganizationId.eq(org_id))
        .order_by_asc(digest_item::Column::CreatedAt)
        .all(db)
        .await
}
