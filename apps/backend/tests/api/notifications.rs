//! The bell (`/notifications`) and notification e-mails: immediate failure and info e-mails,
//! success notices collected into the digest, members' preferences.

use std::sync::Arc;
use std::time::Duration;

use postiz_core::mailer::{Email, MailError, Mailer, SmtpTransport, Transport};
use postiz_core::notify::{Notice, NoticeKind, Notifier};
use postiz_core::settings::EmailSettings;
use postiz_notifications::{DIGEST_SUBJECT, NotificationService};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Session, SmtpSink, TestApp, decoded, spawn_app};

fn notice(org_id: &str, kind: NoticeKind, subject: &str, message: &str) -> Notice {
    Notice {
        organization_id: org_id.to_string(),
        subject: subject.to_string(),
        message: message.to_string(),
        link: Some(format!("/launches?post={subject}")),
        kind,
    }
}

/// SMTP delivery one message at a time: the test sink records one message in progress, so
/// concurrent sessions would mix their messages up.
struct OneAtATime(tokio::sync::Mutex<SmtpTransport>);

#[async_trait::async_trait]
impl Transport for OneAtATime {
    async fn deliver(&self, email: &Email) -> Result<(), MailError> {
        self.0.lock().await.deliver(email).await
    }

    fn delivers(&self) -> bool {
        true
    }
}

/// A notification service of the test application that mails through a real SMTP server.
fn mailing_service(app: &TestApp, port: u16) -> NotificationService {
    let smtp = SmtpTransport::new(&EmailSettings {
        provider: "nodemailer".into(),
        host: "127.0.0.1".into(),
        port,
        secure: false,
        user: String::new(),
        pass: String::new(),
        from_name: "Postiz Test".into(),
        from_address: "postiz@example.com".into(),
    })
    .expect("smtp");
    let mailer = Mailer::new(Arc::new(OneAtATime(tokio::sync::Mutex::new(smtp))));
    NotificationService::new(app.state.db.clone(), mailer)
}

async fn set_preferences(app: &TestApp, session: &Session, success: bool, failure: bool) {
    let res = app
        .post(
            "/user/email-notifications",
            Some(session),
            json!({"sendSuccessEmails": success, "sendFailureEmails": failure, "sendStreakEmails": true}),
        )
        .await;
    assert!(res.status.is_success(), "preferences: {}", res.text);
}

async fn total(app: &TestApp, session: &Session) -> u64 {
    let res = app.get("/notifications", Some(session)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let body = res.json();
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    body["total"].as_u64().expect("total")
}

/// Waits for background deliveries that should not happen, then checks nothing arrived.
async fn assert_no_mail_to(smtp: &SmtpSink, to: &str) {
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        !smtp
            .all()
            .iter()
            .any(|m| m.to.iter().any(|t| t.contains(to))),
        "unexpected e-mail to {to}"
    );
}

/// A burst of notices (many publications ending at once) is written in shared transactions:
/// every one is recorded exactly once, visible as soon as its `notify` returns, and only the
/// successes wait in the digest.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn notices_made_at_once_are_each_recorded_once() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let service = app.state.notifications.clone();
    let kinds = [
        NoticeKind::Success,
        NoticeKind::Failure,
        NoticeKind::Success,
    ];
    let burst = (0..60).map(|i| {
        let service = service.clone();
        let org = owner.org_id.clone();
        async move {
            service
                .notify(notice(
                    &org,
                    kinds[i % 3],
                    &format!("s{i}"),
                    &format!("burst {i}"),
                ))
                .await;
            // Committed when notify returns, whatever group it went out with.
            service
                .page(&org, 0)
                .await
                .unwrap()
                .notifications
                .iter()
                .any(|n| n.content == format!("burst {i}"))
        }
    });
    let seen = futures_util::future::join_all(burst).await;
    assert!(
        seen.iter().all(|s| *s),
        "every notice readable after its notify"
    );

    let page = service.page(&owner.org_id, 0).await.unwrap();
    assert_eq!(page.total, 60);
    let mut contents: Vec<String> = page
        .notifications
        .iter()
        .map(|n| n.content.clone())
        .collect();
    contents.sort();
    contents.dedup();
    assert_eq!(contents.len(), 60, "each notice once");
    let digest = service.pending_digest(&owner.org_id).await.unwrap();
    assert_eq!(digest.len(), 40, "the 40 successes wait for the digest");
    assert!(digest.iter().all(|item| item.kind == "success"));
    let mut subjects: Vec<&str> = digest.iter().map(|item| item.subject.as_str()).collect();
    subjects.sort_unstable();
    subjects.dedup();
    assert_eq!(subjects.len(), 40);
}

