//! `/public/v1/posts`: list, create (rate limited, idempotent), read, edit, delete, and
//! Postiz's settings, status, missing and release-id routes.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder, ResponseError};
use paperclip::actix::{OperationModifier, api_v2_operation, web};
use paperclip::v2::models::{
    DataType, DefaultOperationRaw, DefaultSchemaRaw, Either, Parameter, ParameterIn, Response,
};
use paperclip::v2::schema::Apiv2Schema;
use postiz_core::http::{JsonLimit, ValidatedJson, ValidatedQuery, parse_json, read_json_body};
use postiz_core::{AppError, ErrorCode};
use postiz_posts::dto::posts::{
    CreatePostRequest, CreatedPost, DeleteResponse, PostGroupView, SlotResponse,
};
use postiz_posts::service::posts::{CreationMethod, PostsService, SaveOptions};
use serde_json::json;
use validator::Validate;

use crate::auth::{ApiKeyOrg, require_api_key};
use crate::dto::{
    ChangeStatusRequest, ChangeStatusResponse, CreatePostBody, MissingCandidate, PostsList,
    PostsQuery, ReleaseIdRequest, UpdatePostRequest, UpdateSettingsRequest, UpdateSettingsResponse,
};
use crate::error::{ApiError, with_msg};
use crate::service::PublicApi;
use crate::service::idempotency::{Begin, InvalidKey, Ticket, check_key, fingerprint};
use crate::service::posts::{self as edits, EditKind, PostEdit};
use actix_web::middleware::from_fn;

/// The request header of idempotent creations.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Set on an answer replayed for a repeated `Idempotency-Key`.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

pub fn configure(cfg: &mut web::ServiceConfig, posts_json_limit: usize) {
    cfg.service(
        web::resource("/public/v1/posts")
            .app_data(JsonLimit(posts_json_limit))
            .route(web::get().to(list))
            .route(web::post().to(create))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/posts/group/{group}")
            .route(web::delete().to(delete_group))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/posts/{id}/missing")
            .route(web::get().to(missing))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/posts/{id}/settings")
            .route(web::put().to(update_settings))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/posts/{id}/status")
            .route(web::put().to(change_status))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/posts/{id}/release-id")
            .route(web::put().to(release_id))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/posts/{id}")
            .app_data(JsonLimit(posts_json_limit))
            .route(web::get().to(get_post))
            .route(web::put().to(update_post))
            .route(web::delete().to(delete_post))
            .wrap(from_fn(require_api_key)),
    )
    .service(
        web::resource("/public/v1/find-slot/{id}")
            .route(web::get().to(find_slot))
            .wrap(from_fn(require_api_key)),
    );
}

/// The organization's root posts between two dates, not minified (`{posts: [...]}`); repeating
/// posts appear once per occurrence. The range may span up to 366 days.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn list(
    org: ApiKeyOrg,
    posts: web::Data<PostsService>,
    query: ValidatedQuery<PostsQuery>,
) -> Result<web::Json<PostsList>, ApiError> {
    let posts = edits::list(
        &posts,
        org.org_id(),
        &query.start_date,
        &query.end_date,
        query.customer.as_deref(),
    )
    .await?;
    Ok(web::Json(PostsList { posts }))
}

