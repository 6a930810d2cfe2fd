//! HTTP handlers of `/public/v1`.

pub mod activity;
pub mod channels;
pub mod media;
pub mod posts;
