//! The X provider against a mock X: what it sends and how it reads the answers.

mod common;

use std::time::Duration;

use common::*;
use postiz_provider::{
    AuthUrlRequest, AuthenticateRequest, BuildError, ConfigField, MediaKind, MediaSummary,
    ProviderConfig, ProviderError, ProviderFactory, PublishOutcome, PublishedRef,
};
use postiz_provider_x::XFactory;
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn tweet_created(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({ "data": { "id": id, "text": "..." } }))
}

async fn mount_tweets(server: &MockServer, id: &str) {
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(tweet_created(id))
        .mount(server)
        .await;
}

fn upload_answer(id: &str, processing: Option<serde_json::Value>) -> ResponseTemplate {
    let mut data = json!({ "id": id, "media_key": format!("3_{id}"), "expires_after_secs": 86400 });
    if let Some(p) = processing {
        data["processing_info"] = p;
    }
    ResponseTemplate::new(200).set_body_json(json!({ "data": data }))
}

/// Mounts initialize (id chosen by total size), append and finalize for each `(size, id)`.
async fn mount_uploads(server: &MockServer, files: &[(usize, &str)]) {
    for (size, id) in files {
        Mock::given(method("POST"))
            .and(path("/2/media/upload/initialize"))
            .and(body_partial_json(json!({ "total_bytes": size })))
            .respond_with(upload_answer(id, None))
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/2/media/upload/{id}/append")))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({ "data": { "expires_at": 1 } })),
            )
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/2/media/upload/{id}/finalize")))
            .respond_with(upload_answer(id, None))
            .mount(server)
            .await;
    }
}

fn multipart_field<'a>(request: &'a Request, name: &str) -> Option<&'a [u8]> {
    let body = &request.body;
    let marker = format!("name=\"{name}\"");
    let start = find(body, marker.as_bytes())?;
    let content_start = start + find(&body[start..], b"\r\n\r\n")? + 4;
    let content_end = content_start + find(&body[content_start..], b"\r\n--")?;
    Some(&body[content_start..content_end])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Connection

#[tokio::test]
async fn auth_url_gets_a_signed_request_token_for_the_callback() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/request_token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "oauth_token=req-token&oauth_token_secret=req-secret&oauth_callback_confirmed=true",
        ))
        .mount(&server)
        .await;
    let provider = provider(&server);
    let auth = provider
        .auth_url(AuthUrlRequest {
            redirect_uri: "https://app.example.com/integrations/social/x".into(),
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(
        auth.url,
        format!("{}/oauth/authenticate?oauth_token=req-token", server.uri())
    );
    assert_eq!(auth.state, "req-token");
    assert_eq!(auth.code_verifier, "req-token:req-secret");

    let sent = requests_to(&server, "/oauth/request_token").await;
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.url.query(), Some("x_auth_access_type=write"));
    assert_eq!(
        oauth_param(request, "oauth_callback").as_deref(),
        Some("https://app.example.com/integrations/social/x")
    );
    assert_eq!(oauth_param(request, "oauth_token"), None);
    // Signed with the consumer secret alone.
    assert_signed(request, "");
}

