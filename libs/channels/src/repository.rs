//! Queries on channels (`integrations`) and customers. Every function takes
//! `&impl ConnectionTrait` so services compose them inside transactions.

use chrono::{DateTime, Utc};
use postiz_core::ids::{new_id, now, random_token};
use postiz_entity::{customer, integration};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, DerivePartialModel, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

// ---- channels ----

/// A live (not deleted) channel of an organization.
pub async fn find_in_org(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
) -> Result<Option<integration::Model>, DbErr> {
    integration::Entity::find_by_id(id.to_string())
        .filter(integration::Column::OrganizationId.eq(org_id))
        .filter(integration::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// A live channel by id, whatever its organization (publisher and sweeps).
pub async fn find_live(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<integration::Model>, DbErr> {
    integration::Entity::find_by_id(id.to_string())
        .filter(integration::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// The channel of an account in an organization, deleted or not (the unique key).
pub async fn find_by_internal_id(
    db: &impl ConnectionTrait,
    org_id: &str,
    internal_id: &str,
) -> Result<Option<integration::Model>, DbErr> {
    integration::Entity::find()
        .filter(integration::Column::OrganizationId.eq(org_id))
        .filter(integration::Column::InternalId.eq(internal_id))
        .one(db)
        .await
}

/// The live channel of an account in an organization.
pub async fn find_live_by_internal_id(
    db: &impl ConnectionTrait,
    org_id: &str,
    internal_id: &str,
) -> Result<Option<integration::Model>, DbErr> {
    Ok(find_by_internal_id(db, org_id, internal_id)
        .await?
        .filter(|c| c.deleted_at.is_none()))
}

/// What the calendar and the list view show of a channel, and the customer they filter by.
#[derive(Debug, Clone, DerivePartialModel)]
#[sea_orm(entity = "integration::Entity")]
pub struct ChannelBadgeRow {
    pub id: String,
    pub provider_identifier: String,
    pub name: String,
    pub picture: Option<String>,
    pub customer_id: Option<String>,
}

/// [`list`] narrowed to [`ChannelBadgeRow`]: read on every calendar request that is not
/// served from a kept answer, where whole rows (sealed tokens, JSON settings, the customer)
/// would be copied and decoded to show four fields.
pub async fn list_badges(
    db: &impl ConnectionTrait,
    org_id: &str,
) -> Result<Vec<ChannelBadgeRow>, DbErr> {
    integration::Entity::find()
        .select_only()
        .filter(integration::Column::OrganizationId.eq(org_id))
        .filter(integration::Column::DeletedAt.is_null())
        .order_by_asc(integration::Column::CreatedAt)
        .order_by_asc(integration::Column::Id)
        .into_partial_model::<ChannelBadgeRow>()
        .all(db)
        .await
}

/// The organization's live channels with their customers, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    org_id: &str,
) -> Result<Vec<(integration::Model, Option<customer::Model>)>, DbErr> {
    integration::Entity::find()
        .filter(integration::Column::OrganizationId.eq(org_id))
        .filter(integration::Column::DeletedAt.is_null())
        .order_by_asc(integration::Column::CreatedAt)
        .order_by_asc(integration::Column::Id)
        .find_also_related(customer::Entity)
        .all(db)
        .await
}

/// Everything a new channel row holds.
pub struct NewChannel {
    pub organization_id: String,
    pub internal_id: String,
    pub provider_identifier: String,
    pub name: String,
    pub picture: Option<String>,
    pub profile: Option<String>,
    pub tokens_sealed: String,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub custom_sealed: Option<String>,
    pub in_between_steps: bool,
    pub posting_times: serde_json::Value,
    pub additional_settings: serde_json::Value,
    pub root_internal_id: String,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewChannel,
) -> Result<integration::Model, DbErr> {
    let at = now();
    integration::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(new.organization_id),
        internal_id: Set(new.internal_id),
        provider_identifier: Set(new.provider_identifier),
        kind: Set("social".into()),
        name: Set(new.name),
        picture: Set(new.picture),
        profile: Set(new.profile),
        tokens_sealed: Set(new.tokens_sealed),
        token_expires_at: Set(new.token_expires_at),
        custom_sealed: Set(new.custom_sealed),
        disabled: Set(false),
        in_between_steps: Set(new.in_between_steps),
        refresh_needed: Set(false),
        posting_times: Set(new.posting_times),
        additional_settings: Set(new.additional_settings),
        customer_id: Set(None),
        root_internal_id: Set(Some(new.root_internal_id)),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
}

/// What a (re)connection or a page pick writes on an existing row. `None` keeps the stored
/// value.
#[derive(Default)]
pub struct ConnectionUpdate {
    pub internal_id: Option<String>,
    pub provider_identifier: Option<String>,
    pub name: Option<String>,
    pub picture: Option<String>,
    pub profile: Option<String>,
    pub tokens_sealed: Option<String>,
    /// `Some(None)` clears the expiry (a token that does not expire).
    pub token_expires_at: Option<Option<DateTime<Utc>>>,
    pub custom_sealed: Option<String>,
    pub in_between_steps: Option<bool>,
    pub additional_settings: Option<serde_json::Value>,
    pub root_internal_id: Option<String>,
    /// Revives a soft-deleted row and switches it back on.
    pub revive: bool,
}

/// Applies a (re)connection: the tokens and profile change in place and `refresh_needed` is
/// cleared.
pub async fn update_connection(
    db: &impl ConnectionTrait,
    id: &str,
    update: ConnectionUpdate,
) -> Result<integration::Model, DbErr> {
    let mut row = integration::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id.to_string()),
        refresh_needed: Set(false),
        updated_at: Set(now()),
        ..Default::default()
    };
    if let Some(v) = update.internal_id {
        row.internal_id = Set(v);
    }
    if let Some(v) = update.provider_identifier {
        row.provider_identifier = Set(v);
    }
    if let Some(v) = update.name {
        row.name = Set(v);
    }
    if let Some(v) = update.picture {
        row.picture = Set(Some(v));
    }
    if let Some(v) = update.profile {
        row.profile = Set(Some(v));
    }
    if let Some(v) = update.tokens_sealed {
        row.tokens_sealed = Set(v);
    }
    if let Some(v) = update.token_expires_at {
        row.token_expires_at = Set(v);
    }
    if let Some(v) = update.custom_sealed {
        row.custom_sealed = Set(Some(v));
    }
    if let Some(v) = update.in_between_steps {
        row.in_between_steps = Set(v);
    }
    if let Some(v) = update.additional_settings {
        row.additional_settings = Set(v);
    }
    if let Some(v) = update.root_internal_id {
        row.root_internal_id = Set(Some(v));
    }
    if update.revive {
        row.deleted_at = Set(None);
        row.disabled = Set(false);
    }
    row.update(db).await
}

/// Moves a channel to another account id and provider in place (MIGRATE_PROVIDERS).
pub async fn migrate(
    db: &impl ConnectionTrait,
    id: &str,
    internal_id: &str,
    provider_identifier: &str,
    root_internal_id: &str,
) -> Result<(), DbErr> {
    integration::Entity::update_many()
        .col_expr(integration::Column::InternalId, Expr::value(internal_id))
        .col_expr(
            integration::Column::ProviderIdentifier,
            Expr::value(provider_identifier),
        )
        .col_expr(
            integration::Column::RootInternalId,
            Expr::value(root_internal_id),
        )
        .col_expr(integration::Column::UpdatedAt, Expr::value(now()))
        .filter(integration::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Frees the account id held by a soft-deleted row, so another row can take it.
pub async fn release_deleted_internal_id(
    db: &impl ConnectionTrait,
    org_id: &str,
    internal_id: &str,
) -> Result<(), DbErr> {
    integration::Entity::update_many()
        .col_expr(
            integration::Column::InternalId,
            Expr::value(format!("deleted_{internal_id}_{}", random_token(10))),
        )
        .filter(integration::Column::OrganizationId.eq(org_id))
        .filter(integration::Column::InternalId.eq(internal_id))
        .filter(integration::Column::DeletedAt.is_not_null())
        .exec(db)
        .await
        .map(|_| ())
}

/// Soft-deletes a row and frees its account id (a placeholder replaced by a picked page).
pub async fn retire(db: &impl ConnectionTrait, id: &str, internal_id: &str) -> Result<(), DbErr> {
    let at = now();
    integration::Entity::update_many()
        .col_expr(
            integration::Column::InternalId,
            Expr::value(format!("deleted_{internal_id}_{}", random_token(10))),
        )
        .col_expr(integration::Column::DeletedAt, Expr::value(at))
        .col_expr(integration::Column::UpdatedAt, Expr::value(at))
        .filter(integration::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Switches a live channel of the organization on or off; returns whether it exists.
pub async fn set_disabled(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
    disabled: bool,
) -> Result<bool, DbErr> {
    let result = integration::Entity::update_many()
        .col_expr(integration::Column::Disabled, Expr::value(disabled))
        .col_expr(integration::Column::UpdatedAt, Expr::value(now()))
        .filter(integration::Column::Id.eq(id))
        .filter(integration::Column::OrganizationId.eq(org_id))
        .filter(integration::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Soft-deletes a live channel of the organization; returns whether it existed.
pub async fn soft_delete(db: &impl ConnectionTrait, org_id: &str, id: &str) -> Result<bool, DbErr> {
    let at = now();
    let result = integration::Entity::update_many()
        .col_expr(integration::Column::DeletedAt, Expr::value(at))
        .col_expr(integration::Column::UpdatedAt, Expr::value(at))
        .filter(integration::Column::Id.eq(id))
        .filter(integration::Column::OrganizationId.eq(org_id))
        .filter(integration::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn set_posting_times(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
    times: serde_json::Value,
) -> Result<bool, DbErr> {
    let result = integration::Entity::update_many()
        .col_expr(integration::Column::PostingTimes, Expr::value(times))
        .col_expr(integration::Column::UpdatedAt, Expr::value(now()))
        .filter(integration::Column::Id.eq(id))
        .filter(integration::Column::OrganizationId.eq(org_id))
        .filter(integration::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn set_additional_settings(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
    settings: serde_json::Value,
) -> Result<bool, DbErr> {
    let result = integration::Entity::update_many()
        .col_expr(
            integration::Column::AdditionalSettings,
            Expr::value(settings),
        )
        .col_expr(integration::Column::UpdatedAt, Expr::value(now()))
        .filter(integration::Column::Id.eq(id))
        .filter(integration::Column::OrganizationId.eq(org_id))
        .filter(integration::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn set_customer(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
    customer_id: Option<&str>,
) -> Result<bool, DbErr> {
    let result = integration::Entity::update_many()
        .col_expr(
            integration::Column::CustomerId,
            Expr::value(customer_id.map(str::to_string)),
        )
        .col_expr(integration::Column::UpdatedAt, Expr::value(now()))
        .filter(integration::Column::Id.eq(id))
        .filter(integration::Column::OrganizationId.eq(org_id))
        .filter(integration::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Replaces the sealed tokens only if they are still `expected` (compare-and-set): a refresh
/// never overwrites tokens written meanwhile by a reconnection or another refresh.
pub async fn replace_tokens(
    db: &impl ConnectionTrait,
    id: &str,
    expected: &str,
    tokens_sealed: &str,
    token_expires_at: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let result = integration::Entity::update_many()
        .col_expr(
            integration::Column::TokensSealed,
            Expr::value(tokens_sealed),
        )
        .col_expr(
            integration::Column::TokenExpiresAt,
            Expr::value(token_expires_at),
        )
        .col_expr(integration::Column::RefreshNeeded, Expr::value(false))
        .col_expr(integration::Column::UpdatedAt, Expr::value(now()))
        .filter(integration::Column::Id.eq(id))
        .filter(integration::Column::TokensSealed.eq(expected))
        .filter(integration::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Flags a live channel for reconnection; returns whether it changed (false when it already was
/// flagged), so the organization is told once.
pub async fn mark_refresh_needed(db: &impl ConnectionTrait, id: &str) -> Result<bool, DbErr> {
    let result = integration::Entity::update_many()
        .col_expr(integration::Column::RefreshNeeded, Expr::value(true))
        .col_expr(integration::Column::UpdatedAt, Expr::value(now()))
        .filter(integration::Column::Id.eq(id))
        .filter(integration::Column::RefreshNeeded.eq(false))
        .filter(integration::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Live, connected, enabled channels whose token expires before `before`.
pub async fn expiring(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<Vec<integration::Model>, DbErr> {
    integration::Entity::find()
        .filter(integration::Column::TokenExpiresAt.is_not_null())
        .filter(integration::Column::TokenExpiresAt.lte(before))
        .filter(integration::Column::DeletedAt.is_null())
        .filter(integration::Column::InBetweenSteps.eq(false))
        .filter(integration::Column::RefreshNeeded.eq(false))
        .filter(integration::Column::Disabled.eq(false))
        .order_by_asc(integration::Column::TokenExpiresAt)
        .all(db)
        .await
}

// ---- customers ----

pub async fn customers(
    db: &impl ConnectionTrait,
    org_id: &str,
) -> Result<Vec<customer::Model>, DbErr> {
    customer::Entity::find()
        .filter(customer::Column::OrganizationId.eq(org_id))
        .filter(customer::Column::DeletedAt.is_null())
        .order_by_asc(customer::Column::CreatedAt)
        .order_by_asc(customer::Column::Id)
        .all(db)
        .await
}

pub async fn find_customer(
    db: &impl ConnectionTrait,
    org_id: &str,
    id: &str,
) -> Result<Option<customer::Model>, DbErr> {
    customer::Entity::find_by_id(id.to_string())
        .filter(customer::Column::OrganizationId.eq(org_id))
        .filter(customer::Column::DeletedAt.is_null())
        .one(db)
        .await
}

pub async fn find_customer_by_name(
    db: &impl ConnectionTrait,
    org_id: &str,
    name: &str,
) -> Result<Option<customer::Model>, DbErr> {
    customer::Entity::find()
        .filter(customer::Column::OrganizationId.eq(org_id))
        .filter(customer::Column::Name.eq(name))
        .filter(customer::Column::DeletedAt.is_null())
        .order_by_asc(customer::Column::CreatedAt)
        .one(db)
        .await
}

pub async fn insert_customer(
    db: &impl ConnectionTrait,
    org_id: &str,
    name: &str,
) -> Result<customer::Model, DbErr> {
    customer::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(org_id.to_string()),
        name: Set(name.to_string()),
        created_at: Set(now()),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
}
