//! `integrations`: a connected channel (Postiz `Integration`): one account on one network for
//! one organization. Tokens and credentials are stored sealed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "integrations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: String,
    /// The account's id on the network; unique per organization.
    pub internal_id: String,
    /// Provider identifier (`x`, `linkedin-page`, ...).
    pub provider_identifier: String,
    /// `social` or `article`.
    pub kind: String,
    pub name: String,
    pub picture: Option<String>,
    /// The account's handle on the network.
    pub profile: Option<String>,
    /// Sealed JSON of the provider's `TokenSet`.
    pub tokens_sealed: String,
    /// When the access token expires, for proactive refresh; `None` when it does not.
    pub token_expires_at: Option<DateTimeUtc>,
    /// Sealed JSON of provider data kept at connect time (credentials, instance URL).
    pub custom_sealed: Option<String>,
    pub disabled: bool,
    /// Authorized, but the page/account is not picked yet.
    pub in_between_steps: bool,
    /// The token could not be refreshed: the user must reconnect.
    pub refresh_needed: bool,
    /// Preferred posting times as minutes of the day: `[{"time":120},...]`.
    pub posting_times: Json,
    /// The provider's additional settings with the user's values (Postiz `additionalSettings`).
    pub additional_settings: Json,
    pub customer_id: Option<String>,
    /// The account the channel was reached through (LinkedIn member behind a page).
    pub root_internal_id: Option<String>,
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
    #[sea_orm(
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id",
        on_delete = "SetNull"
    )]
    Customer,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
