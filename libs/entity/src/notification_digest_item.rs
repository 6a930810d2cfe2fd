//! `notification_digest_items`: notices waiting for an organization's next digest e-mail
//! (Postiz keeps them in the memory of its `digestEmailWorkflow`; here they survive restarts).
//! A digest run claims the due items of an organization (`claim_token`, `claimed_at`), mails
//! them and deletes them; a claim older than the stale limit is taken over by the next run.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_digest_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: String,
    /// `success`, `fail` or `info`: which members' preferences let it through.
    pub kind: String,
    /// The e-mail subject when the digest holds only this item.
    pub subject: String,
    /// HTML; the digest joins the items' messages.
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub created_at: DateTimeUtc,
    /// The digest run that took the item; `None` while it waits.
    pub claim_token: Option<String>,
    pub claimed_at: Option<DateTimeUtc>,
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
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
