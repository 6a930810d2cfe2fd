//! How modules tell an organization that something happened (a channel needs reconnecting, a
//! post failed). The notifications module implements it with in-app rows, e-mails and webhooks;
//! modules depend only on this trait.

use async_trait::async_trait;

/// What kind of event, which decides who gets e-mailed and how soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// Something worked (a post was published): digest e-mails for users who want them.
    Success,
    /// Something failed and needs attention (a post failed): immediate e-mails.
    Failure,
    /// Information for everyone (a channel must be reconnected).
    Info,
}

/// An event for an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub organization_id: String,
    /// One line for the bell and the e-mail subject.
    pub subject: String,
    /// HTML body; may be the subject again.
    pub message: String,
    /// Where the dashboard should take the user (a post or a channel), if anywhere.
    pub link: Option<String>,
    pub kind: NoticeKind,
}

#[async_trait]
pub trait Notifier: Send + Sync {
    /// Records and delivers a notice. Delivery problems are logged, never returned: telling the
    /// user must not fail the operation that happened.
    async fn notify(&self, notice: Notice);
}

/// Writes notices to the log; used where no notification module is wired (tools, tests).
pub struct LogNotifier;

#[async_trait]
impl Notifier for LogNotifier {
    async fn notify(&self, notice: Notice) {
        tracing::info!(
            organization = %notice.organization_id,
            kind = ?notice.kind,
            subject = %notice.subject,
            "notice"
        );
    }
}
