//! Queries on `webhooks`, `webhook_integrations` and `webhook_deliveries`, and the read of the
//! organization's channels (`integrations`) a webhook may be limited to.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use postiz_core::ids::{new_id, now};
use postiz_entity::{integration, webhook, webhook_delivery as delivery, webhook_integration};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// A channel as a webhook shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRef {
    pub id: String,
    pub name: String,
    pub picture: Option<String>,
    pub provider_identifier: String,
}

impl From<integration::Model> for ChannelRef {
    fn from(m: integration::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            picture: m.picture,
            provider_identifier: m.provider_identifier,
        }
    }
}

/// The organization's live webhooks, oldest first.
pub async fn list(db: &impl ConnectionTrait, org_id: &str) -> Result<Vec<webhook::Model>, DbErr> {
    webhook::Entity::find()
        .filter(webhook::Column::OrganizationId.eq(org_id))
        .filter(webhook::Column::DeletedAt.is_null())
        .order_by_asc(webhook::Column::CreatedAt)
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await
}

/// The live channels each webhook is limited to, by webhook id (absent: all channels).
pub async fn channels_of(
    db: &impl ConnectionTrait,
    webhook_ids: &[String],
) -> Result<HashMap<String, Vec<ChannelRef>>, DbErr> {
    if webhook_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = webhook_integration::Entity::find()
        .filter(webhook_integration::Column::WebhookId.is_in(webhook_ids.iter().cloned()))
        .find_also_related(integration::Entity)
        .all(db)
        .await?;
    let mut out: HashMap<String, Vec<ChannelRef>> = HashMap::new();
    for (link, channel) in rows {
        if let Some(channel) = channel.filter(|c| c.deleted_at.is_none()) {
            out.entry(link.webhook_id)
                .or_default()
                .push(ChannelRef::from(channel));
        }
    }
    for channels in out.values_mut() {
        channels.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    }
    Ok(out)
}

/// The ids of all channels each webhook is limited to, deleted channels included (a webhook
/// limited to channels that were all deleted matches nothing rather than everything).
pub async fn channel_ids_of(
    db: &impl ConnectionTrait,
    webhook_ids: &[String],
) -> Result<HashMap<String, Vec<String>>, DbErr> {
    if webhook_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = webhook_integration::Entity::find()
        .filter(webhook_integration::Column::WebhookId.is_in(webhook_ids.iter().cloned()))
        .all(db)
        .await?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for link in rows {
        out.entry(link.webhook_id)
            .or_default()
            .push(link.integration_id);
    }
    Ok(out)
}

