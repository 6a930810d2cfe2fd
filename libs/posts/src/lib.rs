//! Posts: thread items, tags, sets, signatures, review comments, preview, scheduling and the
//! publishing worker.

pub mod controller;
pub mod dto;
pub mod error;
pub mod ports;
pub mod publisher;
pub mod repository;
pub mod service;

pub use error::PostsError;

/// Mounts `/posts`, `/sets`, `/signatures` and the public preview routes. Routes with fixed
/// paths (`/posts/tags`) come before `/posts/{id}`.
pub fn configure(cfg: &mut paperclip::actix::web::ServiceConfig, posts_json_limit: usize) {
    controller::tags::configure(cfg);
    controller::sets::configure(cfg);
    controller::signatures::configure(cfg);
    controller::posts::configure(cfg, posts_json_limit);
    controller::public::configure(cfg);
}
