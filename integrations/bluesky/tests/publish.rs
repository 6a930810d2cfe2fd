//! Publishing text, facets, images, threads and the error classes.

mod common;

use std::time::Duration;

use common::{ACCESS, DID, HANDLE};
use postiz_provider::{MediaKind, PostItem, ProviderError, PublishOutcome, PublishedRef};
use serde_json::{Value, json};
use wiremock::matchers::{bearer_token, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CREATE_RECORD: &str = "/xrpc/com.atproto.repo.createRecord";
const UPLOAD_BLOB: &str = "/xrpc/com.atproto.repo.uploadBlob";
const RESOLVE_HANDLE: &str = "/xrpc/com.atproto.identity.resolveHandle";
const GET_RECORD: &str = "/xrpc/com.atproto.repo.getRecord";

async fn mount_create_record(server: &MockServer, rkey: &str) {
    Mock::given(method("POST"))
        .and(path(CREATE_RECORD))
        .and(bearer_token(ACCESS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "uri": format!("at://{DID}/app.bsky.feed.post/{rkey}"),
            "cid": format!("cid-{rkey}"),
        })))
        .mount(server)
        .await;
}

fn published(outcome: Result<PublishOutcome, ProviderError>) -> PublishedRef {
    match outcome {
        Ok(PublishOutcome::Published(r)) => r,
        other => panic!("not published: {other:?}"),
    }
}

/// A PNG header of 1200x800 (enough for the dimensions) padded with bytes.
fn png_1200x800() -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    bytes.extend_from_slice(&[0, 0, 0, 13]);
    bytes.extend_from_slice(b"IHDR");
    bytes.extend_from_slice(&1200u32.to_be_bytes());
    bytes.extend_from_slice(&800u32.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0]);
    bytes.extend(std::iter::repeat_n(7u8, 200));
    bytes
}

#[tokio::test]
async fn text_post_with_facets() {
    let server = MockServer::start().await;
    mount_create_record(&server, "3kpost1").await;
    Mock::given(method("GET"))
        .and(path(RESOLVE_HANDLE))
        .and(query_param("handle", "bob.bsky.social"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"did": "did:plc:bob"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(RESOLVE_HANDLE))
        .and(query_param("handle", "ghost.bsky.social"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "InvalidRequest", "message": "Unable to resolve handle"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let provider = common::provider(&server);
    let text = "✨ Hi @bob.bsky.social and @ghost.bsky.social, read https://example.com/a. #rust @bob.bsky.social";
    let mut item = common::text_item(text);
    item.settings = json!({"langs": ["en"]});
    let outcome = published(
        provider
            .publish(&common::channel(&server.uri()), &item)
            .await,
    );
    assert_eq!(outcome.id, format!("at://{DID}/app.bsky.feed.post/3kpost1"));
    assert_eq!(
        outcome.url,
        format!("https://bsky.app/profile/{HANDLE}/post/3kpost1")
    );

    let sent = common::bodies(&server, CREATE_RECORD).await;
    assert_eq!(sent.len(), 1);
    let body = &sent[0];
    assert_eq!(body["repo"], DID);
    assert_eq!(body["collection"], "app.bsky.feed.post");
    let record = &body["record"];
    assert_eq!(record["$type"], "app.bsky.feed.post");
    assert_eq!(record["text"], text);
    assert_eq!(record["langs"], json!(["en"]));
    assert!(record.get("embed").is_none() && record.get("reply").is_none());
    let created = record["createdAt"].as_str().unwrap_or_default();
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
    // "✨ Hi " is 3 + 4 bytes: the first mention starts at byte 7.
    assert_eq!(
        record["facets"],
        json!([
            {"index": {"byteStart": 7, "byteEnd": 23},
             "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:bob"}]},
            {"index": {"byteStart": 53, "byteEnd": 74},
             "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a"}]},
            {"index": {"byteStart": 76, "byteEnd": 81},
             "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "rust"}]},
            {"index": {"byteStart": 82, "byteEnd": 98},
             "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:bob"}]}
        ])
    );
    for facet in record["facets"].as_array().cloned().unwrap_or_default() {
        let start = facet["index"]["byteStart"].as_u64().unwrap_or_default() as usize;
        let end = facet["index"]["byteEnd"].as_u64().unwrap_or_default() as usize;
        assert!(
            text.get(start..end).is_some(),
            "not on char boundaries: {facet}"
        );
    }
    assert_eq!(&text[53..74], "https://example.com/a");
}