/// Create posts: the dashboard's body (Postiz `CreatePostDto`) plus `creationMethod` (`API` or
/// `CLI`). Answers 201 `[{postId, integration}]`; a post breaking a channel's rules is 400
/// `{provider, name, message}` and nothing is written.
///
/// Limited to `API_LIMIT` requests per organization per hour (429 with `Retry-After`). With an
/// `Idempotency-Key` header (1 to 255 characters), a retry with the same key and body gets the
/// first answer again (header `idempotent-replayed: true`) instead of creating the posts twice;
/// the same key with another body is 422, and while the first request still runs, 409. Keys
/// are kept 24 hours per organization.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn create(
    org: ApiKeyOrg,
    api: web::Data<PublicApi>,
    posts: web::Data<PostsService>,
    req: HttpRequest,
    body: CreatePostPayload,
) -> Result<CreatedPostsReply, ApiError> {
    let org_id = org.org_id().to_string();
    let key = idempotency_key(&req)?;
    let value: serde_json::Value = parse_json(&body.0)?;
    let ticket = match &key {
        None => None,
        Some(key) => match api
            .idempotency
            .begin(&org_id, key, &fingerprint(&value))
            .await?
        {
            Begin::Run(ticket) => Some(ticket),
            Begin::Replay(answer) => {
                let status = StatusCode::from_u16(answer.status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return Ok(CreatedPostsReply {
                    status,
                    body: answer.body,
                    replayed: true,
                });
            }
            Begin::Mismatch => return Err(ApiError::IdempotencyMismatch),
            Begin::InProgress => {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    "A request with this Idempotency-Key is still being processed; retry shortly",
                )
                .into());
            }
        },
    };
    match api.limiter.hit(&org_id).await {
        Ok(None) => {}
        Ok(Some(retry_after)) => {
            if let Some(ticket) = &ticket {
                api.idempotency.release(ticket).await;
            }
            return Err(AppError::too_many_requests(
                format!(
                    "Too many posts created through the API: at most {} per hour",
                    api.limiter.limit()
                ),
                retry_after,
            )
            .into());
        }
        Err(e) => {
            if let Some(ticket) = &ticket {
                api.idempotency.release(ticket).await;
            }
            return Err(e.into());
        }
    }
    // The creation runs in its own task: if the client goes away, it still finishes and records
    // its answer for the retry.
    let task = actix_web::rt::spawn(run_creation(
        posts.get_ref().clone(),
        api.get_ref().clone(),
        org_id,
        body.0,
        value,
        ticket,
    ));
    task.await.map_err(|e| {
        ApiError::from(AppError::internal(anyhow::anyhow!(
            "post creation task: {e}"
        )))
    })?
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(raw) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    raw.to_str()
        .ok()
        .and_then(|k| check_key(k).ok())
        .map(|k| Some(k.to_string()))
        .ok_or_else(|| ApiError::from(AppError::validation(vec![InvalidKey.to_string()])))
}

async fn run_creation(
    posts: PostsService,
    api: PublicApi,
    org_id: String,
    bytes: web::Bytes,
    value: serde_json::Value,
    ticket: Option<Ticket>,
) -> Result<CreatedPostsReply, ApiError> {
    match create_posts(&posts, &org_id, &bytes, &value).await {
        Ok(created) => {
            let body = serde_json::to_value(&created).unwrap_or_else(|_| json!([]));
            if let Some(ticket) = &ticket
                && let Err(e) = api
                    .idempotency
                    .complete(ticket, StatusCode::CREATED.as_u16(), &body)
                    .await
            {
                tracing::error!(error = %e, "the answer of an idempotent request was not kept");
            }
            Ok(CreatedPostsReply {
                status: StatusCode::CREATED,
                body,
                replayed: false,
            })
        }
        Err(e) => {
            let e = with_msg(e);
            if let Some(ticket) = &ticket {
                if e.code().status().is_server_error() {
                    // The posts may have been written: a retry must not write them again.
                    let response = e.error_response();
                    let status = response.status().as_u16();
                    let body = actix_web::body::MessageBody::try_into_bytes(response.into_body())
                        .ok()
                        .and_then(|b| serde_json::from_slice(&b).ok())
                        .unwrap_or_else(|| json!({"statusCode": status}));
                    if let Err(err) = api.idempotency.complete(ticket, status, &body).await {
                        tracing::error!(error = %err, "the answer of an idempotent request was not kept");
                    }
                } else {
                    // Refused before anything was written: the same request may come again.
                    api.idempotency.release(ticket).await;
                }
            }
            Err(ApiError::App(e))
        }
    }
}

/// Parses, validates and saves a creation request.
async fn create_posts(
    posts: &PostsService,
    org_id: &str,
    bytes: &[u8],
    value: &serde_json::Value,
) -> Result<Vec<CreatedPost>, AppError> {
    let method = match value
        .get("creationMethod")
        .and_then(serde_json::Value::as_str)
    {
        Some("CLI") => CreationMethod::Cli,
        _ => CreationMethod::Api,
    };
    let request: CreatePostRequest = parse_json(bytes)?;
    request
        .validate()
        .map_err(postiz_core::http::validation_error)?;
    // A group sent by the client is kept (Postiz: `body.group || uuid`), shared by every channel
    // of the request; without one the request gets a fresh group.
    Ok(posts
        .save(
            org_id,
            request,
            SaveOptions {
                method,
                keep_group: true,
            },
        )
        .await?)
}

/// A post and its thread, by the id of any of its items (the dashboard's `GET /posts/{id}`
/// shape: `{group, posts, integration, integrationPicture, settings, tags}`).
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn get_post(
    org: ApiKeyOrg,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
) -> Result<web::Json<PostGroupView>, ApiError> {
    Ok(web::Json(
        posts.get(org.org_id(), &path.into_inner()).await?,
    ))
}

