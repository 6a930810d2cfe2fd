//! Organizations, their members, invitations and the public API key.

use std::sync::Arc;

use anyhow::anyhow;
use chrono::{DateTime, Duration, Utc};
use postiz_core::ids::{now, random_token};
use postiz_core::mailer::{Email, Mailer, escape_html};
use postiz_core::secrets::Sealer;
use postiz_core::settings::Settings;
use postiz_entity::{Role, membership, organization, user};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::{AuthError, normalize_email};
use crate::authz::Authorizer;
use crate::identity_cache::{IdentityCache, Memberships};
use crate::repository::{self as repo, NewInvitation};
use crate::session::{TokenError, Tokens};

/// An organization as one of its members sees it.
#[derive(Debug, Clone)]
pub struct OrganizationView {
    pub organization: organization::Model,
    pub role: Role,
    pub disabled: bool,
}

/// A member as the team page lists it.
#[derive(Debug, Clone)]
pub struct MemberView {
    pub user: user::Model,
    pub role: Role,
    pub disabled: bool,
}

#[derive(Clone)]
pub struct OrganizationService {
    db: DatabaseConnection,
    identities: Arc<IdentityCache>,
    sealer: Sealer,
    tokens: Tokens,
    mailer: Mailer,
    settings: Arc<Settings>,
    authorizer: Arc<Authorizer>,
}

impl OrganizationService {
    pub fn new(
        db: DatabaseConnection,
        sealer: Sealer,
        tokens: Tokens,
        mailer: Mailer,
        settings: Arc<Settings>,
        authorizer: Arc<Authorizer>,
    ) -> Self {
        let identities = Arc::new(IdentityCache::new(std::time::Duration::from_millis(
            settings.auth.identity_cache_ms,
        )));
        Self {
            db,
            identities,
            sealer,
            tokens,
            mailer,
            settings,
            authorizer,
        }
    }

    /// Creates an organization owned by `user_id` (SUPERADMIN), inside the caller's transaction.
    pub async fn create_with_owner(
        &self,
        tx: &impl ConnectionTrait,
        name: &str,
        user_id: &str,
    ) -> Result<organization::Model, AuthError> {
        let key = new_api_key();
        let org = repo::insert_organization(
            tx,
            name,
            &self.sealer.lookup_hash(&key),
            &self.sealer.seal(&key),
        )
        .await?;
        repo::insert_membership(tx, user_id, &org.id, Role::SuperAdmin).await?;
        Ok(org)
    }

    /// The user's enabled organizations, oldest membership first.
    pub async fn organizations_of(
        &self,
        user_id: &str,
    ) -> Result<Vec<OrganizationView>, AuthError> {
        Ok(repo::active_memberships(&self.db, user_id)
            .await?
            .into_iter()
            .map(|(m, o)| OrganizationView {
                organization: o,
                role: m.role,
                disabled: m.disabled,
            })
            .collect())
    }

    /// The organization a request acts in: the requested one if the user belongs to it,
    /// else the first (Postiz falls back the same way when `showorg` is stale).
    pub async fn resolve(
        &self,
        user_id: &str,
        requested: Option<&str>,
    ) -> Result<Option<(organization::Model, membership::Model)>, AuthError> {
        let mut memberships = self.active_memberships(user_id).await?;
        if memberships.is_empty() {
            return Ok(None);
        }
        let index = requested
            .and_then(|id| memberships.iter().position(|(_, o)| o.id == id))
            .unwrap_or(0);
        let (m, o) = memberships.swap_remove(index);
        Ok(Some((o, m)))
    }

    /// The user's enabled memberships, from the identity cache when fresh.
    async fn active_memberships(&self, user_id: &str) -> Result<Memberships, AuthError> {
        if let Some(memberships) = self.identities.memberships(user_id) {
            return Ok(memberships);
        }
        let generation = self.identities.generation();
        let memberships = repo::active_memberships(&self.db, user_id).await?;
        self.identities
            .put_memberships(generation, user_id, &memberships);
        Ok(memberships)
    }

