//! `posts`: one item of a post for one channel (Postiz `Post`). A thread is a root row plus
//! items chained by `parent_post_id`, all sharing `group`; the root carries the schedule.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "posts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub organization_id: String,
    pub integration_id: String,
    /// Groups the rows of one post (its thread items, and its copies across channels).
    pub group_id: String,
    /// The previous item of the thread; `None` on the root.
    pub parent_post_id: Option<String>,
    /// Order within the thread (0 for the root).
    pub position: i32,
    /// `QUEUE`, `PUBLISHED`, `ERROR` or `DRAFT`.
    pub state: String,
    pub publish_date: DateTimeUtc,
    /// Editor HTML.
    pub content: String,
    /// Minutes to wait after the previous item before publishing this one.
    pub delay_minutes: i32,
    /// The provider settings object (`__type` and its fields).
    pub settings: Json,
    /// Attached media: `[{id, path, alt?, thumbnail?, thumbnailTimestamp?}]`.
    pub images: Json,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Repeat the post every N days.
    pub interval_in_days: Option<i32>,
    /// IANA time zone in which a repeating post keeps its wall-clock time across DST changes.
    pub repeat_timezone: Option<String>,
    /// `WEB`, `API`, `CLI`, `MCP`, `AUTOPOST` or `UNKNOWN`.
    pub creation_method: String,
    pub release_id: Option<String>,
    pub release_url: Option<String>,
    /// Why publishing failed, in the network's words.
    pub error: Option<String>,
    /// Increments on every change that affects publishing; jobs carry it and stale ones stop.
    pub version: i32,
    /// A publish attempt holds this until it records its outcome; an expired claim on a post
    /// still queued means the outcome of that attempt is unknown.
    pub claimed_until: Option<DateTimeUtc>,
    /// Provider data of a publication still processing on the network.
    pub pending_data: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id",
        on_delete = "Cascade"
    )]
    Organization,
    #[sea_orm(
        belongs_to = "super::integration::Entity",
        from = "Column::IntegrationId",
        to = "super::integration::Column::Id",
        on_delete = "Cascade"
    )]
    Integration,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::integration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Integration.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
