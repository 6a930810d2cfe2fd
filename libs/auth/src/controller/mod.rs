//! HTTP handlers: extract, validate, call a service, shape the response.

pub mod auth;
pub mod team;
pub mod users;

use actix_web::cookie::time::Duration as CookieDuration;
use postiz_core::http::Reply;
use serde::Serialize;

use crate::extract::AuthContext;

/// Adds a session to a reply as Postiz does: the `auth` cookie, plus the `auth` header in
/// NOT_SECURED mode; and the organization to show, when one was joined.
pub(crate) fn with_session<T: Serialize>(
    reply: Reply<T>,
    ctx: &AuthContext,
    token: &str,
    show_org: Option<&str>,
) -> Reply<T> {
    let ttl = CookieDuration::seconds(ctx.accounts.session_ttl().num_seconds());
    let mut reply = reply.cookie(ctx.cookies.cookie("auth", token, ttl));
    if ctx.not_secured {
        reply = reply.header("auth", token);
    }
    if let Some(org) = show_org {
        reply = reply.cookie(
            ctx.cookies
                .cookie("showorg", org, CookieDuration::days(365)),
        );
        if ctx.not_secured {
            reply = reply.header("showorg", org);
        }
    }
    reply
}
