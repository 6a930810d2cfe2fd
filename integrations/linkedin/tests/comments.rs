//! Thread items: comments on the root post.

mod common;

use postiz_provider::{PublishOutcome, PublishedRef};
use postiz_provider_linkedin::{PAGE, PERSONAL};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{ACCESS_TOKEN, Must, ORG_ID, PERSON_ID, header, json_body, received};

const ROOT: &str = "urn:li:share:6844785523593134080";
const COMMENTS_PATH: &str = "/rest/socialActions/urn%3Ali%3Ashare%3A6844785523593134080/comments";

fn root() -> PublishedRef {
    PublishedRef {
        id: ROOT.into(),
        url: format!("https://www.linkedin.com/feed/update/{ROOT}"),
    }
}

fn created_comment(actor: &str, id: &str, text: &str) -> serde_json::Value {
    json!({
        "actor": actor,
        "agent": actor,
        "commentUrn": format!("urn:li:comment:(urn:li:activity:6844785523593134080,{id})"),
        "created": { "actor": actor, "time": 1_639_086_405_372_u64 },
        "id": id,
        "lastModified": { "actor": actor, "time": 1_639_086_405_372_u64 },
        "message": { "text": text },
        "object": "urn:li:activity:6844785523593134080"
    })
}

fn comment_url(id: &str) -> String {
    format!(
        "https://www.linkedin.com/feed/update/{ROOT}?commentUrn=urn%3Ali%3Acomment%3A%28urn%3Ali%3Aactivity%3A6844785523593134080%2C{id}%29"
    )
}

#[tokio::test]
async fn every_thread_item_comments_on_the_root_post_in_plain_text() {
    let server = MockServer::start().await;
    let actor = format!("urn:li:person:{PERSON_ID}");
    Mock::given(method("POST"))
        .and(path(COMMENTS_PATH))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(created_comment(&actor, "111", "first")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMMENTS_PATH))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(created_comment(&actor, "222", "second")),
        )
        .mount(&server)
        .await;

    let provider = common::provider(&server, PERSONAL);
    let channel = common::personal_channel();
    let first = provider
        .comment(
            &channel,
            &root(),
            &root(),
            &common::text_item("More (details) #here, thanks @[Acme](urn:li:organization:42)!"),
        )
        .await
        .must();
    let PublishOutcome::Published(first_ref) = first else {
        panic!("comment should be published at once");
    };
    assert_eq!(
        first_ref.id,
        "urn:li:comment:(urn:li:activity:6844785523593134080,111)"
    );
    assert_eq!(first_ref.url, comment_url("111"));

    // The second item's parent is the first comment, but it still goes on the root post.
    let second = provider
        .comment(
            &channel,
            &root(),
            &first_ref,
            &common::text_item("and more_"),
        )
        .await
        .must();
    assert_eq!(
        second,
        PublishOutcome::published(
            "urn:li:comment:(urn:li:activity:6844785523593134080,222)",
            comment_url("222")
        )
    );

    let sent = received(&server, "POST", COMMENTS_PATH).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(
        json_body(&sent[0]),
        json!({
            "actor": actor,
            "object": ROOT,
            "message": { "text": "More (details) #here, thanks Acme!" }
        })
    );
    assert_eq!(
        json_body(&sent[1]),
        json!({ "actor": actor, "object": ROOT, "message": { "text": "and more_" } })
    );
    for request in &sent {
        assert_eq!(
            header(request, "authorization"),
            Some(format!("Bearer {ACCESS_TOKEN}").as_str())
        );
        assert_eq!(header(request, "linkedin-version"), Some("202603"));
        assert_eq!(header(request, "x-restli-protocol-version"), Some("2.0.0"));
    }
}

#[tokio::test]
async fn page_comments_are_made_by_the_organization() {
    let server = MockServer::start().await;
    let actor = format!("urn:li:organization:{ORG_ID}");
    Mock::given(method("POST"))
        .and(path(COMMENTS_PATH))
        .respond_with(ResponseTemplate::new(201).set_body_json(created_comment(&actor, "9", "x")))
        .mount(&server)
        .await;
    let outcome = common::provider(&server, PAGE)
        .comment(
            &common::page_channel(),
            &root(),
            &root(),
            &common::text_item("x"),
        )
        .await
        .must();
    assert_eq!(
        outcome,
        PublishOutcome::published(
            "urn:li:comment:(urn:li:activity:6844785523593134080,9)",
            comment_url("9")
        )
    );
    let sent = received(&server, "POST", COMMENTS_PATH).await;
    assert_eq!(json_body(&sent[0])["actor"], json!(actor));
}

#[tokio::test]
async fn comments_with_media_are_refused_without_a_request() {
    let server = MockServer::start().await;
    let mut item = common::text_item("look");
    item.media = vec![common::image(b"img", None)];
    let err = common::provider(&server, PERSONAL)
        .comment(&common::personal_channel(), &root(), &root(), &item)
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
async fn a_comment_before_the_post_activity_exists_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(COMMENTS_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": 400,
            "serviceErrorCode": 100,
            "message": "Unable to obtain activity for urn:li:share:6844785523593134080"
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let actor = format!("urn:li:person:{PERSON_ID}");
    Mock::given(method("POST"))
        .and(path(COMMENTS_PATH))
        .respond_with(ResponseTemplate::new(201).set_body_json(created_comment(&actor, "5", "x")))
        .mount(&server)
        .await;
    let provider = common::build(&server, PERSONAL, &[], common::fast_retries());
    let outcome = provider
        .comment(
            &common::personal_channel(),
            &root(),
            &root(),
            &common::text_item("x"),
        )
        .await
        .must();
    assert_eq!(
        outcome,
        PublishOutcome::published(
            "urn:li:comment:(urn:li:activity:6844785523593134080,5)",
            comment_url("5")
        )
    );
    assert_eq!(received(&server, "POST", COMMENTS_PATH).await.len(), 2);
}
