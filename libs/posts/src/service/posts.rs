//! Creating, editing, listing, moving and deleting posts.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::web::Bytes;
use chrono::{DateTime, Duration, Utc};
use postiz_core::ids::{now, to_json_time};
use postiz_entity::post;
use postiz_provider::ProviderRegistry;
use sea_orm::DatabaseConnection;

use super::calendar_cache::{BadgeCache, CalendarCache, CalendarKey};
use super::calendar_entry::{CalendarEntry, mini_post};
use super::time::{self, parse_date};
use super::validation::{first_failure, settings_of, validate_entry};
use crate::dto::posts::{
    CalendarQuery, CalendarResponse, ChangeDateRequest, ChangeDateResponse, CreatePostRequest,
    CreatedPost, ListQuery, ListResponse, MiniPost, PostEntry, PostGroupView, PostItemView,
    PostTagView, PreviewChannel, TagView, ValidationResult,
};
use crate::error::PostsError;
use crate::ports::{ChannelBadge, ChannelView, Channels, MediaRef, MediaResolver};
use crate::publisher::Publisher;
use crate::repository::calendar_changes::calendar_version;
use crate::repository::calendar_rows::CalendarPost;
use crate::repository::posts::{self as repo, DRAFT, ItemWrite, PUBLISHED, QUEUE};

/// The longest calendar range one request may ask for.
const MAX_CALENDAR_DAYS: i64 = 62;
/// Virtual occurrences of repeating posts in one calendar answer.
const MAX_OCCURRENCES: usize = 2000;

/// What kind of save `POST /posts` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveKind {
    Draft,
    Schedule,
    Now,
    /// Edit in place without changing the state.
    Update,
}

impl SaveKind {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "draft" => Some(Self::Draft),
            "schedule" => Some(Self::Schedule),
            "now" => Some(Self::Now),
            "update" => Some(Self::Update),
            _ => None,
        }
    }
}

/// How a post was created (Postiz `CreationMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreationMethod {
    Web,
    Api,
    Cli,
}

impl CreationMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "WEB",
            Self::Api => "API",
            Self::Cli => "CLI",
        }
    }
}

/// Options of a save that the public API sets differently from the dashboard.
#[derive(Debug, Clone, Copy)]
pub struct SaveOptions {
    pub method: CreationMethod,
    /// Keep the group the client sent (API clients hold it) and edit only the request's channels
    /// in it; otherwise the request replaces its old group whole, under a fresh group id.
    pub keep_group: bool,
}

#[derive(Clone)]
pub struct PostsService {
    db: DatabaseConnection,
    channels: Arc<dyn Channels>,
    providers: Arc<ProviderRegistry>,
    media: Arc<dyn MediaResolver>,
    publisher: Publisher,
    calendar_cache: Arc<CalendarCache>,
    badge_cache: Arc<BadgeCache>,
}

impl PostsService {
    /// `calendar_cache_bytes` bounds the calendar answers this process keeps (0: none); an
    /// eighth more keeps the organizations' channel badges the calendar shows.
    pub fn new(
        db: DatabaseConnection,
        channels: Arc<dyn Channels>,
        providers: Arc<ProviderRegistry>,
        media: Arc<dyn MediaResolver>,
        publisher: Publisher,
        calendar_cache_bytes: usize,
    ) -> Self {
        Self {
            db,
            channels,
            providers,
            media,
            publisher,
            calendar_cache: Arc::new(CalendarCache::new(calendar_cache_bytes)),
            badge_cache: Arc::new(BadgeCache::new(calendar_cache_bytes / 8)),
        }
    }

    /// Validates each channel's post as `POST /posts/valid` answers it.
    pub async fn validate(
        &self,
        org_id: &str,
        entries: &[PostEntry],
    ) -> Result<Vec<ValidationResult>, PostsError> {
        let mut results = Vec::with_capacity(entries.len());
        for entry in entries {
            let channel = self.channel(org_id, &entry.integration.id).await?;
            let provider = self.provider_of(&channel)?;
            results.push(validate_entry(&channel, provider.as_ref(), entry));
        }
        Ok(results)
    }

