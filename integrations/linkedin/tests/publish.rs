//! Publishing: text posts, images (single and MultiImage), chunked video, processing status.

mod common;

use postiz_provider::{MediaSummary, ProviderError, PublishOutcome, PublishedRef, RetryPolicy};
use postiz_provider_linkedin::{PAGE, PERSONAL};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{ACCESS_TOKEN, Must, ORG_ID, PERSON_ID, header, json_body, received};

const SHARE: &str = "urn:li:share:7180000000000000042";

async fn mount_post_created(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .respond_with(ResponseTemplate::new(201).insert_header("x-restli-id", SHARE))
        .mount(server)
        .await;
}

fn expected_post(author: &str, commentary: &str, content: Option<Value>) -> Value {
    let mut body = json!({
        "author": author,
        "commentary": commentary,
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": []
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": false
    });
    if let Some(content) = content {
        body["content"] = content;
    }
    body
}

fn published(id: &str) -> PublishOutcome {
    PublishOutcome::Published(PublishedRef {
        id: id.into(),
        url: format!("https://www.linkedin.com/feed/update/{id}"),
    })
}

fn pending_data(outcome: PublishOutcome) -> Value {
    match outcome {
        PublishOutcome::Pending { data } => data,
        other => panic!("expected a pending publication, got {other:?}"),
    }
}

#[tokio::test]
async fn text_post_sends_the_documented_request_and_escapes_the_commentary() {
    let server = MockServer::start().await;
    mount_post_created(&server).await;
    let provider = common::provider(&server, PERSONAL);
    let outcome = provider
        .publish(
            &common::personal_channel(),
            &common::text_item("Launch (v2) #rust_lang @[Acme](urn:li:organization:1) ~ done"),
        )
        .await
        .must();
    assert_eq!(outcome, published(SHARE));

    let posts = received(&server, "POST", "/rest/posts").await;
    assert_eq!(posts.len(), 1);
    let request = &posts[0];
    assert_eq!(
        header(request, "authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert_eq!(header(request, "linkedin-version"), Some("202603"));
    assert_eq!(header(request, "x-restli-protocol-version"), Some("2.0.0"));
    assert_eq!(header(request, "content-type"), Some("application/json"));
    assert_eq!(
        json_body(request),
        expected_post(
            &format!("urn:li:person:{PERSON_ID}"),
            r"Launch \(v2\) \#rust\_lang @[Acme](urn:li:organization:1) \~ done",
            None
        )
    );
}

#[tokio::test]
async fn page_posts_are_authored_by_the_organization_with_the_configured_version() {
    let server = MockServer::start().await;
    mount_post_created(&server).await;
    let provider = common::build(&server, PAGE, &[("version", "202607")], RetryPolicy::none());
    let outcome = provider
        .publish(&common::page_channel(), &common::text_item("Hello"))
        .await
        .must();
    assert_eq!(outcome, published(SHARE));
    let request = &received(&server, "POST", "/rest/posts").await[0];
    assert_eq!(header(request, "linkedin-version"), Some("202607"));
    assert_eq!(
        json_body(request)["author"],
        json!(format!("urn:li:organization:{ORG_ID}"))
    );
}

#[tokio::test]
async fn a_created_post_without_its_id_is_unconfirmed_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let provider = common::build(&server, PERSONAL, &[], common::fast_retries());
    let err = provider
        .publish(&common::personal_channel(), &common::text_item("x"))
        .await
        .err();
    assert_eq!(err.map(|e| e.class()), Some("unconfirmed"));
    assert_eq!(received(&server, "POST", "/rest/posts").await.len(), 1);
}

#[tokio::test]
async fn the_post_id_falls_back_to_the_location_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("location", "/rest/posts/urn%3Ali%3AugcPost%3A99"),
        )
        .mount(&server)
        .await;
    let outcome = common::provider(&server, PERSONAL)
        .publish(&common::personal_channel(), &common::text_item("x"))
        .await
        .must();
    assert_eq!(outcome, published("urn:li:ugcPost:99"));
}

async fn mount_image_init(server: &MockServer, upload_path: &str, urn: &str) {
    Mock::given(method("POST"))
        .and(path("/rest/images"))
        .and(query_param("action", "initializeUpload"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": {
                "uploadUrlExpiresAt": 1_650_567_510_704_u64,
                "uploadUrl": format!("{}{upload_path}", server.uri()),
                "image": urn
            }
        })))
        .up_to_n_times(1)
        .mount(server)
        .await;
    Mock::given(method("PUT"))
        .and(path(upload_path))
        .respond_with(ResponseTemplate::new(201))
        .mount(server)
        .await;
}

