//! Posts through the public API: the un-minified list, and edits of a thread that is not
//! published yet. Every write goes through [`PostsService::save`] (the same validation as the
//! dashboard, one transaction, the group kept), so the publisher sees a new version and a
//! pending publication of the old one does nothing.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, Utc};
use postiz_core::ids::to_json_time;
use postiz_entity::post;
use postiz_posts::PostsError;
use postiz_posts::dto::posts::{
    CalendarQuery, CreatePostRequest, CreatedPost, IdRef, MediaInput, MiniPost, PostEntry,
    PostGroupView, PostValue, TagRef,
};
use postiz_posts::service::posts::{CreationMethod, PostsService, SaveOptions};
use postiz_posts::service::time::parse_date;

use crate::dto::{PublicPost, PublicPostChannel, PublicPostTag, PublicTag};

/// The calendar answers at most this many days at once; longer ranges are read in windows.
const WINDOW_DAYS: i64 = 62;
/// The longest range one list request may ask for.
pub const MAX_LIST_DAYS: i64 = 366;

const QUEUE: &str = "QUEUE";
const DRAFT: &str = "DRAFT";
const PUBLISHED: &str = "PUBLISHED";

/// The root posts between two dates (repeating posts once per occurrence), as Postiz's public
/// API lists them, with their settings.
pub async fn list(
    posts: &PostsService,
    org_id: &str,
    start: &str,
    end: &str,
    customer: Option<&str>,
) -> Result<Vec<PublicPost>, PostsError> {
    let from = parse_date(start)
        .ok_or_else(|| PostsError::Invalid("startDate is not a valid date".into()))?;
    let to =
        parse_date(end).ok_or_else(|| PostsError::Invalid("endDate is not a valid date".into()))?;
    if to < from {
        return Err(PostsError::Invalid("endDate is before startDate".into()));
    }
    if to - from > Duration::days(MAX_LIST_DAYS) {
        return Err(PostsError::Invalid(format!(
            "the range is longer than {MAX_LIST_DAYS} days"
        )));
    }
    let mut entries: Vec<MiniPost> = Vec::new();
    let mut settings: HashMap<String, serde_json::Value> = HashMap::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut window_start = from;
    loop {
        let window_end = (window_start + Duration::days(WINDOW_DAYS)).min(to);
        let query = CalendarQuery {
            start_date: to_json_time(&window_start),
            end_date: to_json_time(&window_end),
            customer: customer.map(str::to_string),
            display: None,
        };
        for entry in posts.calendar(org_id, &query).await?.p {
            // Windows share their bounds: an entry exactly on one comes back twice.
            if seen.insert((entry.i.clone(), entry.d.clone())) {
                entries.push(entry);
            }
        }
        settings.extend(posts.calendar_settings(org_id, &query).await?);
        if window_end >= to {
            break;
        }
        window_start = window_end;
    }
    entries.sort_by(|a, b| a.d.cmp(&b.d));
    Ok(entries
        .into_iter()
        .map(|e| public_post(e, &settings))
        .collect())
}

fn public_post(e: MiniPost, settings: &HashMap<String, serde_json::Value>) -> PublicPost {
    PublicPost {
        settings: settings
            .get(&e.i)
            .map_or_else(|| "{}".to_string(), |s| s.to_string()),
        id: e.i,
        content: e.c,
        publish_date: e.d,
        release_url: e.u,
        release_id: e.ri,
        state: e.s,
        interval_in_days: e.iv,
        group: e.g,
        creation_method: e.cm,
        tags: e
            .tg
            .into_iter()
            .map(|t| PublicPostTag {
                tag: PublicTag {
                    id: t.t.i,
                    name: t.t.n,
                    color: t.t.c,
                    org_id: t.t.o,
                    created_at: t.t.ca,
                    updated_at: t.t.ua,
                    deleted_at: t.t.da,
                },
            })
            .collect(),
        integration: PublicPostChannel {
            id: e.n.i,
            provider_identifier: e.n.pi,
            name: e.n.n,
            picture: e.n.p,
        },
        actual_date: e.ad,
    }
}

/// What an edit changes; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct PostEdit {
    pub date: Option<String>,
    /// The first item's text.
    pub content: Option<String>,
    /// The whole thread.
    pub value: Option<Vec<PostValue>>,
    /// Keys merged into the provider settings.
    pub settings: Option<serde_json::Map<String, serde_json::Value>>,
    pub tags: Option<Vec<TagRef>>,
}

/// Which save an edit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// Change content, settings or date; the state stays (a draft stays a draft, a scheduled
    /// post is queued again for its date).
    Keep,
    /// Make it a draft: its pending publication stops.
    Draft,
    /// Queue it for publication at its date.
    Schedule,
}

