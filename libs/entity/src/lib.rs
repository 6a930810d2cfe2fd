//! sea-orm entities, one file per table. Behaviour lives in the modules' repositories.

pub mod enums;
pub mod invitation;
pub mod membership;
pub mod organization;
pub mod user;

pub use enums::{LoginProvider, Role, ShortLinkPreference};
