//! Video through the video service: service token, streamed upload, job polling, pending posts.

mod common;

use std::sync::Arc;

use common::{ACCESS, DID, HANDLE};
use postiz_provider::{MediaKind, PostItem, ProviderError, PublishOutcome};
use serde_json::{Value, json};
use wiremock::matchers::{bearer_token, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CREATE_RECORD: &str = "/xrpc/com.atproto.repo.createRecord";
const GET_SESSION: &str = "/xrpc/com.atproto.server.getSession";
const SERVICE_AUTH: &str = "/xrpc/com.atproto.server.getServiceAuth";
const UPLOAD_VIDEO: &str = "/xrpc/app.bsky.video.uploadVideo";
const JOB_STATUS: &str = "/xrpc/app.bsky.video.getJobStatus";

fn blob() -> Value {
    json!({"$type": "blob", "ref": {"$link": "bafkreivideo"}, "mimeType": "video/mp4", "size": 12})
}

fn video_chunks() -> Vec<Vec<u8>> {
    vec![
        b"\x00\x00\x00\x18ftyp".to_vec(),
        b"mp42".to_vec(),
        b"-rest".to_vec(),
    ]
}

fn video_item(text: &str) -> PostItem {
    PostItem {
        media: vec![common::media(
            MediaKind::Video,
            "video/mp4",
            Arc::new(common::ChunkedSource {
                chunks: video_chunks(),
            }),
            Some("A cat"),
        )],
        ..common::text_item(text)
    }
}

/// Mounts getSession (with a DID document naming the PDS) and getServiceAuth on the PDS.
async fn mount_pds(pds: &MockServer) {
    Mock::given(method("GET"))
        .and(path(GET_SESSION))
        .and(bearer_token(ACCESS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "handle": HANDLE,
            "did": DID,
            "emailConfirmed": true,
            "didDoc": {
                "id": DID,
                "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                             "serviceEndpoint": "https://morel.us-east.host.bsky.network"}]
            }
        })))
        .mount(pds)
        .await;
    Mock::given(method("GET"))
        .and(path(SERVICE_AUTH))
        .and(bearer_token(ACCESS))
        .and(query_param(
            "aud",
            "did:web:morel.us-east.host.bsky.network",
        ))
        .and(query_param("lxm", "com.atproto.repo.uploadBlob"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": "service-token"})))
        .expect(1)
        .mount(pds)
        .await;
    Mock::given(method("POST"))
        .and(path(CREATE_RECORD))
        .and(bearer_token(ACCESS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "uri": format!("at://{DID}/app.bsky.feed.post/3kvideo"),
            "cid": "bafyvideo"
        })))
        .mount(pds)
        .await;
}

async fn mount_upload(video: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(UPLOAD_VIDEO))
        .and(query_param("did", DID))
        .and(bearer_token("service-token"))
        .and(header("content-type", "video/mp4"))
        .respond_with(response)
        .expect(1)
        .mount(video)
        .await;
}

async fn mount_job_states(video: &MockServer, states: &[Value]) {
    // Each answer is served once, in order; the last one stays.
    for (i, state) in states.iter().enumerate() {
        let mut mock = Mock::given(method("GET"))
            .and(path(JOB_STATUS))
            .and(query_param("jobId", "job-42"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"jobStatus": state})))
            .with_priority((i + 1) as u8);
        if i + 1 < states.len() {
            mock = mock.up_to_n_times(1);
        }
        mock.mount(video).await;
    }
}

