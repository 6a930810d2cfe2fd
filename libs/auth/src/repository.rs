//! Queries on users, organizations, memberships and invitations. Every function takes
//! `&impl ConnectionTrait` so services compose them inside transactions.

use chrono::{DateTime, Utc};
use postiz_core::ids::{new_id, now};
use postiz_entity::{LoginProvider, Role, ShortLinkPreference};
use postiz_entity::{invitation, membership, organization, user};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

// ---- users ----

pub async fn find_user(db: &impl ConnectionTrait, id: &str) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id.to_string())
        .filter(user::Column::DeletedAt.is_null())
        .one(db)
        .await
}

pub async fn find_local_user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .filter(user::Column::ProviderName.eq(LoginProvider::Local))
        .filter(user::Column::DeletedAt.is_null())
        .one(db)
        .await
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub activated: bool,
}

pub async fn insert_user(
    db: &impl ConnectionTrait,
    new: NewUser<'_>,
) -> Result<user::Model, DbErr> {
    let at = now();
    user::ActiveModel {
        id: Set(new_id()),
        email: Set(new.email.to_string()),
        password_hash: Set(Some(new.password_hash.to_string())),
        provider_name: Set(LoginProvider::Local),
        provider_id: Set(None),
        name: Set(None),
        last_name: Set(None),
        bio: Set(None),
        picture_id: Set(None),
        picture_path: Set(None),
        timezone: Set(0),
        is_super_admin: Set(false),
        activated: Set(new.activated),
        send_success_emails: Set(true),
        send_failure_emails: Set(true),
        send_streak_emails: Set(true),
        last_read_notifications: Set(at),
        session_version: Set(0),
        last_online: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
}

/// Stores a new password hash; with `end_sessions`, every session issued so far stops working.
pub async fn set_password(
    db: &impl ConnectionTrait,
    user_id: &str,
    password_hash: &str,
    end_sessions: bool,
) -> Result<(), DbErr> {
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()));
    if end_sessions {
        update = update.col_expr(
            user::Column::SessionVersion,
            Expr::col(user::Column::SessionVersion).add(1),
        );
    }
    update
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn set_activated(db: &impl ConnectionTrait, user_id: &str) -> Result<bool, DbErr> {
    let result = user::Entity::update_many()
        .col_expr(user::Column::Activated, Expr::value(true))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::Activated.eq(false))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub struct PersonalUpdate<'a> {
    pub name: &'a str,
    pub bio: Option<&'a str>,
    pub picture: Option<(&'a str, &'a str)>,
}

