//! Sign-up, sign-in, activation and password reset.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use postiz_core::cache::Cache;
use postiz_core::ids::random_token;
use postiz_core::mailer::{Email, Mailer};
use postiz_core::settings::Settings;
use sea_orm::DatabaseConnection;

use super::organizations::OrganizationService;
use super::{AuthError, normalize_email};
use crate::password::{self, Verification};
use crate::repository::{self as repo, NewUser};
use crate::session::Tokens;

/// Failed logins allowed per address in [`LOGIN_WINDOW`] before further attempts are refused.
const LOGIN_ATTEMPTS: u64 = 10;
const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The result of a registration.
#[derive(Debug)]
pub struct RegisterOutcome {
    pub user_id: String,
    /// The new user's own organization.
    pub organization_id: String,
    /// A session, unless the account must first be activated by e-mail.
    pub session: Option<String>,
    /// The organization joined through an invitation, if one came along.
    pub joined_organization: Option<String>,
}

#[derive(Debug)]
pub struct LoginOutcome {
    pub session: String,
    pub joined_organization: Option<String>,
    /// The organization to show: the one joined, else the user's first.
    pub show_organization: Option<String>,
}

/// A session that passed every check, with a fresh token when the old one is due for renewal.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub user: postiz_entity::user::Model,
    pub renewed_token: Option<String>,
}

#[derive(Clone)]
pub struct AccountService {
    db: DatabaseConnection,
    cache: Arc<dyn Cache>,
    mailer: Mailer,
    tokens: Tokens,
    settings: Arc<Settings>,
    organizations: OrganizationService,
}

impl AccountService {
    pub fn new(
        db: DatabaseConnection,
        cache: Arc<dyn Cache>,
        mailer: Mailer,
        tokens: Tokens,
        settings: Arc<Settings>,
        organizations: OrganizationService,
    ) -> Self {
        Self {
            db,
            cache,
            mailer,
            tokens,
            settings,
            organizations,
        }
    }

    /// Whether a new organization may sign up (Postiz `DISABLE_REGISTRATION`: only the first).
    pub async fn can_register(&self) -> Result<bool, AuthError> {
        if !self.settings.app.disable_registration {
            return Ok(true);
        }
        Ok(repo::count_organizations(&self.db).await? == 0)
    }

    /// Whether new accounts must confirm their address (only when e-mail really goes out).
    pub fn activation_required(&self) -> bool {
        self.mailer.delivers()
    }

    pub async fn register(
        &self,
        email: &str,
        password: &str,
        company: &str,
        provider: &str,
        invite_token: Option<&str>,
    ) -> Result<RegisterOutcome, AuthError> {
        check_provider(provider)?;
        let email = normalize_email(email);
        self.check_plus(&email)?;
        if repo::find_local_user_by_email(&self.db, &email)
            .await?
            .is_some()
        {
            return Err(AuthError::EmailTaken);
        }
        if !self.can_register().await? {
            return Err(AuthError::RegistrationDisabled);
        }
        let hash = password::hash(password).map_err(|e| AuthError::Internal(anyhow!(e)))?;
        let activated = !self.activation_required();
        let company = company.trim().to_string();
        let organizations = self.organizations.clone();
        let email_for_tx = email.clone();
        let (user, org) = postiz_core::db::write_transaction::<_, _, AuthError>(&self.db, |tx| {
            Box::pin(async move {
                let user = repo::insert_user(
                    tx,
                    NewUser {
                        email: &email_for_tx,
                        password_hash: &hash,
                        activated,
                    },
                )
                .await?;
                let org = organizations
                    .create_with_owner(tx, &company, &user.id)
                    .await?;
                Ok((user, org))
            })
        })
        .await
        .map_err(|e| match AuthError::from(e) {
            // Two sign-ups with one address racing: the unique index decides.
            AuthError::Internal(cause)
                if cause.to_string().contains("UNIQUE")
                    || cause.to_string().contains("duplicate key") =>
            {
                AuthError::EmailTaken
            }
            other => other,
        })?;

        let joined_organization = match invite_token {
            Some(token) => self
                .organizations
                .accept_invitation(&user.id, &user.email, token)
                .await
                .unwrap_or_else(|e| {
                    tracing::info!(error = %e, "invitation not applied at sign-up");
                    None
                }),
            None => None,
        };

        let session = if activated {
            Some(self.issue(&user)?)
        } else {
            self.send_activation(&user.id, &email).await?;
            None
        };
        Ok(RegisterOutcome {
            user_id: user.id,
            organization_id: org.id,
            session,
            joined_organization,
        })
    }

