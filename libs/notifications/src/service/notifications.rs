//! In-app notifications and notification e-mails (Postiz `NotificationService` and its
//! `digestEmailWorkflow`).
//!
//! [`NotificationService`] implements [`Notifier`]: every notice becomes a row of the
//! organization's bell, then
//! * [`NoticeKind::Failure`]: an e-mail now to each member who keeps `send_failure_emails`;
//! * [`NoticeKind::Info`]: an e-mail now to every member;
//! * [`NoticeKind::Success`]: an item of the organization's digest (a table, so a restart
//!   loses nothing). [`NotificationService::send_due_digests`] — a periodic task of the job
//!   engine, see [`register_digest`] — sends an organization's waiting items one
//!   [`DIGEST_DELAY`] after the oldest arrived: one e-mail per member who keeps
//!   `send_success_emails`, titled [`DIGEST_SUBJECT`], or the item's own subject when there is
//!   only one.
//!
//! Delivery problems are logged, never returned: telling the user must not fail the operation
//! that happened.

use std::time::Duration;

use chrono::{DateTime, Utc};
use postiz_core::ids::{new_id, now};
use postiz_core::mailer::{Email, Mailer};
use postiz_core::notify::{Notice, NoticeKind, Notifier};
use postiz_entity::{notification, notification_digest_item as digest_item};
use postiz_jobs::WorkerRuntime;
use sea_orm::DatabaseConnection;

use crate::error::NotificationsError;
use crate::repository::notifications as repo;
use crate::repository::notifications::{DigestRow, NoticeRow, Recipient};
use crate::service::notice_writer::NoticeWriter;

/// The subject of a digest holding more than one notification (Postiz's).
pub const DIGEST_SUBJECT: &str = "[Postiz] Your latest notifications";
/// How many notifications `GET /notifications/list` answers (Postiz's 10).
pub const LIST_LIMIT: u64 = 10;
/// Notifications per page of [`NotificationService::page`] (Postiz's 100).
pub const PAGE_LIMIT: u64 = 100;
/// How long after its oldest item an organization's digest goes out (Postiz: 1 hour).
pub const DIGEST_DELAY: Duration = Duration::from_secs(3600);
/// How often the digest task looks for due digests.
pub const DIGEST_CHECK_EVERY: Duration = Duration::from_secs(300);
/// The periodic task's name on the job engine.
pub const DIGEST_TASK: &str = "notifications.digest";
/// A digest run that took items and did not finish within this long (the process died) loses
/// them to the next run.
const STALE_CLAIM: Duration = Duration::from_secs(1800);

/// What a digest item is, which decides whose preferences let it through.
const KIND_SUCCESS: &str = "success";
const KIND_FAILURE: &str = "fail";
const KIND_INFO: &str = "info";

/// The bell's list and when the user had last opened it.
#[derive(Debug, Clone)]
pub struct NotificationList {
    pub notifications: Vec<notification::Model>,
    pub last_read: DateTime<Utc>,
}

/// One page of an organization's notifications (Postiz `getNotificationsPaginated`).
#[derive(Debug, Clone)]
pub struct NotificationPage {
    pub notifications: Vec<notification::Model>,
    pub total: u64,
    pub page: u64,
    pub limit: u64,
    pub has_more: bool,
}

/// What one digest run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DigestRun {
    /// Organizations whose digest was sent.
    pub organizations: usize,
    /// E-mails handed to the mailer.
    pub emails: usize,
}

#[derive(Clone)]
pub struct NotificationService {
    db: DatabaseConnection,
    mailer: Mailer,
    writer: NoticeWriter,
}

impl NotificationService {
    pub fn new(db: DatabaseConnection, mailer: Mailer) -> Self {
        Self {
            writer: NoticeWriter::new(db.clone()),
            db,
            mailer,
        }
    }

    /// Notifications of the organization the user has not seen: created after the user last
    /// opened the list.
    pub async fn unread_count(
        &self,
        org_id: &str,
        user_id: &str,
    ) -> Result<u64, NotificationsError> {
        let Some(since) = repo::last_read(&self.db, user_id).await? else {
            return Ok(0);
        };
        Ok(repo::count_since(&self.db, org_id, since).await?)
    }

