//! `webhook_deliveries`: one event sent (or being sent) to one webhook. The body is stored so
//! every attempt sends, and signs, the same bytes; the row records the outcome.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    /// Also the `X-Postiz-Delivery` header.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub webhook_id: String,
    pub organization_id: String,
    /// `published` or `failed` (`X-Postiz-Event`).
    pub event: String,
    /// The exact JSON body sent.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// `pending`, `delivered`, `failed` or `cancelled` (the webhook was deleted).
    pub status: String,
    /// Attempts made so far.
    pub attempts: i32,
    /// HTTP status of the last answer, if one came.
    pub response_status: Option<i32>,
    /// Why the last attempt failed.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::webhook::Entity",
        from = "Column::WebhookId",
        to = "super::webhook::Column::Id",
        on_delete = "Cascade"
    )]
    Webhook,
}

impl Related<super::webhook::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Webhook.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
