//! `/posts/tags`: the organization's post labels (Postiz `PostsController`, tags routes).

use actix_web::http::StatusCode;
use paperclip::actix::{api_v2_operation, web};
use postiz_auth::authz::ManageContent;
use postiz_auth::{OrgContext, Require};
use postiz_core::AppError;
use postiz_core::http::{Reply, ValidatedJson};

use crate::dto::content::{TagDto, TagRequest, TagsResponse};
use crate::service::tags::TagService;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/posts/tags")
            .route(web::get().to(list_tags))
            .route(web::post().to(create_tag)),
    )
    .service(
        web::resource("/posts/tags/{id}")
            .route(web::put().to(update_tag))
            .route(web::delete().to(delete_tag)),
    );
}

/// The organization's tags: `{tags: [...]}`, oldest first.
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn list_tags(
    org: OrgContext,
    tags: web::Data<TagService>,
) -> Result<web::Json<TagsResponse>, AppError> {
    let list = tags.list(org.org_id()).await?;
    Ok(web::Json(TagsResponse {
        tags: list.into_iter().map(TagDto::from).collect(),
    }))
}

/// Create a tag (201 with the tag); 409 when a tag already has that name.
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn create_tag(
    org: Require<ManageContent>,
    tags: web::Data<TagService>,
    body: ValidatedJson<TagRequest>,
) -> Result<Reply<TagDto>, AppError> {
    let tag = tags.create(org.org_id(), &body.name, &body.color).await?;
    Ok(Reply::ok(TagDto::from(tag)).status(StatusCode::CREATED))
}

/// Rename or recolor a tag; answers the tag.
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn update_tag(
    org: Require<ManageContent>,
    tags: web::Data<TagService>,
    path: web::Path<String>,
    body: ValidatedJson<TagRequest>,
) -> Result<web::Json<TagDto>, AppError> {
    let tag = tags
        .update(org.org_id(), &path.into_inner(), &body.name, &body.color)
        .await?;
    Ok(web::Json(TagDto::from(tag)))
}

/// Delete a tag (soft); answers the tag with `deletedAt` set. Posts no longer show it.
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn delete_tag(
    org: Require<ManageContent>,
    tags: web::Data<TagService>,
    path: web::Path<String>,
) -> Result<web::Json<TagDto>, AppError> {
    let tag = tags.delete(org.org_id(), &path.into_inner()).await?;
    Ok(web::Json(TagDto::from(tag)))
}
