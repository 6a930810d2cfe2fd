//! A change counter per organization for everything its calendar shows: posts, channels,
//! tags and the tags on posts. Triggers bump it in the transaction that makes the change, so it
//! holds whichever process writes (`postiz serve`, `postiz worker`, a second server, a manual
//! fix in SQL), and a process can serve a calendar answer it built earlier as long as the
//! counter has not moved.
//!
//! Updates bump it only when a column the calendar shows or filters on changes: the
//! publisher's claims, renewals and pending data leave it alone. On PostgreSQL each server
//! process bumps its own row of the organization (`pg_backend_pid() % SHARDS`), so concurrent
//! publications do not queue on one row lock; readers add the rows up. SQLite serializes
//! writers anyway and uses one row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, integer, string_len};

#[derive(DeriveIden)]
enum CalendarChanges {
    Table,
    OrganizationId,
    Shard,
    Counter,
}

/// Rows per organization on PostgreSQL.
pub(crate) const SHARDS: u32 = 32;

/// Post columns the calendar shows or selects by.
const POST_COLUMNS: &[&str] = &[
    "organization_id",
    "integration_id",
    "group_id",
    "parent_post_id",
    "state",
    "publish_date",
    "content",
    "interval_in_days",
    "repeat_timezone",
    "creation_method",
    "release_id",
    "release_url",
    "deleted_at",
];

/// Channel columns the calendar shows or selects by (not the tokens a refresh rewrites).
const CHANNEL_COLUMNS: &[&str] = &[
    "organization_id",
    "provider_identifier",
    "name",
    "picture",
    "disabled",
    "in_between_steps",
    "refresh_needed",
    "customer_id",
    "deleted_at",
];

/// A table whose changes bump the counter.
struct Watched {
    table: &'static str,
    /// Columns whose change counts on update; `None`: every update counts.
    columns: Option<&'static [&'static str]>,
    /// The row carries `organization_id`; otherwise (`post_tags`) it is the post's.
    has_organization: bool,
}

const WATCHED: &[Watched] = &[
    Watched {
        table: "posts",
        columns: Some(POST_COLUMNS),
        has_organization: true,
    },
    Watched {
        table: "integrations",
        columns: Some(CHANNEL_COLUMNS),
        has_organization: true,
    },
    Watched {
        table: "tags",
        columns: None,
        has_organization: true,
    },
    Watched {
        table: "post_tags",
        columns: None,
        has_organization: false,
    },
];

const EVENTS: [(&str, &str); 3] = [("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CalendarChanges::Table)
                    .if_not_exists()
                    .col(string_len(CalendarChanges::OrganizationId, 36))
                    .col(integer(CalendarChanges::Shard))
                    .col(big_integer(CalendarChanges::Counter))
                    .primary_key(
                        Index::create()
                            .col(CalendarChanges::OrganizationId)
                            .col(CalendarChanges::Shard),
                    )
                    .to_owned(),
            )
            .await?;
        let statements = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => postgres_triggers(),
            _ => sqlite_triggers(),
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
        let db = manager.get_connection();
        for watched in WATCHED {
            for (event, _) in EVENTS {
                let name = trigger_name(watched.table, event);
                let on = if postgres {
                    format!(" ON {}", watched.table)
                } else {
                    String::new()
                };
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}{on}"))
                    .await?;
            }
        }
        if postgres {
            for function in [
                "calendar_changed()",
                "calendar_tag_changed()",
                "calendar_bump(text)",
            ] {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}"))
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(CalendarChanges::Table).to_owned())
            .await
    }
}

fn trigger_name(table: &str, event: &str) -> String {
    format!("calendar_{table}_{event}")
}

/// The update condition: one of `columns` changed (`distinct` is `IS NOT` on SQLite and
/// `IS DISTINCT FROM` on PostgreSQL, both true when exactly one side is NULL).
fn changed(columns: &[&str], distinct: &str) -> String {
    columns
        .iter()
        .map(|c| format!("OLD.{c} {distinct} NEW.{c}"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

fn sqlite_triggers() -> Vec<String> {
    let mut out = Vec::new();
    for watched in WATCHED {
        for (event, row) in EVENTS {
            let organization = if watched.has_organization {
                format!("{row}.organization_id")
            } else {
                format!("(SELECT organization_id FROM posts WHERE id = {row}.post_id)")
            };
            let when = match (event, watched.columns) {
                ("update", Some(columns)) => format!(" WHEN {}", changed(columns, "IS NOT")),
                _ => String::new(),
            };
            // `WHERE ... IS NOT NULL`: a tag on a post already gone bumps nothing (the post's
            // own deletion did). An upsert's SELECT needs a WHERE clause in any case.
            out.push(format!(
                "CREATE TRIGGER IF NOT EXISTS {name} AFTER {EVENT} ON {table} FOR EACH ROW{when} \
                 BEGIN \
                 INSERT INTO calendar_changes (organization_id, shard, counter) \
                 SELECT {organization}, 0, 1 WHERE {organization} IS NOT NULL \
                 ON CONFLICT (organization_id, shard) \
                 DO UPDATE SET counter = calendar_changes.counter + 1; \
                 END",
                name = trigger_name(watched.table, event),
                EVENT = event.to_uppercase(),
                table = watched.table,
            ));
        }
    }
    out
}

/// The trigger functions as this migration created them (`m20261207_000062` replaced them;
/// its `down` puts these back).
pub(crate) fn postgres_functions() -> Vec<String> {
    vec![
        format!(
            "CREATE OR REPLACE FUNCTION calendar_bump(organization text) RETURNS void \
             LANGUAGE sql AS $$ \
             INSERT INTO calendar_changes (organization_id, shard, counter) \
             VALUES (organization, pg_backend_pid() % {SHARDS}, 1) \
             ON CONFLICT (organization_id, shard) \
             DO UPDATE SET counter = calendar_changes.counter + 1 $$"
        ),
        "CREATE OR REPLACE FUNCTION calendar_changed() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN \
         IF TG_OP = 'DELETE' THEN PERFORM calendar_bump(OLD.organization_id); \
         ELSE PERFORM calendar_bump(NEW.organization_id); END IF; \
         RETURN NULL; \
         END $$"
            .to_string(),
        "CREATE OR REPLACE FUNCTION calendar_tag_changed() RETURNS trigger LANGUAGE plpgsql AS $$ \
         DECLARE changed_post text; \
         BEGIN \
         IF TG_OP = 'DELETE' THEN changed_post := OLD.post_id; \
         ELSE changed_post := NEW.post_id; END IF; \
         PERFORM calendar_bump(p.organization_id) FROM posts p WHERE p.id = changed_post; \
         RETURN NULL; \
         END $$"
            .to_string(),
    ]
}

fn postgres_triggers() -> Vec<String> {
    let mut out = postgres_functions();
    for watched in WATCHED {
        let function = if watched.has_organization {
            "calendar_changed"
        } else {
            "calendar_tag_changed"
        };
        for (event, _) in EVENTS {
            let when = match (event, watched.columns) {
                ("update", Some(columns)) => {
                    format!(" WHEN ({})", changed(columns, "IS DISTINCT FROM"))
                }
                _ => String::new(),
            };
            out.push(format!(
                "CREATE TRIGGER {name} AFTER {EVENT} ON {table} FOR EACH ROW{when} \
                 EXECUTE PROCEDURE {function}()",
                name = trigger_name(watched.table, event),
                EVENT = event.to_uppercase(),
                table = watched.table,
            ));
        }
    }
    out
}
