//! Every migration's `down` is exercised: all of them are reverted and applied again, on SQLite
//! and, when TEST_DATABASE_URL is set, on a fresh PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use postiz_migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

mod common;

const INDEX_SWAP: &str = "m20261207_000061_index_posts_publish_date";

/// Names of the user tables, sorted.
async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY 1"
        }
    };
    names(db, sql).await
}

/// Names of the indexes on `posts`, sorted.
async fn post_indexes(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'posts' ORDER BY 1"
        }
        _ => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'posts' \
             AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
    };
    names(db, sql).await
}

async fn names(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect(sql)
        .iter()
        .map(|row| row.try_get::<String>("", "name").expect("name"))
        .collect()
}

fn has(names: &[String], name: &str) -> bool {
    names.iter().any(|n| n == name)
}

async fn round_trip(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("up");
    let migrated = tables(db).await;
    for table in ["posts", "organizations", "calendar_changes", "webhooks"] {
        assert!(has(&migrated, table), "{table} in {migrated:?}");
    }
    let indexes = post_indexes(db).await;
    assert!(has(&indexes, "ix_posts_publish_date"), "{indexes:?}");
    // `state` in an index would keep outcome updates from being HOT on PostgreSQL.
    assert!(!has(&indexes, "ix_posts_state_date"), "{indexes:?}");

    // Back to before the index swap, whatever was added after it.
    let position = Migrator::migrations()
        .iter()
        .position(|m| m.name() == INDEX_SWAP)
        .expect("the index swap is a migration");
    let steps = u32::try_from(Migrator::migrations().len() - position).unwrap();
    Migrator::down(db, Some(steps))
        .await
        .expect("down to before the swap");
    let swapped_back = post_indexes(db).await;
    assert!(
        has(&swapped_back, "ix_posts_state_date"),
        "{swapped_back:?}"
    );
    assert!(
        !has(&swapped_back, "ix_posts_publish_date"),
        "{swapped_back:?}"
    );

    Migrator::down(db, None).await.expect("down all");
    assert_eq!(tables(db).await, vec!["seaql_migrations".to_string()]);

    Migrator::up(db, None).await.expect("up again");
    assert_eq!(tables(db).await, migrated);
    assert_eq!(post_indexes(db).await, indexes);
    let pending = Migrator::get_pending_migrations(db).await.expect("status");
    assert!(pending.is_empty(), "{} pending", pending.len());
}

#[tokio::test]
async fn every_migration_reverts_and_applies_again_on_sqlite() {
    let test = common::sqlite().await;
    round_trip(&test.db).await;
    test.remove().await;
}

#[tokio::test]
async fn every_migration_reverts_and_applies_again_on_postgres() {
    let Some(test) = common::postgres().await else {
        return;
    };
    round_trip(&test.db).await;
    test.remove().await;
}