    /// Saves a post for each channel (Postiz `createPost`) and schedules the queued ones.
    pub async fn save(
        &self,
        org_id: &str,
        request: CreatePostRequest,
        options: SaveOptions,
    ) -> Result<Vec<CreatedPost>, PostsError> {
        let kind = SaveKind::parse(&request.kind).ok_or_else(|| {
            PostsError::Invalid("type must be draft, schedule, now or update".into())
        })?;
        let date = match kind {
            SaveKind::Now => now(),
            _ => parse_date(&request.date).ok_or_else(|| {
                PostsError::Invalid(format!(
                    "date `{}` is not a valid ISO 8601 date",
                    request.date
                ))
            })?,
        };
        let repeat_zone = match request.timezone.as_deref().filter(|z| !z.is_empty()) {
            Some(name) => Some(
                time::parse_timezone(name)
                    .ok_or_else(|| PostsError::Invalid(format!("timezone `{name}` is unknown")))?
                    .name()
                    .to_string(),
            ),
            None => None,
        };

        // Check everything before writing anything.
        let mut plans = Vec::with_capacity(request.posts.len());
        for entry in &request.posts {
            let channel = self.channel(org_id, &entry.integration.id).await?;
            let provider = self.provider_of(&channel)?;
            if kind != SaveKind::Draft && (channel.disabled || channel.in_between_steps) {
                return Err(PostsError::Rejected {
                    provider: channel.provider_identifier.clone(),
                    name: channel.name.clone(),
                    message: "This channel is disabled; enable it before scheduling".into(),
                });
            }
            let verdict = validate_entry(&channel, provider.as_ref(), entry);
            if let Some(message) = first_failure(&verdict, kind == SaveKind::Draft) {
                return Err(PostsError::Rejected {
                    provider: verdict.identifier,
                    name: verdict.name,
                    message,
                });
            }
            for value in &entry.value {
                for image in &value.image {
                    self.media
                        .check(org_id, &MediaRef::from(image))
                        .await
                        .map_err(|message| PostsError::Rejected {
                            provider: channel.provider_identifier.clone(),
                            name: channel.name.clone(),
                            message,
                        })?;
                }
                if let Some(id) = &value.id
                    && repo::id_of_other_org(&self.db, org_id, id).await?
                {
                    return Err(PostsError::NotFound("Post not found"));
                }
            }
            let existing_root = match entry.value.first().and_then(|v| v.id.as_deref()) {
                Some(id) => repo::find_any(&self.db, org_id, id).await?,
                None => None,
            };
            if matches!(kind, SaveKind::Schedule | SaveKind::Now)
                && !request.republish
                && let Some(root) = existing_root.as_ref().filter(|r| r.state == PUBLISHED)
            {
                return Err(PostsError::Invalid(format!(
                    "This post was already published on {} UTC. Saving it this way would publish \
                     it again to {}. To edit without republishing, use type 'update'. To \
                     intentionally publish again, pass republish: true.",
                    root.publish_date.format("%Y-%m-%d %H:%M"),
                    channel.provider_identifier
                )));
            }
            let settings = settings_of(entry, provider.identifier());
            plans.push((entry.clone(), channel, settings, existing_root));
        }

        let org = org_id.to_string();
        let tags: Vec<(String, String)> = request
            .tags
            .iter()
            .map(|t| (t.value.clone(), t.label.clone()))
            .collect();
        let interval = request.inter;
        let method = options.method.as_str();
        let keep_group = options.keep_group;
        let saved = postiz_core::db::write_transaction::<_, _, PostsError>(&self.db, |tx| {
            Box::pin(async move {
                // Channels sent with one group share it (the editor opens a group, and
                // `DELETE /posts/:group` removes it, across channels); a channel sent without
                // one gets a group of its own, as in Postiz. A rotated group stays shared.
                let old_groups: std::collections::BTreeSet<String> = plans
                    .iter()
                    .filter_map(|(entry, ..)| entry.group.clone())
                    .filter(|g| !g.is_empty())
                    .collect();
                let rotated: HashMap<&String, String> = old_groups
                    .iter()
                    .map(|g| (g, uuid::Uuid::new_v4().to_string()))
                    .collect();
                let group_of = |given: Option<&String>| match given.filter(|g| !g.is_empty()) {
                    Some(g) if keep_group => g.clone(),
                    Some(g) => rotated.get(g).cloned().unwrap_or_default(),
                    None => uuid::Uuid::new_v4().to_string(),
                };
                let mut kept_ids: Vec<String> = Vec::new();
                let mut saved: Vec<post::Model> = Vec::new();
                for (entry, channel, settings, existing_root) in &plans {
                    let group = group_of(entry.group.as_ref());
                    let state = match kind {
                        SaveKind::Draft => DRAFT,
                        SaveKind::Schedule | SaveKind::Now => QUEUE,
                        SaveKind::Update => match &existing_root {
                            Some(root) => match root.state.as_str() {
                                DRAFT => DRAFT,
                                PUBLISHED => PUBLISHED,
                                _ => QUEUE,
                            },
                            None => QUEUE,
                        },
                    };
                    let mut ids: Vec<String> = Vec::new();
                    let mut root: Option<post::Model> = None;
                    for (position, value) in entry.value.iter().enumerate() {
                        let images: Vec<MediaRef> =
                            value.image.iter().map(MediaRef::from).collect();
                        let row = repo::write_item(
                            tx,
                            ItemWrite {
                                id: value.id.as_deref().filter(|id| !id.is_empty()),
                                organization_id: &org,
                                integration_id: &channel.id,
                                group_id: &group,
                                parent_post_id: ids.last().map(String::as_str),
                                position: i32::try_from(position).unwrap_or(i32::MAX),
                                state,
                                publish_date: date,
                                content: &value.content,
                                delay_minutes: value.delay.map_or(0, |d| d.round() as i32),
                                settings: settings.clone(),
                                images: serde_json::to_value(&images)
                                    .map_err(|e| PostsError::Internal(e.into()))?,
                                interval_in_days: interval,
                                repeat_timezone: repeat_zone.as_deref(),
                                creation_method: method,
                            },
                        )
                        .await?;
                        ids.push(row.id.clone());
                        if root.is_none() {
                            root = Some(row);
                        }
                    }
                    kept_ids.extend(ids);
                    let Some(root) = root else {
                        continue;
                    };
                    crate::service::tags::attach_by_label(tx, &org, &root.id, &tags).await?;
                    saved.push(root);
                }
                // What an edit removed. A kept group is edited channel by channel (an API
                // client may send one channel of a post); a rotated group was sent whole by
                // the editor, so its rows outside this request are gone from the post.
                let channels: Vec<String> =
                    saved.iter().map(|r| r.integration_id.clone()).collect();
                let scope = keep_group.then_some(channels.as_slice());
                for old_group in &old_groups {
                    repo::delete_group_except(tx, &org, old_group, scope, &kept_ids).await?;
                }
                let mut bumped = Vec::with_capacity(saved.len());
                for root in saved {
                    let version = repo::bump_version(tx, &root.id).await?;
                    bumped.push(post::Model { version, ..root });
                }
                Ok(bumped)
            })
        })
        .await?;

        let mut created = Vec::with_capacity(saved.len());
        for root in saved {
            if root.state == QUEUE {
                self.publisher.schedule(&root).await?;
            }
            created.push(CreatedPost {
                post_id: root.id,
                integration: root.integration_id,
            });
        }
        Ok(created)
    }