pub async fn update_personal(
    db: &impl ConnectionTrait,
    user_id: &str,
    update: PersonalUpdate<'_>,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::Name, Expr::value(update.name))
        .col_expr(
            user::Column::Bio,
            Expr::value(update.bio.map(str::to_string)),
        )
        .col_expr(
            user::Column::PictureId,
            Expr::value(update.picture.map(|(id, _)| id.to_string())),
        )
        .col_expr(
            user::Column::PicturePath,
            Expr::value(update.picture.map(|(_, path)| path.to_string())),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn set_email_notifications(
    db: &impl ConnectionTrait,
    user_id: &str,
    success: bool,
    failure: bool,
    streak: bool,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::SendSuccessEmails, Expr::value(success))
        .col_expr(user::Column::SendFailureEmails, Expr::value(failure))
        .col_expr(user::Column::SendStreakEmails, Expr::value(streak))
        .col_expr(user::Column::UpdatedAt, Expr::value(now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await
        .map(|_| ())
}

// ---- organizations ----

pub async fn count_organizations(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    organization::Entity::find()
        .filter(organization::Column::DeletedAt.is_null())
        .count(db)
        .await
}

pub async fn find_organization(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<organization::Model>, DbErr> {
    organization::Entity::find_by_id(id.to_string())
        .filter(organization::Column::DeletedAt.is_null())
        .one(db)
        .await
}

pub async fn insert_organization(
    db: &impl ConnectionTrait,
    name: &str,
    api_key_hash: &str,
    api_key_sealed: &str,
) -> Result<organization::Model, DbErr> {
    let at = now();
    organization::ActiveModel {
        id: Set(new_id()),
        name: Set(name.to_string()),
        description: Set(None),
        api_key_hash: Set(Some(api_key_hash.to_string())),
        api_key_sealed: Set(Some(api_key_sealed.to_string())),
        allow_trial: Set(true),
        is_trailing: Set(true),
        streak_since: Set(None),
        shortlink: Set(ShortLinkPreference::Ask),
        payment_id: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
}

pub async fn set_api_key(
    db: &impl ConnectionTrait,
    org_id: &str,
    api_key_hash: &str,
    api_key_sealed: &str,
) -> Result<(), DbErr> {
    organization::Entity::update_many()
        .col_expr(organization::Column::ApiKeyHash, Expr::value(api_key_hash))
        .col_expr(
            organization::Column::ApiKeySealed,
            Expr::value(api_key_sealed),
        )
        .col_expr(organization::Column::UpdatedAt, Expr::value(now()))
        .filter(organization::Column::Id.eq(org_id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn set_shortlink(
    db: &impl ConnectionTrait,
    org_id: &str,
    preference: ShortLinkPreference,
) -> Result<(), DbErr> {
    organization::Entity::update_many()
        .col_expr(organization::Column::Shortlink, Expr::value(preference))
        .col_expr(organization::Column::UpdatedAt, Expr::value(now()))
        .filter(organization::Column::Id.eq(org_id))
        .exec(db)
        .await
        .map(|_| ())
}

pub async fn find_organization_by_api_key_hash(
    db: &impl ConnectionTrait,
    api_key_hash: &str,
) -> Result<Option<organization::Model>, DbErr> {
    organization::Entity::find()
        .filter(organization::Column::ApiKeyHash.eq(api_key_hash))
        .filter(organization::Column::DeletedAt.is_null())
        .one(db)
        .await
}

// ---- memberships ----

pub async fn insert_membership(
    db: &impl ConnectionTrait,
    user_id: &str,
    org_id: &str,
    role: Role,
) -> Result<membership::Model, DbErr> {
    let at = now();
    membership::ActiveModel {
        id: Set(new_id()),
        user_id: Set(user_id.to_string()),
        organization_id: Set(org_id.to_string()),
        role: Set(role),
        disabled: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
}

pub async fn find_membership(
    db: &impl ConnectionTrait,
    user_id: &str,
    org_id: &str,
) -> Result<Option<membership::Model>, DbErr> {
    membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::OrganizationId.eq(org_id))
        .one(db)
        .await
}

/// The user's enabled memberships with their live organizations, oldest membership first.
pub async fn active_memberships(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<(membership::Model, organization::Model)>, DbErr> {
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::Disabled.eq(false))
        .order_by_asc(membership::Column::CreatedAt)
        .order_by_asc(membership::Column::Id)
        .find_also_related(organization::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(m, o)| o.filter(|o| o.deleted_at.is_none()).map(|o| (m, o)))
        .collect())
}

/// Members of an organization with their users, oldest first.
pub async fn team(
    db: &impl ConnectionTrait,
    org_id: &str,
) -> Result<Vec<(membership::Model, user::Model)>, DbErr> {
    let rows = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org_id))
        .order_by_asc(membership::Column::CreatedAt)
        .order_by_asc(membership::Column::Id)
        .find_also_related(user::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(m, u)| u.filter(|u| u.deleted_at.is_none()).map(|u| (m, u)))
        .collect())
}

pub async fn delete_membership(
    db: &impl ConnectionTrait,
    user_id: &str,
    org_id: &str,
) -> Result<u64, DbErr> {
    membership::Entity::delete_many()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::OrganizationId.eq(org_id))
        .exec(db)
        .await
        .map(|r| r.rows_affected)
}

// ---- invitations ----

pub struct NewInvitation<'a> {
    pub org_id: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub invited_by: &'a str,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_invitation(
    db: &impl ConnectionTrait,
    new: NewInvitation<'_>,
) -> Result<invitation::Model, DbErr> {
    invitation::ActiveModel {
        id: Set(new_id()),
        organization_id: Set(new.org_id.to_string()),
        email: Set(new.email.to_string()),
        role: Set(new.role),
        invited_by_id: Set(Some(new.invited_by.to_string())),
        expires_at: Set(new.expires_at),
        accepted_at: Set(None),
        accepted_by_id: Set(None),
        revoked_at: Set(None),
        created_at: Set(now()),
    }
    .insert(db)
    .await
}

pub async fn find_invitation(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<invitation::Model>, DbErr> {
    invitation::Entity::find_by_id(id.to_string()).one(db).await
}

/// Marks an open invitation accepted; false when it was already used or revoked, so a link
/// works once even under concurrent use.
pub async fn accept_invitation(
    db: &impl ConnectionTrait,
    id: &str,
    user_id: &str,
) -> Result<bool, DbErr> {
    let result = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now()))
        .col_expr(invitation::Column::AcceptedById, Expr::value(user_id))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
