//! Tags: an organization's labels for posts.
//!
//! Besides the CRUD behind `/posts/tags`, two functions serve the posts engine:
//! - [`attach_by_label`] replaces a post's tags while the post is saved, inside the caller's
//!   transaction, finding the tags by name and creating the missing ones;
//! - [`tags_of`] reads the tags of many posts at once for the calendar.
//!
//! Tag names are unique among an organization's live tags (Postiz attaches tags by name, so two
//! live tags with one name would be ambiguous).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use postiz_core::ids::{is_valid_id, now};
use postiz_entity::tag;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::error::PostsError;
use crate::repository::calendar_rows::{self, CalendarPost};
use crate::repository::tags as repo;

/// The color of a tag created by [`attach_by_label`] (the dashboard's default color).
pub const DEFAULT_TAG_COLOR: &str = "#942828";
/// Longest tag name, in characters.
pub const TAG_NAME_MAX_CHARS: usize = 255;

const NOT_FOUND: &str = "Tag not found";

#[derive(Clone)]
pub struct TagService {
    db: DatabaseConnection,
}

impl TagService {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The organization's live tags, oldest first.
    pub async fn list(&self, org_id: &str) -> Result<Vec<tag::Model>, PostsError> {
        Ok(repo::list(&self.db, org_id).await?)
    }

    /// Creates a tag; 409 when a live tag already has that name.
    pub async fn create(
        &self,
        org_id: &str,
        name: &str,
        color: &str,
    ) -> Result<tag::Model, PostsError> {
        let (name, color) = normalize(name, color)?;
        ensure_unique(&self.db, org_id, &name, None).await?;
        Ok(repo::insert(&self.db, org_id, &name, &color).await?)
    }

    /// Renames and recolors a tag of the organization.
    pub async fn update(
        &self,
        org_id: &str,
        id: &str,
        name: &str,
        color: &str,
    ) -> Result<tag::Model, PostsError> {
        let current = self.find(org_id, id).await?;
        let (name, color) = normalize(name, color)?;
        ensure_unique(&self.db, org_id, &name, Some(id)).await?;
        let at = now();
        if !repo::update(&self.db, org_id, id, &name, &color, at).await? {
            return Err(PostsError::NotFound(NOT_FOUND));
        }
        Ok(tag::Model {
            name,
            color,
            updated_at: at,
            ..current
        })
    }

    /// Soft-deletes a tag: it disappears from the list and from the posts that carried it.
    /// Answers the row as deleted.
    pub async fn delete(&self, org_id: &str, id: &str) -> Result<tag::Model, PostsError> {
        let current = self.find(org_id, id).await?;
        let at = now();
        if !repo::soft_delete(&self.db, org_id, id, at).await? {
            return Err(PostsError::NotFound(NOT_FOUND));
        }
        Ok(tag::Model {
            updated_at: at,
            deleted_at: Some(at),
            ..current
        })
    }

    async fn find(&self, org_id: &str, id: &str) -> Result<tag::Model, PostsError> {
        if !is_valid_id(id) {
            return Err(PostsError::NotFound(NOT_FOUND));
        }
        repo::find(&self.db, org_id, id)
            .await?
            .ok_or(PostsError::NotFound(NOT_FOUND))
    }
}

fn normalize(name: &str, color: &str) -> Result<(String, String), PostsError> {
    let name = check_name(name).map_err(|m| PostsError::Invalid(format!("name {m}")))?;
    let color = color.trim();
    if color.is_empty() {
        return Err(PostsError::Invalid("color must not be blank".into()));
    }
    Ok((name, color.to_string()))
}

