//! `/third-party`: external AI media tools (Postiz's HeyGen, Reel.Farm) that import into the
//! media library. This build ships none, so an organization has none connected; the editor needs
//! the arrays to open.

use paperclip::actix::{Apiv2Schema, api_v2_operation, web};
use postiz_auth::OrgContext;
use postiz_core::AppError;
use serde::Serialize;

/// A third-party tool (never produced by this build; documents the shape).
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct ThirdPartyTool {
    pub identifier: String,
    pub title: String,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/third-party").route(web::get().to(connected)))
        .service(web::resource("/third-party/list").route(web::get().to(available)));
}

/// Third-party tools the organization connected: none can be connected in this build.
#[api_v2_operation(tags(Media))]
#[tracing::instrument(skip_all)]
async fn connected(_org: OrgContext) -> Result<web::Json<Vec<ThirdPartyTool>>, AppError> {
    Ok(web::Json(Vec::new()))
}

/// Third-party tools available to connect: none in this build.
#[api_v2_operation(tags(Media))]
#[tracing::instrument(skip_all)]
async fn available(_org: OrgContext) -> Result<web::Json<Vec<ThirdPartyTool>>, AppError> {
    Ok(web::Json(Vec::new()))
}
