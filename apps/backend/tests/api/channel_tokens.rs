//! Channel tokens as the publisher gets them: refreshed before they expire and after a 401, one
//! refresh at a time per channel, a refused refresh flags the channel and tells the
//! organization, and a sweep refreshes what expires soon.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use postiz_channels::{ChannelConfig, ChannelError, ChannelService};
use postiz_core::notify::{Notice, Notifier};
use postiz_provider::async_trait;
use reqwest::StatusCode;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::channels::{
    LI_ACCESS, LI_REFRESH, Networks, connect_linkedin, list, mount_linkedin_member, received,
};
use crate::helpers::{Session, TestApp, spawn_app_with};

/// Records the notices the channels module sends.
#[derive(Default)]
struct Recorder(Mutex<Vec<Notice>>);

#[async_trait]
impl Notifier for Recorder {
    async fn notify(&self, notice: Notice) {
        self.0.lock().unwrap().push(notice);
    }
}

impl Recorder {
    fn notices(&self) -> Vec<Notice> {
        self.0.lock().unwrap().clone()
    }
}

/// The application's channel service with a recording notifier, on the same database, cache
/// and providers.
fn service_with(app: &TestApp, recorder: Arc<Recorder>) -> ChannelService {
    ChannelService::new(
        app.state.db.clone(),
        app.state.sealer.clone(),
        app.state.cache.clone(),
        app.state.providers.clone(),
        recorder,
        ChannelConfig::new("http://localhost:4200"),
    )
}

async fn mount_refresh(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/oauth/v2/accessToken"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(response)
        .mount(server)
        .await;
}

/// A LinkedIn profile whose access token expires in a minute.
async fn expiring_channel() -> (Networks, TestApp, Session, String) {
    let nets = Networks::start().await;
    mount_linkedin_member(&nets.linkedin, LI_ACCESS, Some(LI_REFRESH), 60).await;
    let app = spawn_app_with(nets.options().without_workers()).await;
    let owner = app.register("owner@example.com", "Acme").await;
    let res = connect_linkedin(&app, &owner, "linkedin").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.json()["id"].as_str().unwrap().to_string();
    (nets, app, owner, id)
}

async fn refresh_calls(server: &MockServer) -> Vec<String> {
    received(server, "POST", "/oauth/v2/accessToken")
        .await
        .into_iter()
        .map(|r| String::from_utf8_lossy(&r.body).to_string())
        .filter(|b| b.contains("grant_type=refresh_token"))
        .collect()
}

#[tokio::test]
async fn a_token_is_refreshed_before_it_expires_and_after_a_401() {
    let (nets, app, _owner, id) = expiring_channel().await;
    mount_refresh(
        &nets.linkedin,
        ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"access_token": "li-access-2", "expires_in": 5_184_000}),
        ),
    )
    .await;
    let channels = &app.state.channels;

    let (provider, auth) = channels.channel_auth(&id).await.unwrap();
    assert_eq!(provider.identifier(), "linkedin");
    assert_eq!(auth.internal_id, "member-1");
    assert_eq!(auth.tokens.access_token, "li-access-2");
    // LinkedIn sent no new refresh token: the stored one is kept.
    assert_eq!(auth.tokens.refresh_token.as_deref(), Some(LI_REFRESH));
    let calls = refresh_calls(&nets.linkedin).await;
    assert_eq!(calls.len(), 1);
    assert!(
        calls[0].contains(&format!("refresh_token={LI_REFRESH}")),
        "{}",
        calls[0]
    );
    assert!(calls[0].contains("client_id=li-client"), "{}", calls[0]);

    // Not due any more: no second refresh.
    let (_, auth) = channels.channel_auth(&id).await.unwrap();
    assert_eq!(auth.tokens.access_token, "li-access-2");
    assert_eq!(refresh_calls(&nets.linkedin).await.len(), 1);

    // The network answered 401 to a publication: refresh now.
    nets.linkedin.reset().await;
    mount_refresh(
        &nets.linkedin,
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "li-access-3", "expires_in": 5_184_000, "refresh_token": "li-refresh-2"
        })),
    )
    .await;
    let (_, auth) = channels.refresh_after_unauthorized(&id).await.unwrap();
    assert_eq!(auth.tokens.access_token, "li-access-3");
    assert_eq!(auth.tokens.refresh_token.as_deref(), Some("li-refresh-2"));
    assert_eq!(refresh_calls(&nets.linkedin).await.len(), 1);
    let (_, auth) = channels.channel_auth(&id).await.unwrap();
    assert_eq!(auth.tokens.access_token, "li-access-3");
}

#[tokio::test]
async fn concurrent_callers_share_one_refresh() {
    let (nets, app, _owner, id) = expiring_channel().await;
    mount_refresh(
        &nets.linkedin,
        ResponseTemplate::new(200)
            .set_delay(Duration::from_millis(400))
            .set_body_json(
                serde_json::json!({"access_token": "li-access-2", "expires_in": 5_184_000}),
            ),
    )
    .await;
    // Two services, as two processes would be, sharing the database and the cache.
    let a = service_with(&app, Arc::new(Recorder::default()));
    let b = app.state.channels.get_ref().clone();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let service = if i % 2 == 0 { a.clone() } else { b.clone() };
        let id = id.clone();
        tasks.push(tokio::spawn(async move { service.channel_auth(&id).await }));
    }
    for task in tasks {
        let (_, auth) = task.await.unwrap().unwrap();
        assert_eq!(auth.tokens.access_token, "li-access-2");
    }
    assert_eq!(refresh_calls(&nets.linkedin).await.len(), 1);
}