#[tokio::test]
async fn video_is_streamed_polled_and_embedded() {
    let pds = MockServer::start().await;
    let video = MockServer::start().await;
    mount_pds(&pds).await;
    // The upload answers the job status unwrapped, as the service has been seen to do.
    mount_upload(
        &video,
        ResponseTemplate::new(200)
            .set_body_json(json!({"jobId": "job-42", "did": DID, "state": "JOB_STATE_CREATED"})),
    )
    .await;
    mount_job_states(
        &video,
        &[
            json!({"jobId": "job-42", "did": DID, "state": "JOB_STATE_ENCODING", "progress": 40}),
            json!({"jobId": "job-42", "did": DID, "state": "JOB_STATE_COMPLETED", "blob": blob()}),
        ],
    )
    .await;
    let provider = common::provider_with(&pds.uri(), &video.uri(), &[]);
    let outcome = provider
        .publish(&common::channel(&pds.uri()), &video_item("Watch this"))
        .await;
    match outcome {
        Ok(PublishOutcome::Published(r)) => {
            assert_eq!(r.id, format!("at://{DID}/app.bsky.feed.post/3kvideo"));
            assert_eq!(
                r.url,
                format!("https://bsky.app/profile/{HANDLE}/post/3kvideo")
            );
        }
        other => panic!("{other:?}"),
    }

    let received = video.received_requests().await.unwrap_or_default();
    let upload = received
        .iter()
        .find(|r| r.url.path() == UPLOAD_VIDEO)
        .unwrap_or_else(|| panic!("no upload"));
    assert_eq!(upload.body, video_chunks().concat());
    assert_eq!(
        upload
            .headers
            .get("content-length")
            .and_then(|v| v.to_str().ok()),
        Some("17")
    );
    let name = upload
        .url
        .query_pairs()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    assert!(name.ends_with(".mp4") && name.len() > 4, "{name}");
    // The job status is public: no token is sent to it.
    let polls: Vec<_> = received
        .iter()
        .filter(|r| r.url.path() == JOB_STATUS)
        .collect();
    assert_eq!(polls.len(), 2);
    assert!(
        polls
            .iter()
            .all(|r| !r.headers.contains_key("authorization"))
    );

    let exp: i64 = pds
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .find(|r| r.url.path() == SERVICE_AUTH)
        .and_then(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "exp")
                .map(|(_, v)| v.to_string())
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    assert!((now + 1790..=now + 1800).contains(&exp), "exp {exp}");

    let record = &common::bodies(&pds, CREATE_RECORD).await[0]["record"];
    assert_eq!(
        record["embed"],
        json!({"$type": "app.bsky.embed.video", "video": blob(), "alt": "A cat"})
    );
    assert_eq!(record["text"], "Watch this");
}

#[tokio::test]
async fn a_video_still_processing_goes_pending_then_check_status_posts_it() {
    let pds = MockServer::start().await;
    let video = MockServer::start().await;
    mount_pds(&pds).await;
    mount_upload(
        &video,
        ResponseTemplate::new(200).set_body_json(json!({"jobStatus": {
            "jobId": "job-42", "did": DID, "state": "JOB_STATE_CREATED"
        }})),
    )
    .await;
    let provider = common::provider_with(&pds.uri(), &video.uri(), &[("video_max_wait_secs", "0")]);
    let channel = common::channel(&pds.uri());
    let data = match provider.publish(&channel, &video_item("Later #cats")).await {
        Ok(PublishOutcome::Pending { data }) => data,
        other => panic!("{other:?}"),
    };
    assert_eq!(data["jobId"], "job-42");
    assert_eq!(data["record"]["text"], "Later #cats");
    assert_eq!(data["record"]["facets"][0]["features"][0]["tag"], "cats");
    assert_eq!(common::hits(&pds, CREATE_RECORD).await, 0);

    mount_job_states(
        &video,
        &[
            json!({"jobId": "job-42", "did": DID, "state": "JOB_STATE_ENCODING", "progress": 80}),
            json!({"jobId": "job-42", "did": DID, "state": "JOB_STATE_COMPLETED", "blob": blob()}),
        ],
    )
    .await;
    let first = provider.check_status(&channel, &data).await;
    assert_eq!(first, Ok(PublishOutcome::Pending { data: data.clone() }));
    assert_eq!(common::hits(&pds, CREATE_RECORD).await, 0);

    let second = provider.check_status(&channel, &data).await;
    assert_eq!(
        second,
        Ok(PublishOutcome::published(
            format!("at://{DID}/app.bsky.feed.post/3kvideo"),
            format!("https://bsky.app/profile/{HANDLE}/post/3kvideo")
        ))
    );
    let record = &common::bodies(&pds, CREATE_RECORD).await[0]["record"];
    assert_eq!(record["text"], "Later #cats");
    assert_eq!(record["embed"]["video"], blob());
    assert_eq!(record["$type"], "app.bsky.feed.post");
    assert!(record["createdAt"].is_string());
}

