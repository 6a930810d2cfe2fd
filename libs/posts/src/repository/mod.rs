//! Queries of the posts module; every function takes `&impl ConnectionTrait`.

pub mod calendar_changes;
pub mod calendar_rows;
pub mod comments;
pub mod posts;
pub mod publishing;
pub mod sets;
pub mod signatures;
pub mod tags;