#[tokio::test]
async fn auth_url_callback_comes_from_x_url_then_the_dashboard() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/request_token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string("oauth_token=t&oauth_token_secret=s"),
        )
        .mount(&server)
        .await;

    let with_x_url = provider_with(
        &server,
        &[("callback_url", "https://x-callback.example.com/")],
    );
    with_x_url
        .auth_url(AuthUrlRequest {
            redirect_uri: "https://ignored.example.com/integrations/social/x".into(),
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    provider(&server)
        .auth_url(AuthUrlRequest::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let sent = requests_to(&server, "/oauth/request_token").await;
    let callbacks: Vec<Option<String>> = sent
        .iter()
        .map(|r| oauth_param(r, "oauth_callback"))
        .collect();
    assert_eq!(
        callbacks,
        vec![
            Some("https://x-callback.example.com/integrations/social/x".to_string()),
            Some("https://app.example.com/integrations/social/x".to_string()),
        ]
    );
}

#[tokio::test]
async fn auth_url_fails_when_x_refuses_the_callback() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/request_token"))
        .respond_with(ResponseTemplate::new(403).set_body_string(
            r#"<?xml version="1.0" encoding="UTF-8"?><errors><error code="415">Callback URL not approved for this client application.</error></errors>"#,
        ))
        .mount(&server)
        .await;
    let error = provider(&server)
        .auth_url(AuthUrlRequest::default())
        .await
        .err();
    assert_eq!(
        error,
        Some(ProviderError::Rejected(
            "Callback URL not approved for this client application.".into()
        ))
    );
}

#[tokio::test]
async fn authenticate_exchanges_the_verifier_and_reads_the_account() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(
            "oauth_token=6253282-eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY&oauth_token_secret=2EEfA6BG3ly3sR3RjE0IBSnlQu4ZrUzPiYKmrkVU&user_id=6253282&screen_name=twitterapi",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/users/me"))
        .and(query_param(
            "user.fields",
            "username,verified,verified_type,profile_image_url,name",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {
                "id": "6253282",
                "name": "X API",
                "username": "XDevelopers",
                "verified": true,
                "verified_type": "business",
                "profile_image_url": "https://pbs.twimg.com/profile_images/1/x_normal.jpg"
            }
        })))
        .mount(&server)
        .await;

    let account = provider(&server)
        .authenticate(AuthenticateRequest {
            code: "hfh6Vq2Ze4dvJ6M9".into(),
            code_verifier: "req-token:req-secret".into(),
            redirect_uri: String::new(),
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(account.id, "6253282");
    assert_eq!(account.name, "X API");
    assert_eq!(account.username, "XDevelopers");
    assert_eq!(
        account.picture.as_deref(),
        Some("https://pbs.twimg.com/profile_images/1/x_normal.jpg")
    );
    assert_eq!(
        account.tokens.access_token,
        "6253282-eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY"
    );
    assert_eq!(
        account.tokens.access_secret.as_deref(),
        Some("2EEfA6BG3ly3sR3RjE0IBSnlQu4ZrUzPiYKmrkVU")
    );
    assert_eq!(account.tokens.refresh_token, None);
    assert_eq!(account.tokens.expires_in, None);
    assert_eq!(account.additional_settings.len(), 1);
    assert_eq!(account.additional_settings[0].title, "Verified");
    assert_eq!(account.additional_settings[0].setting_type, "checkbox");
    assert_eq!(account.additional_settings[0].value, json!(true));

    let exchange = requests_to(&server, "/oauth/access_token").await;
    assert_eq!(exchange.len(), 1);
    assert_eq!(
        oauth_param(&exchange[0], "oauth_verifier").as_deref(),
        Some("hfh6Vq2Ze4dvJ6M9")
    );
    assert_eq!(
        oauth_param(&exchange[0], "oauth_token").as_deref(),
        Some("req-token")
    );
    assert_signed(&exchange[0], "req-secret");

    let me = requests_to(&server, "/2/users/me").await;
    assert_eq!(
        oauth_param(&me[0], "oauth_token").as_deref(),
        Some("6253282-eWudHldSbIaelX7swmsiHImEL4KinwaGloHANdrY")
    );
    // The query takes part in the signature.
    assert_signed(&me[0], "2EEfA6BG3ly3sR3RjE0IBSnlQu4ZrUzPiYKmrkVU");
}

#[tokio::test]
async fn authenticate_without_the_kept_request_token_fails_cleanly() {
    let server = MockServer::start().await;
    let error = provider(&server)
        .authenticate(AuthenticateRequest {
            code: "v".into(),
            code_verifier: String::new(),
            redirect_uri: String::new(),
        })
        .await
        .err();
    assert_eq!(error.map(|e| e.class()), Some("rejected"));
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn refresh_returns_the_stored_tokens() {
    let server = MockServer::start().await;
    let provider = provider(&server);
    assert!(!provider.capabilities().refreshable);
    let channel = channel();
    let refreshed = provider
        .refresh(&channel)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refreshed, channel.tokens);
    let merged = channel.tokens.merged_after_refresh(refreshed);
    assert_eq!(merged.access_secret.as_deref(), Some(ACCESS_SECRET));
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// Publishing

#[tokio::test]
async fn publish_text_flattens_html_and_applies_the_settings() {
    let server = MockServer::start().await;
    mount_tweets(&server, "1850000000000000001").await;
    let outcome = provider(&server)
        .publish(
            &channel(),
            &item(
                "<p>Hello <strong>X</strong></p><p>Second line</p>",
                json!({
                    "__type": "x",
                    "who_can_reply_post": "following",
                    "community": "https://x.com/i/communities/1493446837214187523",
                    "made_with_ai": true,
                    "paid_partnership": false
                }),
                vec![],
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        outcome,
        PublishOutcome::published(
            "1850000000000000001",
            "https://x.com/jack/status/1850000000000000001"
        )
    );

    let sent = requests_to(&server, "/2/tweets").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        json_body(&sent[0]),
        json!({
            "text": "Hello 𝗫\nSecond line",
            "reply_settings": "following",
            "community_id": "1493446837214187523",
            "share_with_followers": true,
            "made_with_ai": true
        })
    );
    assert_eq!(
        sent[0]
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    assert_eq!(
        oauth_param(&sent[0], "oauth_token").as_deref(),
        Some(ACCESS_TOKEN)
    );
    assert_signed(&sent[0], ACCESS_SECRET);
}

#[tokio::test]
async fn publish_everyone_can_reply_sends_no_reply_settings() {
    let server = MockServer::start().await;
    mount_tweets(&server, "1").await;
    provider(&server)
        .publish(
            &channel(),
            &item(
                "plain text & more",
                json!({ "who_can_reply_post": "everyone" }),
                vec![],
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sent = requests_to(&server, "/2/tweets").await;
    assert_eq!(json_body(&sent[0]), json!({ "text": "plain text & more" }));
}

#[tokio::test]
async fn tokens_imported_from_postiz_as_one_string_still_sign() {
    let server = MockServer::start().await;
    mount_tweets(&server, "7").await;
    let mut channel = channel();
    channel.tokens.access_token = format!("{ACCESS_TOKEN}:{ACCESS_SECRET}");
    channel.tokens.access_secret = None;
    provider(&server)
        .publish(&channel, &item("hi", json!({}), vec![]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sent = requests_to(&server, "/2/tweets").await;
    assert_eq!(
        oauth_param(&sent[0], "oauth_token").as_deref(),
        Some(ACCESS_TOKEN)
    );
    assert_signed(&sent[0], ACCESS_SECRET);
}

#[tokio::test]
async fn strip_links_option_removes_urls_from_the_text() {
    let server = MockServer::start().await;
    mount_tweets(&server, "8").await;
    let provider = provider_with(&server, &[("strip_links", "true")]);
    assert!(provider.capabilities().strip_links);
    provider
        .publish(
            &channel(),
            &item("Read https://example.com/post today", json!({}), vec![]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sent = requests_to(&server, "/2/tweets").await;
    assert_eq!(json_body(&sent[0]), json!({ "text": "Read today" }));
}

#[tokio::test]
async fn publish_with_images_uploads_each_then_attaches_them_in_order() {
    let server = MockServer::start().await;
    mount_uploads(&server, &[(3, "1001"), (5, "1002")]).await;
    Mock::given(method("POST"))
        .and(path("/2/media/metadata"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "id": "1001", "associated_metadata": { "alt_text": { "text": "A cat" } } }
        })))
        .mount(&server)
        .await;
    mount_tweets(&server, "2000").await;

    let outcome = provider(&server)
        .publish(
            &channel(),
            &item(
                "Two pictures",
                json!({}),
                vec![
                    media(MediaKind::Image, "image/png", b"png", Some("A cat")),
                    media(MediaKind::Image, "image/gif", b"gif89", None),
                ],
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        outcome,
        PublishOutcome::published("2000", "https://x.com/jack/status/2000")
    );

    let inits = requests_to(&server, "/2/media/upload/initialize").await;
    assert_eq!(inits.len(), 2);
    assert_eq!(
        json_body(&inits[0]),
        json!({ "media_type": "image/png", "total_bytes": 3, "media_category": "tweet_image" })
    );
    assert_eq!(
        json_body(&inits[1]),
        json!({ "media_type": "image/gif", "total_bytes": 5, "media_category": "tweet_gif" })
    );
    assert_signed(&inits[0], ACCESS_SECRET);

    let append = requests_to(&server, "/2/media/upload/1001/append").await;
    assert_eq!(append.len(), 1);
    assert_eq!(
        multipart_field(&append[0], "segment_index"),
        Some(&b"0"[..])
    );
    assert_eq!(multipart_field(&append[0], "media"), Some(&b"png"[..]));
    assert_signed(&append[0], ACCESS_SECRET);
    let append2 = requests_to(&server, "/2/media/upload/1002/append").await;
    assert_eq!(multipart_field(&append2[0], "media"), Some(&b"gif89"[..]));
    assert_eq!(
        requests_to(&server, "/2/media/upload/1001/finalize")
            .await
            .len(),
        1
    );
    assert_eq!(
        requests_to(&server, "/2/media/upload/1002/finalize")
            .await
            .len(),
        1
    );

    let metadata = requests_to(&server, "/2/media/metadata").await;
    assert_eq!(
        metadata.len(),
        1,
        "only the image with an alt text gets metadata"
    );
    assert_eq!(
        json_body(&metadata[0]),
        json!({ "id": "1001", "metadata": { "alt_text": { "text": "A cat" } } })
    );

    let tweets = requests_to(&server, "/2/tweets").await;
    assert_eq!(
        json_body(&tweets[0]),
        json!({ "text": "Two pictures", "media": { "media_ids": ["1001", "1002"] } })
    );
}

#[tokio::test]
async fn publish_video_streams_chunks_and_waits_for_processing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload/initialize"))
        .respond_with(upload_answer("3001", None))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload/3001/append"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "data": { "expires_at": 1 } })),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload/3001/finalize"))
        .respond_with(upload_answer(
            "3001",
            Some(json!({ "state": "pending", "check_after_secs": 1 })),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/media/upload"))
        .and(query_param("command", "STATUS"))
        .and(query_param("media_id", "3001"))
        .respond_with(upload_answer(
            "3001",
            Some(json!({ "state": "in_progress", "check_after_secs": 1, "progress_percent": 40 })),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/media/upload"))
        .and(query_param("command", "STATUS"))
        .respond_with(upload_answer(
            "3001",
            Some(json!({ "state": "succeeded", "progress_percent": 100 })),
        ))
        .mount(&server)
        .await;
    mount_tweets(&server, "3100").await;

    let provider = provider_with(&server, &[("upload_chunk_size", "4")]);
    provider
        .publish(
            &channel(),
            &item(
                "A video",
                json!({}),
                vec![media(
                    MediaKind::Video,
                    "video/mp4",
                    b"0123456789",
                    Some("ignored for videos"),
                )],
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let init = requests_to(&server, "/2/media/upload/initialize").await;
    assert_eq!(
        json_body(&init[0]),
        json!({ "media_type": "video/mp4", "total_bytes": 10, "media_category": "tweet_video" })
    );
    let appends = requests_to(&server, "/2/media/upload/3001/append").await;
    let segments: Vec<(Vec<u8>, Vec<u8>)> = appends
        .iter()
        .map(|r| {
            (
                multipart_field(r, "segment_index")
                    .unwrap_or_default()
                    .to_vec(),
                multipart_field(r, "media").unwrap_or_default().to_vec(),
            )
        })
        .collect();
    assert_eq!(
        segments,
        vec![
            (b"0".to_vec(), b"0123".to_vec()),
            (b"1".to_vec(), b"4567".to_vec()),
            (b"2".to_vec(), b"89".to_vec()),
        ]
    );
    let statuses = requests_to(&server, "/2/media/upload").await;
    assert_eq!(statuses.len(), 2, "polled until succeeded");
    assert_signed(&statuses[0], ACCESS_SECRET);
    assert!(requests_to(&server, "/2/media/metadata").await.is_empty());

    // The post is created only after the processing succeeded.
    let all = server.received_requests().await.unwrap_or_default();
    let paths: Vec<&str> = all.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths.last(), Some(&"/2/tweets"));
    let tweets = requests_to(&server, "/2/tweets").await;
    assert_eq!(
        json_body(&tweets[0]),
        json!({ "text": "A video", "media": { "media_ids": ["3001"] } })
    );
}

#[tokio::test]
async fn failed_video_processing_is_rejected_and_nothing_is_posted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload/initialize"))
        .respond_with(upload_answer("4001", None))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload/4001/append"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload/4001/finalize"))
        .respond_with(upload_answer(
            "4001",
            Some(json!({
                "state": "failed",
                "error": { "code": 1, "name": "InvalidMedia", "message": "Unsupported video codec" }
            })),
        ))
        .mount(&server)
        .await;
    mount_tweets(&server, "1").await;
    let error = provider(&server)
        .publish(
            &channel(),
            &item(
                "v",
                json!({}),
                vec![media(MediaKind::Video, "video/mp4", b"xx", None)],
            ),
        )
        .await
        .err();
    assert_eq!(
        error,
        Some(ProviderError::Rejected(
            "X could not process the media: Unsupported video codec".into()
        ))
    );
    assert!(requests_to(&server, "/2/tweets").await.is_empty());
}

#[tokio::test]
async fn processing_past_the_bound_is_transient_and_nothing_is_posted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload/initialize"))
        .respond_with(upload_answer("5001", None))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload/5001/append"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload/5001/finalize"))
        .respond_with(upload_answer(
            "5001",
            Some(json!({ "state": "pending", "check_after_secs": 30 })),
        ))
        .mount(&server)
        .await;
    mount_tweets(&server, "1").await;
    let started = std::time::Instant::now();
    let error = provider_with(&server, &[("media_processing_timeout_secs", "5")])
        .publish(
            &channel(),
            &item(
                "v",
                json!({}),
                vec![media(MediaKind::Video, "video/mp4", b"xx", None)],
            ),
        )
        .await
        .err();
    assert_eq!(error.map(|e| e.class()), Some("transient"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "did not wait past the bound"
    );
    assert!(requests_to(&server, "/2/tweets").await.is_empty());
}

#[tokio::test]
async fn thread_items_reply_to_their_parent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(body_partial_json(
            json!({ "reply": { "in_reply_to_tweet_id": "100" } }),
        ))
        .respond_with(tweet_created("101"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(body_partial_json(
            json!({ "reply": { "in_reply_to_tweet_id": "101" } }),
        ))
        .respond_with(tweet_created("102"))
        .mount(&server)
        .await;
    let provider = provider(&server);
    let root = PublishedRef {
        id: "100".into(),
        url: "https://x.com/jack/status/100".into(),
    };
    let settings = json!({ "who_can_reply_post": "following", "paid_partnership": true });
    let first = provider
        .comment(
            &channel(),
            &root,
            &root,
            &item("<p>second</p>", settings.clone(), vec![]),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let PublishOutcome::Published(first) = first else {
        panic!("pending reply")
    };
    assert_eq!(first.id, "101");
    assert_eq!(first.url, "https://x.com/jack/status/101");
    let second = provider
        .comment(&channel(), &root, &first, &item("third", settings, vec![]))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        second,
        PublishOutcome::published("102", "https://x.com/jack/status/102")
    );

    let sent = requests_to(&server, "/2/tweets").await;
    assert_eq!(
        json_body(&sent[0]),
        json!({
            "text": "second",
            "reply": { "in_reply_to_tweet_id": "100" },
            "paid_partnership": true
        })
    );
    assert_eq!(
        json_body(&sent[1])["reply"],
        json!({ "in_reply_to_tweet_id": "101" })
    );
}

// ---------------------------------------------------------------------------------------------
// Errors

async fn publish_error(
    status: u16,
    body: serde_json::Value,
    headers: &[(&str, &str)],
) -> ProviderError {
    let server = MockServer::start().await;
    let mut response = ResponseTemplate::new(status).set_body_json(body);
    for (k, v) in headers {
        response = response.insert_header(*k, *v);
    }
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(response)
        .mount(&server)
        .await;
    let error = provider(&server)
        .publish(&channel(), &item("x", json!({}), vec![]))
        .await
        .err()
        .unwrap_or_else(|| panic!("status {status} taken as success"));
    assert_eq!(
        requests_to(&server, "/2/tweets").await.len(),
        1,
        "a post is never replayed"
    );
    error
}

#[tokio::test]
async fn unauthorized_means_the_user_revoked_the_app() {
    let error = publish_error(
        401,
        json!({ "title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized" }),
        &[],
    )
    .await;
    assert_eq!(error, ProviderError::Disconnected("Unauthorized".into()));
}

#[tokio::test]
async fn duplicate_content_is_rejected_with_x_message() {
    let error = publish_error(
        403,
        json!({
            "detail": "You are not allowed to create a Tweet with duplicate content.",
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403
        }),
        &[],
    )
    .await;
    assert_eq!(
        error,
        ProviderError::Rejected(
            "You are not allowed to create a Tweet with duplicate content.".into()
        )
    );
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let error = publish_error(
        429,
        json!({ "title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429 }),
        &[("retry-after", "30")],
    )
    .await;
    assert_eq!(
        error,
        ProviderError::RateLimited {
            retry_after: Some(Duration::from_secs(30)),
            message: "Too Many Requests".into()
        }
    );
}

#[tokio::test]
async fn invalid_request_keeps_the_parameter_message() {
    let error = publish_error(
        400,
        json!({
            "errors": [{ "parameters": { "text": ["..."] }, "message": "Your Tweet text is too long." }],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request"
        }),
        &[],
    )
    .await;
    assert_eq!(error.class(), "rejected");
    assert!(
        error
            .user_message()
            .contains("Your Tweet text is too long."),
        "{error}"
    );
}

#[tokio::test]
async fn server_errors_are_transient() {
    let error = publish_error(503, json!({ "title": "Service Unavailable" }), &[]).await;
    assert_eq!(error.class(), "transient");
    assert!(error.to_string().contains("Service Unavailable"));
}

#[tokio::test]
async fn success_without_data_is_rejected_with_x_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errors": [{ "title": "Forbidden", "detail": "You cannot post to this community." }]
        })))
        .mount(&server)
        .await;
    let error = provider(&server)
        .publish(&channel(), &item("x", json!({}), vec![]))
        .await
        .err();
    assert_eq!(
        error,
        Some(ProviderError::Rejected(
            "You cannot post to this community.".into()
        ))
    );
}

#[tokio::test]
async fn upload_errors_stop_before_posting() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload/initialize"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "title": "Invalid Request", "detail": "media_type is not supported", "status": 400
        })))
        .mount(&server)
        .await;
    mount_tweets(&server, "1").await;
    let error = provider(&server)
        .publish(
            &channel(),
            &item(
                "x",
                json!({}),
                vec![media(MediaKind::Image, "image/x-icon", b"i", None)],
            ),
        )
        .await
        .err();
    assert_eq!(
        error,
        Some(ProviderError::Rejected(
            "media_type is not supported".into()
        ))
    );
    assert!(requests_to(&server, "/2/tweets").await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Articles

#[tokio::test]
async fn published_article_creates_a_draft_then_publishes_it() {
    let server = MockServer::start().await;
    mount_uploads(&server, &[(3, "6001")]).await;
    Mock::given(method("POST"))
        .and(path("/2/articles/draft"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "id": "7001", "title": "My article" }
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/articles/7001/publish"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "post_id": "7002" }
        })))
        .mount(&server)
        .await;
    let outcome = provider(&server)
        .publish(
            &channel(),
            &item(
                "<h1>Intro</h1><p>Body with <strong>bold</strong></p>",
                json!({
                    "post_type": "article",
                    "article_title": "My article",
                    "article_status": "published"
                }),
                vec![media(MediaKind::Image, "image/gif", b"gif", None)],
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        outcome,
        PublishOutcome::published("7002", "https://x.com/jack/status/7002")
    );

    let init = requests_to(&server, "/2/media/upload/initialize").await;
    assert_eq!(json_body(&init[0])["media_category"], "tweet_image");
    let draft = requests_to(&server, "/2/articles/draft").await;
    let body = json_body(&draft[0]);
    assert_eq!(body["title"], "My article");
    let blocks = body["content_state"]["blocks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[0]["type"], "header-one");
    assert_eq!(blocks[0]["text"], "Intro");
    assert_eq!(blocks[1]["text"], "Body with bold");
    assert_eq!(
        blocks[1]["inline_style_ranges"],
        json!([{ "offset": 10, "length": 4, "style": "bold" }])
    );
    assert_eq!(blocks[2]["type"], "atomic");
    assert_eq!(
        body["content_state"]["entities"][0]["value"]["data"]["media_items"],
        json!([{ "media_category": "tweet_image", "media_id": "6001" }])
    );
    assert_eq!(
        requests_to(&server, "/2/articles/7001/publish").await.len(),
        1
    );
    assert!(requests_to(&server, "/2/tweets").await.is_empty());
}

#[tokio::test]
async fn draft_article_is_not_published() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/articles/draft"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "id": "8001", "title": "T" }
        })))
        .mount(&server)
        .await;
    let outcome = provider(&server)
        .publish(
            &channel(),
            &item(
                "Just text",
                json!({ "post_type": "article", "article_title": "T", "article_status": "draft" }),
                vec![],
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        outcome,
        PublishOutcome::published("8001", "https://x.com/i/articles")
    );
    let draft = requests_to(&server, "/2/articles/draft").await;
    assert_eq!(
        json_body(&draft[0])["content_state"]["blocks"],
        json!([{ "key": "b0", "text": "Just text", "type": "unstyled" }])
    );
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(1));
}

