//! Black-box tests: each starts the application on port 0 with its own database and talks to it
//! over HTTP. They run on SQLite, and on PostgreSQL and Redis when TEST_DATABASE_URL and
//! TEST_REDIS_URL are set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod helpers;
mod input;
mod sessions;
mod system;
mod team;
mod users;
