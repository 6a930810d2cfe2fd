//! HTTP handlers: extract, validate, call the service, shape the response.

pub mod notifications;
pub mod webhooks;