#[tokio::test]
async fn personal_image_post_uploads_then_creates_the_post_after_one_check() {
    let server = MockServer::start().await;
    mount_image_init(&server, "/dms-uploads/img-1", "urn:li:image:C4E10AQ1").await;
    mount_post_created(&server).await;
    let provider = common::provider(&server, PERSONAL);
    let channel = common::personal_channel();
    let mut item = common::text_item("With a picture");
    item.media = vec![common::image(b"\x89PNG-bytes", Some("A red bicycle"))];

    let data = pending_data(provider.publish(&channel, &item).await.must());
    assert_eq!(data["grace_checks"], json!(1));
    assert_eq!(data["poll"], json!([]));

    // The upload: initializeUpload owned by the member, then the bytes with the bearer token.
    let inits = received(&server, "POST", "/rest/images").await;
    assert_eq!(inits.len(), 1);
    assert_eq!(
        json_body(&inits[0]),
        json!({ "initializeUploadRequest": { "owner": format!("urn:li:person:{PERSON_ID}") } })
    );
    assert_eq!(header(&inits[0], "linkedin-version"), Some("202603"));
    let puts = received(&server, "PUT", "/dms-uploads/img-1").await;
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0].body, b"\x89PNG-bytes".to_vec());
    assert_eq!(
        header(&puts[0], "authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert!(received(&server, "POST", "/rest/posts").await.is_empty());

    // First check: still waiting, nothing posted.
    let data = pending_data(provider.check_status(&channel, &data).await.must());
    assert_eq!(data["grace_checks"], json!(0));
    assert!(received(&server, "POST", "/rest/posts").await.is_empty());

    // Second check: the post is created with the image.
    let outcome = provider.check_status(&channel, &data).await.must();
    assert_eq!(outcome, published(SHARE));
    let posts = received(&server, "POST", "/rest/posts").await;
    assert_eq!(posts.len(), 1);
    assert_eq!(
        json_body(&posts[0]),
        expected_post(
            &format!("urn:li:person:{PERSON_ID}"),
            "With a picture",
            Some(json!({ "media": { "id": "urn:li:image:C4E10AQ1", "altText": "A red bicycle" } }))
        )
    );
}

#[tokio::test]
async fn page_multi_image_post_polls_each_image_until_available() {
    let server = MockServer::start().await;
    mount_image_init(&server, "/dms-uploads/a", "urn:li:image:A1").await;
    mount_image_init(&server, "/dms-uploads/b", "urn:li:image:B2").await;
    // A1 is processing on the first check, available on the second; B2 is available at once.
    Mock::given(method("GET"))
        .and(path("/rest/images/urn%3Ali%3Aimage%3AA1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "urn:li:image:A1", "status": "PROCESSING", "owner": format!("urn:li:organization:{ORG_ID}")
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/images/urn%3Ali%3Aimage%3AA1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "urn:li:image:A1", "status": "AVAILABLE", "downloadUrl": "https://media.licdn.com/a"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/images/urn%3Ali%3Aimage%3AB2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "urn:li:image:B2", "status": "AVAILABLE"
        })))
        .mount(&server)
        .await;
    mount_post_created(&server).await;

    let provider = common::provider(&server, PAGE);
    let channel = common::page_channel();
    let mut item = common::text_item("Two pictures");
    item.media = vec![
        common::image(b"first", None),
        common::image(b"second", Some("Second one")),
    ];
    item.settings = json!({ "__type": "linkedin-page", "post_as_images_carousel": true });

    let data = pending_data(provider.publish(&channel, &item).await.must());
    assert_eq!(
        data["poll"],
        json!([
            { "urn": "urn:li:image:A1", "endpoint": "images" },
            { "urn": "urn:li:image:B2", "endpoint": "images" }
        ])
    );
    assert_eq!(data["grace_checks"], json!(0));
    for init in received(&server, "POST", "/rest/images").await {
        assert_eq!(
            json_body(&init)["initializeUploadRequest"]["owner"],
            json!(format!("urn:li:organization:{ORG_ID}"))
        );
    }
    assert_eq!(
        received(&server, "PUT", "/dms-uploads/a").await[0].body,
        b"first"
    );
    assert_eq!(
        received(&server, "PUT", "/dms-uploads/b").await[0].body,
        b"second"
    );

    let data = pending_data(provider.check_status(&channel, &data).await.must());
    assert_eq!(
        data["poll"],
        json!([{ "urn": "urn:li:image:A1", "endpoint": "images" }])
    );
    assert!(received(&server, "POST", "/rest/posts").await.is_empty());

    let outcome = provider.check_status(&channel, &data).await.must();
    assert_eq!(outcome, published(SHARE));
    let posts = received(&server, "POST", "/rest/posts").await;
    assert_eq!(posts.len(), 1);
    assert_eq!(
        json_body(&posts[0]),
        expected_post(
            &format!("urn:li:organization:{ORG_ID}"),
            "Two pictures",
            Some(json!({ "multiImage": { "images": [
                { "id": "urn:li:image:A1" },
                { "id": "urn:li:image:B2", "altText": "Second one" }
            ] } }))
        )
    );
    let status_reads = received(&server, "GET", "/rest/images/urn%3Ali%3Aimage%3AA1").await;
    assert_eq!(status_reads.len(), 2);
    assert_eq!(
        header(&status_reads[0], "x-restli-protocol-version"),
        Some("2.0.0")
    );
}