/// Edit a post that is not published yet (a draft, or a scheduled post whose time has not
/// come): its date, the first item's `content` or the whole thread (`value`), its provider
/// `settings` (merged) and `tags`. The post keeps its group, its state and its items' ids; a
/// scheduled post is queued again for its (new) date. The same validation as creation applies.
/// Answers the post as `GET /public/v1/posts/{id}` does.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn update_post(
    org: ApiKeyOrg,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
    body: ValidatedJson<UpdatePostRequest>,
) -> Result<web::Json<PostGroupView>, ApiError> {
    let body = body.into_inner();
    if body.date.is_none()
        && body.content.is_none()
        && body.value.is_none()
        && body.settings.is_none()
        && body.tags.is_none()
    {
        return Err(AppError::validation(vec![
            "Nothing to change: send date, content, value, settings or tags".into(),
        ])
        .into());
    }
    let settings = match body.settings {
        None => None,
        Some(serde_json::Value::Object(map)) => Some(map),
        Some(_) => {
            return Err(AppError::validation(vec!["settings must be an object".into()]).into());
        }
    };
    let root = edits::editable_root(&posts, org.org_id(), &path.into_inner()).await?;
    let saved = edits::rewrite(
        &posts,
        org.org_id(),
        &root,
        PostEdit {
            date: body.date,
            content: body.content,
            value: body.value,
            settings,
            tags: body.tags,
        },
        EditKind::Keep,
    )
    .await?;
    Ok(web::Json(posts.get(org.org_id(), &saved.post_id).await?))
}

/// Delete the group of a post (all channels' posts created together); their pending
/// publications stop. Answers Postiz's `{error: true}`.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn delete_post(
    org: ApiKeyOrg,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
) -> Result<web::Json<DeleteResponse>, ApiError> {
    let root = posts.root_of(org.org_id(), &path.into_inner()).await?;
    posts.delete_group(org.org_id(), &root.group_id).await?;
    Ok(web::Json(DeleteResponse { error: true }))
}

/// Delete a group by its id. Answers Postiz's `{error: true}`.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn delete_group(
    org: ApiKeyOrg,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
) -> Result<web::Json<DeleteResponse>, ApiError> {
    posts.delete_group(org.org_id(), &path.into_inner()).await?;
    Ok(web::Json(DeleteResponse { error: true }))
}

/// Merge provider settings into a post that is not published yet (pass the main post's id);
/// content and date stay. Answers `{postId, publishDate}`.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn update_settings(
    org: ApiKeyOrg,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
    body: ValidatedJson<UpdateSettingsRequest>,
) -> Result<web::Json<UpdateSettingsResponse>, ApiError> {
    let serde_json::Value::Object(mut patch) = body.into_inner().settings else {
        return Err(AppError::validation(vec!["settings must be an object".into()]).into());
    };
    patch.remove("__type");
    let id = path.into_inner();
    let root = edits::editable_root(&posts, org.org_id(), &id).await?;
    if root.id != id {
        return Err(AppError::bad_request(
            "This id belongs to a comment, pass the id of the main post",
        )
        .into());
    }
    let saved = edits::rewrite(
        &posts,
        org.org_id(),
        &root,
        PostEdit {
            settings: Some(patch),
            ..PostEdit::default()
        },
        EditKind::Keep,
    )
    .await?;
    Ok(web::Json(UpdateSettingsResponse {
        post_id: saved.post_id,
        publish_date: edits::plain_date(&root.publish_date),
    }))
}

/// Turn a post into a draft (its pending publication stops) or schedule a draft (`{status:
/// "draft" | "schedule"}`). A published post cannot be scheduled again. Answers `{id, state}`.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn change_status(
    org: ApiKeyOrg,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
    body: ValidatedJson<ChangeStatusRequest>,
) -> Result<web::Json<ChangeStatusResponse>, ApiError> {
    let kind = match body.status.as_str() {
        "draft" => EditKind::Draft,
        "schedule" => EditKind::Schedule,
        _ => {
            return Err(
                AppError::validation(vec!["status must be draft or schedule".into()]).into(),
            );
        }
    };
    let id = path.into_inner();
    let root = posts.root_of(org.org_id(), &id).await?;
    if root.state == "PUBLISHED" {
        return Err(AppError::bad_request(
            "This post was already published; its status cannot change",
        )
        .into());
    }
    edits::rewrite(&posts, org.org_id(), &root, PostEdit::default(), kind).await?;
    Ok(web::Json(ChangeStatusResponse {
        id,
        state: if kind == EditKind::Draft {
            "DRAFT"
        } else {
            "QUEUE"
        }
        .into(),
    }))
}

/// Content of the network that a post whose release id is `missing` may be connected to.
/// No provider of this build leaves posts `missing`, so the list is empty.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn missing(
    org: ApiKeyOrg,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
) -> Result<web::Json<Vec<MissingCandidate>>, ApiError> {
    posts.get(org.org_id(), &path.into_inner()).await?;
    Ok(web::Json(Vec::new()))
}

