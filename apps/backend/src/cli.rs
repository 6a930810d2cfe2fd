//! The command line: `postiz serve | worker | migrate`.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "postiz",
    version,
    about = "A Rust implementation of the Postiz backend: schedule and publish social media posts.",
    long_about = "A Rust implementation of the Postiz backend.\n\n\
        With no configuration at all it serves on port 3000 with a SQLite file under ./data, \
        in-memory cache and in-process workers. Configure it with config/default.toml, an \
        optional config/local.toml (or POSTIZ_CONFIG), and Postiz's environment variables \
        (DATABASE_URL, REDIS_URL, JWT_SECRET, FRONTEND_URL, ...); a .env file in the working \
        directory is read too."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Serve the HTTP API and run the background workers in the same process (the default).
    Serve,
    /// Run only the background workers (publishing, retries, sweeps). Any number of worker
    /// processes may share one PostgreSQL database.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Write the OpenAPI 3 specification of every route to a file (or stdout with `-`).
    Openapi {
        /// Where to write the JSON specification.
        #[arg(long, short, default_value = "openapi.json")]
        output: String,
    },
}