    /// The organization's last [`LIST_LIMIT`] notifications, newest first; marks everything
    /// read for the user and answers when they had last read before.
    pub async fn list_and_mark_read(
        &self,
        org_id: &str,
        user_id: &str,
    ) -> Result<NotificationList, NotificationsError> {
        let last_read = repo::last_read(&self.db, user_id)
            .await?
            .ok_or_else(|| NotificationsError::NotFound("User not found".into()))?;
        repo::set_last_read(&self.db, user_id, now()).await?;
        let notifications = repo::latest(&self.db, org_id, LIST_LIMIT).await?;
        Ok(NotificationList {
            notifications,
            last_read,
        })
    }

    /// One page of the organization's notifications, newest first ([`PAGE_LIMIT`] per page,
    /// from page 0), without marking anything read (the public API's
    /// `GET /public/v1/notifications`).
    pub async fn page(
        &self,
        org_id: &str,
        page: u64,
    ) -> Result<NotificationPage, NotificationsError> {
        let (notifications, total) = repo::page(&self.db, org_id, page, PAGE_LIMIT).await?;
        let has_more = page.saturating_mul(PAGE_LIMIT) + (notifications.len() as u64) < total;
        Ok(NotificationPage {
            notifications,
            total,
            page,
            limit: PAGE_LIMIT,
            has_more,
        })
    }

    /// Items waiting for the organization's next digest.
    pub async fn pending_digest(
        &self,
        org_id: &str,
    ) -> Result<Vec<digest_item::Model>, NotificationsError> {
        Ok(repo::pending_items(&self.db, org_id).await?)
    }

    /// Sends the digest of every organization whose oldest waiting item is at least `delay`
    /// old (`Duration::ZERO`: every waiting item now). Safe to run in several processes at
    /// once: an organization's items are claimed atomically by one run.
    pub async fn send_due_digests(&self, delay: Duration) -> anyhow::Result<DigestRun> {
        let at = now();
        let due_before = at - chrono::Duration::from_std(delay)?;
        let stale_before = at - chrono::Duration::from_std(STALE_CLAIM)?;
        let orgs = repo::organizations_with_due_items(&self.db, due_before, stale_before).await?;
        let mut run = DigestRun::default();
        for org_id in orgs {
            match self.send_digest(&org_id, stale_before).await {
                Ok(Some(emails)) => {
                    run.organizations += 1;
                    run.emails += emails;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(organization = %org_id, error = %format!("{e:#}"), "cannot send the notification digest");
                }
            }
        }
        Ok(run)
    }

    /// Claims, mails and removes one organization's waiting items; `None` when another run
    /// had taken them.
    async fn send_digest(
        &self,
        org_id: &str,
        stale_before: DateTime<Utc>,
    ) -> anyhow::Result<Option<usize>> {
        let token = new_id();
        let items = repo::claim_items(&self.db, org_id, &token, stale_before).await?;
        if items.is_empty() {
            return Ok(None);
        }
        let recipients = repo::recipients(&self.db, org_id).await?;
        let mut emails = 0;
        for recipient in &recipients {
            let wanted: Vec<&digest_item::Model> = items
                .iter()
                .filter(|item| wants(recipient, &item.kind))
                .collect();
            let Some(email) = digest_email(&recipient.email, &wanted) else {
                continue;
            };
            self.mailer.send(email);
            emails += 1;
        }
        repo::delete_claimed(&self.db, &token).await?;
        tracing::info!(organization = %org_id, items = items.len(), emails, "notification digest sent");
        Ok(Some(emails))
    }

    /// E-mails the notice now to the members whose preferences let `kind` through.
    async fn email_now(&self, notice: &Notice, kind: &str) -> anyhow::Result<()> {
        let recipients = repo::recipients(&self.db, &notice.organization_id).await?;
        for recipient in recipients.iter().filter(|r| wants(r, kind)) {
            self.mailer.send(Email {
                to: recipient.email.clone(),
                subject: notice.subject.clone(),
                html: notice.message.clone(),
                reply_to: None,
            });
        }
        Ok(())
    }
}

