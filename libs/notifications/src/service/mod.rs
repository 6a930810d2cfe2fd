//! Business rules: the bell and notification e-mails ([`notifications`]), outgoing webhooks
//! ([`webhooks`]) and the URL check both the webhook routes and deliveries use ([`url_guard`]).

mod notice_writer;
pub mod notifications;
pub mod url_guard;
pub mod webhooks;
