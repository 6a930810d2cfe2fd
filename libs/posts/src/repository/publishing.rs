//! Queries of the publishing worker: claiming a post for one attempt and recording outcomes.

use chrono::{DateTime, Utc};
use postiz_core::ids::now;
use postiz_entity::post;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::posts::{ERROR, PUBLISHED, QUEUE, find_live};

/// What happened when a worker tried to claim a post for publishing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This attempt owns the post until the given time; the post as claimed.
    Claimed(Box<post::Model>),
    /// The job is stale: the post was deleted, edited, rescheduled or is no longer queued.
    Stale,
    /// Another attempt is running and holds the claim until then.
    Busy(DateTime<Utc>),
    /// An earlier attempt claimed the post and never recorded an outcome: whether the network
    /// received it is unknown.
    Abandoned,
}

/// Claims a queued root post of the given version until `until`.
pub async fn claim(
    db: &impl ConnectionTrait,
    id: &str,
    version: i32,
    until: DateTime<Utc>,
) -> Result<Claim, DbErr> {
    // RETURNING: the claim and the read of the post in one statement.
    let claimed = post::Entity::update_many()
        .col_expr(post::Column::ClaimedUntil, Expr::value(until))
        .filter(post::Column::Id.eq(id))
        .filter(post::Column::Version.eq(version))
        .filter(post::Column::State.eq(QUEUE))
        .filter(post::Column::DeletedAt.is_null())
        .filter(post::Column::ClaimedUntil.is_null())
        .exec_with_returning(db)
        .await?;
    if let Some(row) = claimed.into_iter().next() {
        return Ok(Claim::Claimed(Box::new(row)));
    }
    let Some(row) = find_live(db, id).await? else {
        return Ok(Claim::Stale);
    };
    if row.version != version || row.state != QUEUE {
        return Ok(Claim::Stale);
    }
    match row.claimed_until {
        Some(until) if until > now() => Ok(Claim::Busy(until)),
        Some(_) => Ok(Claim::Abandoned),
        // Released between our update and our read: someone finished; treat as stale.
        None => Ok(Claim::Stale),
    }
}

/// Extends a claim held by this attempt.
pub async fn renew_claim(
    db: &impl ConnectionTrait,
    id: &str,
    version: i32,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = post::Entity::update_many()
        .col_expr(post::Column::ClaimedUntil, Expr::value(until))
        .filter(post::Column::Id.eq(id))
        .filter(post::Column::Version.eq(version))
        .filter(post::Column::ClaimedUntil.is_not_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records that an item is live on the network.
pub async fn mark_item_published(
    db: &impl ConnectionTrait,
    id: &str,
    release_id: &str,
    release_url: &str,
) -> Result<(), DbErr> {
    post::Entity::update_many()
        .col_expr(post::Column::State, Expr::value(PUBLISHED))
        .col_expr(post::Column::ReleaseId, Expr::value(release_id))
        .col_expr(post::Column::ReleaseUrl, Expr::value(release_url))
        .col_expr(post::Column::Error, Expr::value(Option::<String>::None))
        .col_expr(
            post::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            post::Column::PendingData,
            Expr::value(Option::<serde_json::Value>::None),
        )
        .col_expr(post::Column::UpdatedAt, Expr::value(now()))
        .filter(post::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Records a publication still processing on the network, keeping the claim.
pub async fn set_pending(
    db: &impl ConnectionTrait,
    id: &str,
    data: serde_json::Value,
) -> Result<(), DbErr> {
    post::Entity::update_many()
        .col_expr(post::Column::PendingData, Expr::value(data))
        .col_expr(post::Column::UpdatedAt, Expr::value(now()))
        .filter(post::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Forgets an item's pending data (an in-flight marker or a finished status check).
pub async fn clear_pending(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    post::Entity::update_many()
        .col_expr(
            post::Column::PendingData,
            Expr::value(Option::<serde_json::Value>::None),
        )
        .filter(post::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Ends a post in ERROR with the reason shown to the user, releasing the claim.
pub async fn mark_error(db: &impl ConnectionTrait, id: &str, message: &str) -> Result<(), DbErr> {
    post::Entity::update_many()
        .col_expr(post::Column::State, Expr::value(ERROR))
        .col_expr(post::Column::Error, Expr::value(message))
        .col_expr(
            post::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(post::Column::UpdatedAt, Expr::value(now()))
        .filter(post::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Releases a claim without an outcome (the attempt will be retried later).
pub async fn release_claim(db: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    post::Entity::update_many()
        .col_expr(
            post::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(post::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}
