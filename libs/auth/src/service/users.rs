//! The signed-in user's profile and preferences.

use postiz_entity::{Role, organization, user};
use sea_orm::DatabaseConnection;

use super::AuthError;
use super::organizations::OrganizationService;
use crate::repository::{self as repo, PersonalUpdate};

/// What `GET /user/self` shows.
#[derive(Debug, Clone)]
pub struct ProfileView {
    pub user: user::Model,
    pub organization: organization::Model,
    pub role: Role,
    /// The public API key, only for ADMIN and SUPERADMIN.
    pub api_key: Option<String>,
}

/// Name, bio and picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Personal {
    pub id: String,
    pub name: Option<String>,
    pub bio: Option<String>,
    pub picture: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailPreferences {
    pub success: bool,
    pub failure: bool,
    pub streak: bool,
}

#[derive(Clone)]
pub struct UserService {
    db: DatabaseConnection,
    organizations: OrganizationService,
}

impl UserService {
    pub fn new(db: DatabaseConnection, organizations: OrganizationService) -> Self {
        Self { db, organizations }
    }

    pub async fn profile(
        &self,
        user: user::Model,
        organization: organization::Model,
        role: Role,
    ) -> Result<ProfileView, AuthError> {
        // The session's user may come from the identity cache; the profile shows fields other
        // modules write (when notifications were last read), so it reads the row itself.
        let user = repo::find_user(&self.db, &user.id).await?.unwrap_or(user);
        let api_key = if matches!(role, Role::Admin | Role::SuperAdmin) {
            Some(self.organizations.api_key(&organization).await?)
        } else {
            None
        };
        Ok(ProfileView {
            user,
            organization,
            role,
            api_key,
        })
    }

    pub async fn personal(&self, user_id: &str) -> Result<Personal, AuthError> {
        let user = repo::find_user(&self.db, user_id)
            .await?
            .ok_or(AuthError::NotFound("User not found"))?;
        Ok(Personal {
            id: user.id,
            name: user.name,
            bio: user.bio,
            picture: user.picture_id.zip(user.picture_path),
        })
    }

    pub async fn update_personal(
        &self,
        user_id: &str,
        name: &str,
        bio: Option<&str>,
        picture: Option<(&str, &str)>,
    ) -> Result<(), AuthError> {
        repo::update_personal(
            &self.db,
            user_id,
            PersonalUpdate {
                name: name.trim(),
                bio,
                picture,
            },
        )
        .await?;
        self.organizations.identities().invalidate();
        Ok(())
    }

    pub async fn email_preferences(&self, user_id: &str) -> Result<EmailPreferences, AuthError> {
        let user = repo::find_user(&self.db, user_id)
            .await?
            .ok_or(AuthError::NotFound("User not found"))?;
        Ok(EmailPreferences {
            success: user.send_success_emails,
            failure: user.send_failure_emails,
            streak: user.send_streak_emails,
        })
    }

    pub async fn set_email_preferences(
        &self,
        user_id: &str,
        prefs: EmailPreferences,
    ) -> Result<(), AuthError> {
        repo::set_email_notifications(
            &self.db,
            user_id,
            prefs.success,
            prefs.failure,
            prefs.streak,
        )
        .await?;
        self.organizations.identities().invalidate();
        Ok(())
    }
}
