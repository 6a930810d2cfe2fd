//! Black-box tests: each starts the application on port 0 with its own database and talks to it
//! over HTTP. They run on SQLite, and on PostgreSQL and Redis when TEST_DATABASE_URL and
//! TEST_REDIS_URL are set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod calendar;
mod channel_tokens;
mod channels;
mod dashboard;
mod helpers;
mod input;
mod media;
mod notifications;
mod public_api;
mod public_api_channels;
mod public_api_rules;
mod publishing;
mod sessions;
mod sets;
mod signatures;
mod system;
mod tags;
mod team;
mod users;
mod webhooks;