    /// A post and its thread, by the id of any item (Postiz `GET /posts/:id`).
    pub async fn get(&self, org_id: &str, id: &str) -> Result<PostGroupView, PostsError> {
        let row = repo::find_any(&self.db, org_id, id)
            .await?
            .filter(|p| p.deleted_at.is_none())
            .ok_or(PostsError::NotFound("Post not found"))?;
        let items = repo::thread_of(&self.db, &row).await?;
        self.group_view(org_id, items).await
    }

    /// The live root item of the thread a post belongs to, by the id of any of its items
    /// (the public API edits whole threads from either id).
    pub async fn root_of(&self, org_id: &str, id: &str) -> Result<post::Model, PostsError> {
        let row = repo::find_any(&self.db, org_id, id)
            .await?
            .filter(|p| p.deleted_at.is_none())
            .ok_or(PostsError::NotFound("Post not found"))?;
        if row.parent_post_id.is_none() {
            return Ok(row);
        }
        repo::thread_of(&self.db, &row)
            .await?
            .into_iter()
            .find(|p| p.parent_post_id.is_none())
            .ok_or(PostsError::NotFound("Post not found"))
    }

    /// The provider settings of the root posts [`calendar`](Self::calendar) lists for the same
    /// query, by post id (the public API lists posts with their settings); of every channel,
    /// as the caller looks its posts up by id.
    pub async fn calendar_settings(
        &self,
        org_id: &str,
        query: &CalendarQuery,
    ) -> Result<HashMap<String, serde_json::Value>, PostsError> {
        let (Some(from), Some(to)) = (parse_date(&query.start_date), parse_date(&query.end_date))
        else {
            return Err(PostsError::Invalid(
                "startDate or endDate is not a valid date".into(),
            ));
        };
        Ok(
            repo::calendar::<repo::CalendarSettingsRow>(&self.db, org_id, from, to)
                .await?
                .into_iter()
                .map(|row| (row.id, row.settings))
                .collect(),
        )
    }

