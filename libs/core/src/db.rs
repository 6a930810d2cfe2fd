//! The database connection: SQLite by default (a file in the data folder), PostgreSQL when
//! `DATABASE_URL` says so.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionError, TransactionOptions,
    TransactionTrait,
};

use crate::settings::Settings;

/// Rows SQLite's connection thread may hand over before the reading task takes them. sqlx's
/// default (50) makes a query of a few hundred rows (a calendar week) ping-pong between that
/// thread and the task once the buffer is full, a thread switch per row on a busy server.
const SQLITE_ROW_BUFFER: usize = 1024;

/// Opens the pool. SQLite runs in WAL mode with a busy timeout so the HTTP server and the
/// workers share the file safely; every connection gets the short-step busy handler.
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
    // sqlx checks every connection it hands out with a round trip (a hop to SQLite's connection
    // thread, a message to PostgreSQL): one more per statement. A SQLite connection is a file
    // this process holds open and has nothing to check; a PostgreSQL one is checked only after
    // sitting idle long enough for a server restart, proxy or firewall to have dropped it.
    match settings.database.ping_after_idle {
        _ if settings.is_sqlite() => options.test_before_acquire(false),
        0 => options.test_before_acquire(true),
        seconds => options.test_before_acquire_if_idle_for(Duration::from_secs(seconds)),
    };
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
                .busy_timeout(postiz_sqlite_conn::TIMEOUT)
                .foreign_keys(true)
                .row_buffer_size(SQLITE_ROW_BUFFER)
        })
        .map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_connect(|conn, _| {
                Box::pin(postiz_sqlite_conn::configure(
                    conn,
                    postiz_sqlite_conn::TIMEOUT,
                ))
            })
        });
    Database::connect(options).await
}

/// Begins a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`IMMEDIATE`): a deferred transaction that reads and then writes fails at once with
/// "database is locked" when another connection wrote in between, whereas `BEGIN IMMEDIATE`
/// waits up to the busy timeout. Other databases begin as usual.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let sqlite_transaction_mode = (db.get_database_backend() == DatabaseBackend::Sqlite)
        .then_some(SqliteTransactionMode::Immediate);
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode,
        ..TransactionOptions::default()
    })
    .await
}

/// Runs `callback` in a [`begin_write`] transaction: committed when it succeeds, rolled back
/// when it fails (sea-orm's `transaction`, with the write lock taken up front on SQLite).
pub async fn write_transaction<F, T, E>(
    db: &DatabaseConnection,
    callback: F,
) -> Result<T, TransactionError<E>>
where
    F: for<'c> FnOnce(
            &'c DatabaseTransaction,
        ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'c>>
        + Send,
    T: Send,
    E: std::error::Error + Send,
{
    let tx = begin_write(db)
        .await
        .map_err(TransactionError::Connection)?;
    match callback(&tx).await {
        Ok(value) => {
            tx.commit().await.map_err(TransactionError::Connection)?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rollback failed; the connection discards the transaction");
            }
            Err(TransactionError::Transaction(e))
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn sqlite_file(dir: &std::path::Path) -> DatabaseConnection {
        let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(4)
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(10))
            });
        let db = Database::connect(options).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (v INTEGER)")
            .await
            .unwrap();
        db
    }

    async fn insert(tx: &DatabaseTransaction, v: i32) -> Result<(), DbErr> {
        tx.execute_unprepared(&format!("INSERT INTO t (v) VALUES ({v})"))
            .await
            .map(|_| ())
    }

    async fn read(tx: &DatabaseTransaction) {
        tx.execute_unprepared("SELECT count(*) FROM t")
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_deferred_read_then_write_fails_when_another_connection_wrote_between() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite_file(dir.path()).await;
        let late = db.begin().await.unwrap();
        read(&late).await;
        let other = db.begin().await.unwrap();
        insert(&other, 1).await.unwrap();
        other.commit().await.unwrap();
        let err = insert(&late, 2).await.unwrap_err();
        assert!(err.to_string().contains("locked"), "{err}");
    }

    #[tokio::test]
    async fn write_transactions_wait_for_each_other_instead_of_failing() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite_file(dir.path()).await;
        let first = begin_write(&db).await.unwrap();
        read(&first).await;
        let second = {
            let db = db.clone();
            tokio::spawn(async move {
                // Waits here (busy timeout) until the first one commits.
                let tx = begin_write(&db).await?;
                read(&tx).await;
                insert(&tx, 2).await?;
                tx.commit().await
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        insert(&first, 1).await.unwrap();
        first.commit().await.unwrap();
        second.await.unwrap().unwrap();
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                DatabaseBackend::Sqlite,
                "SELECT v FROM t",
            ))
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
    }

    async fn backend_pid(db: &DatabaseConnection) -> Result<i32, DbErr> {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                DatabaseBackend::Postgres,
                "SELECT pg_backend_pid()",
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("no row".into()))?;
        row.try_get_by_index(0)
    }

    /// The pool's one connection is ended by the server while idle (as a restart or a
    /// firewall would), then a statement runs: checked first, the connection is replaced and the
    /// statement succeeds; handed out unchecked, the statement fails.
    #[tokio::test]
    async fn a_postgres_connection_dropped_while_idle_is_checked_only_once_idle_long_enough() {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("TEST_DATABASE_URL not set: PostgreSQL part skipped");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let admin = Database::connect(url.as_str()).await.unwrap();
        for (ping_after_idle, idle, replaced) in [
            (0, Duration::ZERO, true),
            (1, Duration::from_millis(1200), true),
            (3600, Duration::from_millis(1200), false),
        ] {
            let mut settings = Settings::for_tests(dir.path()).unwrap();
            settings.database.url = url.clone();
            settings.database.max_connections = 1;
            settings.database.ping_after_idle = ping_after_idle;
            let db = connect(&settings).await.unwrap();
            let pid = backend_pid(&db).await.unwrap();
            // sqlx checks a released connection with a round trip in a task of its own before
            // it is idle again: ended before that, it would be replaced whatever the setting.
            let pool = db.get_postgres_connection_pool();
            for _ in 0..500 {
                if pool.num_idle() == 1 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert_eq!(pool.num_idle(), 1, "the connection never went back idle");
            // With a timeout the call returns once the backend has exited, not when signalled.
            let ended = admin
                .query_one_raw(sea_orm::Statement::from_string(
                    DatabaseBackend::Postgres,
                    format!("SELECT pg_terminate_backend({pid}, 10000)"),
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get_by_index::<bool>(0)
                .unwrap();
            assert!(ended, "backend {pid} was not ended");
            tokio::time::sleep(idle).await;
            let after = backend_pid(&db).await;
            if replaced {
                let new_pid =
                    after.unwrap_or_else(|e| panic!("ping_after_idle {ping_after_idle}: {e}"));
                assert_ne!(new_pid, pid);
            } else {
                assert!(
                    after.is_err(),
                    "ping_after_idle {ping_after_idle}: the ended backend {pid} answered: {after:?}"
                );
            }
            db.close().await.unwrap();
        }
    }
}