const VIDEO_URN: &str = "urn:li:video:C5F10AQGKQg";

async fn mount_video_upload(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/rest/videos"))
        .and(query_param("action", "initializeUpload"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": {
                "uploadUrlsExpireAt": 1_657_111_025_000_u64,
                "video": VIDEO_URN,
                "uploadInstructions": [
                    { "uploadUrl": format!("{}/dms-uploads/v/part-2", server.uri()), "firstByte": 6, "lastByte": 9 },
                    { "uploadUrl": format!("{}/dms-uploads/v/part-1", server.uri()), "firstByte": 0, "lastByte": 5 }
                ],
                "uploadToken": "upload-token-7"
            }
        })))
        .mount(server)
        .await;
    for (part, etag) in [("part-1", "etag-one"), ("part-2", "etag-two")] {
        Mock::given(method("PUT"))
            .and(path(format!("/dms-uploads/v/{part}")))
            .respond_with(ResponseTemplate::new(200).insert_header("etag", etag))
            .mount(server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/rest/videos"))
        .and(query_param("action", "finalizeUpload"))
        .respond_with(ResponseTemplate::new(200))
        .mount(server)
        .await;
}

#[tokio::test]
async fn video_is_uploaded_in_the_documented_parts_and_posted_once_available() {
    let server = MockServer::start().await;
    mount_video_upload(&server).await;
    let status = format!("/rest/videos/{}", "urn%3Ali%3Avideo%3AC5F10AQGKQg");
    Mock::given(method("GET"))
        .and(path(status.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": VIDEO_URN, "status": "PROCESSING"
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(status.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": VIDEO_URN, "status": "AVAILABLE", "duration": 3000
        })))
        .mount(&server)
        .await;
    mount_post_created(&server).await;

    let provider = common::provider(&server, PERSONAL);
    let channel = common::personal_channel();
    let mut item = common::text_item("Watch this");
    // 10 bytes streamed in 3-byte chunks, re-cut to the 6 + 4 byte parts LinkedIn asked for.
    item.media = vec![common::video(b"0123456789", 3)];

    let data = pending_data(provider.publish(&channel, &item).await.must());
    assert_eq!(
        data["poll"],
        json!([{ "urn": VIDEO_URN, "endpoint": "videos" }])
    );

    let inits: Vec<_> = received(&server, "POST", "/rest/videos")
        .await
        .into_iter()
        .filter(|r| r.url.query() == Some("action=initializeUpload"))
        .collect();
    assert_eq!(inits.len(), 1);
    assert_eq!(
        json_body(&inits[0]),
        json!({ "initializeUploadRequest": {
            "owner": format!("urn:li:person:{PERSON_ID}"),
            "fileSizeBytes": 10,
            "uploadCaptions": false,
            "uploadThumbnail": false
        } })
    );
    let part1 = received(&server, "PUT", "/dms-uploads/v/part-1").await;
    let part2 = received(&server, "PUT", "/dms-uploads/v/part-2").await;
    assert_eq!(part1.len(), 1);
    assert_eq!(part2.len(), 1);
    assert_eq!(part1[0].body, b"012345");
    assert_eq!(part2[0].body, b"6789");
    for part in [&part1[0], &part2[0]] {
        assert_eq!(
            header(part, "content-type"),
            Some("application/octet-stream")
        );
        // Part URLs are pre-signed: the token is not sent to them.
        assert_eq!(header(part, "authorization"), None);
    }
    let finals: Vec<_> = received(&server, "POST", "/rest/videos")
        .await
        .into_iter()
        .filter(|r| r.url.query() == Some("action=finalizeUpload"))
        .collect();
    assert_eq!(finals.len(), 1);
    assert_eq!(
        json_body(&finals[0]),
        json!({ "finalizeUploadRequest": {
            "video": VIDEO_URN,
            "uploadToken": "upload-token-7",
            "uploadedPartIds": ["etag-one", "etag-two"]
        } })
    );
    assert!(received(&server, "POST", "/rest/posts").await.is_empty());

    let data = pending_data(provider.check_status(&channel, &data).await.must());
    assert!(received(&server, "POST", "/rest/posts").await.is_empty());
    let outcome = provider.check_status(&channel, &data).await.must();
    assert_eq!(outcome, published(SHARE));
    let posts = received(&server, "POST", "/rest/posts").await;
    assert_eq!(posts.len(), 1);
    assert_eq!(
        json_body(&posts[0]),
        expected_post(
            &format!("urn:li:person:{PERSON_ID}"),
            "Watch this",
            Some(json!({ "media": { "id": VIDEO_URN } }))
        )
    );
}

