//! Guards the Swagger UI: paperclip's file handler panics on unknown file names, so only the
//! files it ships reach it; anything else under /docs is a 404.

use actix_web::HttpResponse;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

/// Where the documentation is served.
pub const DOCS: &str = "/docs";
pub const SPEC_V2: &str = "/docs/swagger.json";
pub const SPEC_V3: &str = "/docs/openapi.json";

const UI_FILES: &[&str] = &[
    "index.html",
    "swagger-ui.css",
    "swagger-ui.js",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-ui-es-bundle.js",
    "swagger-ui-es-bundle-core.js",
    "oauth2-redirect.html",
    "favicon-16x16.png",
    "favicon-32x32.png",
    "swagger-ui.css.map",
    "swagger-ui.js.map",
    "swagger-ui-bundle.js.map",
    "swagger-ui-standalone-preset.js.map",
    "swagger-ui-es-bundle.js.map",
    "swagger-ui-es-bundle-core.js.map",
    "swagger.json",
    "openapi.json",
];

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let path = req.path();
    if let Some(rest) = path.strip_prefix("/docs/")
        && !rest.is_empty()
        && !UI_FILES.contains(&rest)
    {
        let res = HttpResponse::NotFound().finish();
        return Ok(req.into_response(res).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
