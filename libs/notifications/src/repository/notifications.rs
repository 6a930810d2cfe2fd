//! Queries on `notifications`, `notification_digest_items`, and the two things this module
//! reads or writes about users: when they last opened the bell, and who of an organization
//! receives e-mails.

use chrono::{DateTime, Utc};
use postiz_core::ids::{new_id, now};
use postiz_entity::{membership, notification, notification_digest_item as digest_item, user};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

// ---- notifications ----

pub async fn insert_notification(
    db: &impl ConnectionTrait,
    org_id: &str,
    content: &str,
    link: Option<&str>,
) -> Result<notification::Model, DbErr> {
    notification::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org_id.to_string()),
        content: Set(content.to_string()),
        link: Set(link.map(str::to_string)),
        created_at: Set(now()),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
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

pub async fn insert_digest_item(
    db: &impl ConnectionTrait,
    org_id: &str,
    kind: &str,
    subject: &str,
    message: &str,
) -> Result<(), DbErr> {
    digest_item::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org_id.to_string()),
        kind: Set(kind.to_string()),
        subject: Set(subject.to_string()),
        message: Set(message.to_string()),
        created_at: Set(now()),
        claim_token: Set(None),
        claimed_at: Set(None),
    }
    .insert(db)
    .await
    .map(|_| ())
}

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