#[tokio::test]
async fn failed_video_processing_rejects_without_posting() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/videos/urn%3Ali%3Avideo%3AC5F10AQGKQg"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": VIDEO_URN, "status": "PROCESSING_FAILED", "processingFailureReason": "CORRUPTED_FILE"
        })))
        .mount(&server)
        .await;
    let pending = json!({
        "post": expected_post("urn:li:person:x", "t", Some(json!({ "media": { "id": VIDEO_URN } }))),
        "poll": [{ "urn": VIDEO_URN, "endpoint": "videos" }],
        "grace_checks": 0,
        "deadline": u64::MAX
    });
    let err = common::provider(&server, PERSONAL)
        .check_status(&common::personal_channel(), &pending)
        .await
        .err();
    assert_eq!(
        err,
        Some(ProviderError::Rejected(
            "LinkedIn could not process the video: CORRUPTED_FILE; nothing was published".into()
        ))
    );
    assert!(received(&server, "POST", "/rest/posts").await.is_empty());
}

#[tokio::test]
async fn media_still_processing_after_the_deadline_gives_up_without_posting() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/rest/videos/urn%3Ali%3Avideo%3AC5F10AQGKQg"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "status": "PROCESSING" })))
        .mount(&server)
        .await;
    let pending = json!({
        "post": expected_post("urn:li:person:x", "t", None),
        "poll": [{ "urn": VIDEO_URN, "endpoint": "videos" }],
        "grace_checks": 0,
        "deadline": 1
    });
    let err = common::provider(&server, PERSONAL)
        .check_status(&common::personal_channel(), &pending)
        .await
        .err();
    assert_eq!(err.map(|e| e.class()), Some("rejected"));
    assert!(received(&server, "POST", "/rest/posts").await.is_empty());

    let garbage = common::provider(&server, PERSONAL)
        .check_status(&common::personal_channel(), &json!({ "nope": 1 }))
        .await
        .err();
    assert_eq!(garbage.map(|e| e.class()), Some("config"));
}

#[tokio::test]
async fn a_video_with_another_attachment_is_refused_before_any_upload() {
    let server = MockServer::start().await;
    let mut item = common::text_item("x");
    item.media = vec![common::video(b"0123", 2), common::image(b"i", None)];
    let err = common::provider(&server, PERSONAL)
        .publish(&common::personal_channel(), &item)
        .await
        .err();
    assert_eq!(err.map(|e| e.class()), Some("rejected"));
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn validation_follows_linkedins_media_rules() {
    let server = MockServer::start().await;
    let provider = common::provider(&server, PAGE);
    let item = |images, videos| MediaSummary { images, videos };
    let none = json!({});
    assert!(provider.validate(&[item(20, 0)], &none).is_ok());
    assert!(provider.validate(&[item(21, 0)], &none).is_err());
    assert!(provider.validate(&[item(0, 1)], &none).is_ok());
    assert!(provider.validate(&[item(1, 1)], &none).is_err());
    assert!(provider.validate(&[item(0, 2)], &none).is_err());
    // Comments are text only.
    assert!(provider.validate(&[item(0, 0), item(1, 0)], &none).is_err());
    assert!(provider.validate(&[item(0, 0), item(0, 0)], &none).is_ok());
    let carousel = json!({ "post_as_images_carousel": true });
    assert!(provider.validate(&[item(2, 0)], &carousel).is_ok());
    assert_eq!(
        provider.validate(&[item(1, 0)], &carousel),
        Err("A LinkedIn carousel needs at least two images and no video".into())
    );
    assert!(
        provider
            .validate(&[item(0, 1)], &json!({ "post_as_images_carousel": "true" }))
            .is_err()
    );
    // Length counts what readers see.
    assert_eq!(
        provider.text_length("@[Acme](urn:li:organization:1) (x)"),
        8
    );
}
