//! In-app notifications, notification e-mails and outgoing webhooks.
//!
//! # Wiring (apps/backend)
//!
//! ```ignore
//! use postiz_notifications::{NotificationService, WebhookConfig, WebhookService};
//!
//! // State: one of each, shared by HTTP and workers.
//! let notifications = NotificationService::new(db.clone(), mailer.clone());
//! let webhooks = WebhookService::new(
//!     db.clone(), sealer.clone(), jobs.clone(), WebhookConfig::from_settings(&settings),
//! )?;
//! // Other modules: `Arc::new(notifications.clone()) as Arc<dyn postiz_core::notify::Notifier>`,
//! // the publisher: `Arc::new(webhooks.clone()) as Arc<dyn postiz_posts::ports::PostListener>`.
//!
//! // HTTP: the services as app data, then the routes.
//! app.app_data(web::Data::new(notifications.clone()))
//!    .app_data(web::Data::new(webhooks.clone()))
//!    .configure(postiz_notifications::configure);
//!
//! // Workers: the `webhooks` queue and the digest (periodic, every 5 minutes).
//! postiz_notifications::register_workers(&mut runtime, &notifications, &webhooks);
//! ```
//!
//! Routes: `GET /notifications`, `GET /notifications/list` (any member);
//! `GET|POST|PUT /webhooks`, `DELETE /webhooks/{id}`, `POST /webhooks/send?url=`
//! (`ManageWebhooks`: ADMIN and SUPERADMIN).

pub mod controller;
pub mod dto;
pub mod error;
pub mod repository;
pub mod service;

pub use error::NotificationsError;
pub use service::notifications::{
    DIGEST_CHECK_EVERY, DIGEST_DELAY, DIGEST_SUBJECT, DIGEST_TASK, DigestRun, NotificationService,
    register_digest,
};
pub use service::webhooks::{
    DELIVERY_HEADER, EVENT_HEADER, RetryPolicy, SIGNATURE_HEADER, WEBHOOKS_QUEUE, WebhookConfig,
    WebhookEvent, WebhookService, signature,
};

/// Mounts `/notifications` and `/webhooks`. Needs [`NotificationService`] and
/// [`WebhookService`] as app data (`web::Data`).
pub fn configure(cfg: &mut paperclip::actix::web::ServiceConfig) {
    controller::notifications::configure(cfg);
    controller::webhooks::configure(cfg);
}

/// Registers the module's background work on the job engine: the [`WEBHOOKS_QUEUE`] handler
/// (deliveries and their retries) and the digest e-mails ([`DIGEST_TASK`], checked every
/// [`DIGEST_CHECK_EVERY`], sent [`DIGEST_DELAY`] after an organization's first waiting item).
pub fn register_workers(
    runtime: &mut postiz_jobs::WorkerRuntime,
    notifications: &NotificationService,
    webhooks: &WebhookService,
) {
    webhooks.register(runtime);
    register_digest(runtime, notifications.clone());
}
