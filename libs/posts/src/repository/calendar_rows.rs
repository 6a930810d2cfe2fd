//! The calendar's posts with their tags.
//!
//! On SQLite the week's posts are one JSON value SQLite aggregates. Read as rows, sqlx copied
//! every value with its own allocation and sea-orm looked each column up by name: most of what
//! an uncached calendar request cost (uncached calendar 1,240-1,330 -> 1,590-1,730 requests/s
//! in the bench). Their tags are a second, narrow query: folded into the same statement (a
//! subquery per post, or the week materialized once for both) the bench measured 4-6 % fewer
//! requests/s, the statement saved costing less than the extra copying inside SQLite.
//!
//! PostgreSQL reads rows, each with its tags as a JSON column from one probe of `post_tags`'
//! key: one statement and one round trip instead of two (uncached calendar +16-22 %). Its
//! binary rows are cheap to decode, and the whole week as JSON moved more work into the
//! server, which shares the cores (about 10 % fewer requests/s measured with `json_agg`).

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use postiz_entity::{post, post_tag, tag};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr, EntityName, FromQueryResult, IdenStatic, Statement,
};
use serde::Deserialize;

use super::posts::{PostSummaryRow, calendar_statement};

/// The columns of [`PostSummaryRow`], in the order of its fields: the aggregate's arrays list
/// them so, and serde reads a struct from an array field by field.
const COLUMNS: [post::Column; 11] = [
    post::Column::Id,
    post::Column::IntegrationId,
    post::Column::GroupId,
    post::Column::State,
    post::Column::PublishDate,
    post::Column::Content,
    post::Column::IntervalInDays,
    post::Column::RepeatTimezone,
    post::Column::CreationMethod,
    post::Column::ReleaseId,
    post::Column::ReleaseUrl,
];

/// The columns of [`TagFields`], in the order of its fields: a live tag but its `deleted_at`.
pub(super) const TAG_COLUMNS: [tag::Column; 6] = [
    tag::Column::Id,
    tag::Column::OrganizationId,
    tag::Column::Name,
    tag::Column::Color,
    tag::Column::CreatedAt,
    tag::Column::UpdatedAt,
];

/// A root post of the calendar and its live tags, in no particular order.
#[derive(Debug, Clone)]
pub struct CalendarPost {
    pub row: PostSummaryRow,
    pub tags: Vec<tag::Model>,
}

/// A live tag as the aggregates list it (the fields of [`TAG_COLUMNS`]).
#[derive(Deserialize)]
struct TagFields {
    id: String,
    organization_id: String,
    name: String,
    color: String,
    #[serde(deserialize_with = "json_time")]
    created_at: DateTime<Utc>,
    #[serde(deserialize_with = "json_time")]
    updated_at: DateTime<Utc>,
}

impl From<TagFields> for tag::Model {
    fn from(t: TagFields) -> Self {
        Self {
            id: t.id,
            organization_id: t.organization_id,
            name: t.name,
            color: t.color,
            created_at: t.created_at,
            updated_at: t.updated_at,
            deleted_at: None,
        }
    }
}

