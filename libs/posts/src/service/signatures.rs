//! Signatures: reusable snippets the composer appends to posts. At most one live signature per
//! organization is added automatically (`auto_add`); marking one unsets the others in the same
//! transaction, serialized per organization.

use postiz_core::ids::{is_valid_id, now};
use postiz_entity::signature;
use sea_orm::DatabaseConnection;

use crate::error::PostsError;
use crate::repository::signatures as repo;

/// Longest signature, in characters.
pub const SIGNATURE_MAX_CHARS: usize = 20_000;

const NOT_FOUND: &str = "Signature not found";

fn check(content: &str) -> Result<(), PostsError> {
    if content.trim().is_empty() {
        return Err(PostsError::Invalid("content must not be blank".into()));
    }
    if content.contains('\0') {
        return Err(PostsError::Invalid(
            "content must not contain NUL characters".into(),
        ));
    }
    if content.chars().count() > SIGNATURE_MAX_CHARS {
        return Err(PostsError::Invalid(format!(
            "content must be at most {SIGNATURE_MAX_CHARS} characters long"
        )));
    }
    Ok(())
}

#[derive(Clone)]
pub struct SignatureService {
    db: DatabaseConnection,
}

impl SignatureService {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The organization's live signatures, oldest first.
    pub async fn list(&self, org_id: &str) -> Result<Vec<signature::Model>, PostsError> {
        Ok(repo::list(&self.db, org_id).await?)
    }

    /// The signature added automatically to new posts, if any.
    pub async fn default_signature(
        &self,
        org_id: &str,
    ) -> Result<Option<signature::Model>, PostsError> {
        Ok(repo::find_auto_add(&self.db, org_id).await?)
    }

    /// Creates a signature; answers its id.
    pub async fn create(
        &self,
        org_id: &str,
        content: &str,
        auto_add: bool,
    ) -> Result<String, PostsError> {
        check(content)?;
        let org_id = org_id.to_string();
        let content = content.to_string();
        let id = postiz_core::db::write_transaction::<_, _, PostsError>(&self.db, |tx| {
            Box::pin(async move {
                repo::lock_organization(tx, &org_id).await?;
                let created = repo::insert(tx, &org_id, &content, auto_add).await?;
                if auto_add {
                    repo::clear_auto_add_except(tx, &org_id, &created.id).await?;
                }
                Ok(created.id)
            })
        })
        .await?;
        Ok(id)
    }

    /// Changes a signature of the organization; answers its id.
    pub async fn update(
        &self,
        org_id: &str,
        id: &str,
        content: &str,
        auto_add: bool,
    ) -> Result<String, PostsError> {
        check(content)?;
        if !is_valid_id(id) {
            return Err(PostsError::NotFound(NOT_FOUND));
        }
        let org_id = org_id.to_string();
        let id = id.to_string();
        let content = content.to_string();
        postiz_core::db::write_transaction::<_, _, PostsError>(&self.db, |tx| {
            Box::pin(async move {
                repo::lock_organization(tx, &org_id).await?;
                if !repo::update(tx, &org_id, &id, &content, auto_add).await? {
                    return Err(PostsError::NotFound(NOT_FOUND));
                }
                if auto_add {
                    repo::clear_auto_add_except(tx, &org_id, &id).await?;
                }
                Ok(id)
            })
        })
        .await
        .map_err(PostsError::from)
    }

    /// Soft-deletes a signature; answers it as it was.
    pub async fn delete(&self, org_id: &str, id: &str) -> Result<signature::Model, PostsError> {
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
        Ok(signature::Model {
            updated_at: at,
            deleted_at: Some(at),
            ..current
        })
    }
}