    /// All items of a group (Postiz `GET /posts/group/:group`).
    pub async fn get_group(&self, org_id: &str, group: &str) -> Result<PostGroupView, PostsError> {
        let items = repo::group_items(&self.db, Some(org_id), group).await?;
        if items.is_empty() {
            return Err(PostsError::NotFound("Post not found"));
        }
        self.group_view(org_id, items).await
    }

    async fn group_view(
        &self,
        org_id: &str,
        items: Vec<post::Model>,
    ) -> Result<PostGroupView, PostsError> {
        let root = items
            .iter()
            .find(|p| p.parent_post_id.is_none())
            .or(items.first())
            .cloned()
            .ok_or(PostsError::NotFound("Post not found"))?;
        let channel = self.channels.get(org_id, &root.integration_id).await?;
        let tags = crate::service::tags::tags_of(&self.db, std::slice::from_ref(&root.id))
            .await?
            .remove(&root.id)
            .unwrap_or_default();
        Ok(PostGroupView {
            group: root.group_id.clone(),
            integration_picture: channel.as_ref().and_then(|c| c.picture.clone()),
            integration: root.integration_id.clone(),
            settings: root.settings.clone(),
            tags: tags
                .into_iter()
                .map(|t| PostTagView {
                    tag: TagView {
                        id: t.id,
                        name: t.name,
                        color: t.color,
                    },
                })
                .collect(),
            posts: items.iter().map(|p| item_view(p, None)).collect(),
        })
    }