#[tokio::test]
async fn the_bell_counts_unread_notifications_per_user_and_the_list_marks_them_read() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let member = app.add_member(&owner, "member@example.com", "USER").await;
    let other = app.register("other@example.com", "Other").await;
    assert_eq!(total(&app, &owner).await, 0);

    let service = app.state.notifications.clone();
    for i in 0..12 {
        service
            .notify(notice(
                &owner.org_id,
                [NoticeKind::Success, NoticeKind::Failure, NoticeKind::Info][i % 3],
                &format!("n{i}"),
                &format!("Message <b>{i}</b>"),
            ))
            .await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(total(&app, &owner).await, 12);
    assert_eq!(total(&app, &member).await, 12);
    assert_eq!(
        total(&app, &other).await,
        0,
        "other organizations see nothing"
    );

    let res = app.get("/notifications/list", Some(&owner)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let body = res.json();
    let list = body["notifications"].as_array().expect("notifications");
    assert_eq!(list.len(), 10, "the last 10");
    assert_eq!(list[0]["content"], "Message <b>11</b>", "newest first");
    assert_eq!(list[9]["content"], "Message <b>2</b>");
    let first = list[0].as_object().expect("object");
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["content", "createdAt", "id", "link"]);
    assert_eq!(list[0]["link"], "/launches?post=n11");
    let created = list[0]["createdAt"].as_str().expect("createdAt");
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{created}"
    );
    assert!(created.ends_with('Z'), "{created}");
    let last_read = body["lastReadNotifications"]
        .as_str()
        .expect("lastReadNotifications");
    let last_read = chrono::DateTime::parse_from_rfc3339(last_read).expect("time");
    let oldest =
        chrono::DateTime::parse_from_rfc3339(list[9]["createdAt"].as_str().unwrap()).expect("time");
    assert!(last_read < oldest, "the previous read mark is answered");

    // Opening the list marks everything read, for this user only.
    assert_eq!(total(&app, &owner).await, 0);
    assert_eq!(total(&app, &member).await, 12);
    let again = app.get("/notifications/list", Some(&owner)).await.json();
    let second_mark =
        chrono::DateTime::parse_from_rfc3339(again["lastReadNotifications"].as_str().unwrap())
            .unwrap();
    assert!(second_mark > last_read);

    service
        .notify(notice(&owner.org_id, NoticeKind::Info, "new", "New one"))
        .await;
    assert_eq!(total(&app, &owner).await, 1);

    // Another organization's list is its own.
    let res = app.get("/notifications/list", Some(&other)).await;
    assert_eq!(res.json()["notifications"], json!([]));
}

