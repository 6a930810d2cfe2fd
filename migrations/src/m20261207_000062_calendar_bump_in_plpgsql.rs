//! The calendar's change counter bumped by the trigger functions themselves (PostgreSQL only).
//!
//! `m20261207_000060` had the triggers call `calendar_bump(text)`, a function in `LANGUAGE
//! sql`. PostgreSQL parses and plans such a function again on every call that it cannot
//! inline, and a call from PL/pgSQL is never inlined: every post written paid a parse and a
//! plan of the upsert. PL/pgSQL keeps the plans of its own statements for the session, so the
//! upsert now sits in the trigger functions and `calendar_bump` is gone. Measured with pgbench
//! (10,000 posts, 8 clients, the outcome update of a publication, commits waiting for the
//! disk): 6,700-6,760 updates/s before, 8,430-9,130 after, 10,550-11,000 with no trigger at
//! all; a `calendar_bump` rewritten in PL/pgSQL and still called gave 7,530-8,240.
//! SQLite's triggers are SQL of their own and stay as they are.

use sea_orm_migration::prelude::*;

use super::m20261207_000060_calendar_changes::{SHARDS, postgres_functions};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The upsert of the counter row of `organization` (an expression) owned by this server
/// process.
fn bump(organization: &str) -> String {
    format!(
        "INSERT INTO calendar_changes (organization_id, shard, counter) \
         VALUES ({organization}, pg_backend_pid() % {SHARDS}, 1) \
         ON CONFLICT (organization_id, shard) \
         DO UPDATE SET counter = calendar_changes.counter + 1;"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let statements = [
            // The triggers keep their functions (by identity), so replacing the bodies is all.
            format!(
                "CREATE OR REPLACE FUNCTION calendar_changed() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ \
                 DECLARE changed_organization text; \
                 BEGIN \
                 IF TG_OP = 'DELETE' THEN changed_organization := OLD.organization_id; \
                 ELSE changed_organization := NEW.organization_id; END IF; \
                 {} \
                 RETURN NULL; \
                 END $$",
                bump("changed_organization")
            ),
            // A tag on a post already gone bumps nothing: the post's own deletion did.
            format!(
                "CREATE OR REPLACE FUNCTION calendar_tag_changed() RETURNS trigger \
                 LANGUAGE plpgsql AS $$ \
                 DECLARE changed_organization text; \
                 BEGIN \
                 IF TG_OP = 'DELETE' THEN \
                 SELECT organization_id INTO changed_organization FROM posts WHERE id = OLD.post_id; \
                 ELSE \
                 SELECT organization_id INTO changed_organization FROM posts WHERE id = NEW.post_id; \
                 END IF; \
                 IF changed_organization IS NOT NULL THEN {} END IF; \
                 RETURN NULL; \
                 END $$",
                bump("changed_organization")
            ),
            "DROP FUNCTION IF EXISTS calendar_bump(text)".to_string(),
        ];
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for sql in postgres_functions() {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}
