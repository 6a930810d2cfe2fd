//! PostgreSQL rewrites every index entry of a row unless no indexed column changes (a HOT
//! update). Publishing writes each post twice, the claim and the outcome; neither may touch a
//! column of an index on `posts`, or each costs seven index insertions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use postiz_migrations::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, Statement, TransactionTrait,
};

mod common;

/// The columns that `claim`, `mark_item_published` and `mark_error`
/// (libs/posts/src/repository/publishing.rs) write.
const CLAIM: &str = "UPDATE posts SET claimed_until = now() + interval '2 minutes' WHERE id = 'p1'";
const OUTCOME: &str = "UPDATE posts SET state = 'PUBLISHED', release_id = 'r1', \
    release_url = 'https://example.com/r1', error = NULL, claimed_until = NULL, \
    pending_data = NULL, updated_at = now() WHERE id = 'p1'";
const FAILURE: &str = "UPDATE posts SET state = 'ERROR', error = 'rejected', \
    claimed_until = NULL, updated_at = now() WHERE id = 'p1'";

#[tokio::test]
async fn claims_and_outcomes_are_hot_updates_on_postgres() {
    let Some(test) = common::postgres().await else {
        return;
    };
    Migrator::up(&test.db, None).await.expect("up");
    for (update, what) in [(CLAIM, "claim"), (OUTCOME, "outcome"), (FAILURE, "failure")] {
        let tx = test.db.begin().await.unwrap();
        // The post alone, without its organization and channel: foreign keys (and the calendar's
        // trigger, which writes another table) are left out for this transaction.
        tx.execute_unprepared("SET LOCAL session_replication_role = replica")
            .await
            .unwrap();
        tx.execute_unprepared(
            "INSERT INTO posts (id, organization_id, integration_id, group_id, state, \
             publish_date, content, settings, images, creation_method, created_at, updated_at) \
             VALUES ('p1', 'o1', 'i1', 'g1', 'QUEUE', now(), '<p>hello</p>', '{}', '[]', \
             'web', now(), now())",
        )
        .await
        .unwrap();
        let before = updates(&tx).await;
        let updated = tx.execute_unprepared(update).await.unwrap();
        assert_eq!(updated.rows_affected(), 1, "{what}");
        let after = updates(&tx).await;
        assert_eq!(
            (after.0 - before.0, after.1 - before.1),
            (1, 1),
            "the {what} update is not HOT"
        );
        tx.rollback().await.unwrap();
    }
    test.remove().await;
}

/// Rows of `posts` this backend updated, and of those HOT, not yet reported to the statistics
/// (they add up across transactions until the backend flushes them, so compare two readings).
async fn updates(tx: &DatabaseTransaction) -> (i64, i64) {
    let row = tx
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT pg_stat_get_xact_tuples_updated('posts'::regclass) AS updated, \
             pg_stat_get_xact_tuples_hot_updated('posts'::regclass) AS hot",
        ))
        .await
        .unwrap()
        .expect("a row");
    (
        row.try_get("", "updated").unwrap(),
        row.try_get("", "hot").unwrap(),
    )
}
