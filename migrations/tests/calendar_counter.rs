//! The calendar's change counter (`calendar_changes`, kept by triggers) moves for every change
//! the calendar shows and for nothing else, on SQLite and, when TEST_DATABASE_URL is set, on
//! PostgreSQL: with the trigger functions as they are now, after reverting them to those of
//! `m20261207_000060` and after applying them again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use postiz_migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, Statement, TransactionTrait,
};

mod common;

const PLPGSQL_BUMP: &str = "m20261207_000062_calendar_bump_in_plpgsql";

/// Each statement, and the counter's total for organization `o1` after it.
const STEPS: &[(&str, i64)] = &[
    (
        "INSERT INTO organizations (id, name, created_at, updated_at) \
         VALUES ('o1', 'Org', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        0,
    ),
    (
        "INSERT INTO integrations (id, organization_id, internal_id, provider_identifier, name, \
         tokens_sealed, posting_times, additional_settings, created_at, updated_at) \
         VALUES ('i1', 'o1', 'x1', 'mastodon', 'Channel', '', '[]', '[]', \
         CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        1,
    ),
    (
        "INSERT INTO posts (id, organization_id, integration_id, group_id, state, publish_date, \
         content, settings, images, creation_method, created_at, updated_at) \
         VALUES ('p1', 'o1', 'i1', 'g1', 'QUEUE', CURRENT_TIMESTAMP, '<p>hello</p>', '{}', \
         '[]', 'web', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        2,
    ),
    (
        "INSERT INTO tags (id, organization_id, name, color, created_at, updated_at) \
         VALUES ('t1', 'o1', 'News', '#ff0000', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        3,
    ),
    (
        "INSERT INTO post_tags (post_id, tag_id, created_at) VALUES ('p1', 't1', CURRENT_TIMESTAMP)",
        4,
    ),
    // The publisher's claim: nothing the calendar shows.
    (
        "UPDATE posts SET claimed_until = CURRENT_TIMESTAMP WHERE id = 'p1'",
        4,
    ),
    (
        "UPDATE posts SET state = 'PUBLISHED', release_id = 'r1', claimed_until = NULL \
         WHERE id = 'p1'",
        5,
    ),
    ("DELETE FROM post_tags WHERE post_id = 'p1'", 6),
    ("UPDATE tags SET color = '#00ff00' WHERE id = 't1'", 7),
    // A token refresh: nothing the calendar shows.
    (
        "UPDATE integrations SET tokens_sealed = 'refreshed' WHERE id = 'i1'",
        7,
    ),
    (
        "UPDATE integrations SET name = 'Renamed' WHERE id = 'i1'",
        8,
    ),
    ("DELETE FROM posts WHERE id = 'p1'", 9),
];

async fn counter(tx: &DatabaseTransaction) -> i64 {
    let sql = "SELECT CAST(COALESCE(SUM(counter), 0) AS BIGINT) AS n \
               FROM calendar_changes WHERE organization_id = 'o1'";
    tx.query_one_raw(Statement::from_string(tx.get_database_backend(), sql))
        .await
        .expect(sql)
        .expect("a row")
        .try_get("", "n")
        .unwrap()
}

/// Runs [`STEPS`] in a transaction that is rolled back.
async fn counts_every_change(db: &DatabaseConnection, functions: &str) {
    let tx = db.begin().await.unwrap();
    for (sql, expected) in STEPS {
        tx.execute_unprepared(sql).await.expect(sql);
        assert_eq!(counter(&tx).await, *expected, "{functions}: after {sql}");
    }
    tx.rollback().await.unwrap();
}

async fn across_migrations(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("up");
    counts_every_change(db, "current triggers").await;

    let position = Migrator::migrations()
        .iter()
        .position(|m| m.name() == PLPGSQL_BUMP)
        .expect("the trigger rewrite is a migration");
    let steps = u32::try_from(Migrator::migrations().len() - position).unwrap();
    Migrator::down(db, Some(steps))
        .await
        .expect("down to before the rewrite");
    counts_every_change(db, "triggers of m20261207_000060").await;

    Migrator::up(db, None).await.expect("up again");
    counts_every_change(db, "triggers applied again").await;
}

#[tokio::test]
async fn the_calendar_counter_counts_what_the_calendar_shows_on_sqlite() {
    let test = common::sqlite().await;
    across_migrations(&test.db).await;
    test.remove().await;
}

#[tokio::test]
async fn the_calendar_counter_counts_what_the_calendar_shows_on_postgres() {
    let Some(test) = common::postgres().await else {
        return;
    };
    across_migrations(&test.db).await;
    test.remove().await;
}
