//! `/sets`: saved composer states that prefill new posts (Postiz `SetsController`).

use actix_web::http::StatusCode;
use paperclip::actix::{api_v2_operation, web};
use postiz_auth::authz::ManageContent;
use postiz_auth::{OrgContext, Require};
use postiz_core::AppError;
use postiz_core::http::{Reply, ValidatedJson};

use crate::dto::content::{CreateSetRequest, IdResponse, SetDto, UpdateSetRequest};
use crate::service::sets::SetService;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/sets")
            .route(web::get().to(list_sets))
            .route(web::post().to(create_set))
            .route(web::put().to(update_set)),
    )
    .service(web::resource("/sets/{id}").route(web::delete().to(delete_set)));
}

/// The organization's sets, newest first (always an array).
#[api_v2_operation(tags(Sets))]
#[tracing::instrument(skip_all)]
async fn list_sets(
    org: OrgContext,
    sets: web::Data<SetService>,
) -> Result<web::Json<Vec<SetDto>>, AppError> {
    let list = sets.list(org.org_id()).await?;
    Ok(web::Json(list.into_iter().map(SetDto::from).collect()))
}

/// Save a set: a new one, or set `id` when given (the dashboard edits sets this way).
/// Answers 201 with `{id}`.
#[api_v2_operation(tags(Sets))]
#[tracing::instrument(skip_all)]
async fn create_set(
    org: Require<ManageContent>,
    sets: web::Data<SetService>,
    body: ValidatedJson<CreateSetRequest>,
) -> Result<Reply<IdResponse>, AppError> {
    let body = body.into_inner();
    let id = sets
        .save(org.org_id(), body.id.as_deref(), &body.name, &body.content)
        .await?;
    Ok(Reply::ok(IdResponse { id }).status(StatusCode::CREATED))
}

/// Change a set; answers `{id}`.
#[api_v2_operation(tags(Sets))]
#[tracing::instrument(skip_all)]
async fn update_set(
    org: Require<ManageContent>,
    sets: web::Data<SetService>,
    body: ValidatedJson<UpdateSetRequest>,
) -> Result<web::Json<IdResponse>, AppError> {
    let body = body.into_inner();
    let id = sets
        .update(org.org_id(), &body.id, &body.name, &body.content)
        .await?;
    Ok(web::Json(IdResponse { id }))
}

/// Delete a set (soft); answers the set as it was.
#[api_v2_operation(tags(Sets))]
#[tracing::instrument(skip_all)]
async fn delete_set(
    org: Require<ManageContent>,
    sets: web::Data<SetService>,
    path: web::Path<String>,
) -> Result<web::Json<SetDto>, AppError> {
    let set = sets.delete(org.org_id(), &path.into_inner()).await?;
    Ok(web::Json(SetDto::from(set)))
}
