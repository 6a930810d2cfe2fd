//! Sets: saved composer states that prefill a new post. The content is the dashboard's JSON
//! string, stored as is once checked to be a JSON object of bounded size.

use postiz_core::ids::{is_valid_id, now};
use postiz_entity::set;
use sea_orm::DatabaseConnection;

use crate::error::PostsError;
use crate::repository::sets as repo;

/// Largest set content in bytes.
pub const SET_CONTENT_MAX_BYTES: usize = 1024 * 1024;
/// Longest set name, in characters.
pub const SET_NAME_MAX_CHARS: usize = 255;

const NOT_FOUND: &str = "Set not found";

/// Why `content` cannot be a set's content, if it cannot: it must be a JSON object serialized
/// as a string, of at most [`SET_CONTENT_MAX_BYTES`].
pub fn content_problem(content: &str) -> Option<String> {
    if content.len() > SET_CONTENT_MAX_BYTES {
        return Some(format!("must be at most {SET_CONTENT_MAX_BYTES} bytes"));
    }
    match serde_json::from_str::<serde_json::Value>(content) {
        Ok(serde_json::Value::Object(_)) => None,
        Ok(_) | Err(_) => Some("must be a JSON object serialized as a string".into()),
    }
}

fn check(name: &str, content: &str) -> Result<String, PostsError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(PostsError::Invalid("name must not be blank".into()));
    }
    if name.chars().count() > SET_NAME_MAX_CHARS {
        return Err(PostsError::Invalid(format!(
            "name must be at most {SET_NAME_MAX_CHARS} characters long"
        )));
    }
    if let Some(problem) = content_problem(content) {
        return Err(PostsError::Invalid(format!("content {problem}")));
    }
    Ok(name.to_string())
}

#[derive(Clone)]
pub struct SetService {
    db: DatabaseConnection,
}

impl SetService {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The organization's live sets, newest first.
    pub async fn list(&self, org_id: &str) -> Result<Vec<set::Model>, PostsError> {
        Ok(repo::list(&self.db, org_id).await?)
    }

    /// Creates a set, or changes set `id` when given (the dashboard saves edits this way).
    /// Answers the set's id.
    pub async fn save(
        &self,
        org_id: &str,
        id: Option<&str>,
        name: &str,
        content: &str,
    ) -> Result<String, PostsError> {
        match id {
            Some(id) => self.update(org_id, id, name, content).await,
            None => {
                let name = check(name, content)?;
                Ok(repo::insert(&self.db, org_id, &name, content).await?.id)
            }
        }
    }

    /// Changes a set of the organization. Answers its id.
    pub async fn update(
        &self,
        org_id: &str,
        id: &str,
        name: &str,
        content: &str,
    ) -> Result<String, PostsError> {
        let name = check(name, content)?;
        if !is_valid_id(id) {
            return Err(PostsError::NotFound(NOT_FOUND));
        }
        if !repo::update(&self.db, org_id, id, &name, content).await? {
            return Err(PostsError::NotFound(NOT_FOUND));
        }
        Ok(id.to_string())
    }

    /// Soft-deletes a set; answers it as it was.
    pub async fn delete(&self, org_id: &str, id: &str) -> Result<set::Model, PostsError> {
        if !is_valid_id(id) {
            return Err(PostsError::NotFound(NOT_FOUND));
        }
        let current = repo::find(&self.db, org_id, id)
            .await?
            .ok_or(PostsError::NotFound(NOT_FOUND))?;
        let at = now();
        if !repo::soft_delete(&self.db, org_id, id, at).await? {
            return Err(PostsError::NotFound(NOT_FOUND));
        }
        Ok(set::Model {
            updated_at: at,
            deleted_at: Some(at),
            ..current
        })
    }
}
