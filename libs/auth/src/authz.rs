//! Role checks with casbin: RBAC with domains, where the domain is the organization. The model
//! and policy live in `config/casbin`; the groupings mirror the memberships table, refreshed
//! from the database row read on each request so every process agrees with the database.

use casbin::{CoreApi, DefaultModel, Enforcer, MgmtApi, RbacApi, StringAdapter};
use postiz_entity::Role;
use tokio::sync::RwLock;

pub const MODEL: &str = include_str!("../../../config/casbin/model.conf");
pub const POLICY: &str = include_str!("../../../config/casbin/policy.csv");

/// Something a role may or may not do; handlers name it in their `Require<P>` extractor.
pub trait Permission: 'static {
    const OBJECT: &'static str;
    const ACTION: &'static str;
}

macro_rules! permission {
    ($(#[$doc:meta])* $name:ident, $object:literal, $action:literal) => {
        $(#[$doc])*
        pub struct $name;
        impl Permission for $name {
            const OBJECT: &'static str = $object;
            const ACTION: &'static str = $action;
        }
    };
}

permission!(
    /// List, invite and remove team members.
    ManageTeam, "team", "manage"
);
permission!(
    /// Rotate the organization's public API key.
    RotateApiKey, "api_key", "rotate"
);
permission!(
    /// Change organization settings (short links, ...).
    ManageSettings, "settings", "manage"
);
permission!(
    /// Create, change and delete outgoing webhooks.
    ManageWebhooks, "webhooks", "manage"
);
permission!(
    /// Connect, configure and remove channels.
    ManageChannels, "channels", "manage"
);
permission!(
    /// Create, edit, schedule and delete posts.
    WritePosts, "posts", "write"
);
permission!(
    /// Upload and delete media.
    ManageMedia, "media", "manage"
);
permission!(
    /// Templates (sets), signatures and tags.
    ManageContent, "content", "manage"
);

#[derive(Debug, thiserror::Error)]
#[error("authorization engine: {0}")]
pub struct AuthzError(String);

/// The casbin enforcer behind a read-write lock: checks take the read lock; the write lock is
/// taken only when a member's role differs from what the enforcer holds.
pub struct Authorizer {
    enforcer: RwLock<Enforcer>,
}

impl Authorizer {
    pub async fn new() -> Result<Self, AuthzError> {
        Self::from_text(MODEL, POLICY).await
    }

    pub async fn from_text(model: &str, policy: &str) -> Result<Self, AuthzError> {
        let model = DefaultModel::from_str(model)
            .await
            .map_err(|e| AuthzError(format!("model: {e}")))?;
        let policy: String = policy
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let mut enforcer = Enforcer::new(model, StringAdapter::new(policy))
            .await
            .map_err(|e| AuthzError(format!("policy: {e}")))?;
        enforcer.enable_auto_save(false);
        Ok(Self {
            enforcer: RwLock::new(enforcer),
        })
    }

    /// Whether `role` (held by `user_id` in `org_id`) may perform `action` on `object`.
    pub async fn allowed(
        &self,
        user_id: &str,
        org_id: &str,
        role: Role,
        object: &str,
        action: &str,
    ) -> Result<bool, AuthzError> {
        self.sync_membership(user_id, org_id, role).await?;
        let enforcer = self.enforcer.read().await;
        enforcer
            .enforce((user_id, org_id, object, action))
            .map_err(|e| AuthzError(e.to_string()))
    }

    /// Makes the grouping for (user, org) equal to the role read from the database.
    async fn sync_membership(
        &self,
        user_id: &str,
        org_id: &str,
        role: Role,
    ) -> Result<(), AuthzError> {
        {
            let enforcer = self.enforcer.read().await;
            let roles = enforcer.get_roles_for_user(user_id, Some(org_id));
            if roles.len() == 1 && roles[0] == role.as_str() {
                return Ok(());
            }
        }
        let mut enforcer = self.enforcer.write().await;
        enforcer
            .delete_roles_for_user(user_id, Some(org_id))
            .await
            .map_err(|e| AuthzError(e.to_string()))?;
        enforcer
            .add_grouping_policy(vec![
                user_id.to_string(),
                role.as_str().to_string(),
                org_id.to_string(),
            ])
            .await
            .map_err(|e| AuthzError(e.to_string()))?;
        Ok(())
    }

    /// Forgets a membership (after removal), so the enforcer does not keep stale groupings.
    pub async fn forget_membership(&self, user_id: &str, org_id: &str) -> Result<(), AuthzError> {
        let mut enforcer = self.enforcer.write().await;
        enforcer
            .delete_roles_for_user(user_id, Some(org_id))
            .await
            .map(|_| ())
            .map_err(|e| AuthzError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn can(a: &Authorizer, role: Role, object: &str, action: &str) -> bool {
        a.allowed("u1", "org1", role, object, action)
            .await
            .unwrap_or(false)
    }

    #[tokio::test]
    async fn role_matrix() {
        let a = Authorizer::new().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(can(&a, Role::SuperAdmin, "team", "manage").await);
        assert!(can(&a, Role::Admin, "team", "manage").await);
        assert!(!can(&a, Role::User, "team", "manage").await);
        assert!(!can(&a, Role::User, "api_key", "rotate").await);
        assert!(can(&a, Role::User, "posts", "write").await);
        assert!(!can(&a, Role::User, "webhooks", "manage").await);
    }

    #[tokio::test]
    async fn roles_are_per_organization() {
        let a = Authorizer::new().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            a.allowed("u1", "org1", Role::Admin, "team", "manage")
                .await
                .unwrap_or(false)
        );
        assert!(
            !a.allowed("u1", "org2", Role::User, "team", "manage")
                .await
                .unwrap_or(true)
        );
        // A demotion read from the database takes effect at once.
        assert!(
            !a.allowed("u1", "org1", Role::User, "team", "manage")
                .await
                .unwrap_or(true)
        );
    }
}