#[tokio::test]
async fn images_are_uploaded_and_embedded_with_alt_and_aspect_ratio() {
    let server = MockServer::start().await;
    mount_create_record(&server, "3kimg").await;
    let png = png_1200x800();
    Mock::given(method("POST"))
        .and(path(UPLOAD_BLOB))
        .and(bearer_token(ACCESS))
        .and(header("content-type", "image/png"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"blob": {
            "$type": "blob", "ref": {"$link": "bafkreipng"}, "mimeType": "image/png", "size": png.len()
        }})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(UPLOAD_BLOB))
        .and(header("content-type", "image/jpeg"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"blob": {
            "$type": "blob", "ref": {"$link": "bafkreijpg"}, "mimeType": "image/jpeg", "size": 5
        }})))
        .expect(1)
        .mount(&server)
        .await;
    let provider = common::provider(&server);
    let item = PostItem {
        media: vec![
            common::media(
                MediaKind::Image,
                "image/png",
                common::in_memory(png.clone()),
                Some("A chart"),
            ),
            common::media(
                MediaKind::Image,
                "image/jpeg",
                common::in_memory(b"jpeg!".to_vec()),
                None,
            ),
        ],
        ..common::text_item("Two pictures")
    };
    published(
        provider
            .publish(&common::channel(&server.uri()), &item)
            .await,
    );

    let uploads: Vec<Vec<u8>> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == UPLOAD_BLOB)
        .map(|r| r.body)
        .collect();
    assert_eq!(uploads, vec![png.clone(), b"jpeg!".to_vec()]);
    let record = &common::bodies(&server, CREATE_RECORD).await[0]["record"];
    assert_eq!(
        record["embed"],
        json!({"$type": "app.bsky.embed.images", "images": [
            {"alt": "A chart",
             "image": {"$type": "blob", "ref": {"$link": "bafkreipng"}, "mimeType": "image/png", "size": png.len()},
             "aspectRatio": {"width": 1200, "height": 800}},
            {"alt": "",
             "image": {"$type": "blob", "ref": {"$link": "bafkreijpg"}, "mimeType": "image/jpeg", "size": 5}}
        ]})
    );
}