    /// The public preview of a post (any organization, by id): the thread with its channel.
    pub async fn preview(&self, id: &str) -> Result<Vec<PostItemView>, PostsError> {
        let row = repo::find_live(&self.db, id)
            .await?
            .ok_or(PostsError::NotFound("Post not found"))?;
        let items = repo::thread_of(&self.db, &row).await?;
        let channel = self
            .channels
            .get(&row.organization_id, &row.integration_id)
            .await?
            .map(|c| PreviewChannel {
                id: c.id,
                name: c.name,
                picture: c.picture,
                provider_identifier: c.provider_identifier,
                profile: c.profile,
            });
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, p)| item_view(p, if i == 0 { channel.clone() } else { None }))
            .collect())
    }

    /// The calendar: root posts in the range, repeating posts expanded (Postiz minified keys).
    pub async fn calendar(
        &self,
        org_id: &str,
        query: &CalendarQuery,
    ) -> Result<CalendarResponse, PostsError> {
        let key = calendar_key(org_id, query)?;
        let version = calendar_version(&self.db, org_id).await?;
        let data = self.calendar_data(&key, version).await?;
        let p = calendar_entries(&data, &key)
            .iter()
            .map(CalendarEntry::to_mini_post)
            .collect();
        Ok(CalendarResponse { p })
    }

    /// [`calendar`](Self::calendar) serialized, from this process' cache while the
    /// organization's calendar version has not moved since the answer was built.
    pub async fn calendar_json(
        &self,
        org_id: &str,
        query: &CalendarQuery,
    ) -> Result<Bytes, PostsError> {
        let key = calendar_key(org_id, query)?;
        // Read before the data: the entry is filed under a version no newer than what it shows.
        let version = calendar_version(&self.db, org_id).await?;
        if let Some(body) = self.calendar_cache.get(&key, version) {
            return Ok(body);
        }
        let data = self.calendar_data(&key, version).await?;
        let entries = calendar_entries(&data, &key);
        let mut json =
            serde_json::to_vec(&CalendarBody { p: &entries }).map_err(anyhow::Error::from)?;
        // The cache counts the length; the spare capacity of a grown buffer would be unaccounted.
        json.shrink_to_fit();
        let body = Bytes::from(json);
        self.calendar_cache.put(key, version, body.clone());
        Ok(body)
    }

    /// What the calendar of `key` shows, read after the organization's calendar `version` was.
    async fn calendar_data(
        &self,
        key: &CalendarKey,
        version: i64,
    ) -> Result<CalendarData, PostsError> {
        let badges = match self.badge_cache.get(&key.org_id, version) {
            Some(badges) => badges,
            None => {
                let badges: Arc<[ChannelBadge]> = self.channels.badges(&key.org_id).await?.into();
                self.badge_cache
                    .put(key.org_id.clone(), version, badges.clone());
                badges
            }
        };
        let week =
            crate::service::tags::calendar_posts(&self.db, &key.org_id, key.from, key.to).await?;
        Ok(CalendarData { badges, week })
    }

    /// The paged list view (Postiz `getPostsList`, minified).
    pub async fn list(&self, org_id: &str, query: &ListQuery) -> Result<ListResponse, PostsError> {
        let page = query.page.unwrap_or(0);
        let limit = query.limit.unwrap_or(20).clamp(1, 100);
        let filter = query.state.as_deref().unwrap_or("all");
        let state = match filter {
            "all" => None,
            "scheduled" => Some(QUEUE),
            "draft" => Some(DRAFT),
            "published" => Some(PUBLISHED),
            other => {
                return Err(PostsError::Invalid(format!(
                    "state `{other}` must be all, scheduled, draft or published"
                )));
            }
        };
        let published = filter == "published";
        let badges = self.channels.badges(org_id).await?;
        let channels = for_customer(&badges, query.customer.as_deref());
        let ids: Vec<String> = channels.keys().map(|id| id.to_string()).collect();
        let (rows, total) = repo::list_page(
            &self.db,
            repo::ListFilter {
                org_id,
                channel_ids: &ids,
                state,
                upcoming_only: !published,
                newest_first: published,
                page,
                limit,
            },
        )
        .await?;
        let tags = self.tags_for(&rows).await?;
        let posts: Vec<MiniPost> = rows
            .iter()
            .filter_map(|row| {
                channels
                    .get(row.integration_id.as_str())
                    .map(|c| mini_post(row, c, tags.get(&row.id).map_or(&[], Vec::as_slice)))
            })
            .collect();
        Ok(ListResponse {
            hm: page * limit + (rows.len() as u64) < total,
            p: posts,
            t: total,
            pg: page,
            l: limit,
        })
    }

    /// Soft-deletes a group; its pending publication stops (the job finds it deleted).
    pub async fn delete_group(&self, org_id: &str, group: &str) -> Result<(), PostsError> {
        let deleted = repo::delete_group_except(&self.db, org_id, group, None, &[]).await?;
        if deleted == 0 {
            return Err(PostsError::NotFound("Post not found"));
        }
        Ok(())
    }

    /// Deletes the posts of a deleted channel; their pending publications stop.
    pub async fn delete_channel_posts(
        &self,
        org_id: &str,
        channel_id: &str,
    ) -> Result<u64, PostsError> {
        Ok(repo::delete_channel_posts(&self.db, org_id, channel_id).await?)
    }

    /// Moves a post to another date (`PUT /posts/:id/date`). `schedule` puts it back in the
    /// queue; `update` only moves the date, but a queued post is rescheduled to the new time.
    pub async fn change_date(
        &self,
        org_id: &str,
        id: &str,
        request: &ChangeDateRequest,
    ) -> Result<ChangeDateResponse, PostsError> {
        let date = parse_date(&request.date)
            .ok_or_else(|| PostsError::Invalid("date is not a valid ISO 8601 date".into()))?;
        let action = request.action.as_deref().unwrap_or("update");
        let requeue = match action {
            "update" => false,
            "schedule" => true,
            other => {
                return Err(PostsError::Invalid(format!(
                    "action `{other}` must be update or schedule"
                )));
            }
        };
        let row = repo::find_any(&self.db, org_id, id)
            .await?
            .filter(|p| p.deleted_at.is_none())
            .ok_or(PostsError::NotFound("Post not found"))?;
        let root = match &row.parent_post_id {
            None => row,
            Some(_) => repo::thread_of(&self.db, &row)
                .await?
                .into_iter()
                .next()
                .ok_or(PostsError::NotFound("Post not found"))?,
        };
        if requeue && !request.republish && root.state == PUBLISHED {
            return Err(PostsError::Invalid(format!(
                "This post was already published on {} UTC. Rescheduling it would publish it \
                 again. To move it without republishing, use action 'update'. To intentionally \
                 publish again, pass republish: true.",
                root.publish_date.format("%Y-%m-%d %H:%M")
            )));
        }
        let root_for_tx = root.clone();
        let updated = postiz_core::db::write_transaction::<_, _, PostsError>(&self.db, |tx| {
            Box::pin(async move {
                repo::change_date(tx, &root_for_tx, date, requeue).await?;
                let version = repo::bump_version(tx, &root_for_tx.id).await?;
                repo::find_any(tx, &root_for_tx.organization_id, &root_for_tx.id)
                    .await?
                    .map(|p| post::Model { version, ..p })
                    .ok_or(PostsError::NotFound("Post not found"))
            })
        })
        .await?;
        if updated.state == QUEUE {
            self.publisher.schedule(&updated).await?;
        }
        Ok(ChangeDateResponse {
            id: updated.id,
            publish_date: to_json_time(&updated.publish_date),
            state: updated.state,
        })
    }

    /// The next free slot from the channels' posting times (`GET /posts/find-slot[/:id]`).
    pub async fn find_slot(
        &self,
        org_id: &str,
        channel_id: Option<&str>,
    ) -> Result<String, PostsError> {
        let channels = match channel_id {
            Some(id) => vec![self.channel(org_id, id).await?],
            None => self
                .channels
                .list(org_id)
                .await?
                .into_iter()
                .filter(|c| !c.disabled)
                .collect(),
        };
        let times: Vec<i32> = channels
            .iter()
            .flat_map(|c| c.posting_times.clone())
            .collect();
        let current = now();
        let horizon = 90;
        let ids: Vec<String> = channels.iter().map(|c| c.id.clone()).collect();
        let taken = repo::taken_dates(
            &self.db,
            org_id,
            channel_id.map(|_| ids.as_slice()),
            current - Duration::days(1),
            current + Duration::days(horizon + 1),
        )
        .await?;
        let slot = time::first_free_slot(current, &times, &taken, horizon).unwrap_or_else(|| {
            // No posting times, or all taken: the next full hour.
            let next = current + Duration::hours(1);
            next - Duration::minutes(i64::from(chrono::Timelike::minute(&next)))
        });
        Ok(time::slot_format(slot))
    }

    async fn channel(&self, org_id: &str, id: &str) -> Result<ChannelView, PostsError> {
        self.channels
            .get(org_id, id)
            .await?
            .ok_or_else(|| PostsError::Invalid(format!("Integration with id {id} not found")))
    }

    fn provider_of(
        &self,
        channel: &ChannelView,
    ) -> Result<Arc<dyn postiz_provider::Provider>, PostsError> {
        self.providers
            .get(&channel.provider_identifier)
            .ok_or_else(|| PostsError::Rejected {
                provider: channel.provider_identifier.clone(),
                name: channel.name.clone(),
                message: format!(
                    "{} is not enabled on this server",
                    channel.provider_identifier
                ),
            })
    }

    async fn tags_for(
        &self,
        rows: &[repo::PostSummaryRow],
    ) -> Result<HashMap<String, Vec<postiz_entity::tag::Model>>, PostsError> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        crate::service::tags::tags_of(&self.db, &ids).await
    }
}