    /// The cache of session users and memberships, shared with the other account services.
    pub(crate) fn identities(&self) -> &IdentityCache {
        &self.identities
    }

    /// Whether the user is an enabled member of the organization.
    pub async fn is_member(&self, user_id: &str, org_id: &str) -> Result<bool, AuthError> {
        Ok(repo::find_membership(&self.db, user_id, org_id)
            .await?
            .is_some_and(|m| !m.disabled))
    }

    /// The organization's public API key in clear, creating one if it has none.
    pub async fn api_key(&self, org: &organization::Model) -> Result<String, AuthError> {
        match &org.api_key_sealed {
            Some(sealed) => self
                .sealer
                .open(sealed)
                .map_err(|e| AuthError::Internal(anyhow!("the API key cannot be opened: {e}"))),
            None => self.rotate_api_key(&org.id).await,
        }
    }

    /// Whether links in posts are shortened: ASK, YES or NO.
    pub async fn set_shortlink(
        &self,
        org_id: &str,
        preference: postiz_entity::ShortLinkPreference,
    ) -> Result<(), AuthError> {
        repo::set_shortlink(&self.db, org_id, preference).await?;
        self.identities.invalidate();
        Ok(())
    }

    /// Replaces the API key; the old one stops working at once.
    pub async fn rotate_api_key(&self, org_id: &str) -> Result<String, AuthError> {
        let key = new_api_key();
        repo::set_api_key(
            &self.db,
            org_id,
            &self.sealer.lookup_hash(&key),
            &self.sealer.seal(&key),
        )
        .await?;
        self.identities.invalidate();
        Ok(key)
    }

    /// The organization a public API key belongs to.
    pub async fn by_api_key(&self, key: &str) -> Result<Option<organization::Model>, AuthError> {
        let key = key.trim();
        if key.is_empty() {
            return Ok(None);
        }
        Ok(
            repo::find_organization_by_api_key_hash(&self.db, &self.sealer.lookup_hash(key))
                .await?,
        )
    }

    pub async fn team(&self, org_id: &str) -> Result<Vec<MemberView>, AuthError> {
        Ok(repo::team(&self.db, org_id)
            .await?
            .into_iter()
            .map(|(m, u)| MemberView {
                user: u,
                role: m.role,
                disabled: m.disabled,
            })
            .collect())
    }

    /// Creates an invitation and returns its link (`FRONTEND_URL/?org=<token>`), e-mailing it
    /// when asked. Only USER and ADMIN can be invited; an invited address must be the one that
    /// accepts.
    pub async fn invite(
        &self,
        org: &organization::Model,
        inviter: &user::Model,
        email: Option<&str>,
        role: Role,
        send_email: bool,
    ) -> Result<String, AuthError> {
        if role == Role::SuperAdmin {
            return Err(AuthError::Invalid("role must be USER or ADMIN".into()));
        }
        let email = email.map(normalize_email).unwrap_or_default();
        if send_email && email.is_empty() {
            return Err(AuthError::Invalid(
                "email is required to send the invitation".into(),
            ));
        }
        let expires_at: DateTime<Utc> =
            now() + Duration::hours(i64::from(self.settings.auth.invitation_ttl_hours));
        let invitation = repo::insert_invitation(
            &self.db,
            NewInvitation {
                org_id: &org.id,
                email: &email,
                role,
                invited_by: &inviter.id,
                expires_at,
            },
        )
        .await?;
        let token = self
            .tokens
            .issue_invite(&invitation.id, &org.id, role, &email, expires_at)
            .map_err(|e| AuthError::Internal(anyhow!("cannot sign an invitation: {e}")))?;
        let url = format!("{}/?org={token}", self.settings.frontend_url());
        if send_email {
            let who = match &inviter.name {
                Some(name) if !name.is_empty() => format!("{name} ({})", inviter.email),
                _ => inviter.email.clone(),
            };
            let sender = inviter
                .name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or(inviter.email.clone());
            self.mailer.send(Email {
                to: email,
                subject: format!("{sender} invited you to join \"{}\"", org.name),
                html: format!(
                    "{} has invited you to join the \"{}\" team.<br /><a href=\"{url}\">Accept the \
                     invitation</a> to get started.<br />The link will expire in {} hours.",
                    escape_html(&who),
                    escape_html(&org.name),
                    self.settings.auth.invitation_ttl_hours
                ),
                reply_to: None,
            });
        }
        Ok(url)
    }