#[tokio::test]
async fn images_over_the_documented_limit_are_rejected_before_upload() {
    let server = MockServer::start().await;
    mount_create_record(&server, "never").await;
    let provider = common::provider(&server);
    let item = PostItem {
        media: vec![common::media(
            MediaKind::Image,
            "image/jpeg",
            common::in_memory(vec![0u8; 1_000_001]),
            None,
        )],
        ..common::text_item("Too big")
    };
    let err = provider
        .publish(&common::channel(&server.uri()), &item)
        .await
        .err();
    assert!(
        matches!(&err, Some(ProviderError::Rejected(m)) if m.contains("1,000,000 bytes") && m.contains("1000001")),
        "{err:?}"
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn more_than_four_images_or_mixed_media_are_rejected() {
    let server = MockServer::start().await;
    let provider = common::provider(&server);
    let image = || {
        common::media(
            MediaKind::Image,
            "image/png",
            common::in_memory(vec![1]),
            None,
        )
    };
    let five = PostItem {
        media: (0..5).map(|_| image()).collect(),
        ..common::text_item("five")
    };
    let err = provider
        .publish(&common::channel(&server.uri()), &five)
        .await
        .err();
    assert_eq!(err.map(|e| e.class()), Some("rejected"));
    let mixed = PostItem {
        media: vec![
            image(),
            common::media(
                MediaKind::Video,
                "video/mp4",
                common::in_memory(vec![1]),
                None,
            ),
        ],
        ..common::text_item("mixed")
    };
    let err = provider
        .publish(&common::channel(&server.uri()), &mixed)
        .await
        .err();
    assert!(
        matches!(&err, Some(ProviderError::Rejected(m)) if m.contains("mix")),
        "{err:?}"
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn third_thread_item_replies_to_the_second_under_the_root() {
    let server = MockServer::start().await;
    let root_uri = format!("at://{DID}/app.bsky.feed.post/3kroot");
    let second_uri = format!("at://{DID}/app.bsky.feed.post/3ksecond");
    for (rkey, cid) in [("3kroot", "bafyroot"), ("3ksecond", "bafysecond")] {
        Mock::given(method("GET"))
            .and(path(GET_RECORD))
            .and(query_param("repo", DID))
            .and(query_param("collection", "app.bsky.feed.post"))
            .and(query_param("rkey", rkey))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "uri": format!("at://{DID}/app.bsky.feed.post/{rkey}"),
                "cid": cid,
                "value": {"$type": "app.bsky.feed.post", "text": "earlier", "createdAt": "2025-01-01T00:00:00.000Z"}
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    mount_create_record(&server, "3kthird").await;
    let provider = common::provider(&server);
    let root = PublishedRef {
        id: root_uri.clone(),
        url: format!("https://bsky.app/profile/{HANDLE}/post/3kroot"),
    };
    let parent = PublishedRef {
        id: second_uri.clone(),
        url: format!("https://bsky.app/profile/{HANDLE}/post/3ksecond"),
    };
    let outcome = published(
        provider
            .comment(
                &common::channel(&server.uri()),
                &root,
                &parent,
                &common::text_item("Third"),
            )
            .await,
    );
    assert_eq!(outcome.id, format!("at://{DID}/app.bsky.feed.post/3kthird"));
    assert_eq!(
        outcome.url,
        format!("https://bsky.app/profile/{HANDLE}/post/3kthird")
    );
    let record = &common::bodies(&server, CREATE_RECORD).await[0]["record"];
    assert_eq!(
        record["reply"],
        json!({
            "root": {"uri": root_uri, "cid": "bafyroot"},
            "parent": {"uri": second_uri, "cid": "bafysecond"}
        })
    );
    assert_eq!(record["text"], "Third");
}

#[tokio::test]
async fn first_reply_reads_the_root_once() {
    let server = MockServer::start().await;
    let root_uri = format!("at://{DID}/app.bsky.feed.post/3kroot");
    Mock::given(method("GET"))
        .and(path(GET_RECORD))
        .and(query_param("rkey", "3kroot"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "uri": root_uri, "cid": "bafyroot", "value": {}
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_create_record(&server, "3kreply").await;
    let provider = common::provider(&server);
    let root = PublishedRef {
        id: root_uri.clone(),
        url: String::new(),
    };
    published(
        provider
            .comment(
                &common::channel(&server.uri()),
                &root,
                &root,
                &common::text_item("Reply"),
            )
            .await,
    );
    let record = &common::bodies(&server, CREATE_RECORD).await[0]["record"];
    let strong = json!({"uri": root_uri, "cid": "bafyroot"});
    assert_eq!(record["reply"], json!({"root": strong, "parent": strong}));
}

#[tokio::test]
async fn a_missing_parent_is_rejected_before_posting() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(GET_RECORD))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "RecordNotFound", "message": "Could not locate record"
        })))
        .mount(&server)
        .await;
    let provider = common::provider(&server);
    let root = PublishedRef {
        id: format!("at://{DID}/app.bsky.feed.post/gone"),
        url: String::new(),
    };
    let err = provider
        .comment(
            &common::channel(&server.uri()),
            &root,
            &root,
            &common::text_item("x"),
        )
        .await
        .err();
    assert_eq!(
        err,
        Some(ProviderError::Rejected("Could not locate record".into()))
    );
    assert_eq!(common::hits(&server, CREATE_RECORD).await, 0);
}

async fn publish_error(status: u16, body: Value, headers: &[(&str, String)]) -> ProviderError {
    let server = MockServer::start().await;
    let mut response = ResponseTemplate::new(status).set_body_json(body);
    for (name, value) in headers {
        response = response.insert_header(*name, value.as_str());
    }
    Mock::given(method("POST"))
        .and(path(CREATE_RECORD))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    let provider = common::provider(&server);
    match provider
        .publish(&common::channel(&server.uri()), &common::text_item("x"))
        .await
    {
        Err(e) => e,
        Ok(o) => panic!("status {status} taken as success: {o:?}"),
    }
}

#[tokio::test]
async fn error_classes() {
    let expired = publish_error(
        400,
        json!({"error": "ExpiredToken", "message": "Token has expired"}),
        &[],
    )
    .await;
    assert_eq!(
        expired,
        ProviderError::RefreshNeeded("Token has expired".into())
    );

    let invalid = publish_error(
        400,
        json!({"error": "InvalidRequest", "message": "Record/text must not be longer than 300 graphemes"}),
        &[],
    )
    .await;
    assert_eq!(
        invalid,
        ProviderError::Rejected("Record/text must not be longer than 300 graphemes".into())
    );

    let unauthorized = publish_error(
        401,
        json!({"error": "AuthenticationRequired", "message": "Authentication Required"}),
        &[],
    )
    .await;
    assert_eq!(unauthorized.class(), "refresh_needed");

    let forbidden = publish_error(
        403,
        json!({"error": "Forbidden", "message": "Not allowed"}),
        &[],
    )
    .await;
    assert_eq!(forbidden, ProviderError::Rejected("Not allowed".into()));

    let reset = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
        + 90)
        .to_string();
    let limited = publish_error(
        429,
        json!({"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}),
        &[
            ("ratelimit-limit", "5000".into()),
            ("ratelimit-remaining", "0".into()),
            ("ratelimit-reset", reset),
        ],
    )
    .await;
    match limited {
        ProviderError::RateLimited {
            retry_after,
            message,
        } => {
            assert_eq!(message, "Rate Limit Exceeded");
            let secs = retry_after.map(|d| d.as_secs());
            assert!(matches!(secs, Some(88..=90)), "{secs:?}");
        }
        other => panic!("{other:?}"),
    }
    let limited = publish_error(
        429,
        json!({"error": "RateLimitExceeded"}),
        &[("retry-after", "12".into())],
    )
    .await;
    assert_eq!(
        limited,
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(12)),
            message: "RateLimitExceeded".into()
        }
    );

    let server_error = publish_error(
        503,
        json!({"error": "InternalServerError", "message": "Internal Server Error"}),
        &[],
    )
    .await;
    assert_eq!(server_error.class(), "transient");
    assert!(!format!("{server_error:?}").contains(ACCESS));
}

#[tokio::test]
async fn a_channel_without_did_is_a_configuration_error() {
    let server = MockServer::start().await;
    let provider = common::provider(&server);
    let mut channel = common::channel(&server.uri());
    channel.internal_id = String::new();
    let err = provider
        .publish(&channel, &common::text_item("x"))
        .await
        .err();
    assert_eq!(err.map(|e| e.class()), Some("config"));
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}
