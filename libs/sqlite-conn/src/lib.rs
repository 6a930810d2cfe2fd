//! The set-up of every SQLite connection of the workspace (its audited FFI calls).
//!
//! **The busy handler.** sqlx installs SQLite's default handler (`sqlite3_busy_timeout`), which
//! sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 and then 100 ms between tries. Our write
//! transactions hold the write lock for well under a millisecond, so a writer that finds it
//! taken sleeps far longer than it waits: during a publishing burst on 2 cores that was about
//! one sleep per post (strace: 2,627 sleeps averaging 3.4 ms in 4 s) while the CPU was a third
//! idle. This handler tries again after 50 µs, doubling up to 500 µs, and gives up after the
//! same total timeout.
//!
//! **Stable plans** (`SQLITE_DBCONFIG_ENABLE_QPSG`). SQLite 3.51 reads the value bound to a
//! `LIMIT ?` while it plans, and marks the statement to be planned again whenever that
//! parameter is bound anew, whatever the value: every `LIMIT ?` statement (each sea-orm
//! `.one()`, apalis' fetch) was parsed and planned again on every run, despite sqlx's cache of
//! prepared statements. With the query planner stability guarantee a plan never depends on
//! bound values, so a prepared statement is planned once. It costs nothing we use: plans that
//! peek at bound values need `sqlite_stat4` samples (never gathered here), a bound `LIKE`
//! pattern, or a partial index matched against a parameter (apalis' partial indexes are matched
//! by literals). Measured on the calendar bench, alternating runs: 11,700-13,000 -> 13,700-15,600
//! requests/s for a kept answer, 910-1,310 -> 1,180-1,520 for one built afresh.

use std::ffi::{c_int, c_void};
use std::time::Duration;

use sea_orm::sqlx;
use sea_orm::sqlx::sqlite::SqliteConnection;

/// How long a statement waits for another connection's lock before "database is locked":
/// the timeout every pool of the workspace passes to [`install`] (and to sqlx's own handler,
/// which `install` then replaces).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The first wait after finding the lock taken.
const FIRST_STEP_MICROS: u64 = 50;
/// Doublings before the step stops growing (50 µs << 4 would be 800 µs: capped).
const DOUBLINGS: u64 = 4;
/// The longest wait between two tries.
const LONGEST_STEP_MICROS: u64 = 500;

/// Sets up a new connection: the short-step busy handler (SQLite answers "database is locked"
/// once a lock could not be had for `timeout`) and stable query plans.
pub async fn configure(conn: &mut SqliteConnection, timeout: Duration) -> Result<(), sqlx::Error> {
    install_busy_handler(conn, timeout).await?;
    enable_stable_plans(conn).await
}

/// Turns on the query planner stability guarantee (see the crate documentation).
pub async fn enable_stable_plans(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    let mut now_on: c_int = 0;
    // SAFETY: `db` is an open connection whose handle is locked for this call. ENABLE_QPSG
    // takes an int (1: on) and a pointer to an int the current setting is written to, which
    // points to a local that outlives the call.
    #[allow(unsafe_code)]
    let code = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            &raw mut now_on,
        )
    };
    if code == libsqlite3_sys::SQLITE_OK && now_on == 1 {
        Ok(())
    } else {
        Err(sqlx::Error::Configuration(
            format!("SQLITE_DBCONFIG_ENABLE_QPSG returned {code} (setting {now_on})").into(),
        ))
    }
}

/// Replaces the connection's busy handler; SQLite answers "database is locked" once a lock
/// could not be had for `timeout`.
pub async fn install_busy_handler(
    conn: &mut SqliteConnection,
    timeout: Duration,
) -> Result<(), sqlx::Error> {
    let timeout_micros = usize::try_from(timeout.as_micros()).unwrap_or(usize::MAX);
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is an open connection whose handle is locked for this call, so no other
    // thread uses it meanwhile. The handler is a plain function that reads no memory through
    // its argument: the argument is the timeout itself, carried as a pointer-sized number.
    #[allow(unsafe_code)]
    let code = unsafe {
        libsqlite3_sys::sqlite3_busy_handler(
            db,
            Some(retry),
            std::ptr::without_provenance_mut::<c_void>(timeout_micros),
        )
    };
    if code == libsqlite3_sys::SQLITE_OK {
        Ok(())
    } else {
        Err(sqlx::Error::Configuration(
            format!("sqlite3_busy_handler returned {code}").into(),
        ))
    }
}

/// SQLite's callback: `tries` is how often it was called for this lock; a non-zero answer
/// means "try again", zero means "give up" (the statement fails with SQLITE_BUSY).
extern "C" fn retry(timeout_micros: *mut c_void, tries: c_int) -> c_int {
    let tries = u64::try_from(tries).unwrap_or(0);
    let limit = u64::try_from(timeout_micros.addr()).unwrap_or(u64::MAX);
    if waited_micros(tries) >= limit {
        return 0;
    }
    std::thread::sleep(Duration::from_micros(step_micros(tries)));
    1
}

/// The wait before try `tries + 1`.
fn step_micros(tries: u64) -> u64 {
    (FIRST_STEP_MICROS << tries.min(DOUBLINGS)).min(LONGEST_STEP_MICROS)
}

