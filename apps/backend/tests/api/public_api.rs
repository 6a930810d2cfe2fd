//! The public API (`/public/v1`) as a script uses it with nothing but the organization's API
//! key: channels connected through the dashboard against mock networks are listed, an image is
//! uploaded from a file and one from a URL, a post with media and a thread is created for three
//! channels, listed, read, rescheduled, edited, published and deleted, and the post limit
//! answers 429. The same flow runs with media on an S3 bucket (moto). Uploads from a URL are
//! refused for private addresses.

use std::time::{Duration, Instant};

use chrono::Utc;
use postiz_media::testing::Moto;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::channels::{
    Networks, connect_bluesky, connect_mastodon, connect_x, mount_bluesky, mount_mastodon, mount_x,
    received,
};
use crate::helpers::{Options, Res, Session, TestApp, spawn_app_with};

// ---- helpers shared by the public API tests ----

/// The organization's API key, as the dashboard shows it (`publicApi` of `/user/self`).
pub async fn api_key(app: &TestApp, session: &Session) -> String {
    let me = app.get("/user/self", Some(session)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    let key = me.json()["publicApi"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!key.is_empty(), "no API key: {}", me.text);
    key
}

/// A request with the key raw in `Authorization`, as the SDK and the CLI send it.
pub async fn call(
    app: &TestApp,
    http_method: Method,
    route: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Res {
    call_with(app, http_method, route, key, body, &[]).await
}

pub async fn call_with(
    app: &TestApp,
    http_method: Method,
    route: &str,
    key: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Res {
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    if let Some(key) = key {
        all.push(("authorization", key));
    }
    app.call_with(http_method, route, None, body, &all).await
}

pub async fn get(app: &TestApp, route: &str, key: &str) -> Res {
    call(app, Method::GET, route, Some(key), None).await
}

/// A PNG signature followed by filler up to `len` bytes.
pub fn png(len: usize) -> Vec<u8> {
    let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut i = 11u32;
    while v.len() < len {
        i = i.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        v.push((i >> 16) as u8);
    }
    v
}

/// Uploads a file as the SDK does (multipart `file`, the file named after its extension).
pub async fn upload(app: &TestApp, key: &str, data: Vec<u8>, name: &str) -> Res {
    let part = Part::bytes(data)
        .file_name(name.to_string())
        .mime_str("image/png")
        .expect("mime");
    let resp = app
        .client
        .post(app.url("/public/v1/upload"))
        .header("authorization", key)
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .expect("upload");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    Res {
        status,
        headers,
        text,
    }
}

pub fn at(offset: chrono::Duration) -> String {
    (Utc::now() + offset).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Live posts of the application's database.
pub async fn live_posts(app: &TestApp) -> u64 {
    use postiz_entity::post;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    post::Entity::find()
        .filter(post::Column::DeletedAt.is_null())
        .count(&app.state.db)
        .await
        .expect("count posts")
}

/// Connects X, Mastodon and Bluesky through the dashboard; returns their ids by identifier.
pub async fn connect_three(
    app: &TestApp,
    nets: &Networks,
    owner: &Session,
) -> Vec<(String, String)> {
    for res in [
        connect_x(app, owner).await,
        connect_mastodon(app, owner).await,
        connect_bluesky(app, owner, &nets.bluesky.uri()).await,
    ] {
        assert!(res.status.is_success(), "connect: {}", res.text);
    }
    let key = api_key(app, owner).await;
    let res = get(app, "/public/v1/integrations", &key).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.json()
        .as_array()
        .expect("array")
        .iter()
        .map(|c| {
            (
                c["identifier"].as_str().unwrap().to_string(),
                c["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub async fn mock_networks() -> Networks {
    let nets = Networks::start().await;
    mount_x(&nets.x, "rt-1", "6253282", "acme").await;
    mount_mastodon(&nets.mastodon, "write:statuses profile write:media").await;
    mount_bluesky(&nets.bluesky).await;
    nets
}

/// A post body for several channels, each a thread of three items, the first with media.
pub fn thread_body(kind: &str, date: &str, channels: &[&str], media: &[Value]) -> Value {
    json!({
        "type": kind,
        "date": date,
        "shortLink": false,
        "tags": [],
        "posts": channels.iter().map(|id| json!({
            "integration": {"id": id},
            "value": [
                {"content": "<p>Launch day</p>", "image": media, "delay": 0},
                {"content": "<p>Second part</p>", "image": []},
                {"content": "<p>Third part</p>", "image": []}
            ],
            "settings": {}
        })).collect::<Vec<_>>()
    })
}

// ---- the flow ----

/// A picture server for uploads from a URL.
async fn picture_server(bytes: Vec<u8>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/media/sunset.png"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .set_body_bytes(bytes),
        )
        .mount(&server)
        .await;
    server
}

/// Mastodon's media and status endpoints, for the publication at the end of the flow.
async fn mount_mastodon_posting(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "m-1", "type": "image", "url": "https://files.mastodon.example/m-1.png"
        })))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "110001", "url": "https://mastodon.example/@bob/110001",
            "uri": "https://mastodon.example/users/bob/statuses/110001"
        })))
        .mount(server)
        .await;
}

