//! `organizations`: a tenant. Every other row belongs to one.

use sea_orm::entity::prelude::*;

use crate::enums::ShortLinkPreference;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Keyed hash of the public API key, for lookups; the key itself is only stored sealed.
    #[sea_orm(unique)]
    pub api_key_hash: Option<String>,
    pub api_key_sealed: Option<String>,
    pub allow_trial: bool,
    pub is_trailing: bool,
    pub streak_since: Option<DateTimeUtc>,
    pub shortlink: ShortLinkPreference,
    /// Stripe customer id.
    pub payment_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::membership::Entity")]
    Memberships,
}

impl Related<super::membership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Memberships.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
