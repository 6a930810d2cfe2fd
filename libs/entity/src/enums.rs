//! Enumerations stored as strings, with Postiz's spelling.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A member's role in an organization.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    /// The owner: created the organization.
    #[sea_orm(string_value = "SUPERADMIN")]
    #[serde(rename = "SUPERADMIN")]
    SuperAdmin,
    #[sea_orm(string_value = "ADMIN")]
    #[serde(rename = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "USER")]
    #[serde(rename = "USER")]
    User,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "SUPERADMIN",
            Role::Admin => "ADMIN",
            Role::User => "USER",
        }
    }

    /// Rank for "cannot act on a higher role" checks.
    pub fn level(self) -> u8 {
        match self {
            Role::User => 0,
            Role::Admin => 1,
            Role::SuperAdmin => 2,
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        match value {
            "SUPERADMIN" => Some(Role::SuperAdmin),
            "ADMIN" => Some(Role::Admin),
            "USER" => Some(Role::User),
            _ => None,
        }
    }
}

/// How a user signs in (Postiz `Provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum LoginProvider {
    #[sea_orm(string_value = "LOCAL")]
    #[serde(rename = "LOCAL")]
    Local,
    #[sea_orm(string_value = "GITHUB")]
    #[serde(rename = "GITHUB")]
    Github,
    #[sea_orm(string_value = "GOOGLE")]
    #[serde(rename = "GOOGLE")]
    Google,
    #[sea_orm(string_value = "APPLE")]
    #[serde(rename = "APPLE")]
    Apple,
    #[sea_orm(string_value = "GENERIC")]
    #[serde(rename = "GENERIC")]
    Generic,
}

/// Whether links in posts are shortened (Postiz `ShortLinkPreference`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum ShortLinkPreference {
    #[sea_orm(string_value = "ASK")]
    #[serde(rename = "ASK")]
    Ask,
    #[sea_orm(string_value = "YES")]
    #[serde(rename = "YES")]
    Yes,
    #[sea_orm(string_value = "NO")]
    #[serde(rename = "NO")]
    No,
}