/// The channels shown for `customer` (every channel when none is chosen), by id.
fn for_customer<'a>(
    badges: &'a [ChannelBadge],
    customer: Option<&str>,
) -> HashMap<&'a str, &'a ChannelBadge> {
    badges
        .iter()
        .filter(|c| match customer.filter(|c| !c.is_empty()) {
            Some(customer) => c.customer_id.as_deref() == Some(customer),
            None => true,
        })
        .map(|c| (c.id.as_str(), c))
        .collect()
}

/// The channels and the root posts a calendar shows, as read.
struct CalendarData {
    badges: Arc<[ChannelBadge]>,
    week: Vec<CalendarPost>,
}

/// `GET /posts` written from borrowed entries (the shape of [`CalendarResponse`]).
#[derive(serde::Serialize)]
struct CalendarBody<'a> {
    p: &'a [CalendarEntry<'a>],
}

/// The entries of the calendar of `key`: the posts of the chosen customer's channels, each
/// repeating post once per occurrence in the range, in the answer's order.
fn calendar_entries<'a>(data: &'a CalendarData, key: &CalendarKey) -> Vec<CalendarEntry<'a>> {
    let channels = for_customer(&data.badges, key.customer.as_deref());
    let mut entries = Vec::with_capacity(data.week.len());
    for CalendarPost { row, tags } in &data.week {
        let Some(&channel) = channels.get(row.integration_id.as_str()) else {
            continue;
        };
        let entry = |at, repeats| CalendarEntry {
            row,
            channel,
            tags,
            at,
            repeats,
        };
        match row.interval_in_days {
            Some(interval) if interval > 0 => {
                let zone = row
                    .repeat_timezone
                    .as_deref()
                    .and_then(time::parse_timezone);
                entries.extend(
                    time::occurrences(
                        row.publish_date,
                        i64::from(interval),
                        zone,
                        key.from,
                        key.to,
                        MAX_OCCURRENCES,
                    )
                    .into_iter()
                    .map(|at| entry(at, true)),
                );
            }
            _ => entries.push(entry(row.publish_date, false)),
        }
    }
    entries.sort_by(CalendarEntry::order);
    entries
}