#[tokio::test]
async fn the_bell_needs_a_session() {
    let app = spawn_app().await;
    for path in ["/notifications", "/notifications/list"] {
        let res = app.get(path, None).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn failures_are_emailed_at_once_to_members_who_want_them_and_info_to_everyone() {
    let (smtp, port) = SmtpSink::start();
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let quiet = app.add_member(&owner, "quiet@example.com", "USER").await;
    set_preferences(&app, &quiet, true, false).await;
    let service = mailing_service(&app, port);

    service
        .notify(notice(
            &owner.org_id,
            NoticeKind::Failure,
            "Error posting on X",
            "We could not post <b>Hello</b> on X: refused",
        ))
        .await;
    let mail = smtp.wait_for("owner@example.com").await;
    assert!(
        mail.data.contains("Subject: Error posting on X"),
        "{}",
        mail.data
    );
    assert!(decoded(&mail).contains("We could not post <b>Hello</b> on X: refused"));
    assert_no_mail_to(&smtp, "quiet@example.com").await;

    service
        .notify(notice(
            &owner.org_id,
            NoticeKind::Info,
            "Reconnect your channel",
            "Your X channel must be reconnected",
        ))
        .await;
    let mail = smtp.wait_for("quiet@example.com").await;
    assert!(mail.data.contains("Subject: Reconnect your channel"));
    assert_eq!(smtp.count(), 3, "failure to the owner, info to both");

    // Success notices wait for the digest: nothing is mailed now.
    service
        .notify(notice(
            &owner.org_id,
            NoticeKind::Success,
            "Published",
            "Done",
        ))
        .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(smtp.count(), 3);
    // Every notice is in the bell.
    assert_eq!(total(&app, &owner).await, 3);
}

#[tokio::test]
async fn success_notices_are_collected_into_one_digest_per_organization() {
    let (smtp, port) = SmtpSink::start();
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let member = app.add_member(&owner, "member@example.com", "USER").await;
    let no_success = app
        .add_member(&owner, "nosuccess@example.com", "ADMIN")
        .await;
    set_preferences(&app, &no_success, false, true).await;
    let solo = app.register("solo@example.com", "Solo").await;
    let service = mailing_service(&app, port);

    for (subject, message) in [
        (
            "Your post has been published on X",
            "Your post <i>one</i> is on X",
        ),
        (
            "Your post has been published on LinkedIn",
            "Your post two is on LinkedIn",
        ),
    ] {
        service
            .notify(notice(&owner.org_id, NoticeKind::Success, subject, message))
            .await;
    }
    service
        .notify(notice(
            &solo.org_id,
            NoticeKind::Success,
            "Your post has been published on Bluesky",
            "Your post is on Bluesky",
        ))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.count(), 0, "nothing is mailed before the digest");
    // The items wait in the database, so a restart loses nothing.
    let pending = service.pending_digest(&owner.org_id).await.unwrap();
    assert_eq!(pending.len(), 2);

    // Not due yet: the digest goes out an hour after the first item.
    let run = service
        .send_due_digests(Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(run.organizations, 0);
    assert_eq!(
        service.pending_digest(&owner.org_id).await.unwrap().len(),
        2
    );

    let run = service.send_due_digests(Duration::ZERO).await.unwrap();
    assert_eq!(run.organizations, 2);
    assert_eq!(
        run.emails, 3,
        "owner, member and solo; not the opted-out admin"
    );

    let mail = smtp.wait_for("owner@example.com").await;
    assert!(
        mail.data.contains(&format!("Subject: {DIGEST_SUBJECT}")),
        "{}",
        mail.data
    );
    let text = decoded(&mail);
    // The HTML part: the messages, oldest first, one per line.
    assert!(
        text.contains("Your post <i>one</i> is on X<br/>Your post two is on LinkedIn"),
        "{text}"
    );
    let mail = smtp.wait_for("member@example.com").await;
    assert!(mail.data.contains(&format!("Subject: {DIGEST_SUBJECT}")));
    // A digest of one item carries that item's subject.
    let mail = smtp.wait_for("solo@example.com").await;
    assert!(
        mail.data
            .contains("Subject: Your post has been published on Bluesky"),
        "{}",
        mail.data
    );
    assert_no_mail_to(&smtp, "nosuccess@example.com").await;
    assert_eq!(smtp.count(), 3);

    // Sent items are gone: the next run sends nothing.
    assert!(
        service
            .pending_digest(&owner.org_id)
            .await
            .unwrap()
            .is_empty()
    );
    let run = service.send_due_digests(Duration::ZERO).await.unwrap();
    assert_eq!(run.organizations, 0);
    let _ = member;
}

#[tokio::test]
async fn the_wired_notifier_records_every_kind_in_the_bell() {
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    let notifier: Arc<dyn Notifier> = Arc::new(app.state.notifications.get_ref().clone());
    notifier
        .notify(notice(&owner.org_id, NoticeKind::Failure, "f", "failed"))
        .await;
    let body: Value = app.get("/notifications/list", Some(&owner)).await.json();
    assert_eq!(body["notifications"][0]["content"], "failed");
}

#[tokio::test]
async fn the_digest_runs_on_the_job_engine_and_sends_items_an_hour_old() {
    use postiz_entity::notification_digest_item as item;
    use postiz_jobs::{CancellationToken, JobQueue, JobsConfig, WorkerRuntime};
    use sea_orm::{ActiveModelTrait, Set};

    let (smtp, port) = SmtpSink::start();
    let app = spawn_app().await;
    let owner = app.register("owner@example.com", "Acme").await;
    // Items left by an earlier process: one due (61 minutes old), which takes the younger one
    // of the same organization along.
    let mut at = chrono::Utc::now() - chrono::Duration::minutes(61);
    for (subject, message) in [("Old", "Old message"), ("New", "New message")] {
        item::ActiveModel {
            id: Set(postiz_core::ids::new_id()),
            organization_id: Set(owner.org_id.clone()),
            kind: Set("success".into()),
            subject: Set(subject.into()),
            message: Set(message.into()),
            created_at: Set(at),
            claim_token: Set(None),
            claimed_at: Set(None),
        }
        .insert(&app.state.db)
        .await
        .unwrap();
        at = chrono::Utc::now();
    }
    let service = mailing_service(&app, port);
    let jobs = JobQueue::from_connection(&app.state.db, JobsConfig::default()).unwrap();
    let mut runtime = WorkerRuntime::new(jobs);
    postiz_notifications::register_digest(&mut runtime, service.clone());
    let running = runtime.start(CancellationToken::new()).unwrap();
    let mail = smtp.wait_for("owner@example.com").await;
    assert!(mail.data.contains(&format!("Subject: {DIGEST_SUBJECT}")));
    let text = decoded(&mail);
    assert!(text.contains("Old message<br/>New message"), "{text}");
    assert!(
        service
            .pending_digest(&owner.org_id)
            .await
            .unwrap()
            .is_empty()
    );
    running.shutdown().await;
}