/// The thread's root, which must not be published yet (QUEUE or DRAFT) nor due: a scheduled
/// post whose time has passed may be publishing right now (Postiz refuses the same).
pub async fn editable_root(
    posts: &PostsService,
    org_id: &str,
    id: &str,
) -> Result<post::Model, PostsError> {
    let root = posts.root_of(org_id, id).await?;
    if root.state != QUEUE && root.state != DRAFT {
        return Err(PostsError::Invalid(
            "Only scheduled posts that were not published yet (or drafts) can be updated".into(),
        ));
    }
    if root.state == QUEUE && root.publish_date < Utc::now() {
        return Err(PostsError::Invalid(
            "The publish time of this post already passed, it cannot be updated".into(),
        ));
    }
    Ok(root)
}

/// Rewrites the thread of `root` with `edit` applied, through the posts service, keeping its
/// group and items. Returns the saved root.
pub async fn rewrite(
    posts: &PostsService,
    org_id: &str,
    root: &post::Model,
    edit: PostEdit,
    kind: EditKind,
) -> Result<CreatedPost, PostsError> {
    if kind == EditKind::Schedule && root.state == PUBLISHED {
        return Err(PostsError::Invalid(
            "This post was already published; it cannot be scheduled again".into(),
        ));
    }
    let current = posts.get(org_id, &root.id).await?;
    let value = thread_of(&current, edit.value, edit.content)?;
    let mut settings = match &current.settings {
        serde_json::Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    if let Some(patch) = edit.settings {
        settings.extend(patch);
    }
    let date = match edit.date {
        Some(date) => {
            parse_date(&date).ok_or_else(|| {
                PostsError::Invalid(format!("date `{date}` is not a valid ISO 8601 date"))
            })?;
            date
        }
        None => to_json_time(&root.publish_date),
    };
    let tags = edit.tags.unwrap_or_else(|| {
        current
            .tags
            .iter()
            .map(|t| TagRef {
                value: t.tag.name.clone(),
                label: t.tag.name.clone(),
            })
            .collect()
    });
    let save_kind = match kind {
        EditKind::Draft => "draft",
        EditKind::Schedule => "schedule",
        EditKind::Keep if root.state == DRAFT => "draft",
        EditKind::Keep => "update",
    };
    let request = CreatePostRequest {
        kind: save_kind.into(),
        order: None,
        short_link: false,
        inter: root.interval_in_days.filter(|d| *d > 0),
        republish: false,
        timezone: root.repeat_timezone.clone(),
        date,
        tags,
        posts: vec![PostEntry {
            integration: IdRef {
                id: root.integration_id.clone(),
            },
            value,
            group: Some(root.group_id.clone()),
            settings: Some(serde_json::Value::Object(settings)),
        }],
    };
    posts
        .save(
            org_id,
            request,
            SaveOptions {
                method: CreationMethod::Api,
                keep_group: true,
            },
        )
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| PostsError::Internal(anyhow::anyhow!("the edited post was not saved")))
}

/// The thread to save: the given items (whose ids must be the post's own), or the current ones
/// with the first item's text replaced.
fn thread_of(
    current: &PostGroupView,
    value: Option<Vec<PostValue>>,
    content: Option<String>,
) -> Result<Vec<PostValue>, PostsError> {
    match (value, content) {
        (Some(_), Some(_)) => Err(PostsError::Invalid(
            "Send either content (the first item's text) or value (the whole thread), not both"
                .into(),
        )),
        (Some(items), None) => {
            let own: HashSet<&str> = current.posts.iter().map(|p| p.id.as_str()).collect();
            let mut used = HashSet::new();
            for item in &items {
                if let Some(id) = item.id.as_deref().filter(|id| !id.is_empty()) {
                    if !own.contains(id) {
                        return Err(PostsError::Invalid(format!(
                            "value: `{id}` is not an item of this post"
                        )));
                    }
                    if !used.insert(id) {
                        return Err(PostsError::Invalid(format!("value: `{id}` appears twice")));
                    }
                }
            }
            Ok(items)
        }
        (None, content) => {
            let mut items: Vec<PostValue> = current
                .posts
                .iter()
                .map(|p| PostValue {
                    content: p.content.clone(),
                    id: Some(p.id.clone()),
                    delay: Some(f64::from(p.delay)),
                    image: p
                        .image
                        .iter()
                        .map(|m| MediaInput {
                            id: m.id.clone(),
                            path: m.path.clone(),
                            alt: m.alt.clone(),
                            thumbnail: m.thumbnail.clone(),
                            thumbnail_timestamp: m.thumbnail_timestamp,
                        })
                        .collect(),
                })
                .collect();
            if let (Some(text), Some(first)) = (content, items.first_mut()) {
                first.content = text;
            }
            Ok(items)
        }
    }
}

/// `YYYY-MM-DDTHH:mm:ss` in UTC, as Postiz's settings route answers the date.
pub fn plain_date(at: &chrono::DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}
