//! Publishing statuses, media and replies, checked against what the instance received.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::{TOKEN, header_of, media, requests_to, values};
use postiz_provider::media::rechunk;
use postiz_provider::{
    ByteStream, InMemoryMedia, MediaItem, MediaKind, MediaSource, ProviderError, PublishOutcome,
    PublishedRef, async_trait,
};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn published(outcome: Result<PublishOutcome, ProviderError>) -> PublishedRef {
    match outcome {
        Ok(PublishOutcome::Published(r)) => r,
        other => panic!("expected a published status, got {other:?}"),
    }
}

#[tokio::test]
async fn text_status_is_posted_public_with_an_idempotency_key() {
    let server = MockServer::start().await;
    common::mount_status(&server, "103254962155278888").await;
    common::mount_status(&server, "103254962155278888").await;
    let provider = common::provider(&server);
    let item = common::text_item("post-1", "Hello Mastodon 🐘 https://example.com");
    let got = published(provider.publish(&common::channel(), &item).await);
    assert_eq!(got.id, "103254962155278888");
    assert_eq!(
        got.url,
        format!("{}/@alice/103254962155278888", server.uri())
    );

    // The same item again (a retried publication) carries the same key.
    published(provider.publish(&common::channel(), &item).await);

    let calls = requests_to(&server, "POST", "/api/v1/statuses").await;
    assert_eq!(calls.len(), 2);
    let form = common::form(&calls[0].body);
    assert_eq!(
        values(&form, "status"),
        vec!["Hello Mastodon 🐘 https://example.com"]
    );
    assert_eq!(values(&form, "visibility"), vec!["public"]);
    assert!(values(&form, "media_ids[]").is_empty());
    assert!(values(&form, "in_reply_to_id").is_empty());
    assert_eq!(
        header_of(&calls[0], "authorization").as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        header_of(&calls[0], "content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let key = header_of(&calls[0], "idempotency-key").unwrap_or_default();
    assert!(key.starts_with("postiz-") && key.len() == 47, "{key}");
    assert_eq!(header_of(&calls[1], "idempotency-key"), Some(key.clone()));
    // Nothing else was called (no media, no polling).
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(2));
}

#[tokio::test]
async fn edited_text_gets_a_new_idempotency_key() {
    let server = MockServer::start().await;
    common::mount_status(&server, "1").await;
    common::mount_status(&server, "2").await;
    let provider = common::provider(&server);
    published(
        provider
            .publish(&common::channel(), &common::text_item("p", "first"))
            .await,
    );
    published(
        provider
            .publish(&common::channel(), &common::text_item("p", "second"))
            .await,
    );
    let calls = requests_to(&server, "POST", "/api/v1/statuses").await;
    assert_ne!(
        header_of(&calls[0], "idempotency-key"),
        header_of(&calls[1], "idempotency-key")
    );
}

#[tokio::test]
async fn images_are_uploaded_with_alt_text_then_attached_in_order() {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .and(body_string_contains("filename=\"a.png\""))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(common::media_json(&uri, "22348641", true)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .and(body_string_contains("filename=\"b.jpg\""))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(common::media_json(&uri, "22348642", true)),
        )
        .expect(1)
        .mount(&server)
        .await;
    common::mount_status(&server, "777").await;

    let mut item = common::text_item("post-img", "Two pictures");
    item.media = vec![
        media(
            MediaKind::Image,
            "image/png",
            "a.png",
            b"PNGDATA-one",
            Some("A red square"),
        ),
        media(
            MediaKind::Image,
            "image/jpeg",
            "b.jpg",
            b"JPEGDATA-two",
            None,
        ),
    ];
    let got = published(
        common::provider(&server)
            .publish(&common::channel(), &item)
            .await,
    );
    assert_eq!(got.id, "777");

    let uploads = requests_to(&server, "POST", "/api/v2/media").await;
    assert_eq!(uploads.len(), 2);
    let first = String::from_utf8_lossy(&uploads[0].body).to_string();
    assert!(
        header_of(&uploads[0], "content-type")
            .unwrap_or_default()
            .starts_with("multipart/form-data; boundary="),
    );
    assert_eq!(
        header_of(&uploads[0], "authorization").as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(
        first.contains("name=\"file\"; filename=\"a.png\""),
        "{first}"
    );
    assert!(first.contains("Content-Type: image/png"), "{first}");
    assert!(first.contains("PNGDATA-one"), "{first}");
    assert!(
        first.contains("name=\"description\"\r\n\r\nA red square"),
        "{first}"
    );
    let second = String::from_utf8_lossy(&uploads[1].body).to_string();
    assert!(second.contains("Content-Type: image/jpeg"), "{second}");
    assert!(second.contains("JPEGDATA-two"), "{second}");
    assert!(!second.contains("name=\"description\""), "{second}");

    let statuses = requests_to(&server, "POST", "/api/v1/statuses").await;
    assert_eq!(statuses.len(), 1);
    let form = common::form(&statuses[0].body);
    assert_eq!(values(&form, "media_ids[]"), vec!["22348641", "22348642"]);
    assert_eq!(values(&form, "status"), vec!["Two pictures"]);
    // Images answered 200 with a URL: no polling.
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .all(|r| r.method.as_str() != "GET")
    );
}

/// A video source that can only be streamed, in small chunks.
struct StreamOnly(InMemoryMedia);

#[async_trait]
impl MediaSource for StreamOnly {
    async fn size(&self) -> Result<u64, ProviderError> {
        self.0.size().await
    }
    async fn stream(&self) -> Result<ByteStream, ProviderError> {
        Ok(rechunk(self.0.stream().await?, 4))
    }
    async fn bytes(&self) -> Result<Bytes, ProviderError> {
        panic!("a video must be streamed, not loaded whole");
    }
}

#[tokio::test]
async fn video_is_streamed_then_polled_until_processed() {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(common::media_json(&uri, "900", false)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/media/900"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(206).set_body_json(common::media_json(&uri, "900", false)),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/media/900"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(common::media_json(&uri, "900", true)),
        )
        .mount(&server)
        .await;
    common::mount_status(&server, "4242").await;

    let video: &'static [u8] = b"\x00\x00\x00\x18ftypmp42-video-bytes-in-many-chunks";
    let mut item = common::text_item("post-video", "A clip");
    item.media = vec![MediaItem {
        kind: MediaKind::Video,
        mime_type: "video/mp4".into(),
        url: "https://uploads.example.com/files/clip.mp4".into(),
        alt: Some("A short clip".into()),
        thumbnail_url: None,
        source: Arc::new(StreamOnly(InMemoryMedia(Bytes::from_static(video)))),
    }];
    let got = published(
        common::provider(&server)
            .publish(&common::channel(), &item)
            .await,
    );
    assert_eq!(got.id, "4242");

    let uploads = requests_to(&server, "POST", "/api/v2/media").await;
    assert_eq!(uploads.len(), 1);
    let body = &uploads[0].body;
    assert!(
        body.windows(video.len()).any(|w| w == video),
        "video bytes missing"
    );
    let text = String::from_utf8_lossy(body).to_string();
    assert!(text.contains("filename=\"clip.mp4\""), "{text}");
    assert!(text.contains("Content-Type: video/mp4"), "{text}");
    assert!(
        text.contains("name=\"description\"\r\n\r\nA short clip"),
        "{text}"
    );
    // An exact length, never a chunked body (some front-ends refuse chunked multipart).
    assert_eq!(
        header_of(&uploads[0], "content-length"),
        Some(body.len().to_string())
    );

    let polls = requests_to(&server, "GET", "/api/v1/media/900").await;
    assert_eq!(polls.len(), 3, "two 206 answers then a 200");
    let statuses = requests_to(&server, "POST", "/api/v1/statuses").await;
    assert_eq!(statuses.len(), 1);
    assert_eq!(
        values(&common::form(&statuses[0].body), "media_ids[]"),
        vec!["900"]
    );
}

#[tokio::test]
async fn media_still_processing_after_the_bound_is_pending_then_finished_by_check_status() {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(common::media_json(&uri, "901", false)),
        )
        .expect(1)
        .mount(&server)
        .await;
    // No waiting in place at all.
    let provider = common::provider_with(&uri, &[("media_wait_secs", "0")]);
    let mut item = common::text_item("post-slow", "Slow video");
    item.media = vec![media(
        MediaKind::Video,
        "video/mp4",
        "slow.mp4",
        b"MP4",
        None,
    )];
    let data = match provider.publish(&common::channel(), &item).await {
        Ok(PublishOutcome::Pending { data }) => data,
        other => panic!("expected Pending, got {other:?}"),
    };
    assert_eq!(data["media_ids"], serde_json::json!(["901"]));
    assert_eq!(data["status"], "Slow video");
    let key = data["idempotency_key"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(key.starts_with("postiz-"));
    assert!(
        requests_to(&server, "POST", "/api/v1/statuses")
            .await
            .is_empty()
    );

    // Still processing: Pending again with the same data, and no status.
    Mock::given(method("GET"))
        .and(path("/api/v1/media/901"))
        .respond_with(ResponseTemplate::new(206))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let again = provider.check_status(&common::channel(), &data).await;
    assert_eq!(again, Ok(PublishOutcome::Pending { data: data.clone() }));
    assert!(
        requests_to(&server, "POST", "/api/v1/statuses")
            .await
            .is_empty()
    );

    // Processed: the status is created with the media and the same key.
    Mock::given(method("GET"))
        .and(path("/api/v1/media/901"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(common::media_json(&uri, "901", true)),
        )
        .mount(&server)
        .await;
    common::mount_status(&server, "5555").await;
    let done = published(provider.check_status(&common::channel(), &data).await);
    assert_eq!(done.id, "5555");
    let statuses = requests_to(&server, "POST", "/api/v1/statuses").await;
    assert_eq!(statuses.len(), 1);
    let form = common::form(&statuses[0].body);
    assert_eq!(values(&form, "media_ids[]"), vec!["901"]);
    assert_eq!(values(&form, "status"), vec!["Slow video"]);
    assert_eq!(header_of(&statuses[0], "idempotency-key"), Some(key));
}

#[tokio::test]
async fn media_gone_during_check_status_lets_the_idempotent_creation_decide() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/media/902"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(serde_json::json!({"error": "Record not found"})),
        )
        .mount(&server)
        .await;
    common::mount_status(&server, "6000").await;
    let data = serde_json::json!({
        "status": "x",
        "media_ids": ["902"],
        "idempotency_key": "postiz-abc",
    });
    let done = published(
        common::provider(&server)
            .check_status(&common::channel(), &data)
            .await,
    );
    assert_eq!(done.id, "6000");
    let statuses = requests_to(&server, "POST", "/api/v1/statuses").await;
    assert_eq!(
        header_of(&statuses[0], "idempotency-key").as_deref(),
        Some("postiz-abc")
    );
}