/// The validated range and filter of a calendar request.
fn calendar_key(org_id: &str, query: &CalendarQuery) -> Result<CalendarKey, PostsError> {
    let from = parse_date(&query.start_date)
        .ok_or_else(|| PostsError::Invalid("startDate is not a valid date".into()))?;
    let to = parse_date(&query.end_date)
        .ok_or_else(|| PostsError::Invalid("endDate is not a valid date".into()))?;
    if to < from {
        return Err(PostsError::Invalid("endDate is before startDate".into()));
    }
    if to - from > Duration::days(MAX_CALENDAR_DAYS) {
        return Err(PostsError::Invalid(format!(
            "the range is longer than {MAX_CALENDAR_DAYS} days"
        )));
    }
    Ok(CalendarKey {
        org_id: org_id.to_string(),
        from,
        to,
        customer: query.customer.clone().filter(|c| !c.is_empty()),
    })
}

/// An item as the editor reads it.
pub fn item_view(row: &post::Model, integration: Option<PreviewChannel>) -> PostItemView {
    PostItemView {
        id: row.id.clone(),
        group: row.group_id.clone(),
        state: row.state.clone(),
        publish_date: to_json_time(&row.publish_date),
        organization_id: row.organization_id.clone(),
        integration_id: row.integration_id.clone(),
        content: row.content.clone(),
        delay: row.delay_minutes,
        parent_post_id: row.parent_post_id.clone(),
        release_id: row.release_id.clone(),
        release_url: row.release_url.clone(),
        settings: row.settings.to_string(),
        image: serde_json::from_value(row.images.clone()).unwrap_or_default(),
        interval_in_days: row.interval_in_days,
        creation_method: row.creation_method.clone(),
        error: row.error.clone(),
        created_at: to_json_time(&row.created_at),
        updated_at: to_json_time(&row.updated_at),
        integration,
    }
}

/// When a repeating post that was just published runs next.
pub fn next_repeat(root: &post::Model, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let interval = i64::from(root.interval_in_days.filter(|d| *d > 0)?);
    let zone = root
        .repeat_timezone
        .as_deref()
        .and_then(time::parse_timezone);
    time::next_occurrence(root.publish_date, interval, zone, after)
}