/// Connect a post whose release id is `missing` to the network's content (`{releaseId}`).
/// No provider of this build leaves posts `missing`, so this is always refused with 400.
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn release_id(
    org: ApiKeyOrg,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
    body: ValidatedJson<ReleaseIdRequest>,
) -> Result<web::Json<PostGroupView>, ApiError> {
    let id = path.into_inner();
    let view = posts.get(org.org_id(), &id).await?;
    let missing = view
        .posts
        .iter()
        .any(|p| p.id == id && p.release_id.as_deref() == Some("missing"));
    let given = match &body.release_id {
        Some(serde_json::Value::String(s)) => !s.trim().is_empty(),
        Some(serde_json::Value::Number(_)) => true,
        _ => false,
    };
    if !given {
        return Err(AppError::validation(vec!["releaseId is required".into()]).into());
    }
    if !missing {
        return Err(AppError::bad_request(
            "This post is not waiting for a release id (only posts published as `missing` can be connected)",
        )
        .into());
    }
    Err(
        AppError::bad_request("Connecting a missing release id is not supported by this server")
            .into(),
    )
}

/// The next free slot of a channel from its posting times (`{date}`).
#[api_v2_operation(tags("Public API"))]
#[tracing::instrument(skip_all)]
async fn find_slot(
    org: ApiKeyOrg,
    channels: web::Data<postiz_channels::ChannelService>,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
) -> Result<web::Json<SlotResponse>, ApiError> {
    let id = path.into_inner();
    channels.get(org.org_id(), &id).await?;
    let date = posts.find_slot(org.org_id(), Some(&id)).await?;
    Ok(web::Json(SlotResponse { date }))
}

/// The raw JSON body of `POST /public/v1/posts` (read whole, up to the posts body limit), kept
/// as bytes for the idempotency fingerprint; documented as [`CreatePostBody`].
pub struct CreatePostPayload(pub web::Bytes);

impl FromRequest for CreatePostPayload {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json_body(req, payload);
        Box::pin(async move { Ok(CreatePostPayload(body.await?)) })
    }
}

impl Apiv2Schema for CreatePostPayload {}

impl OperationModifier for CreatePostPayload {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        <web::Json<CreatePostBody> as OperationModifier>::update_parameter(op);
        op.parameters.push(Either::Right(Parameter {
            in_: ParameterIn::Header,
            name: "Idempotency-Key".into(),
            required: false,
            data_type: Some(DataType::String),
            description: Some(
                "Makes retries safe: the same key with the same body returns the first answer \
                 instead of creating the posts again (kept 24 hours per organization)"
                    .into(),
            ),
            ..Default::default()
        }));
    }

    fn update_definitions(map: &mut BTreeMap<String, DefaultSchemaRaw>) {
        <web::Json<CreatePostBody> as OperationModifier>::update_definitions(map);
    }
}

/// The answer of `POST /public/v1/posts`: 201 with the created posts, or a replayed answer.
pub struct CreatedPostsReply {
    status: StatusCode,
    body: serde_json::Value,
    replayed: bool,
}

impl Responder for CreatedPostsReply {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        if self.replayed {
            builder.insert_header((REPLAYED_HEADER, "true"));
        }
        builder.json(self.body)
    }
}

impl Apiv2Schema for CreatedPostsReply {}

impl OperationModifier for CreatedPostsReply {
    fn update_response(op: &mut DefaultOperationRaw) {
        let mut created = <Vec<CreatedPost> as Apiv2Schema>::schema_with_ref();
        created.retain_ref();
        op.responses.insert(
            "201".into(),
            Either::Right(Response {
                description: Some(
                    "Created: one `{postId, integration}` per channel (also a replayed answer, \
                     with `idempotent-replayed: true`)"
                        .into(),
                ),
                schema: Some(created),
                ..Default::default()
            }),
        );
        for (code, description) in [
            (
                "409",
                "The same Idempotency-Key is still being processed; retry shortly",
            ),
            (
                "422",
                "The Idempotency-Key was already used with a different body",
            ),
            (
                "429",
                "Over API_LIMIT post creations this hour; `Retry-After` says when to retry",
            ),
        ] {
            op.responses.insert(
                code.into(),
                Either::Right(Response {
                    description: Some(description.into()),
                    schema: Some(DefaultSchemaRaw {
                        reference: Some("#/definitions/ErrorResponse".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
            );
        }
    }

    fn update_definitions(map: &mut BTreeMap<String, DefaultSchemaRaw>) {
        <web::Json<Vec<CreatedPost>> as OperationModifier>::update_definitions(map);
    }
}
