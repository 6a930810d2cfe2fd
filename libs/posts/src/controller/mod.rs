//! HTTP handlers of the posts module.

pub mod posts;
pub mod public;
pub mod sets;
pub mod signatures;
pub mod tags;
