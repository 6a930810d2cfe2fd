//! `/webhooks`: outgoing webhooks (Postiz `WebhookController`). Admins only
//! (`ManageWebhooks`).

use actix_web::http::StatusCode;
use paperclip::actix::{api_v2_operation, web};
use postiz_auth::Require;
use postiz_auth::authz::ManageWebhooks;
use postiz_core::AppError;
use postiz_core::http::{Reply, ValidatedJson, ValidatedQuery, parse_json};

use crate::dto::{
    CreateWebhookRequest, CreatedWebhookDto, SendQuery, SendResponse, UpdateWebhookRequest,
    WebhookDto, WebhookIdDto,
};
use crate::service::webhooks::{WebhookInput, WebhookService};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/webhooks")
            .route(web::get().to(list))
            .route(web::post().to(create))
            .route(web::put().to(update)),
    )
    .service(web::resource("/webhooks/send").route(web::post().to(send_test)))
    .service(web::resource("/webhooks/{id}").route(web::delete().to(delete)));
}

/// The organization's webhooks with their channels and signing secrets.
#[api_v2_operation(tags(Webhooks))]
#[tracing::instrument(skip_all)]
async fn list(
    org: Require<ManageWebhooks>,
    service: web::Data<WebhookService>,
) -> Result<web::Json<Vec<WebhookDto>>, AppError> {
    let hooks = service.list(org.org_id()).await?;
    Ok(web::Json(hooks.into_iter().map(WebhookDto::from).collect()))
}

/// Create a webhook (201 `{id, secret}`). The URL must be a public `http(s)` URL; channels
/// must be the organization's (404 otherwise).
#[api_v2_operation(tags(Webhooks))]
#[tracing::instrument(skip_all)]
async fn create(
    org: Require<ManageWebhooks>,
    service: web::Data<WebhookService>,
    body: ValidatedJson<CreateWebhookRequest>,
) -> Result<Reply<CreatedWebhookDto>, AppError> {
    let body = body.into_inner();
    let created = service
        .create(
            org.org_id(),
            WebhookInput {
                name: body.name,
                url: body.url,
                integrations: body.integrations.into_iter().map(|i| i.id).collect(),
            },
        )
        .await?;
    Ok(Reply::ok(CreatedWebhookDto {
        id: created.id,
        secret: created.secret,
    })
    .status(StatusCode::CREATED))
}

/// Change a webhook's name, URL and channels (`{id}`); 404 for another organization's.
#[api_v2_operation(tags(Webhooks))]
#[tracing::instrument(skip_all)]
async fn update(
    org: Require<ManageWebhooks>,
    service: web::Data<WebhookService>,
    body: ValidatedJson<UpdateWebhookRequest>,
) -> Result<web::Json<WebhookIdDto>, AppError> {
    let body = body.into_inner();
    let id = service
        .update(
            org.org_id(),
            body.id.trim(),
            WebhookInput {
                name: body.name,
                url: body.url,
                integrations: body.integrations.into_iter().map(|i| i.id).collect(),
            },
        )
        .await?;
    Ok(web::Json(WebhookIdDto { id }))
}

/// Delete a webhook (soft); answers it with `deletedAt` set.
#[api_v2_operation(tags(Webhooks))]
#[tracing::instrument(skip_all)]
async fn delete(
    org: Require<ManageWebhooks>,
    service: web::Data<WebhookService>,
    path: web::Path<String>,
) -> Result<web::Json<WebhookDto>, AppError> {
    let hook = service.delete(org.org_id(), &path.into_inner()).await?;
    Ok(web::Json(WebhookDto::from(hook)))
}

/// Send the JSON body once to `url` (the dashboard's "Send test"), unsigned. 201
/// `{send: true, status}`; 400 when the URL is refused.
#[api_v2_operation(tags(Webhooks))]
#[tracing::instrument(skip_all)]
async fn send_test(
    _org: Require<ManageWebhooks>,
    service: web::Data<WebhookService>,
    query: ValidatedQuery<SendQuery>,
    body: web::Bytes,
) -> Result<Reply<SendResponse>, AppError> {
    let _: serde_json::Value = parse_json(&body)?;
    let sent = service.send_test(&query.url, body).await?;
    Ok(Reply::ok(SendResponse {
        send: true,
        status: sent.status,
    })
    .status(StatusCode::CREATED))
}
