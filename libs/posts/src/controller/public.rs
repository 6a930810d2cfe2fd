//! `/public/posts`: the preview page data, readable by anyone with the post's id.

use paperclip::actix::{api_v2_operation, web};
use postiz_core::AppError;

use crate::dto::posts::{CommentsResponse, PostItemView};
use crate::service::comments::CommentsService;
use crate::service::posts::PostsService;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/public/posts/{id}").route(web::get().to(preview)))
        .service(web::resource("/public/posts/{id}/comments").route(web::get().to(comments)));
}

/// The thread of a post with its channel, for the shareable preview page.
#[api_v2_operation(tags(Preview))]
#[tracing::instrument(skip_all)]
async fn preview(
    posts: web::Data<PostsService>,
    path: web::Path<String>,
) -> Result<web::Json<Vec<PostItemView>>, AppError> {
    Ok(web::Json(posts.preview(&path.into_inner()).await?))
}

/// The team's comments on a post, for the preview page.
#[api_v2_operation(tags(Preview))]
#[tracing::instrument(skip_all)]
async fn comments(
    comments: web::Data<CommentsService>,
    path: web::Path<String>,
) -> Result<web::Json<CommentsResponse>, AppError> {
    Ok(web::Json(CommentsResponse {
        comments: comments.of_post(&path.into_inner()).await?,
    }))
}