    /// Accepts an invitation for a user; returns the organization joined, or `None` when the
    /// user already belongs to it. The link works once.
    pub async fn accept_invitation(
        &self,
        user_id: &str,
        user_email: &str,
        token: &str,
    ) -> Result<Option<String>, AuthError> {
        let claims = self.tokens.verify_invite(token).map_err(|e| match e {
            TokenError::Expired => AuthError::Invalid("The invitation has expired".into()),
            TokenError::Invalid => AuthError::Invalid("The invitation is not valid".into()),
        })?;
        let invitation = repo::find_invitation(&self.db, &claims.id)
            .await?
            .filter(|i| i.organization_id == claims.org_id)
            .ok_or_else(|| AuthError::Invalid("The invitation is not valid".into()))?;
        if invitation.revoked_at.is_some() || invitation.accepted_at.is_some() {
            return Err(AuthError::Invalid("The invitation was already used".into()));
        }
        if invitation.expires_at < now() {
            return Err(AuthError::Invalid("The invitation has expired".into()));
        }
        if !invitation.email.is_empty() && invitation.email != normalize_email(user_email) {
            return Err(AuthError::Forbidden(
                "This invitation was sent to another e-mail address".into(),
            ));
        }
        if repo::find_organization(&self.db, &invitation.organization_id)
            .await?
            .is_none()
        {
            return Err(AuthError::Invalid(
                "The organization no longer exists".into(),
            ));
        }
        if repo::find_membership(&self.db, user_id, &invitation.organization_id)
            .await?
            .is_some()
        {
            return Ok(None);
        }
        let org_id = invitation.organization_id.clone();
        let user_id = user_id.to_string();
        let invitation_id = invitation.id.clone();
        let role = invitation.role;
        postiz_core::db::write_transaction::<_, _, AuthError>(&self.db, |tx| {
            let org_id = org_id.clone();
            Box::pin(async move {
                if !repo::accept_invitation(tx, &invitation_id, &user_id).await? {
                    return Err(AuthError::Invalid("The invitation was already used".into()));
                }
                repo::insert_membership(tx, &user_id, &org_id, role).await?;
                Ok(())
            })
        })
        .await?;
        self.identities.invalidate();
        Ok(Some(org_id))
    }

    /// Removes a member. Nobody removes a higher role or themselves, and an organization
    /// always keeps an owner.
    pub async fn remove_member(
        &self,
        org_id: &str,
        actor_id: &str,
        actor_role: Role,
        target_user_id: &str,
    ) -> Result<(), AuthError> {
        let target = repo::find_membership(&self.db, target_user_id, org_id)
            .await?
            .ok_or(AuthError::NotFound("User is not part of this organization"))?;
        if target_user_id == actor_id {
            return Err(AuthError::Forbidden(
                "You cannot remove yourself from the organization".into(),
            ));
        }
        if target.role.level() > actor_role.level() {
            return Err(AuthError::Forbidden(
                "You do not have permission to delete this user".into(),
            ));
        }
        repo::delete_membership(&self.db, target_user_id, org_id).await?;
        self.identities.invalidate();
        if let Err(e) = self
            .authorizer
            .forget_membership(target_user_id, org_id)
            .await
        {
            tracing::warn!(error = %e, "stale role grouping kept until next check");
        }
        Ok(())
    }
}

/// A new public API key: 48 random alphanumeric characters.
fn new_api_key() -> String {
    random_token(48)
}