/// The organization's root posts for the calendar (the rows of
/// [`calendar`](super::posts::calendar)) with their live tags, in no particular order.
pub async fn calendar_posts(
    db: &impl ConnectionTrait,
    org_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<CalendarPost>, DbErr> {
    let backend = db.get_database_backend();
    let week = backend.build(&calendar_statement::<PostSummaryRow>(org_id, from, to));
    let values = week.values.map(|v| v.0).unwrap_or_default();
    if backend == DatabaseBackend::Sqlite {
        let names = COLUMNS.map(|c| format!("\"{}\"", c.as_str())).join(", ");
        let sql = format!(
            "SELECT json_group_array(json_array({names})) FROM ({week}) AS \"{WEEK}\"",
            week = week.sql
        );
        let statement = Statement::from_sql_and_values(backend, sql, values);
        let posts: Vec<PostSummaryRow> = match db.query_one_raw(statement).await? {
            Some(row) => from_json(&row.try_get_by_index::<String>(0)?)?,
            None => Vec::new(),
        };
        let mut tags_of: HashMap<String, Vec<tag::Model>> = HashMap::new();
        for (post_id, tag) in super::tags::tags_of_calendar(db, org_id, from, to).await? {
            tags_of.entry(post_id).or_default().push(tag);
        }
        return Ok(posts
            .into_iter()
            .map(|row| CalendarPost {
                tags: tags_of.remove(&row.id).unwrap_or_default(),
                row,
            })
            .collect());
    }
    let links = post_tag::Entity.table_name();
    let tags = tag::Entity.table_name();
    let tag_fields = TAG_COLUMNS
        .map(|c| format!("t.\"{}\"", c.as_str()))
        .join(", ");
    let (id, tag_id, link_post, link_tag, deleted) = (
        post::Column::Id.as_str(),
        tag::Column::Id.as_str(),
        post_tag::Column::PostId.as_str(),
        post_tag::Column::TagId.as_str(),
        tag::Column::DeletedAt.as_str(),
    );
    // Written out: sea-query cannot write this aggregate. Names are the entities', the values
    // stay bound.
    let tagged = format!(
        "\"{links}\" pt JOIN \"{tags}\" t ON t.\"{tag_id}\" = pt.\"{link_tag}\" AND t.\"{deleted}\" IS NULL"
    );
    let of_week = format!("pt.\"{link_post}\" = \"{WEEK}\".\"{id}\"");
    let sql = format!(
        "SELECT \"{WEEK}\".*, (SELECT json_agg(json_build_array({tag_fields}))::text \
         FROM {tagged} WHERE {of_week}) AS \"{TAGS}\" FROM ({week}) AS \"{WEEK}\"",
        week = week.sql
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.iter()
        .map(|row| {
            let tags: Option<String> = row.try_get("", TAGS)?;
            let tags: Vec<TagFields> = tags
                .as_deref()
                .map(from_json)
                .transpose()?
                .unwrap_or_default();
            Ok(CalendarPost {
                row: PostSummaryRow::from_query_result(row, "")?,
                tags: tags.into_iter().map(tag::Model::from).collect(),
            })
        })
        .collect()
}

/// The alias of the calendar's UNION ALL, and of its tags column on PostgreSQL.
const WEEK: &str = "week";
const TAGS: &str = "tags";

fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, DbErr> {
    serde_json::from_str(json).map_err(|e| DbErr::Custom(format!("calendar aggregate: {e}")))
}

/// Reads a date from the aggregates' JSON ([`PostSummaryRow::publish_date`], a tag's dates).
pub(super) fn json_time<'de, D>(deserializer: D) -> Result<DateTime<Utc>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    parse_time(&text).ok_or_else(|| serde::de::Error::custom(format!("unreadable date {text}")))
}

/// A date as SQLite holds it or PostgreSQL writes it in JSON: RFC 3339 as sqlx writes it, also
/// accepting the space-separated forms of SQLite's own date functions and of rows written by
/// other tools.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%F %T%.f%:z", "%F %T%.f%#z", "%FT%T%.f%#z"] {
        if let Ok(at) = DateTime::<FixedOffset>::parse_from_str(text, format) {
            return Some(at.with_timezone(&Utc));
        }
    }
    ["%F %T%.f", "%FT%T%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|at| at.and_utc())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use sea_orm::{EntityTrait, PartialModelTrait, QuerySelect, QueryTrait};

    use super::*;

    #[test]
    fn the_aggregate_lists_the_summarys_fields_in_their_order() {
        let backend = DatabaseBackend::Sqlite;
        let fields = PostSummaryRow::select_cols(post::Entity::find().select_only());
        let mut listed = post::Entity::find().select_only();
        for column in COLUMNS {
            listed = listed.column_as(column, column.as_str());
        }
        assert_eq!(fields.build(backend).sql, listed.build(backend).sql);
    }

    #[test]
    fn dates_read_in_every_form_the_databases_write() {
        let at = Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 5).unwrap();
        let with_ms = at + chrono::Duration::milliseconds(250);
        for (text, expected) in [
            ("2026-03-29T01:30:05+00:00", at),
            ("2026-03-29T03:30:05+02:00", at),
            ("2026-03-29T01:30:05.25+00:00", with_ms),
            ("2026-03-29T01:30:05Z", at),
            ("2026-03-29 01:30:05+00:00", at),
            ("2026-03-29 01:30:05.250", with_ms),
            ("2026-03-29T01:30:05", at),
            ("2026-03-28T21:30:05-04", at),
        ] {
            assert_eq!(parse_time(text), Some(expected), "{text}");
        }
        assert_eq!(parse_time("yesterday"), None);
    }
}