#[tokio::test]
async fn a_failed_job_is_rejected_with_its_message() {
    let pds = MockServer::start().await;
    let video = MockServer::start().await;
    mount_pds(&pds).await;
    mount_upload(
        &video,
        ResponseTemplate::new(200)
            .set_body_json(json!({"jobId": "job-42", "did": DID, "state": "JOB_STATE_CREATED"})),
    )
    .await;
    mount_job_states(
        &video,
        &[
            json!({"jobId": "job-42", "did": DID, "state": "JOB_STATE_FAILED",
                 "error": "video processing error", "message": "Failed to process video"}),
        ],
    )
    .await;
    let provider = common::provider_with(&pds.uri(), &video.uri(), &[]);
    let err = provider
        .publish(&common::channel(&pds.uri()), &video_item("x"))
        .await
        .err();
    assert_eq!(
        err,
        Some(ProviderError::Rejected(
            "Bluesky could not process the video: Failed to process video".into()
        ))
    );
    assert_eq!(common::hits(&pds, CREATE_RECORD).await, 0);
}

#[tokio::test]
async fn an_already_processed_video_answered_as_an_error_is_reused() {
    let pds = MockServer::start().await;
    let video = MockServer::start().await;
    mount_pds(&pds).await;
    mount_upload(
        &video,
        ResponseTemplate::new(409).set_body_json(json!({
            "jobId": "job-old", "did": DID, "state": "JOB_STATE_COMPLETED",
            "error": "already_exists", "message": "Video already processed", "blob": blob()
        })),
    )
    .await;
    let provider = common::provider_with(&pds.uri(), &video.uri(), &[]);
    let outcome = provider
        .publish(&common::channel(&pds.uri()), &video_item("again"))
        .await;
    assert!(
        matches!(outcome, Ok(PublishOutcome::Published(_))),
        "{outcome:?}"
    );
    let record = &common::bodies(&pds, CREATE_RECORD).await[0]["record"];
    assert_eq!(record["embed"]["video"], blob());
}

#[tokio::test]
async fn upload_refusals_keep_the_service_message() {
    let pds = MockServer::start().await;
    let video = MockServer::start().await;
    mount_pds(&pds).await;
    mount_upload(
        &video,
        ResponseTemplate::new(400).set_body_json(json!({"jobStatus": {
            "did": "", "jobId": "", "state": "", "error": "unconfirmed_email"
        }})),
    )
    .await;
    let provider = common::provider_with(&pds.uri(), &video.uri(), &[]);
    let err = provider
        .publish(&common::channel(&pds.uri()), &video_item("x"))
        .await
        .err();
    assert_eq!(
        err,
        Some(ProviderError::Rejected("unconfirmed_email".into()))
    );
    assert_eq!(common::hits(&pds, CREATE_RECORD).await, 0);
}

#[tokio::test]
async fn videos_over_the_documented_limit_are_rejected() {
    let pds = MockServer::start().await;
    let provider = common::provider(&pds);
    let item = PostItem {
        media: vec![common::media(
            MediaKind::Video,
            "video/mp4",
            Arc::new(common::SizedOnly(100_000_001)),
            None,
        )],
        ..common::text_item("huge")
    };
    let err = provider
        .publish(&common::channel(&pds.uri()), &item)
        .await
        .err();
    assert!(
        matches!(&err, Some(ProviderError::Rejected(m)) if m.contains("100,000,000")),
        "{err:?}"
    );
    assert!(pds.received_requests().await.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn unreadable_pending_data_is_a_configuration_error() {
    let pds = MockServer::start().await;
    let provider = common::provider(&pds);
    let err = provider
        .check_status(&common::channel(&pds.uri()), &json!({"jobId": ""}))
        .await
        .err();
    assert_eq!(err.map(|e| e.class()), Some("config"));
}