/// Whether the member's preferences let an item of `kind` through (`info` always does).
fn wants(recipient: &Recipient, kind: &str) -> bool {
    match kind {
        KIND_SUCCESS => recipient.send_success_emails,
        KIND_FAILURE => recipient.send_failure_emails,
        _ => true,
    }
}

/// One member's digest: the messages joined by line breaks, titled by the single item's
/// subject or [`DIGEST_SUBJECT`].
fn digest_email(to: &str, items: &[&digest_item::Model]) -> Option<Email> {
    let subject = match items {
        [] => return None,
        [only] => only.subject.clone(),
        _ => DIGEST_SUBJECT.to_string(),
    };
    let html = items
        .iter()
        .map(|item| item.message.as_str())
        .collect::<Vec<_>>()
        .join("<br/>");
    Some(Email {
        to: to.to_string(),
        subject,
        html,
        reply_to: None,
    })
}

fn kind_name(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Success => KIND_SUCCESS,
        NoticeKind::Failure => KIND_FAILURE,
        NoticeKind::Info => KIND_INFO,
    }
}

#[async_trait::async_trait]
impl Notifier for NotificationService {
    async fn notify(&self, notice: Notice) {
        let org = notice.organization_id.as_str();
        let kind = kind_name(notice.kind);
        // Successes wait for the digest; the rest are mailed now.
        let digest = (notice.kind == NoticeKind::Success).then(|| DigestRow {
            kind: kind.to_string(),
            subject: notice.subject.clone(),
        });
        let row = NoticeRow {
            organization_id: org.to_string(),
            content: notice.message.clone(),
            link: notice.link.clone(),
            digest,
            created_at: now(),
        };
        if let Err(e) = self.writer.write(row).await {
            tracing::error!(organization = %org, error = %e, subject = %notice.subject, "cannot record the notification");
        }
        if notice.kind != NoticeKind::Success
            && let Err(e) = self.email_now(&notice, kind).await
        {
            tracing::error!(organization = %org, kind, error = %format!("{e:#}"), subject = %notice.subject, "cannot e-mail the notification");
        }
    }
}

/// Registers the digest on the job engine: every [`DIGEST_CHECK_EVERY`] (and at start), the
/// digests whose oldest item is [`DIGEST_DELAY`] old go out.
pub fn register_digest(runtime: &mut WorkerRuntime, service: NotificationService) {
    runtime.periodic(DIGEST_TASK, DIGEST_CHECK_EVERY, move || {
        let service = service.clone();
        async move {
            service
                .send_due_digests(DIGEST_DELAY)
                .await
                .map(|_| ())
                .map_err(|e| format!("{e:#}"))
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(subject: &str, message: &str) -> digest_item::Model {
        digest_item::Model {
            id: new_id(),
            organization_id: "o".into(),
            kind: KIND_SUCCESS.into(),
            subject: subject.into(),
            message: message.into(),
            created_at: now(),
            claim_token: None,
            claimed_at: None,
        }
    }

    #[test]
    fn digest_subject_and_body() {
        let a = item("Published on X", "Your post is on X");
        let b = item("Published on LinkedIn", "Your post is on LinkedIn");
        assert!(digest_email("u@x.io", &[]).is_none());
        let single = digest_email("u@x.io", &[&a]);
        assert_eq!(
            single.as_ref().map(|e| e.subject.as_str()),
            Some("Published on X")
        );
        let both = digest_email("u@x.io", &[&a, &b]);
        assert_eq!(
            both.as_ref().map(|e| (e.subject.as_str(), e.html.as_str())),
            Some((
                DIGEST_SUBJECT,
                "Your post is on X<br/>Your post is on LinkedIn"
            ))
        );
    }

    #[test]
    fn preferences() {
        let r = Recipient {
            email: "a@b.c".into(),
            send_success_emails: false,
            send_failure_emails: true,
        };
        assert!(!wants(&r, KIND_SUCCESS));
        assert!(wants(&r, KIND_FAILURE));
        assert!(wants(&r, KIND_INFO));
    }
}
