//! The team's review comments on a post, and the public preview of them.

use postiz_core::ids::to_json_time;
use postiz_entity::post_comment;
use sea_orm::DatabaseConnection;

use crate::dto::posts::CommentView;
use crate::error::PostsError;
use crate::repository::{comments as repo, posts as posts_repo};

#[derive(Clone)]
pub struct CommentsService {
    db: DatabaseConnection,
}

impl CommentsService {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Adds a comment to a post of the organization.
    pub async fn add(
        &self,
        org_id: &str,
        user_id: &str,
        post_id: &str,
        content: &str,
    ) -> Result<CommentView, PostsError> {
        posts_repo::find_any(&self.db, org_id, post_id)
            .await?
            .filter(|p| p.deleted_at.is_none())
            .ok_or(PostsError::NotFound("Post not found"))?;
        let row = repo::insert(&self.db, org_id, user_id, post_id, content.trim()).await?;
        Ok(view(row))
    }

    /// A live post's comments, for the public preview page.
    pub async fn of_post(&self, post_id: &str) -> Result<Vec<CommentView>, PostsError> {
        posts_repo::find_live(&self.db, post_id)
            .await?
            .ok_or(PostsError::NotFound("Post not found"))?;
        Ok(repo::of_post(&self.db, post_id)
            .await?
            .into_iter()
            .map(view)
            .collect())
    }
}

fn view(row: post_comment::Model) -> CommentView {
    CommentView {
        id: row.id,
        content: row.content,
        post_id: row.post_id,
        user_id: row.user_id,
        organization_id: row.organization_id,
        created_at: to_json_time(&row.created_at),
        updated_at: to_json_time(&row.updated_at),
    }
}