#[tokio::test]
async fn a_refused_refresh_flags_the_channel_and_tells_the_organization_once() {
    let (nets, app, owner, id) = expiring_channel().await;
    mount_refresh(
        &nets.linkedin,
        ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant", "error_description": "The token used in the request has been revoked by the user"
        })),
    )
    .await;
    let recorder = Arc::new(Recorder::default());
    let channels = service_with(&app, recorder.clone());

    let err = channels.channel_auth(&id).await.err().unwrap();
    assert!(matches!(err, ChannelError::RefreshNeeded(_)), "{err:?}");
    let notices = recorder.notices();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].organization_id, owner.org_id);
    assert!(
        notices[0].subject.contains("linkedin"),
        "{}",
        notices[0].subject
    );
    assert!(
        notices[0].message.contains("connect it again"),
        "{}",
        notices[0].message
    );
    assert!(!notices[0].message.contains(LI_REFRESH));
    let listed = list(&app, &owner).await;
    assert_eq!(listed[0]["refreshNeeded"], true);
    assert_eq!(listed[0]["inBetweenSteps"], false);

    // Flagged: no more calls to the network, no second notice.
    let err = channels
        .refresh_after_unauthorized(&id)
        .await
        .err()
        .unwrap();
    assert!(matches!(err, ChannelError::RefreshNeeded(_)), "{err:?}");
    assert_eq!(refresh_calls(&nets.linkedin).await.len(), 1);
    assert_eq!(recorder.notices().len(), 1);
    // The publisher reads it as "reconnect".
    let class = postiz_provider::ProviderError::from(err).class();
    assert_eq!(class, "disconnected");
}

#[tokio::test]
async fn a_failure_that_may_pass_changes_nothing() {
    let (nets, app, owner, id) = expiring_channel().await;
    mount_refresh(
        &nets.linkedin,
        ResponseTemplate::new(429).insert_header("retry-after", "3600"),
    )
    .await;
    let recorder = Arc::new(Recorder::default());
    let channels = service_with(&app, recorder.clone());
    let err = channels
        .refresh_after_unauthorized(&id)
        .await
        .err()
        .unwrap();
    assert!(matches!(err, ChannelError::Provider(_)), "{err:?}");
    assert!(recorder.notices().is_empty());
    assert_eq!(list(&app, &owner).await[0]["refreshNeeded"], false);
}

#[tokio::test]
async fn tokens_that_cannot_be_refreshed_flag_the_channel_after_a_401() {
    let nets = Networks::start().await;
    crate::channels::mount_mastodon(&nets.mastodon, "write:statuses profile write:media").await;
    let app = spawn_app_with(nets.options().without_workers()).await;
    let owner = app.register("owner@example.com", "Acme").await;
    let res = crate::channels::connect_mastodon(&app, &owner).await;
    let id = res.json()["id"].as_str().unwrap().to_string();
    let recorder = Arc::new(Recorder::default());
    let channels = service_with(&app, recorder.clone());
    // Mastodon tokens do not expire: handed out as stored.
    let (_, auth) = channels.channel_auth(&id).await.unwrap();
    assert_eq!(auth.tokens.access_token, crate::channels::MASTO_ACCESS);
    let err = channels
        .refresh_after_unauthorized(&id)
        .await
        .err()
        .unwrap();
    assert!(matches!(err, ChannelError::RefreshNeeded(_)), "{err:?}");
    assert_eq!(recorder.notices().len(), 1);
    assert_eq!(list(&app, &owner).await[0]["refreshNeeded"], true);

    // Disabled and deleted channels are not handed out.
    crate::channels::mount_bluesky(&nets.bluesky).await;
    let res = crate::channels::connect_bluesky(&app, &owner, &nets.bluesky.uri()).await;
    let other = res.json()["id"].as_str().unwrap().to_string();
    app.post(
        "/integrations/disable",
        Some(&owner),
        serde_json::json!({"id": other}),
    )
    .await;
    assert!(matches!(
        channels.channel_auth(&other).await.err(),
        Some(ChannelError::Disabled)
    ));
    app.call(
        reqwest::Method::DELETE,
        "/integrations",
        Some(&owner),
        Some(serde_json::json!({"id": other})),
    )
    .await;
    assert!(matches!(
        channels.channel_auth(&other).await.err(),
        Some(ChannelError::NotFound)
    ));
}

#[tokio::test]
async fn the_sweep_refreshes_channels_expiring_soon() {
    let (nets, app, _owner, id) = expiring_channel().await;
    mount_refresh(
        &nets.linkedin,
        ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"access_token": "li-access-2", "expires_in": 5_184_000}),
        ),
    )
    .await;
    let channels = &app.state.channels;
    let report = channels
        .refresh_expiring(Duration::from_secs(24 * 3600))
        .await
        .unwrap();
    assert_eq!((report.due, report.refreshed, report.failed), (1, 1, 0));
    let again = channels
        .refresh_expiring(Duration::from_secs(24 * 3600))
        .await
        .unwrap();
    assert_eq!(again.due, 0);
    // Within 90 days the token (60 days) is due again.
    let later = channels
        .refresh_expiring(Duration::from_secs(90 * 24 * 3600))
        .await
        .unwrap();
    assert_eq!(later.refreshed, 1);
    assert_eq!(refresh_calls(&nets.linkedin).await.len(), 2);
    let (_, auth) = channels.channel_auth(&id).await.unwrap();
    assert_eq!(auth.tokens.access_token, "li-access-2");
}