    pub async fn login(
        &self,
        email: &str,
        password: &str,
        provider: &str,
        invite_token: Option<&str>,
    ) -> Result<LoginOutcome, AuthError> {
        check_provider(provider)?;
        let email = normalize_email(email);
        self.check_plus(&email)?;
        let attempts_key = format!("login-attempts:{email}");
        if let Some(count) = self.cache.get(&attempts_key).await?
            && count.parse::<u64>().unwrap_or(0) >= LOGIN_ATTEMPTS
        {
            return Err(AuthError::TooManyAttempts(LOGIN_WINDOW.as_secs()));
        }

        let user = repo::find_local_user_by_email(&self.db, &email).await?;
        let verified = match user.as_ref().and_then(|u| u.password_hash.as_deref()) {
            Some(stored) => password::verify(password, stored),
            None => {
                password::verify_dummy(password);
                Verification::Invalid
            }
        };
        let user = match (user, verified) {
            (Some(user), Verification::Valid | Verification::ValidNeedsUpgrade) => {
                if verified == Verification::ValidNeedsUpgrade {
                    // A bcrypt hash imported from Postiz: store argon2id from now on.
                    let upgraded =
                        password::hash(password).map_err(|e| AuthError::Internal(anyhow!(e)))?;
                    repo::set_password(&self.db, &user.id, &upgraded, false).await?;
                    self.organizations.identities().invalidate();
                }
                user
            }
            _ => {
                self.cache.increment(&attempts_key, LOGIN_WINDOW).await?;
                return Err(AuthError::InvalidCredentials);
            }
        };
        if !user.activated {
            return Err(AuthError::NotActivated);
        }
        self.cache.delete(&attempts_key).await?;

        let joined_organization = match invite_token {
            Some(token) => self
                .organizations
                .accept_invitation(&user.id, &user.email, token)
                .await
                .unwrap_or_else(|e| {
                    tracing::info!(error = %e, "invitation not applied at login");
                    None
                }),
            None => None,
        };
        let show_organization = match &joined_organization {
            Some(id) => Some(id.clone()),
            None => self
                .organizations
                .resolve(&user.id, None)
                .await?
                .map(|(org, _)| org.id),
        };
        Ok(LoginOutcome {
            session: self.issue(&user)?,
            joined_organization,
            show_organization,
        })
    }

    /// Sends a reset link to a local account. Says nothing about whether the address exists.
    pub async fn forgot_password(&self, email: &str) -> Result<(), AuthError> {
        let email = normalize_email(email);
        let Some(user) = repo::find_local_user_by_email(&self.db, &email).await? else {
            return Ok(());
        };
        let token = random_token(48);
        let ttl =
            Duration::from_secs(u64::from(self.settings.auth.password_reset_ttl_minutes) * 60);
        self.cache
            .set(&format!("password-reset:{token}"), &user.id, ttl)
            .await?;
        let link = format!("{}/auth/forgot/{token}", self.settings.frontend_url());
        self.mailer.send(Email {
            to: user.email,
            subject: "Reset your password".into(),
            html: format!(
                "You have requested to reset your password.<br />Click <a href=\"{link}\">here</a> \
                 to reset your password.<br />The link will expire in {} minutes.",
                self.settings.auth.password_reset_ttl_minutes
            ),
            reply_to: None,
        });
        Ok(())
    }

    /// Sets a new password with a reset token; every existing session ends. False when the
    /// token is unknown, used or expired.
    pub async fn reset_password(&self, token: &str, password: &str) -> Result<bool, AuthError> {
        let Some(user_id) = self
            .cache
            .take(&format!("password-reset:{}", token.trim()))
            .await?
        else {
            return Ok(false);
        };
        let hash = password::hash(password).map_err(|e| AuthError::Internal(anyhow!(e)))?;
        repo::set_password(&self.db, &user_id, &hash, true).await?;
        self.organizations.identities().invalidate();
        Ok(true)
    }

