//! `/` (liveness text, as Postiz), `/health` (dependencies) and `/metrics` (Prometheus).

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder};
use paperclip::actix::{Apiv2Schema, OperationModifier, api_v2_operation, web};
use paperclip::v2::models::{DefaultOperationRaw, Either, Response};
use postiz_core::cache::Cache;
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(root)))
        .service(web::resource("/health").route(web::get().to(health)))
        .service(web::resource("/metrics").route(web::get().to(metrics)));
}

/// A plain-text 200 answer, documented as such.
pub struct PlainText(pub String);

impl Responder for PlainText {
    type Body = actix_web::body::BoxBody;
    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(self.0)
    }
}

impl paperclip::v2::schema::Apiv2Schema for PlainText {}

impl OperationModifier for PlainText {
    fn update_response(op: &mut DefaultOperationRaw) {
        op.produces = Some(
            [paperclip::v2::models::MediaRange(mime::TEXT_PLAIN)]
                .into_iter()
                .collect(),
        );
        op.responses.insert(
            "200".into(),
            Either::Right(Response {
                description: Some("Plain text".into()),
                ..Default::default()
            }),
        );
    }
}

/// Liveness: answers "App is running!" as Postiz does.
#[api_v2_operation(tags(System))]
#[tracing::instrument(skip_all)]
async fn root() -> PlainText {
    PlainText("App is running!".into())
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct HealthResponse {
    /// `ok` or `degraded`.
    pub status: String,
    pub database: String,
    /// `memory` (embedded) or `redis`.
    pub cache: String,
}

/// The health of this process's dependencies: 200 when the database (and Redis, when
/// configured) answer, 503 otherwise.
#[api_v2_operation(tags(System))]
#[tracing::instrument(skip_all)]
async fn health(
    db: web::Data<DatabaseConnection>,
    cache: web::Data<Arc<dyn Cache>>,
) -> HealthReply {
    let database = match postiz_core::db::ping(&db).await {
        Ok(()) => "ok".to_string(),
        Err(e) => {
            tracing::error!(error = %e, "health: database unreachable");
            "unreachable".to_string()
        }
    };
    let cache_state = match cache.ping().await {
        Ok(()) => cache.kind().to_string(),
        Err(e) => {
            tracing::error!(error = %e, "health: cache unreachable");
            "unreachable".to_string()
        }
    };
    let healthy = database == "ok" && cache_state != "unreachable";
    HealthReply(HealthResponse {
        status: if healthy { "ok" } else { "degraded" }.into(),
        database,
        cache: cache_state,
    })
}

/// The health answer with its status code (503 when degraded).
pub struct HealthReply(HealthResponse);

impl Responder for HealthReply {
    type Body = actix_web::body::BoxBody;
    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let status = if self.0.status == "ok" {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        HttpResponse::build(status).json(self.0)
    }
}

impl paperclip::v2::schema::Apiv2Schema for HealthReply {
    fn name() -> Option<String> {
        HealthResponse::name()
    }
    fn raw_schema() -> paperclip::v2::models::DefaultSchemaRaw {
        HealthResponse::raw_schema()
    }
}

impl OperationModifier for HealthReply {
    fn update_response(op: &mut DefaultOperationRaw) {
        actix_web::web::Json::<HealthResponse>::update_response(op);
        op.responses.insert(
            "503".into(),
            Either::Right(Response {
                description: Some("A dependency is unreachable".into()),
                schema: Some(paperclip::v2::models::DefaultSchemaRaw {
                    reference: Some("#/definitions/HealthResponse".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        );
    }
}

/// Prometheus metrics of this process (HTTP requests and background jobs).
#[api_v2_operation(tags(System))]
#[tracing::instrument(skip_all)]
async fn metrics() -> PlainText {
    PlainText(
        postiz_core::telemetry::metrics_handle()
            .map(|h| h.render())
            .unwrap_or_default(),
    )
}
