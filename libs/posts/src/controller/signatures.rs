//! `/signatures`: snippets appended to posts, one of them automatically (Postiz
//! `SignatureController`).

use actix_web::http::StatusCode;
use paperclip::actix::{api_v2_operation, web};
use postiz_auth::authz::ManageContent;
use postiz_auth::{OrgContext, Require};
use postiz_core::AppError;
use postiz_core::http::{Reply, ValidatedJson};

use crate::dto::content::{DefaultSignatureResponse, IdResponse, SignatureDto, SignatureRequest};
use crate::service::signatures::SignatureService;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/signatures")
            .route(web::get().to(list_signatures))
            .route(web::post().to(create_signature)),
    )
    .service(web::resource("/signatures/default").route(web::get().to(default_signature)))
    .service(
        web::resource("/signatures/{id}")
            .route(web::put().to(update_signature))
            .route(web::delete().to(delete_signature)),
    );
}

/// The organization's signatures, oldest first (always an array).
#[api_v2_operation(tags(Signatures))]
#[tracing::instrument(skip_all)]
async fn list_signatures(
    org: OrgContext,
    signatures: web::Data<SignatureService>,
) -> Result<web::Json<Vec<SignatureDto>>, AppError> {
    let list = signatures.list(org.org_id()).await?;
    Ok(web::Json(
        list.into_iter().map(SignatureDto::from).collect(),
    ))
}

/// The signature added automatically to new posts, or `{}` when there is none.
#[api_v2_operation(tags(Signatures))]
#[tracing::instrument(skip_all)]
async fn default_signature(
    org: OrgContext,
    signatures: web::Data<SignatureService>,
) -> Result<web::Json<DefaultSignatureResponse>, AppError> {
    let found = signatures.default_signature(org.org_id()).await?;
    Ok(web::Json(DefaultSignatureResponse(
        found.map(SignatureDto::from),
    )))
}

/// Create a signature; with `autoAdd` it replaces the one added automatically. Answers 201
/// with `{id}`.
#[api_v2_operation(tags(Signatures))]
#[tracing::instrument(skip_all)]
async fn create_signature(
    org: Require<ManageContent>,
    signatures: web::Data<SignatureService>,
    body: ValidatedJson<SignatureRequest>,
) -> Result<Reply<IdResponse>, AppError> {
    let id = signatures
        .create(org.org_id(), &body.content, body.auto_add)
        .await?;
    Ok(Reply::ok(IdResponse { id }).status(StatusCode::CREATED))
}

/// Change a signature; with `autoAdd` it replaces the one added automatically. Answers `{id}`.
#[api_v2_operation(tags(Signatures))]
#[tracing::instrument(skip_all)]
async fn update_signature(
    org: Require<ManageContent>,
    signatures: web::Data<SignatureService>,
    path: web::Path<String>,
    body: ValidatedJson<SignatureRequest>,
) -> Result<web::Json<IdResponse>, AppError> {
    let id = signatures
        .update(
            org.org_id(),
            &path.into_inner(),
            &body.content,
            body.auto_add,
        )
        .await?;
    Ok(web::Json(IdResponse { id }))
}

/// Delete a signature (soft); answers it with `deletedAt` set.
#[api_v2_operation(tags(Signatures))]
#[tracing::instrument(skip_all)]
async fn delete_signature(
    org: Require<ManageContent>,
    signatures: web::Data<SignatureService>,
    path: web::Path<String>,
) -> Result<web::Json<SignatureDto>, AppError> {
    let signature = signatures.delete(org.org_id(), &path.into_inner()).await?;
    Ok(web::Json(SignatureDto::from(signature)))
}