// ---------------------------------------------------------------------------------------------
// Limits, validation, factory

#[test]
fn max_length_follows_the_verified_setting_and_articles() {
    let server_uri = "http://127.0.0.1:9";
    let mut config = ProviderConfig {
        client_id: Some("k".into()),
        client_secret: Some("s".into()),
        ..Default::default()
    };
    config.urls.insert("api".into(), server_uri.into());
    let provider = XFactory
        .build("x", &config, &context())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut channel = channel();
    assert_eq!(provider.max_length(&channel, &json!({})), 280);
    channel.additional_settings[0].value = json!(true);
    assert_eq!(provider.max_length(&channel, &json!({})), 4000);
    assert_eq!(
        provider.max_length(&channel, &json!({ "post_type": "article" })),
        100_000
    );
}

#[test]
fn text_length_counts_as_x_does() {
    let provider = XFactory
        .build(
            "x",
            &ProviderConfig {
                client_id: Some("k".into()),
                client_secret: Some("s".into()),
                ..Default::default()
            },
            &context(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(provider.text_length("abc"), 3);
    assert_eq!(
        provider.text_length("Read https://example.com/some/long/path"),
        5 + 23
    );
    assert_eq!(provider.text_length("日本"), 4);
    assert_eq!(provider.text_length("👍🏽!"), 3);
    // The editor HTML is measured as the text X will receive.
    assert_eq!(provider.text_length("<p>ab</p><p>cd</p>"), 5);
}

#[test]
fn validation_of_media_and_articles() {
    let provider = XFactory
        .build(
            "x",
            &ProviderConfig {
                client_id: Some("k".into()),
                client_secret: Some("s".into()),
                ..Default::default()
            },
            &context(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let images = |n| MediaSummary {
        images: n,
        videos: 0,
    };
    let video = MediaSummary {
        images: 0,
        videos: 1,
    };
    assert!(provider.validate(&[images(4)], &json!({})).is_ok());
    assert!(provider.validate(&[images(5)], &json!({})).is_err());
    assert!(
        provider
            .validate(
                &[MediaSummary {
                    images: 1,
                    videos: 1
                }],
                &json!({})
            )
            .is_err()
    );
    let article = json!({ "post_type": "article", "article_status": "published" });
    assert!(provider.validate(&[images(6)], &article).is_ok());
    assert_eq!(
        provider.validate(&[video], &article),
        Err("X articles only support images".to_string())
    );
    let draft = json!({ "post_type": "article", "article_status": "draft" });
    assert!(provider.validate(&[images(1), images(0)], &draft).is_err());
}

#[test]
fn factory_identifiers_bindings_and_credentials() {
    assert_eq!(XFactory.identifiers(), &["x"]);
    let bindings: Vec<(&str, ConfigField)> = XFactory
        .env_bindings("x")
        .iter()
        .map(|b| (b.var, b.field))
        .collect();
    assert!(bindings.contains(&("X_API_KEY", ConfigField::ClientId)));
    assert!(bindings.contains(&("X_API_SECRET", ConfigField::ClientSecret)));
    assert!(bindings.contains(&("X_URL", ConfigField::Option("callback_url"))));
    assert!(XFactory.env_bindings("linkedin").is_empty());

    let missing = XFactory
        .build("x", &ProviderConfig::default(), &context())
        .err();
    assert_eq!(missing, Some(BuildError::MissingCredentials));
    let with_creds = ProviderConfig {
        client_id: Some("k".into()),
        client_secret: Some("s".into()),
        ..Default::default()
    };
    assert!(matches!(
        XFactory.build("threads", &with_creds, &context()),
        Err(BuildError::Invalid(_))
    ));
    let mut bad_chunk = with_creds.clone();
    bad_chunk
        .options
        .insert("upload_chunk_size".into(), "lots".into());
    assert!(matches!(
        XFactory.build("x", &bad_chunk, &context()),
        Err(BuildError::Invalid(_))
    ));

    let provider = XFactory
        .build("x", &with_creds, &context())
        .unwrap_or_else(|e| panic!("{e}"));
    let caps = provider.capabilities();
    assert_eq!(caps.identifier, "x");
    assert_eq!(caps.name, "X");
    assert_eq!(caps.max_concurrent_jobs, 10);
    assert_eq!(caps.editor, postiz_provider::EditorFormat::Html);
    assert_eq!(caps.auth_flow, postiz_provider::AuthFlow::OAuth1a);
    assert!(caps.supports_comments && !caps.refreshable && !caps.strip_links);
    assert_eq!(caps.media.max_images, 4);
    assert_eq!(caps.media.max_videos, 1);
}

#[tokio::test]
async fn a_refused_alt_text_does_not_cost_the_post() {
    let server = MockServer::start().await;
    mount_uploads(&server, &[(3, "9001")]).await;
    Mock::given(method("POST"))
        .and(path("/2/media/metadata"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "title": "Invalid Request", "detail": "alt text too long", "status": 400
        })))
        .mount(&server)
        .await;
    mount_tweets(&server, "9100").await;
    let outcome = provider(&server)
        .publish(
            &channel(),
            &item(
                "pic",
                json!({}),
                vec![media(MediaKind::Image, "image/jpeg", b"jpg", Some("alt"))],
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        outcome,
        PublishOutcome::published("9100", "https://x.com/jack/status/9100")
    );
    assert_eq!(requests_to(&server, "/2/media/metadata").await.len(), 1);
}

#[tokio::test]
async fn a_refused_verifier_is_a_failed_connection_not_a_lost_channel() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/access_token"))
        .respond_with(ResponseTemplate::new(401).set_body_string(
            "Error processing your OAuth request: Invalid oauth_verifier parameter",
        ))
        .mount(&server)
        .await;
    let error = provider(&server)
        .authenticate(AuthenticateRequest {
            code: "bad".into(),
            code_verifier: "t:s".into(),
            redirect_uri: String::new(),
        })
        .await
        .err();
    assert_eq!(
        error,
        Some(ProviderError::Rejected(
            "Error processing your OAuth request: Invalid oauth_verifier parameter".into()
        ))
    );
    assert!(requests_to(&server, "/2/users/me").await.is_empty());
}

#[tokio::test]
async fn article_publish_failure_says_the_draft_exists() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/articles/draft"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "data": { "id": "55", "title": "T" } })),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/articles/55/publish"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "title": "Forbidden", "detail": "Articles require X Premium", "status": 403
        })))
        .mount(&server)
        .await;
    let error = provider(&server)
        .publish(
            &channel(),
            &item(
                "<p>x</p>",
                json!({ "post_type": "article", "article_title": "T", "article_status": "published" }),
                vec![],
            ),
        )
        .await
        .err();
    assert_eq!(
        error,
        Some(ProviderError::Rejected(
            "X created the article draft but did not publish it: Articles require X Premium".into()
        ))
    );
    let publish = requests_to(&server, "/2/articles/55/publish").await;
    assert!(publish[0].body.is_empty());
    assert_signed(&publish[0], ACCESS_SECRET);
}
