//! `/posts`: the calendar, the list, the editor's reads and saves (Postiz `PostsController`).

use actix_web::http::StatusCode;
use paperclip::actix::{api_v2_operation, web};
use postiz_auth::authz::WritePosts;
use postiz_auth::{OrgContext, Require};
use postiz_core::AppError;
use postiz_core::http::{JsonLimit, PreparedJson, Reply, ValidatedJson, ValidatedQuery};

use crate::dto::posts::{
    CalendarQuery, CalendarResponse, ChangeDateRequest, ChangeDateResponse, CommentRequest,
    CommentView, CreatePostRequest, CreatedPost, DeleteResponse, ListQuery, ListResponse,
    PostGroupView, SlotResponse, ValidateRequest, ValidationResult,
};
use crate::service::comments::CommentsService;
use crate::service::posts::{CreationMethod, PostsService, SaveOptions};

/// Mounts the routes; `posts_json_limit` is the body size allowed when saving posts.
pub fn configure(cfg: &mut web::ServiceConfig, posts_json_limit: usize) {
    cfg.service(
        web::resource("/posts")
            .app_data(JsonLimit(posts_json_limit))
            .route(web::get().to(calendar))
            .route(web::post().to(save)),
    )
    .service(web::resource("/posts/list").route(web::get().to(list)))
    .service(web::resource("/posts/find-slot").route(web::get().to(find_slot)))
    .service(web::resource("/posts/find-slot/{id}").route(web::get().to(find_slot_for_channel)))
    .service(web::resource("/posts/group/{group}").route(web::get().to(get_group)))
    .service(
        web::resource("/posts/valid")
            .app_data(JsonLimit(posts_json_limit))
            .route(web::post().to(validate)),
    )
    .service(web::resource("/posts/{id}/date").route(web::put().to(change_date)))
    .service(web::resource("/posts/{id}/comments").route(web::post().to(add_comment)))
    .service(
        web::resource("/posts/{id}")
            .route(web::get().to(get_post))
            .route(web::delete().to(delete_group)),
    );
}

/// The calendar between two dates: root posts, repeating posts expanded, with Postiz's
/// minified keys (`{p: [{i, c, d, u, ri, s, g, tg, n, iv, ad, cm}]}`).
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn calendar(
    org: OrgContext,
    posts: web::Data<PostsService>,
    query: ValidatedQuery<CalendarQuery>,
) -> Result<PreparedJson<CalendarResponse>, AppError> {
    Ok(PreparedJson::new(
        posts.calendar_json(org.org_id(), &query).await?,
    ))
}

/// The paged list view (`{p, t, pg, l, hm}`); `state` is all, scheduled, draft or published.
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn list(
    org: OrgContext,
    posts: web::Data<PostsService>,
    query: ValidatedQuery<ListQuery>,
) -> Result<web::Json<ListResponse>, AppError> {
    Ok(web::Json(posts.list(org.org_id(), &query).await?))
}

/// The next free slot from the channels' posting times.
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn find_slot(
    org: OrgContext,
    posts: web::Data<PostsService>,
) -> Result<web::Json<SlotResponse>, AppError> {
    let date = posts.find_slot(org.org_id(), None).await?;
    Ok(web::Json(SlotResponse { date }))
}

/// The next free slot of one channel.
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn find_slot_for_channel(
    org: OrgContext,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
) -> Result<web::Json<SlotResponse>, AppError> {
    let date = posts
        .find_slot(org.org_id(), Some(&path.into_inner()))
        .await?;
    Ok(web::Json(SlotResponse { date }))
}

/// A post and its thread by the id of any of its items.
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn get_post(
    org: OrgContext,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
) -> Result<web::Json<PostGroupView>, AppError> {
    Ok(web::Json(
        posts.get(org.org_id(), &path.into_inner()).await?,
    ))
}

/// All items of a group.
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn get_group(
    org: OrgContext,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
) -> Result<web::Json<PostGroupView>, AppError> {
    Ok(web::Json(
        posts.get_group(org.org_id(), &path.into_inner()).await?,
    ))
}

/// Checks posts against each channel's rules without saving them.
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn validate(
    org: OrgContext,
    posts: web::Data<PostsService>,
    body: ValidatedJson<ValidateRequest>,
) -> Result<Reply<Vec<ValidationResult>>, AppError> {
    let results = posts.validate(org.org_id(), &body.posts).await?;
    Ok(Reply::ok(results).status(StatusCode::CREATED))
}

/// Create or update posts (`type`: draft, schedule, now, update). A post breaking a channel's
/// rules is refused with 400 `{provider, name, message}` and nothing is saved.
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn save(
    org: Require<WritePosts>,
    posts: web::Data<PostsService>,
    body: ValidatedJson<CreatePostRequest>,
) -> Result<Reply<Vec<CreatedPost>>, AppError> {
    let created = posts
        .save(
            org.org_id(),
            body.into_inner(),
            SaveOptions {
                method: CreationMethod::Web,
                keep_group: false,
            },
        )
        .await?;
    Ok(Reply::ok(created).status(StatusCode::CREATED))
}

/// Delete a group (all its items); its pending publication stops.
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn delete_group(
    org: Require<WritePosts>,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
) -> Result<web::Json<DeleteResponse>, AppError> {
    posts.delete_group(org.org_id(), &path.into_inner()).await?;
    // Postiz answers this literal shape.
    Ok(web::Json(DeleteResponse { error: true }))
}

/// Move a post to another date (`action`: update, the default, or schedule to queue it again).
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn change_date(
    org: Require<WritePosts>,
    posts: web::Data<PostsService>,
    path: web::Path<String>,
    body: ValidatedJson<ChangeDateRequest>,
) -> Result<web::Json<ChangeDateResponse>, AppError> {
    Ok(web::Json(
        posts
            .change_date(org.org_id(), &path.into_inner(), &body)
            .await?,
    ))
}

/// Add a team review comment to a post.
#[api_v2_operation(tags(Posts))]
#[tracing::instrument(skip_all)]
async fn add_comment(
    org: OrgContext,
    comments: web::Data<CommentsService>,
    path: web::Path<String>,
    body: ValidatedJson<CommentRequest>,
) -> Result<Reply<CommentView>, AppError> {
    let comment = comments
        .add(
            org.org_id(),
            org.user_id(),
            &path.into_inner(),
            &body.comment,
        )
        .await?;
    Ok(Reply::ok(comment).status(StatusCode::CREATED))
}
