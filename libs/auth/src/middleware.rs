//! Writes session cookies decided during the request: a renewed token, or the removal of the
//! `auth` cookie when a response carries `logout: true`.

use actix_web::body::MessageBody;
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::extract::{AuthContext, RenewedSession};

pub async fn session_cookies(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let ctx = req.app_data::<web::Data<AuthContext>>().cloned();
    let mut res = next.call(req).await?;
    let Some(ctx) = ctx else {
        return Ok(res);
    };
    let renewed = res.request().extensions().get::<RenewedSession>().cloned();
    if let Some(RenewedSession(token)) = renewed
        && res.status().is_success()
    {
        let ttl = CookieDuration::seconds(ctx.accounts.session_ttl().num_seconds());
        res.response_mut()
            .add_cookie(&ctx.cookies.cookie("auth", &token, ttl))?;
        if ctx.not_secured
            && let Ok(value) = HeaderValue::try_from(token.as_str())
        {
            res.headers_mut()
                .insert(HeaderName::from_static("auth"), value);
        }
    }
    if res.headers().contains_key("logout") {
        res.response_mut()
            .add_cookie(&ctx.cookies.removal("auth"))?;
    }
    Ok(res)
}
