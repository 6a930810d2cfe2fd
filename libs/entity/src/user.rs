//! `users`: a person who signs in. Belongs to organizations through memberships.

use sea_orm::entity::prelude::*;

use crate::enums::LoginProvider;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Lower-cased; unique per login provider.
    pub email: String,
    /// argon2id PHC string, or a bcrypt hash imported from Postiz (upgraded at login).
    pub password_hash: Option<String>,
    pub provider_name: LoginProvider,
    pub provider_id: Option<String>,
    pub name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
    pub picture_id: Option<String>,
    pub picture_path: Option<String>,
    /// Offset from UTC in minutes, as the dashboard sends it.
    pub timezone: i32,
    /// Platform operator (not an organization role).
    pub is_super_admin: bool,
    pub activated: bool,
    pub send_success_emails: bool,
    pub send_failure_emails: bool,
    pub send_streak_emails: bool,
    pub last_read_notifications: DateTimeUtc,
    /// Sessions carry this number; changing the password increments it, ending them all.
    pub session_version: i32,
    pub last_online: Option<DateTimeUtc>,
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