    /// Activates an account with the code from the e-mail and opens a session.
    pub async fn activate(&self, code: &str) -> Result<Option<String>, AuthError> {
        let Some(user_id) = self
            .cache
            .take(&format!("activation:{}", code.trim()))
            .await?
        else {
            return Ok(None);
        };
        if !repo::set_activated(&self.db, &user_id).await? {
            return Ok(None);
        }
        self.organizations.identities().invalidate();
        let Some(user) = repo::find_user(&self.db, &user_id).await? else {
            return Ok(None);
        };
        Ok(Some(self.issue(&user)?))
    }

    pub async fn resend_activation(&self, email: &str) -> Result<(), AuthError> {
        let email = normalize_email(email);
        let user = repo::find_local_user_by_email(&self.db, &email)
            .await?
            .ok_or(AuthError::NotFound("User not found"))?;
        if user.activated {
            return Err(AuthError::Invalid("Account is already activated".into()));
        }
        self.send_activation(&user.id, &user.email).await
    }

    async fn send_activation(&self, user_id: &str, email: &str) -> Result<(), AuthError> {
        let code = random_token(48);
        let ttl = Duration::from_secs(u64::from(self.settings.auth.activation_ttl_hours) * 3600);
        self.cache
            .set(&format!("activation:{code}"), user_id, ttl)
            .await?;
        let link = format!("{}/auth/activate/{code}", self.settings.frontend_url());
        self.mailer.send(Email {
            to: email.to_string(),
            subject: "Activate your account".into(),
            html: format!("Click <a href=\"{link}\">here</a> to activate your account"),
            reply_to: None,
        });
        Ok(())
    }

    /// Checks a session token: signature, expiry, an existing activated user, and no password
    /// change since it was issued. Any failure is `None`, which the HTTP layer turns into 401.
    pub async fn authenticate_session(
        &self,
        token: &str,
    ) -> Result<Option<ActiveSession>, AuthError> {
        let Ok(session) = self.tokens.verify_session(token) else {
            return Ok(None);
        };
        let Some(user) = self.session_user(&session.user_id).await? else {
            return Ok(None);
        };
        if !user.activated {
            return Ok(None);
        }
        if session.version != user.session_version {
            return Ok(None);
        }
        let renewed_token = if self.tokens.should_renew(&session) {
            Some(self.issue(&user)?)
        } else {
            None
        };
        Ok(Some(ActiveSession {
            user,
            renewed_token,
        }))
    }

    /// The session's user, from the identity cache when fresh.
    async fn session_user(
        &self,
        user_id: &str,
    ) -> Result<Option<postiz_entity::user::Model>, AuthError> {
        let identities = self.organizations.identities();
        if let Some(user) = identities.user(user_id) {
            return Ok(Some(user));
        }
        let generation = identities.generation();
        let user = repo::find_user(&self.db, user_id).await?;
        if let Some(user) = &user {
            identities.put_user(generation, user);
        }
        Ok(user)
    }

    /// Lifetime of session cookies.
    pub fn session_ttl(&self) -> chrono::Duration {
        self.tokens.session_ttl()
    }

    fn issue(&self, user: &postiz_entity::user::Model) -> Result<String, AuthError> {
        self.tokens
            .issue_session(&user.id, user.session_version)
            .map_err(|e| AuthError::Internal(anyhow!("cannot sign a session: {e}")))
    }

    fn check_plus(&self, email: &str) -> Result<(), AuthError> {
        if self.settings.app.disallow_plus && email.contains('+') {
            return Err(AuthError::PlusNotAllowed);
        }
        Ok(())
    }
}

/// Only local (e-mail and password) accounts are served; OAuth logins are refused clearly.
fn check_provider(provider: &str) -> Result<(), AuthError> {
    if provider.is_empty() || provider.eq_ignore_ascii_case("LOCAL") {
        Ok(())
    } else {
        Err(AuthError::UnsupportedProvider(provider.to_string()))
    }
}
