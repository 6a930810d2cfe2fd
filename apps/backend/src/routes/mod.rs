//! Routes that belong to the process rather than a module.

pub mod docs;
pub mod system;
