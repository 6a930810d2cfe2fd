//! sea-orm entities, one file per table. Behaviour lives in the modules' repositories.

pub mod calendar_change;
pub mod customer;
pub mod enums;
pub mod integration;
pub mod invitation;
pub mod media;
pub mod membership;
pub mod notification;
pub mod notification_digest_item;
pub mod organization;
pub mod post;
pub mod post_comment;
pub mod post_tag;
pub mod set;
pub mod signature;
pub mod tag;
pub mod user;
pub mod webhook;
pub mod webhook_delivery;
pub mod webhook_integration;

pub use enums::{LoginProvider, Role, ShortLinkPreference};