/// The time slept before the call numbered `tries` (0 for the first).
fn waited_micros(tries: u64) -> u64 {
    let growing = tries.min(DOUBLINGS);
    let during_growth: u64 = (0..growing).map(step_micros).sum();
    during_growth.saturating_add((tries - growing).saturating_mul(LONGEST_STEP_MICROS))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
    use sea_orm::sqlx::{Connection, Executor};

    use super::*;

    async fn open(path: &std::path::Path, timeout: Duration) -> SqliteConnection {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .unwrap()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // What sqlx installs first; `install` must replace it.
            .busy_timeout(Duration::from_secs(60));
        let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
        install_busy_handler(&mut conn, timeout).await.unwrap();
        conn
    }

    #[test]
    fn steps_grow_to_the_cap_and_the_waits_add_up() {
        let steps: Vec<u64> = (0..6).map(step_micros).collect();
        assert_eq!(steps, [50, 100, 200, 400, 500, 500]);
        assert_eq!(waited_micros(0), 0);
        assert_eq!(waited_micros(1), 50);
        assert_eq!(waited_micros(4), 750);
        assert_eq!(waited_micros(6), 1_750);
        assert_eq!(waited_micros(u64::MAX), u64::MAX);
    }

    #[tokio::test]
    async fn a_writer_waits_for_the_lock_and_then_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("busy.db");
        let mut first = open(&path, Duration::from_secs(10)).await;
        first.execute("CREATE TABLE t (v INTEGER)").await.unwrap();
        let mut second = open(&path, Duration::from_secs(10)).await;

        first.execute("BEGIN IMMEDIATE").await.unwrap();
        first.execute("INSERT INTO t VALUES (1)").await.unwrap();
        let waiting =
            tokio::spawn(
                async move { second.execute("INSERT INTO t VALUES (2)").await.map(|_| ()) },
            );
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiting.is_finished(),
            "the second writer must wait for the lock"
        );
        first.execute("COMMIT").await.unwrap();
        waiting.await.unwrap().unwrap();

        let rows: Vec<(i64,)> = sqlx::query_as("SELECT v FROM t ORDER BY v")
            .fetch_all(&mut first)
            .await
            .unwrap();
        assert_eq!(rows, [(1,), (2,)]);
    }

    #[tokio::test]
    async fn a_writer_gives_up_after_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("busy.db");
        let mut first = open(&path, Duration::from_secs(10)).await;
        first.execute("CREATE TABLE t (v INTEGER)").await.unwrap();
        // Shorter than sqlx's 60 s handler it replaces: the test ends only if ours is in place.
        let mut second = open(&path, Duration::from_millis(100)).await;

        first.execute("BEGIN IMMEDIATE").await.unwrap();
        let err = tokio::time::timeout(
            Duration::from_secs(5),
            second.execute("INSERT INTO t VALUES (2)"),
        )
        .await
        .expect("sqlx's 60 s handler is still in place")
        .unwrap_err();
        assert!(err.to_string().contains("locked"), "{err}");
        first.execute("ROLLBACK").await.unwrap();
        second.execute("INSERT INTO t VALUES (3)").await.unwrap();
    }

    /// Runs `SELECT v FROM t LIMIT ?` five times with another bound value each time and
    /// returns how often SQLite planned it again (`SQLITE_STMTSTATUS_REPREPARE`).
    async fn replans_of_a_bound_limit(conn: &mut SqliteConnection) -> c_int {
        use libsqlite3_sys as ffi;
        let mut handle = conn.lock_handle().await.unwrap();
        let db = handle.as_raw_handle().as_ptr();
        let sql = c"SELECT v FROM t LIMIT ?1";
        let mut stmt: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
        // SAFETY: the handle is locked; the statement is finalized before it goes out of scope.
        #[allow(unsafe_code)]
        unsafe {
            assert_eq!(
                ffi::sqlite3_prepare_v3(
                    db,
                    sql.as_ptr(),
                    -1,
                    ffi::SQLITE_PREPARE_PERSISTENT,
                    &raw mut stmt,
                    std::ptr::null_mut(),
                ),
                ffi::SQLITE_OK
            );
            for limit in 1..=5 {
                assert_eq!(ffi::sqlite3_bind_int(stmt, 1, limit), ffi::SQLITE_OK);
                while ffi::sqlite3_step(stmt) == ffi::SQLITE_ROW {}
                ffi::sqlite3_reset(stmt);
            }
            let replans = ffi::sqlite3_stmt_status(stmt, ffi::SQLITE_STMTSTATUS_REPREPARE, 0);
            ffi::sqlite3_finalize(stmt);
            replans
        }
    }

    #[tokio::test]
    async fn a_bound_limit_is_planned_once_with_stable_plans_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plans.db");
        let mut plain = open(&path, Duration::from_secs(10)).await;
        plain
            .execute("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2), (3)")
            .await
            .unwrap();
        // Without the guarantee SQLite plans it again after every new binding.
        assert!(replans_of_a_bound_limit(&mut plain).await >= 4);

        let mut stable = open(&path, Duration::from_secs(10)).await;
        enable_stable_plans(&mut stable).await.unwrap();
        assert_eq!(replans_of_a_bound_limit(&mut stable).await, 0);
        // The answers do not change: the limit still applies.
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT v FROM t ORDER BY v LIMIT ?1")
            .bind(2)
            .fetch_all(&mut stable)
            .await
            .unwrap();
        assert_eq!(rows, [(1,), (2,)]);
    }
}
