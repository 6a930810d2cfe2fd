//! Request and response bodies in Postiz's JSON shape.

pub mod content;
pub mod posts;