/// A live webhook of the organization.
pub async fn find(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
) -> Result<Option<webhook::Model>, DbErr> {
    webhook::Entity::find_by_id(id.to_string())
        .filter(webhook::Column::OrganizationId.eq(org_id))
        .filter(webhook::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// A webhook by id, deleted or not (deliveries).
pub async fn find_any(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<webhook::Model>, DbErr> {
    webhook::Entity::find_by_id(id.to_string()).one(db).await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    org_id: &str,
    name: &str,
    url: &str,
    secret_sealed: &str,
) -> Result<webhook::Model, DbErr> {
    let at = now();
    webhook::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org_id.to_string()),
        name: Set(name.to_string()),
        url: Set(url.to_string()),
        secret_sealed: Set(secret_sealed.to_string()),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
}

/// Renames and re-targets a live webhook of the organization; false when there is none.
pub async fn update(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
    name: &str,
    url: &str,
) -> Result<bool, DbErr> {
    let result = webhook::Entity::update_many()
        .col_expr(webhook::Column::Name, Expr::value(name))
        .col_expr(webhook::Column::Url, Expr::value(url))
        .col_expr(webhook::Column::UpdatedAt, Expr::value(now()))
        .filter(webhook::Column::Id.eq(id))
        .filter(webhook::Column::OrganizationId.eq(org_id))
        .filter(webhook::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Replaces the channels a webhook is limited to.
pub async fn set_channels(
    db: &impl ConnectionTrait,
    webhook_id: &str,
    channel_ids: &[String],
) -> Result<(), DbErr> {
    webhook_integration::Entity::delete_many()
        .filter(webhook_integration::Column::WebhookId.eq(webhook_id))
        .exec(db)
        .await?;
    if channel_ids.is_empty() {
        return Ok(());
    }
    webhook_integration::Entity::insert_many(channel_ids.iter().map(|id| {
        webhook_integration::ActiveModel {
            webhook_id: Set(webhook_id.to_string()),
            integration_id: Set(id.clone()),
        }
    }))
    .exec(db)
    .await
    .map(|_| ())
}

/// Soft-deletes a live webhook of the organization and returns it as deleted.
pub async fn soft_delete(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
) -> Result<Option<webhook::Model>, DbErr> {
    let Some(found) = find(db, org_id, id).await? else {
        return Ok(None);
    };
    let at = now();
    let result = webhook::Entity::update_many()
        .col_expr(webhook::Column::DeletedAt, Expr::value(at))
        .col_expr(webhook::Column::UpdatedAt, Expr::value(at))
        .filter(webhook::Column::Id.eq(id))
        .filter(webhook::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    Ok(Some(webhook::Model {
        deleted_at: Some(at),
        updated_at: at,
        ..found
    }))
}

/// Which of `ids` are live channels of the organization.
pub async fn live_channel_ids(
    db: &impl ConnectionTrait,
    org_id: &str,
    ids: &[String],
) -> Result<Vec<String>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(integration::Entity::find()
        .filter(integration::Column::OrganizationId.eq(org_id))
        .filter(integration::Column::DeletedAt.is_null())
        .filter(integration::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect())
}

// ---- deliveries ----

pub struct NewDelivery<'a> {
    pub webhook_id: &'a str,
    pub org_id: &'a str,
    pub event: &'a str,
    pub payload: &'a str,
}

pub async fn insert_delivery(
    db: &impl ConnectionTrait,
    new: NewDelivery<'_>,
) -> Result<delivery::Model, DbErr> {
    let at = now();
    delivery::ActiveModel {
        id: Set(new_id()),
        webhook_id: Set(new.webhook_id.to_string()),
        organization_id: Set(new.org_id.to_string()),
        event: Set(new.event.to_string()),
        payload: Set(new.payload.to_string()),
        status: Set(DeliveryStatus::Pending.as_str().to_string()),
        attempts: Set(0),
        response_status: Set(None),
        last_error: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        finished_at: Set(None),
    }
    .insert(db)
    .await
}

pub async fn find_delivery(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<delivery::Model>, DbErr> {
    delivery::Entity::find_by_id(id.to_string()).one(db).await
}

/// The deliveries of a webhook, oldest first (tests and tools).
pub async fn deliveries_of(
    db: &impl ConnectionTrait,
    webhook_id: &str,
) -> Result<Vec<delivery::Model>, DbErr> {
    delivery::Entity::find()
        .filter(delivery::Column::WebhookId.eq(webhook_id))
        .order_by_asc(delivery::Column::CreatedAt)
        .order_by_asc(delivery::Column::Id)
        .all(db)
        .await
}

/// Deletes up to `batch` deliveries that ended before `before` (pending ones never); returns
/// how many.
pub async fn delete_finished_deliveries(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
    batch: u64,
) -> Result<u64, DbErr> {
    let ids: Vec<String> = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Id)
        .filter(delivery::Column::FinishedAt.lt(before))
        .filter(delivery::Column::Status.ne(DeliveryStatus::Pending.as_str()))
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let deleted = delivery::Entity::delete_many()
        .filter(delivery::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
    Cancelled,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// The outcome of one attempt.
pub struct Attempt<'a> {
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub response_status: Option<i32>,
    pub error: Option<&'a str>,
}

/// Records an attempt on a pending delivery; a final status also sets `finished_at`.
pub async fn record_attempt(
    db: &impl ConnectionTrait,
    id: &str,
    attempt: Attempt<'_>,
) -> Result<(), DbErr> {
    let at = now();
    let finished: Option<DateTime<Utc>> = (attempt.status != DeliveryStatus::Pending).then_some(at);
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            Expr::value(attempt.status.as_str()),
        )
        .col_expr(delivery::Column::Attempts, Expr::value(attempt.attempts))
        .col_expr(
            delivery::Column::ResponseStatus,
            Expr::value(attempt.response_status),
        )
        .col_expr(
            delivery::Column::LastError,
            Expr::value(attempt.error.map(str::to_string)),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(at))
        .col_expr(delivery::Column::FinishedAt, Expr::value(finished))
        .filter(delivery::Column::Id.eq(id))
        .filter(delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .exec(db)
        .await
        .map(|_| ())
}
