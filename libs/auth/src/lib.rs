//! Accounts and organizations: users, organizations, memberships, JWT sessions, API keys,
//! invitations and role enforcement with casbin.

pub mod authz;
pub mod controller;
pub mod dto;
pub mod extract;
pub mod identity_cache;
pub mod middleware;
pub mod password;
pub mod repository;
pub mod service;
pub mod session;

pub use authz::{Authorizer, Permission};
pub use extract::{AuthContext, AuthUser, OrgContext, Require};

/// Mounts `/auth`, `/user` and `/settings/team`.
pub fn configure(cfg: &mut paperclip::actix::web::ServiceConfig) {
    controller::auth::configure(cfg);
    controller::users::configure(cfg);
    controller::team::configure(cfg);
}
