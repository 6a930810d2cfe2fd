//! The public API, `/public/v1`: what Postiz's SDK (`@postiz/node`), its CLI (`postiz`) and
//! scripts call with the organization's API key, over the modules' services.
//!
//! # Authentication
//!
//! [`ApiKeyOrg`] reads the key from `Authorization` (raw, as the SDK and CLI send it, or
//! `Bearer <key>`) and finds the organization by the key's keyed hash. A missing or unknown key
//! is 401 `{msg}`. The key acts for the organization with its owner's rights.
//!
//! # Routes (Postiz paths, bodies and status codes)
//!
//! | route | answer |
//! |---|---|
//! | `GET /public/v1/is-connected` | 200 `{connected: true}` |
//! | `GET /public/v1/integrations?group=` | 200 `[{id, name, identifier, picture, disabled, profile, customer?}]` |
//! | `DELETE /public/v1/integrations/:id` | 200 the deleted channel (its posts deleted) |
//! | `GET /public/v1/groups` | 200 `[{id, name}]` |
//! | `GET /public/v1/social/:integration?refresh=` | 200 `{url}`; 400 provider not allowed |
//! | `GET /public/v1/integration-settings/:id` | 200 `{output: {rules, maxLength, settings, tools}}` |
//! | `POST /public/v1/integration-trigger/:id` `{methodName, data}` | 404 `Tool not found` (no provider tools in this build) |
//! | `GET /public/v1/find-slot/:id` | 200 `{date}` |
//! | `GET /public/v1/posts?startDate&endDate&customer` | 200 `{posts: [...]}` |
//! | `POST /public/v1/posts` (`CreatePostDto` + `creationMethod`) | 201 `[{postId, integration}]`; 400; 409/422 (`Idempotency-Key`); 429 (`API_LIMIT`) |
//! | `GET /public/v1/posts/:id` | 200 `{group, posts, integration, integrationPicture, settings, tags}` |
//! | `PUT /public/v1/posts/:id` `{date?, content?, value?, settings?, tags?}` | 200 the post; 400 published or due |
//! | `DELETE /public/v1/posts/:id` | 200 `{error: true}` (Postiz's literal answer) |
//! | `DELETE /public/v1/posts/group/:group` | 200 `{error: true}` |
//! | `PUT /public/v1/posts/:id/settings` `{settings}` | 200 `{postId, publishDate}` |
//! | `PUT /public/v1/posts/:id/status` `{status}` | 200 `{id, state}` |
//! | `GET /public/v1/posts/:id/missing` | 200 `[]` |
//! | `PUT /public/v1/posts/:id/release-id` `{releaseId}` | 400 (no post is ever `missing` in this build) |
//! | `POST /public/v1/upload` (multipart `file`) | 201 the library entry |
//! | `POST /public/v1/upload-from-url` `{url}` | 201 the library entry; 400 refused URL |
//! | `GET /public/v1/media?page&search` | 200 `{pages, results}` |
//! | `GET /public/v1/notifications?page=` | 200 `{notifications, total, page, limit, hasMore}` |
//! | `GET /public/v1/analytics/:integration?date=` | 200 `[series]` (`[]` when the provider has no analytics) |
//! | `GET /public/v1/analytics/post/:postId?date=` | 200 `[]` or `{missing: true}` |
//!
//! Ids of another organization are 404; invalid input is 400 with nothing written. Errors carry
//! Postiz's `msg` beside `message`. Not served: `GET /public/v1/users` (platform super-admin
//! impersonation search) and the AI video routes (`/public/v1/generate-video`,
//! `/public/v1/video/function`): this build has no video generators.
//!
//! # Creating posts: rate limit and idempotency
//!
//! `POST /public/v1/posts` counts `API_LIMIT` requests per organization per hour in the cache
//! (Redis when configured), as Postiz's throttler does, and honours `Idempotency-Key`
//! ([`service::idempotency`]): replays are not counted.

pub mod auth;
pub mod controller;
pub mod dto;
pub mod error;
pub mod service;

pub use auth::ApiKeyOrg;
pub use error::ApiError;
pub use service::PublicApi;

/// Mounts `/public/v1`. Needs [`PublicApi`], the modules' services and `AuthContext` as app
/// data; `posts_json_limit` is the body size allowed when creating or editing posts.
pub fn configure(cfg: &mut paperclip::actix::web::ServiceConfig, posts_json_limit: usize) {
    controller::posts::configure(cfg, posts_json_limit);
    controller::channels::configure(cfg);
    controller::media::configure(cfg);
    controller::activity::configure(cfg);
}