/// The stored form of a tag name (trimmed), or why it cannot be one.
fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("must not be blank".into());
    }
    if name.chars().count() > TAG_NAME_MAX_CHARS {
        return Err(format!(
            "must be at most {TAG_NAME_MAX_CHARS} characters long"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(name.to_string())
}

async fn ensure_unique(
    db: &impl ConnectionTrait,
    org_id: &str,
    name: &str,
    except: Option<&str>,
) -> Result<(), PostsError> {
    if repo::find_by_name(db, org_id, name, except)
        .await?
        .is_some()
    {
        return Err(PostsError::Conflict(format!(
            "name: a tag named \"{name}\" already exists"
        )));
    }
    Ok(())
}

/// Sets the tags of a post to exactly `tags`, inside the caller's transaction `tx`.
///
/// `tags` are the dashboard's `{value, label}` pairs; a tag is identified by its label (as
/// Postiz does at save), or by its value when the label is blank. Labels are trimmed and
/// de-duplicated; each names a live tag of `org_id`, which is created with
/// [`DEFAULT_TAG_COLOR`] when missing. The post's previous links are removed first, so an
/// empty slice clears its tags.
///
/// The caller has checked that `post_id` belongs to `org_id`. Call it once per post (the
/// thread's root carries the tags). Its first statement is a write, so on SQLite it can open
/// the caller's transaction without risking a stale snapshot.
///
/// Returns the post's tags in the order of `tags`. A blank pair is skipped; a label longer than
/// 255 characters or with control characters is refused with [`PostsError::Invalid`] naming
/// `tags[i]`.
pub async fn attach_by_label<V, L>(
    tx: &impl ConnectionTrait,
    org_id: &str,
    post_id: &str,
    tags: &[(V, L)],
) -> Result<Vec<tag::Model>, PostsError>
where
    V: AsRef<str>,
    L: AsRef<str>,
{
    let mut names: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for (i, (value, label)) in tags.iter().enumerate() {
        let raw = if label.as_ref().trim().is_empty() {
            value.as_ref()
        } else {
            label.as_ref()
        };
        if raw.trim().is_empty() {
            continue;
        }
        let name = check_name(raw).map_err(|m| PostsError::Invalid(format!("tags[{i}] {m}")))?;
        if seen.insert(name.clone()) {
            names.push(name);
        }
    }

    repo::unlink_post(tx, post_id).await?;
    if names.is_empty() {
        return Ok(Vec::new());
    }

    let mut by_name: HashMap<String, tag::Model> = HashMap::new();
    for t in repo::find_by_names(tx, org_id, &names).await? {
        // Oldest first: should a race have made two live tags share a name, the oldest wins.
        by_name.entry(t.name.clone()).or_insert(t);
    }
    let mut attached = Vec::with_capacity(names.len());
    for name in names {
        let t = match by_name.remove(&name) {
            Some(t) => t,
            None => repo::insert(tx, org_id, &name, DEFAULT_TAG_COLOR).await?,
        };
        attached.push(t);
    }
    let ids: Vec<String> = attached.iter().map(|t| t.id.clone()).collect();
    repo::link(tx, post_id, &ids).await?;
    Ok(attached)
}

/// The live tags of each post, oldest tag first, keyed by post id; a post without tags has no
/// entry. Deleted tags are left out. Reads in batches, so any number of posts is fine.
pub async fn tags_of(
    db: &impl ConnectionTrait,
    post_ids: &[String],
) -> Result<HashMap<String, Vec<tag::Model>>, PostsError> {
    let mut out: HashMap<String, Vec<tag::Model>> = HashMap::new();
    let mut seen = HashSet::new();
    let ids: Vec<String> = post_ids
        .iter()
        .filter(|id| seen.insert(id.as_str()))
        .cloned()
        .collect();
    if ids.is_empty() {
        return Ok(out);
    }
    for (post_id, t) in repo::tags_of_posts(db, &ids).await? {
        out.entry(post_id).or_default().push(t);
    }
    Ok(out)
}

/// The root posts the calendar shows between `from` and `to` with their live tags, oldest tag
/// first (as [`tags_of`] lists them).
pub async fn calendar_posts(
    db: &impl ConnectionTrait,
    org_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<CalendarPost>, PostsError> {
    let mut posts = calendar_rows::calendar_posts(db, org_id, from, to).await?;
    for post in &mut posts {
        post.tags.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
    }
    Ok(posts)
}

#[cfg(test)]
mod tests {
    use postiz_core::Settings;
    use postiz_core::ids::{new_id, now};
    use postiz_entity::{ShortLinkPreference, integration, organization, post, post_tag};
    use postiz_migrations::{Migrator, MigratorTrait};
    use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set};

    use super::*;

    async fn database(dir: &std::path::Path) -> DatabaseConnection {
        let settings = Settings::for_tests(dir).unwrap();
        let db = postiz_core::db::connect(&settings).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        db
    }

    async fn organization(db: &DatabaseConnection, name: &str) -> String {
        let at = now();
        organization::ActiveModel {
            id: Set(new_id()),
            name: Set(name.into()),
            description: Set(None),
            api_key_hash: Set(None),
            api_key_sealed: Set(None),
            allow_trial: Set(false),
            is_trailing: Set(false),
            streak_since: Set(None),
            shortlink: Set(ShortLinkPreference::Ask),
            payment_id: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            deleted_at: Set(None),
        }
        .insert(db)
        .await
        .unwrap()
        .id
    }

    /// A channel and one root post in it.
    async fn post(db: &DatabaseConnection, org_id: &str) -> String {
        let at = now();
        let channel = integration::ActiveModel {
            id: Set(new_id()),
            organization_id: Set(org_id.into()),
            internal_id: Set(new_id()),
            provider_identifier: Set("x".into()),
            kind: Set("social".into()),
            name: Set("Channel".into()),
            picture: Set(None),
            profile: Set(None),
            tokens_sealed: Set(String::new()),
            token_expires_at: Set(None),
            custom_sealed: Set(None),
            disabled: Set(false),
            in_between_steps: Set(false),
            refresh_needed: Set(false),
            posting_times: Set(serde_json::json!([])),
            additional_settings: Set(serde_json::json!([])),
            customer_id: Set(None),
            root_internal_id: Set(None),
            created_at: Set(at),
            updated_at: Set(at),
            deleted_at: Set(None),
        }
        .insert(db)
        .await
        .unwrap();
        post::ActiveModel {
            id: Set(new_id()),
            organization_id: Set(org_id.into()),
            integration_id: Set(channel.id),
            group_id: Set(new_id()),
            parent_post_id: Set(None),
            position: Set(0),
            state: Set("QUEUE".into()),
            publish_date: Set(at),
            content: Set("<p>hello</p>".into()),
            delay_minutes: Set(0),
            settings: Set(serde_json::json!({"__type": "x"})),
            images: Set(serde_json::json!([])),
            creation_method: Set("WEB".into()),
            version: Set(0),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap()
        .id
    }

    fn pairs(labels: &[&str]) -> Vec<(String, String)> {
        labels
            .iter()
            .map(|l| (l.to_string(), l.to_string()))
            .collect()
    }

    fn names(tags: &[tag::Model]) -> Vec<String> {
        tags.iter().map(|t| t.name.clone()).collect()
    }

    async fn attach(
        db: &DatabaseConnection,
        org: &str,
        post: &str,
        tags: Vec<(String, String)>,
    ) -> Result<Vec<tag::Model>, PostsError> {
        let (org, post) = (org.to_string(), post.to_string());
        postiz_core::db::write_transaction::<_, _, PostsError>(db, |tx| {
            Box::pin(async move { attach_by_label(tx, &org, &post, &tags).await })
        })
        .await
        .map_err(PostsError::from)
    }

    #[tokio::test]
    async fn attach_by_label_finds_creates_replaces_and_stays_in_its_organization() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path()).await;
        let org = organization(&db, "Acme").await;
        let other = organization(&db, "Other").await;
        let post_id = post(&db, &org).await;
        let service = TagService::new(db.clone());
        let news = service.create(&org, "News", "#112233").await.unwrap();
        // A tag with the same name in another organization is never used.
        let foreign = service.create(&other, "Launch", "#000000").await.unwrap();

        let attached = attach(
            &db,
            &org,
            &post_id,
            pairs(&["News", " Launch ", "News", ""]),
        )
        .await
        .unwrap();
        assert_eq!(names(&attached), vec!["News", "Launch"]);
        assert_eq!(attached[0].id, news.id, "the existing tag is found by name");
        assert_ne!(attached[1].id, foreign.id);
        assert_eq!(attached[1].organization_id, org);
        assert_eq!(
            attached[1].color, DEFAULT_TAG_COLOR,
            "a missing tag is created"
        );
        assert_eq!(
            names(&service.list(&org).await.unwrap()),
            vec!["News", "Launch"]
        );
        assert_eq!(names(&service.list(&other).await.unwrap()), vec!["Launch"]);

        let by_post = tags_of(&db, std::slice::from_ref(&post_id)).await.unwrap();
        assert_eq!(names(&by_post[&post_id]), vec!["News", "Launch"]);

        // Saving again replaces the post's tags; the label wins over the value, and the value
        // stands in for a blank label.
        let attached = attach(
            &db,
            &org,
            &post_id,
            vec![
                ("ignored".to_string(), "Launch".to_string()),
                ("Promo".to_string(), " ".to_string()),
            ],
        )
        .await
        .unwrap();
        assert_eq!(names(&attached), vec!["Launch", "Promo"]);
        let by_post = tags_of(&db, std::slice::from_ref(&post_id)).await.unwrap();
        assert_eq!(names(&by_post[&post_id]), vec!["Launch", "Promo"]);
        assert_eq!(post_tag::Entity::find().count(&db).await.unwrap(), 2);

        // A deleted tag leaves the post's tags, and a new save recreates it under that name.
        let promo = attached[1].clone();
        service.delete(&org, &promo.id).await.unwrap();
        let by_post = tags_of(&db, std::slice::from_ref(&post_id)).await.unwrap();
        assert_eq!(names(&by_post[&post_id]), vec!["Launch"]);
        let attached = attach(&db, &org, &post_id, pairs(&["Promo"]))
            .await
            .unwrap();
        assert_ne!(attached[0].id, promo.id);

        // An empty list clears the tags; a post without tags has no entry.
        attach(&db, &org, &post_id, Vec::new()).await.unwrap();
        assert!(
            tags_of(&db, std::slice::from_ref(&post_id))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(tags_of(&db, &[]).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn attach_by_label_is_part_of_the_callers_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path()).await;
        let org = organization(&db, "Acme").await;
        let post_id = post(&db, &org).await;
        let (o, p) = (org.clone(), post_id.clone());
        let result = postiz_core::db::write_transaction::<_, (), PostsError>(&db, |tx| {
            Box::pin(async move {
                attach_by_label(tx, &o, &p, &pairs(&["Rolled back"])).await?;
                Err(PostsError::Invalid("the post failed later".into()))
            })
        })
        .await;
        assert!(result.is_err());
        assert!(tag::Entity::find().all(&db).await.unwrap().is_empty());
        assert_eq!(post_tag::Entity::find().count(&db).await.unwrap(), 0);

        // A bad label is refused, naming it, and nothing is written.
        let long = "x".repeat(TAG_NAME_MAX_CHARS + 1);
        let err = attach(&db, &org, &post_id, pairs(&["ok", &long]))
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("tags[1]"), "{err}");
        assert!(tag::Entity::find().all(&db).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn tags_of_reads_many_posts_in_batches() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path()).await;
        let org = organization(&db, "Acme").await;
        let first = post(&db, &org).await;
        let second = post(&db, &org).await;
        attach(&db, &org, &first, pairs(&["A", "B"])).await.unwrap();
        attach(&db, &org, &second, pairs(&["B"])).await.unwrap();
        // More ids than one batch holds, with duplicates and unknown ids.
        let mut ids: Vec<String> = (0..1200).map(|_| new_id()).collect();
        ids.insert(700, second.clone());
        ids.push(first.clone());
        ids.push(first.clone());
        let by_post = tags_of(&db, &ids).await.unwrap();
        assert_eq!(by_post.len(), 2);
        assert_eq!(names(&by_post[&first]), vec!["A", "B"]);
        assert_eq!(names(&by_post[&second]), vec!["B"]);
        assert_eq!(by_post[&first][1].id, by_post[&second][0].id);
    }

    #[tokio::test]
    async fn the_calendar_reads_the_tags_of_the_weeks_posts_and_earlier_repeating_ones() {
        use sea_orm::ActiveValue::Set as ActiveSet;
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path()).await;
        let org = organization(&db, "Acme").await;
        let other = organization(&db, "Other").await;
        let at = |days: i64| now() + chrono::Duration::days(days);
        let dated = |id: String, days: i64, interval: Option<i32>| {
            let db = db.clone();
            async move {
                post::ActiveModel {
                    id: ActiveSet(id.clone()),
                    publish_date: ActiveSet(at(days)),
                    interval_in_days: ActiveSet(interval),
                    ..Default::default()
                }
                .update(&db)
                .await
                .unwrap();
                id
            }
        };
        let in_week = dated(post(&db, &org).await, 2, None).await;
        let repeating = dated(post(&db, &org).await, -30, Some(7)).await;
        let earlier = dated(post(&db, &org).await, -30, None).await;
        let later = dated(post(&db, &org).await, 30, None).await;
        let elsewhere = dated(post(&db, &other).await, 2, None).await;
        for (org_id, id) in [
            (&org, &in_week),
            (&org, &repeating),
            (&org, &earlier),
            (&org, &later),
            (&other, &elsewhere),
        ] {
            attach(&db, org_id, id, pairs(&["B", "A"])).await.unwrap();
        }
        // A deleted tag is left out.
        attach(&db, &org, &in_week, pairs(&["B", "A", "Gone"]))
            .await
            .unwrap();
        tag::ActiveModel {
            id: ActiveSet(
                repo::list(&db, &org)
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|t| t.name == "Gone")
                    .unwrap()
                    .id,
            ),
            deleted_at: ActiveSet(Some(now())),
            ..Default::default()
        }
        .update(&db)
        .await
        .unwrap();

        let by_post: HashMap<String, Vec<tag::Model>> = calendar_posts(&db, &org, at(0), at(7))
            .await
            .unwrap()
            .into_iter()
            .filter(|post| !post.tags.is_empty())
            .map(|post| (post.row.id, post.tags))
            .collect();
        let mut ids: Vec<&String> = by_post.keys().collect();
        ids.sort();
        let mut expected = vec![&in_week, &repeating];
        expected.sort();
        assert_eq!(
            ids, expected,
            "the week's posts and the earlier repeating one"
        );
        // Oldest tag first, as tags_of returns them.
        assert_eq!(names(&by_post[&in_week]), vec!["B", "A"]);
        assert_eq!(
            by_post[&in_week],
            tags_of(&db, std::slice::from_ref(&in_week)).await.unwrap()[&in_week]
        );
    }
}
