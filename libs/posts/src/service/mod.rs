//! Business rules of the posts module.

pub mod calendar_cache;
pub mod calendar_entry;
pub mod comments;
pub mod posts;
pub mod sets;
pub mod signatures;
pub mod tags;
pub mod time;
pub mod validation;
