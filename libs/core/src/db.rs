//! The database connection: SQLite by default (a file in the data folder), PostgreSQL when
//! `DATABASE_URL` says so.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

use crate::settings::Settings;

/// Opens the pool. SQLite runs in WAL mode with a busy timeout so the HTTP server and the
/// workers share the file safely.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    let url = settings.database_url();
    if settings.is_sqlite() {
        std::fs::create_dir_all(&settings.app.data_dir).map_err(|e| {
            DbErr::Custom(format!(
                "cannot create the data folder {}: {e}",
                settings.app.data_dir.display()
            ))
        })?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(settings.database.max_connections)
        .min_connections(settings.database.min_connections)
        .acquire_timeout(Duration::from_secs(settings.database.acquire_timeout))
        .connect_timeout(Duration::from_secs(settings.database.acquire_timeout))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// Checks that the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

/// A printable location of the database without credentials.
pub fn describe(settings: &Settings) -> String {
    let url = settings.database_url();
    match url::Url::parse(&url) {
        Ok(mut u) if u.scheme().starts_with("postgres") => {
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => url,
    }
}