#[tokio::test]
async fn failed_media_processing_is_rejected_without_creating_a_status() {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(common::media_json(&uri, "903", false)),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/media/903"))
        .respond_with(ResponseTemplate::new(422).set_body_json(serde_json::json!({
            "error": "Validation failed: File content type is invalid, File is invalid"
        })))
        .mount(&server)
        .await;
    let mut item = common::text_item("post-bad", "Broken");
    item.media = vec![media(
        MediaKind::Video,
        "video/mp4",
        "bad.mp4",
        b"nope",
        None,
    )];
    let err = common::provider(&server)
        .publish(&common::channel(), &item)
        .await
        .err();
    match err {
        Some(ProviderError::Rejected(m)) => {
            assert!(
                m.contains("Validation failed: File content type is invalid"),
                "{m}"
            )
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        requests_to(&server, "POST", "/api/v1/statuses")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn rejected_upload_keeps_the_network_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .respond_with(ResponseTemplate::new(422).set_body_json(serde_json::json!({
            "error": "Validation failed: File content type is invalid, File is invalid"
        })))
        .mount(&server)
        .await;
    let mut item = common::text_item("post-bad", "Broken");
    item.media = vec![media(
        MediaKind::Image,
        "image/png",
        "x.png",
        b"not a png",
        None,
    )];
    let err = common::provider(&server)
        .publish(&common::channel(), &item)
        .await
        .err();
    assert_eq!(
        err,
        Some(ProviderError::Rejected(
            "Validation failed: File content type is invalid, File is invalid".into()
        ))
    );
    assert!(
        requests_to(&server, "POST", "/api/v1/statuses")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn thread_items_reply_to_their_parent() {
    let server = MockServer::start().await;
    let uri = server.uri();
    let answer = |id: &str| ResponseTemplate::new(200).set_body_json(common::status_json(&uri, id));
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .and(body_string_contains("in_reply_to_id=100"))
        .respond_with(answer("101"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .and(body_string_contains("in_reply_to_id=101"))
        .respond_with(answer("102"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(answer("100"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(common::media_json(&uri, "555", true)),
        )
        .expect(1)
        .mount(&server)
        .await;

    let provider = common::provider(&server);
    let channel = common::channel();
    assert!(provider.capabilities().supports_comments);
    let root = published(
        provider
            .publish(&channel, &common::text_item("i0", "Thread 1/3"))
            .await,
    );
    assert_eq!(root.id, "100");
    let first = published(
        provider
            .comment(
                &channel,
                &root,
                &root,
                &common::text_item("i1", "Thread 2/3"),
            )
            .await,
    );
    assert_eq!(first.id, "101");
    let mut last_item = common::text_item("i2", "Thread 3/3");
    last_item.media = vec![media(
        MediaKind::Image,
        "image/png",
        "c.png",
        b"PNG3",
        Some("alt"),
    )];
    let second = published(provider.comment(&channel, &root, &first, &last_item).await);
    assert_eq!(second.id, "102");

    let calls = requests_to(&server, "POST", "/api/v1/statuses").await;
    assert_eq!(calls.len(), 3);
    let forms: Vec<_> = calls.iter().map(|c| common::form(&c.body)).collect();
    assert!(values(&forms[0], "in_reply_to_id").is_empty());
    assert_eq!(values(&forms[1], "in_reply_to_id"), vec!["100"]);
    assert_eq!(values(&forms[1], "status"), vec!["Thread 2/3"]);
    assert_eq!(values(&forms[2], "in_reply_to_id"), vec!["101"]);
    assert_eq!(values(&forms[2], "media_ids[]"), vec!["555"]);
    assert_eq!(values(&forms[2], "visibility"), vec!["public"]);
    // Each item has its own key.
    let keys: Vec<_> = calls
        .iter()
        .map(|c| header_of(c, "idempotency-key"))
        .collect();
    assert_ne!(keys[0], keys[1]);
    assert_ne!(keys[1], keys[2]);
}

#[tokio::test]
async fn a_channel_uses_the_instance_saved_at_connect_time() {
    let configured = MockServer::start().await;
    let saved = MockServer::start().await;
    common::mount_status(&saved, "31337").await;
    let provider = common::provider(&configured);
    let mut channel = common::channel();
    channel.custom = Some(serde_json::json!({ "instance": format!("{}/", saved.uri()) }));
    let got = published(
        provider
            .publish(&channel, &common::text_item("p", "hi"))
            .await,
    );
    assert_eq!(got.id, "31337");
    assert_eq!(got.url, format!("{}/@alice/31337", saved.uri()));
    assert_eq!(
        requests_to(&saved, "POST", "/api/v1/statuses").await.len(),
        1
    );
    assert!(
        configured
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );

    channel.custom = Some(serde_json::json!({ "instance": "javascript:alert(1)" }));
    let err = provider
        .publish(&channel, &common::text_item("p", "hi"))
        .await
        .err();
    assert_eq!(err.map(|e| e.class()), Some("config"));
}

#[tokio::test]
async fn status_without_url_falls_back_to_its_uri() {
    let server = MockServer::start().await;
    let mut body = common::status_json(&server.uri(), "12");
    body["url"] = serde_json::Value::Null;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let got = published(
        common::provider(&server)
            .publish(&common::channel(), &common::text_item("p", "x"))
            .await,
    );
    assert_eq!(got.url, format!("{}/users/alice/statuses/12", server.uri()));
}

#[tokio::test]
async fn a_failed_media_check_is_checked_again() {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(common::media_json(&uri, "904", false)),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/media/904"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/media/904"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(common::media_json(&uri, "904", true)),
        )
        .mount(&server)
        .await;
    common::mount_status(&server, "7000").await;
    let mut item = common::text_item("post-flaky", "Flaky check");
    item.media = vec![media(MediaKind::Video, "video/mp4", "v.mp4", b"MP4", None)];
    let got = published(
        common::provider(&server)
            .publish(&common::channel(), &item)
            .await,
    );
    assert_eq!(got.id, "7000");
    assert_eq!(
        requests_to(&server, "GET", "/api/v1/media/904").await.len(),
        2
    );

    // In check_status a failed check leaves the publication pending.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/media/905"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let data = serde_json::json!({
        "status": "x",
        "media_ids": ["905"],
        "idempotency_key": "postiz-def",
    });
    let outcome = common::provider(&server)
        .check_status(&common::channel(), &data)
        .await;
    assert_eq!(outcome, Ok(PublishOutcome::Pending { data }));
    assert!(
        requests_to(&server, "POST", "/api/v1/statuses")
            .await
            .is_empty()
    );
}