/// The whole script; `stored_under` is how uploaded files' public URLs start.
async fn run_flow(app: &TestApp, nets: &Networks, owner: &Session, stored_under: &str) {
    let channels = connect_three(app, nets, owner).await;
    let id_of = |identifier: &str| {
        channels
            .iter()
            .find(|(i, _)| i == identifier)
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| panic!("no {identifier} in {channels:?}"))
    };
    let (x, masto, bsky) = (id_of("x"), id_of("mastodon"), id_of("bluesky"));
    // From here on, only the API key.
    let key = api_key(app, owner).await;

    let res = get(app, "/public/v1/is-connected", &key).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json(), json!({"connected": true}));

    let res = get(app, "/public/v1/integrations", &key).await;
    let list = res.json();
    assert_eq!(list.as_array().map(Vec::len), Some(3), "{list}");
    let masto_row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["identifier"] == "mastodon")
        .unwrap();
    assert_eq!(masto_row["name"], "Bob");
    assert_eq!(masto_row["disabled"], false);
    assert_eq!(
        masto_row["picture"],
        "https://files.mastodon.social/bob.png"
    );
    assert!(masto_row.get("customer").is_none(), "{masto_row}");
    assert!(!res.text.contains("SECRET"), "tokens leaked: {}", res.text);

    // An image from a file, as the SDK sends it (the file named after its extension).
    let image = png(40_000);
    let res = upload(app, &key, image.clone(), "png").await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let file = res.json();
    let file_path = file["path"].as_str().unwrap().to_string();
    assert!(file_path.starts_with(stored_under), "{file_path}");
    assert!(file_path.ends_with(".png"), "{file_path}");
    let file_id = file["id"].as_str().unwrap().to_string();

    // An image from a URL: the server is asked once, the bytes land in the library.
    let pictures = picture_server(png(25_000)).await;
    let res = call(
        app,
        Method::POST,
        "/public/v1/upload-from-url",
        Some(&key),
        Some(json!({"url": format!("{}/media/sunset.png", pictures.uri())})),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let remote = res.json();
    assert_eq!(remote["originalName"], "sunset.png");
    assert!(remote["path"].as_str().unwrap().starts_with(stored_under));
    assert_eq!(
        received(&pictures, "GET", "/media/sunset.png").await.len(),
        1
    );

    let res = get(app, "/public/v1/media", &key).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json()["results"].as_array().map(Vec::len), Some(2));

    // A post with both images and a thread of three, for three channels.
    let date = at(chrono::Duration::days(2));
    let media = [
        json!({"id": file_id, "path": file_path}),
        json!({"id": remote["id"], "path": remote["path"]}),
    ];
    let mut body = thread_body("schedule", &date, &[&x, &masto, &bsky], &media);
    body["creationMethod"] = json!("CLI");
    let res = call(
        app,
        Method::POST,
        "/public/v1/posts",
        Some(&key),
        Some(body),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let created = res.json();
    let created = created.as_array().expect("array");
    assert_eq!(created.len(), 3);
    let post_of = |channel: &str| {
        created
            .iter()
            .find(|c| c["integration"] == channel)
            .and_then(|c| c["postId"].as_str())
            .unwrap()
            .to_string()
    };
    let (x_post, masto_post, bsky_post) = (post_of(&x), post_of(&masto), post_of(&bsky));
    assert_eq!(live_posts(app).await, 9, "three threads of three items");

    // Listed (roots only, not minified), with settings carrying the provider type.
    // As the CLI's `posts:list --includeAttachments` asks.
    let range = format!(
        "/public/v1/posts?startDate={}&endDate={}&includeAttachments=true",
        at(chrono::Duration::days(-1)),
        at(chrono::Duration::days(20))
    );
    let res = get(app, &range, &key).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let posts = res.json()["posts"].as_array().cloned().unwrap();
    assert_eq!(posts.len(), 3, "{posts:?}");
    let listed = posts.iter().find(|p| p["id"] == masto_post).unwrap();
    assert_eq!(listed["state"], "QUEUE");
    assert_eq!(listed["creationMethod"], "CLI");
    assert_eq!(listed["content"], "<p>Launch day</p>");
    assert_eq!(listed["integration"]["id"], masto);
    assert_eq!(listed["integration"]["providerIdentifier"], "mastodon");
    let settings: Value = serde_json::from_str(listed["settings"].as_str().unwrap()).unwrap();
    assert_eq!(settings["__type"], "mastodon");

    // Read: the thread with its media.
    let res = get(app, &format!("/public/v1/posts/{x_post}"), &key).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let view = res.json();
    let items = view["posts"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["image"].as_array().map(Vec::len), Some(2));
    assert_eq!(items[0]["image"][0]["path"], file_path.as_str());
    assert_eq!(items[2]["content"], "<p>Third part</p>");
    let group = view["group"].as_str().unwrap().to_string();

    // Rescheduled and edited in place: same group, same items, new date and text.
    let later = at(chrono::Duration::days(5));
    let res = call(
        app,
        Method::PUT,
        &format!("/public/v1/posts/{x_post}"),
        Some(&key),
        Some(json!({"date": later, "content": "<p>Launch day, moved</p>"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let edited = res.json();
    assert_eq!(edited["group"], group.as_str());
    let items = edited["posts"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["id"], x_post.as_str());
    assert_eq!(items[0]["content"], "<p>Launch day, moved</p>");
    assert_eq!(items[1]["content"], "<p>Second part</p>");
    assert_eq!(items[0]["image"].as_array().map(Vec::len), Some(2));
    assert_eq!(items[0]["state"], "QUEUE");
    let moved =
        chrono::DateTime::parse_from_rfc3339(items[0]["publishDate"].as_str().unwrap()).unwrap();
    let wanted = chrono::DateTime::parse_from_rfc3339(&later).unwrap();
    assert!(
        (moved - wanted).num_seconds().abs() < 1,
        "{moved} vs {wanted}"
    );
    assert_eq!(live_posts(app).await, 9);

    // Deleted by post id: that channel's thread only.
    let res = call(
        app,
        Method::DELETE,
        &format!("/public/v1/posts/{x_post}"),
        Some(&key),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.json(), json!({"error": true}));
    assert_eq!(live_posts(app).await, 6);
    let res = get(app, &format!("/public/v1/posts/{x_post}"), &key).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // And by group.
    let bsky_group = get(app, &format!("/public/v1/posts/{bsky_post}"), &key)
        .await
        .json()["group"]
        .as_str()
        .unwrap()
        .to_string();
    let res = call(
        app,
        Method::DELETE,
        &format!("/public/v1/posts/group/{bsky_group}"),
        Some(&key),
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(live_posts(app).await, 3);

    // Published now: Mastodon receives the uploaded image, then the status with it.
    mount_mastodon_posting(&nets.mastodon).await;
    let res = call(
        app,
        Method::POST,
        "/public/v1/posts",
        Some(&key),
        Some(json!({
            "type": "now", "date": at(chrono::Duration::zero()), "shortLink": false, "tags": [],
            "posts": [{"integration": {"id": masto}, "value": [
                // As the CLI sends media: a random id and the path the upload answered.
                {"content": "<p>Right now</p>", "image": [{"id": "k3x9q", "path": file_path}]}
            ]}]
        })),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let now_post = res.json()[0]["postId"].as_str().unwrap().to_string();
    let start = Instant::now();
    loop {
        let view = get(app, &format!("/public/v1/posts/{now_post}"), &key)
            .await
            .json();
        if view["posts"][0]["state"] == "PUBLISHED" {
            assert_eq!(
                view["posts"][0]["releaseURL"],
                "https://mastodon.example/@bob/110001"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "not published: {view}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let uploads = received(&nets.mastodon, "POST", "/api/v2/media").await;
    assert_eq!(uploads.len(), 1);
    assert!(
        uploads[0]
            .body
            .windows(image.len())
            .any(|w| w == image.as_slice()),
        "the uploaded bytes reach the network"
    );
    let statuses = received(&nets.mastodon, "POST", "/api/v1/statuses").await;
    assert_eq!(statuses.len(), 1);
    let status_body = String::from_utf8_lossy(&statuses[0].body).to_string();
    assert!(status_body.contains("m-1"), "{status_body}");
    assert!(status_body.contains("Right+now"), "{status_body}");
    // The scheduled Mastodon thread is untouched.
    let res = get(app, &format!("/public/v1/posts/{masto_post}"), &key).await;
    assert_eq!(res.json()["posts"][0]["state"], "QUEUE");

    // API_LIMIT=3: the third creation this hour passes, the fourth is refused.
    let draft = json!({
        "type": "draft", "date": at(chrono::Duration::days(3)), "shortLink": false, "tags": [],
        "posts": [{"integration": {"id": masto}, "value": [{"content": "<p>Draft</p>", "image": []}]}]
    });
    let res = call(
        app,
        Method::POST,
        "/public/v1/posts",
        Some(&key),
        Some(draft.clone()),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let before = live_posts(app).await;
    let res = call(
        app,
        Method::POST,
        "/public/v1/posts",
        Some(&key),
        Some(draft),
    )
    .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text);
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 3000 && retry <= 3600, "{retry}");
    assert_eq!(res.json()["statusCode"], 429);
    assert_eq!(
        live_posts(app).await,
        before,
        "a refused creation writes nothing"
    );
    // Reading is not limited.
    assert_eq!(
        get(app, "/public/v1/integrations", &key).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_script_with_only_an_api_key_runs_the_whole_flow() {
    let nets = mock_networks().await;
    let app = spawn_app_with(
        nets.options()
            .with_env("DISABLE_SSRF_PROTECTION", "true")
            .with_env("API_LIMIT", "3"),
    )
    .await;
    let owner = app.register("script@example.com", "Script Co").await;
    run_flow(&app, &nets, &owner, "http://localhost:").await;
}

#[tokio::test]
async fn the_same_flow_runs_with_media_on_s3() {
    let moto = Moto::start();
    moto.create_bucket("media");
    let nets = mock_networks().await;
    let app = spawn_app_with(
        nets.options()
            .with_env("DISABLE_SSRF_PROTECTION", "true")
            .with_env("API_LIMIT", "3")
            .with_env("STORAGE_PROVIDER", "s3")
            .with_env("POSTIZ__MEDIA__S3__ENDPOINT", &moto.endpoint)
            .with_env("POSTIZ__MEDIA__S3__BUCKET", "media")
            .with_env("POSTIZ__MEDIA__S3__ACCESS_KEY_ID", "testing")
            .with_env("POSTIZ__MEDIA__S3__SECRET_ACCESS_KEY", "testing"),
    )
    .await;
    let owner = app.register("s3script@example.com", "Bucket Script").await;
    let prefix = format!("{}/media/", moto.endpoint);
    run_flow(&app, &nets, &owner, &prefix).await;
    // Both uploads are objects of the bucket.
    let keys = moto.keys("media");
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(moto.pending_uploads("media").is_empty());
}

#[tokio::test]
async fn uploads_from_private_or_forged_urls_are_refused() {
    let app = spawn_app_with(Options::default()).await;
    let owner = app.register("ssrf@example.com", "Careful Co").await;
    let key = api_key(&app, &owner).await;
    let pictures = picture_server(png(10_000)).await;

    for (url, says) in [
        (format!("{}/media/sunset.png", pictures.uri()), "127.0.0.1"),
        ("http://localhost:9/a.png".to_string(), "localhost"),
        (
            "http://169.254.169.254/latest/meta-data/x.png".to_string(),
            "169.254.169.254",
        ),
        ("http://[::1]:8080/a.png".to_string(), "::1"),
        ("http://10.0.0.5/a.png".to_string(), "10.0.0.5"),
        ("file:///etc/passwd".to_string(), "file"),
        ("gopher://example.com/a.png".to_string(), "gopher"),
        ("not a url".to_string(), "invalid URL"),
        ("http://user:pass@127.0.0.1/a.png".to_string(), "127.0.0.1"),
    ] {
        let res = call(
            &app,
            Method::POST,
            "/public/v1/upload-from-url",
            Some(&key),
            Some(json!({ "url": url })),
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{url}: {}", res.text);
        let body = res.json();
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("Failed to fetch URL"),
            "{url}: {message}"
        );
        assert!(message.contains(says), "{url}: {message}");
        assert_eq!(body["msg"], message);
    }
    for bad in [json!({}), json!({"url": ""}), json!({"url": 5})] {
        let res = call(
            &app,
            Method::POST,
            "/public/v1/upload-from-url",
            Some(&key),
            Some(bad.clone()),
        )
        .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}: {}", res.text);
    }
    assert!(
        received(&pictures, "GET", "/media/sunset.png")
            .await
            .is_empty(),
        "a refused URL is never fetched"
    );
    let library = get(&app, "/public/v1/media", &key).await;
    assert_eq!(library.json()["results"], json!([]));

    // A refused file upload keeps nothing either.
    let res = upload(&app, &key, b"%PDF-1.4 not an image".to_vec(), "pdf").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text);
    let res = app
        .client
        .post(app.url("/public/v1/upload"))
        .header("authorization", &key)
        .multipart(Form::new().text("other", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let library = get(&app, "/public/v1/media", &key).await;
    assert_eq!(library.json()["results"], json!([]));
}
