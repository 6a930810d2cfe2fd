//! `webhooks`: an organization's outgoing webhook (Postiz `Webhooks`): a URL told about
//! published and failed posts, on all channels or on those listed in `webhook_integrations`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: String,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub url: String,
    /// Sealed signing secret: deliveries carry `X-Postiz-Signature: sha256=<HMAC of the body>`.
    #[sea_orm(column_type = "Text")]
    pub secret_sealed: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id",
        on_delete = "Cascade"
    )]
    Organization,
    #[sea_orm(has_many = "super::webhook_integration::Entity")]
    Integrations,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::webhook_integration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Integrations.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
