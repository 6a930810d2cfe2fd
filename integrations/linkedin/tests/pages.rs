//! LinkedIn Page: listing the member's pages and picking one.

mod common;

use postiz_provider::{Page, ProviderError};
use postiz_provider_linkedin::{PAGE, PERSONAL};
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{ACCESS_TOKEN, Must, header, received};

async fn mount_acls(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/rest/organizationAcls"))
        .and(query_param("q", "roleAssignee"))
        .and(query_param("state", "APPROVED"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "paging": { "count": 100, "start": 0, "links": [] },
            "elements": [
                { "roleAssignee": "urn:li:person:AbC123xYz", "state": "APPROVED",
                  "role": "ADMINISTRATOR", "organization": "urn:li:organization:111" },
                { "roleAssignee": "urn:li:person:AbC123xYz", "state": "APPROVED",
                  "role": "ANALYST", "organization": "urn:li:organization:333" },
                { "roleAssignee": "urn:li:person:AbC123xYz", "state": "APPROVED",
                  "role": "CONTENT_ADMINISTRATOR", "organization": "urn:li:organization:222" },
                { "roleAssignee": "urn:li:person:AbC123xYz", "state": "REQUESTED",
                  "role": "ADMINISTRATOR", "organization": "urn:li:organization:444" }
            ]
        })))
        .mount(server)
        .await;
}

async fn mount_organizations(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/rest/organizations/111"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 111,
            "localizedName": "Acme Corp",
            "vanityName": "acme-corp",
            "logoV2": {
                "original": "urn:li:digitalmediaAsset:C4D0BAQLOGO",
                "cropped": "urn:li:digitalmediaAsset:C4D0BAQCROP",
                "cropInfo": { "x": 0, "y": 0, "width": 0, "height": 0 }
            }
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/images/urn%3Ali%3Aimage%3AC4D0BAQCROP"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "urn:li:image:C4D0BAQCROP",
            "status": "AVAILABLE",
            "downloadUrl": "https://media.licdn.com/dms/image/acme-logo"
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/organizations/222"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 222,
            "localizedName": "Beta Ltd",
            "vanityName": "beta"
        })))
        .mount(server)
        .await;
}

#[tokio::test]
async fn pages_are_the_organizations_the_member_may_post_for() {
    let server = MockServer::start().await;
    mount_acls(&server).await;
    mount_organizations(&server).await;
    let pages = common::provider(&server, PAGE)
        .list_pages(&common::personal_channel())
        .await
        .must();
    assert_eq!(
        pages,
        vec![
            Page {
                id: "111".into(),
                name: "Acme Corp".into(),
                username: "acme-corp".into(),
                picture: "https://media.licdn.com/dms/image/acme-logo".into(),
            },
            Page {
                id: "222".into(),
                name: "Beta Ltd".into(),
                username: "beta".into(),
                picture: String::new(),
            },
        ]
    );
    let acl_calls = received(&server, "GET", "/rest/organizationAcls").await;
    assert_eq!(acl_calls.len(), 1);
    let query: std::collections::BTreeMap<String, String> = acl_calls[0]
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(query.get("start").map(String::as_str), Some("0"));
    assert_eq!(query.get("count").map(String::as_str), Some("100"));
    assert_eq!(
        header(&acl_calls[0], "authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert_eq!(header(&acl_calls[0], "linkedin-version"), Some("202603"));
    // Organizations the member cannot post for are not even looked up.
    assert!(
        received(&server, "GET", "/rest/organizations/333")
            .await
            .is_empty()
    );
    assert!(
        received(&server, "GET", "/rest/organizations/444")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn selecting_a_page_resolves_it_and_keeps_the_members_tokens() {
    let server = MockServer::start().await;
    mount_acls(&server).await;
    mount_organizations(&server).await;
    let provider = common::provider(&server, PAGE);
    let channel = common::personal_channel();
    let account = provider.select_page(&channel, "111").await.must();
    assert_eq!(account.id, "111");
    assert_eq!(account.name, "Acme Corp");
    assert_eq!(account.username, "acme-corp");
    assert_eq!(
        account.picture.as_deref(),
        Some("https://media.licdn.com/dms/image/acme-logo")
    );
    assert_eq!(account.tokens, channel.tokens);

    let beta = provider
        .select_page(&channel, "urn:li:organization:222")
        .await
        .must();
    assert_eq!(beta.id, "222");
    assert_eq!(beta.picture, None);
}

#[tokio::test]
async fn a_page_the_member_does_not_administer_cannot_be_selected() {
    let server = MockServer::start().await;
    mount_acls(&server).await;
    let provider = common::provider(&server, PAGE);
    let channel = common::personal_channel();
    let err = provider.select_page(&channel, "333").await.err();
    assert_eq!(err.map(|e| e.class()), Some("rejected"));
    assert!(
        received(&server, "GET", "/rest/organizations/333")
            .await
            .is_empty()
    );

    let before = server.received_requests().await.unwrap_or_default().len();
    let err = provider.select_page(&channel, "../me").await.err();
    assert_eq!(err.map(|e| e.class()), Some("rejected"));
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        before
    );
}

#[tokio::test]
async fn the_personal_provider_has_no_pages() {
    let server = MockServer::start().await;
    let provider = common::provider(&server, PERSONAL);
    assert_eq!(
        provider.list_pages(&common::personal_channel()).await.err(),
        Some(ProviderError::Unsupported("page listing"))
    );
    assert_eq!(
        provider
            .select_page(&common::personal_channel(), "111")
            .await
            .err(),
        Some(ProviderError::Unsupported("page selection"))
    );
}
