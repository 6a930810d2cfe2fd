//! Queries on the `media` table. Every function takes `&impl ConnectionTrait` so services
//! compose them inside transactions. Reads are always scoped to an organization.

use postiz_core::ids::{new_id, now};
use postiz_entity::media::{self, MediaKind};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

/// Files per page of the library, as Postiz.
pub const PAGE_SIZE: u64 = 18;

pub struct NewMedia<'a> {
    pub organization_id: &'a str,
    pub name: &'a str,
    pub original_name: Option<&'a str>,
    pub path: &'a str,
    pub storage_key: &'a str,
    pub mime_type: &'a str,
    pub kind: MediaKind,
    pub file_size: i64,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewMedia<'_>) -> Result<media::Model, DbErr> {
    let at = now();
    media::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(new.organization_id.to_string()),
        name: Set(new.name.to_string()),
        original_name: Set(new.original_name.map(str::to_string)),
        path: Set(new.path.to_string()),
        storage_key: Set(new.storage_key.to_string()),
        mime_type: Set(new.mime_type.to_string()),
        kind: Set(new.kind),
        file_size: Set(new.file_size),
        alt: Set(None),
        thumbnail: Set(None),
        thumbnail_timestamp: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
}

/// A live (not deleted) file of the organization.
pub async fn find(
    db: &impl ConnectionTrait,
    organization_id: &str,
    id: &str,
) -> Result<Option<media::Model>, DbErr> {
    media::Entity::find_by_id(id.to_string())
        .filter(media::Column::OrganizationId.eq(organization_id))
        .filter(media::Column::DeletedAt.is_null())
        .one(db)
        .await
}

/// A file of the organization, deleted or not (posts keep referring to deleted files).
pub async fn find_including_deleted(
    db: &impl ConnectionTrait,
    organization_id: &str,
    id: &str,
) -> Result<Option<media::Model>, DbErr> {
    media::Entity::find_by_id(id.to_string())
        .filter(media::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await
}

/// One page of the library.
#[derive(Debug, Clone)]
pub struct MediaPage {
    /// Number of pages (Postiz `pages`).
    pub pages: u64,
    pub total: u64,
    pub results: Vec<media::Model>,
}

/// The organization's live files, newest first. `page` counts from 1 (0 means 1, as in
/// Postiz); `search` matches the original file name, case-insensitively.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: &str,
    page: u64,
    search: Option<&str>,
) -> Result<MediaPage, DbErr> {
    let mut query = media::Entity::find()
        .filter(media::Column::OrganizationId.eq(organization_id))
        .filter(media::Column::DeletedAt.is_null());
    if let Some(term) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(&term.to_lowercase()));
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(media::Column::OriginalName)))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    let total = query.clone().count(db).await?;
    let page_index = page.saturating_sub(1);
    let results = query
        .order_by_desc(media::Column::CreatedAt)
        .order_by_desc(media::Column::Id)
        .offset(page_index.saturating_mul(PAGE_SIZE))
        .limit(PAGE_SIZE)
        .all(db)
        .await?;
    Ok(MediaPage {
        pages: total.div_ceil(PAGE_SIZE),
        total,
        results,
    })
}

/// Escapes `%`, `_` and the escape character itself for a LIKE pattern.
fn escape_like(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Marks a live file deleted; `None` when there is no such live file in the organization.
pub async fn soft_delete(
    db: &impl ConnectionTrait,
    organization_id: &str,
    id: &str,
) -> Result<Option<media::Model>, DbErr> {
    let Some(found) = find(db, organization_id, id).await? else {
        return Ok(None);
    };
    let at = now();
    let mut active: media::ActiveModel = found.into();
    active.deleted_at = Set(Some(at));
    active.updated_at = Set(at);
    active.update(db).await.map(Some)
}

/// What "save media information" changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaInformation {
    pub alt: Option<String>,
    pub thumbnail: Option<String>,
    pub thumbnail_timestamp: Option<i64>,
}

/// Sets alt text and thumbnail of a live file; `None` when there is no such live file.
pub async fn update_information(
    db: &impl ConnectionTrait,
    organization_id: &str,
    id: &str,
    info: MediaInformation,
) -> Result<Option<media::Model>, DbErr> {
    let Some(found) = find(db, organization_id, id).await? else {
        return Ok(None);
    };
    let mut active: media::ActiveModel = found.into();
    active.alt = Set(info.alt);
    active.thumbnail = Set(info.thumbnail);
    active.thumbnail_timestamp = Set(info.thumbnail_timestamp);
    active.updated_at = Set(now());
    active.update(db).await.map(Some)
}
