//! `/media` and `/uploads` over HTTP: uploads streamed to the local folder and to an S3 bucket
//! (moto), limits and refusals that leave nothing behind, the library's paging and search,
//! deletion, alt text and thumbnails, tenancy, and the files served back with ranges. Also the
//! publisher's entry point, `MediaService::resolve_reference`.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use postiz_media::testing::Moto;
use postiz_media::{MediaError, MediaService};
use postiz_provider::{MediaKind, ProviderError};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path as url_path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{Options, Session, TestApp, spawn_app, spawn_app_with};

const MIB: usize = 1024 * 1024;

/// A PNG signature followed by filler up to `len` bytes.
fn png(len: usize) -> Vec<u8> {
    let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut i = 7u32;
    while v.len() < len {
        i = i.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        v.push((i >> 16) as u8);
    }
    v
}

/// An MP4 `ftyp` box followed by filler up to `len` bytes.
fn mp4(len: usize) -> Vec<u8> {
    let mut v = 32u32.to_be_bytes().to_vec();
    v.extend_from_slice(b"ftypisom");
    v.extend_from_slice(&[0, 0, 2, 0]);
    v.extend_from_slice(b"isomiso2avc1mp41");
    let mut i = 1u32;
    while v.len() < len {
        i = i.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        v.push((i >> 24) as u8);
    }
    v
}

fn file_part(data: Vec<u8>, name: &str, mime: &str) -> Part {
    Part::bytes(data)
        .file_name(name.to_string())
        .mime_str(mime)
        .expect("mime")
}

/// A part whose length is not announced: the request is sent chunked, so only the streaming
/// cap can stop it.
fn chunked_part(data: Vec<u8>, name: &str, mime: &str) -> Part {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        data.chunks(256 * 1024).map(|c| Ok(c.to_vec())).collect();
    Part::stream(reqwest::Body::wrap_stream(futures_util::stream::iter(
        chunks,
    )))
    .file_name(name.to_string())
    .mime_str(mime)
    .expect("mime")
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(req: reqwest::RequestBuilder) -> Answer {
    let resp = req.send().await.expect("request");
    Answer {
        status: resp.status(),
        headers: resp.headers().clone(),
        body: resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
    }
}

fn authed(app: &TestApp, method: Method, path: &str, session: &Session) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header("auth", &session.token)
        .header("showorg", &session.org_id)
}

async fn upload(app: &TestApp, session: &Session, route: &str, form: Form) -> Answer {
    send(authed(app, Method::POST, route, session).multipart(form)).await
}

async fn upload_file(app: &TestApp, session: &Session, data: Vec<u8>, name: &str) -> Answer {
    let mime = if name.ends_with(".mp4") {
        "video/mp4"
    } else {
        "image/png"
    };
    let form = Form::new().part("file", file_part(data, name, mime));
    upload(app, session, "/media/upload-server", form).await
}

/// The storage key of a public `.../uploads/<key>` path.
fn key_of(path: &str) -> String {
    path.split("/uploads/")
        .nth(1)
        .expect("an /uploads/ path")
        .to_string()
}

fn upload_root(app: &TestApp) -> PathBuf {
    app.state
        .media
        .storage()
        .local_root()
        .expect("local storage")
        .to_path_buf()
}

/// Every regular file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn library(app: &TestApp, session: &Session, query: &str) -> Value {
    let res = send(authed(app, Method::GET, &format!("/media{query}"), session)).await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    res.json()
}

async fn read_all(media: &postiz_provider::MediaItem) -> Vec<u8> {
    let mut stream = media.source.stream().await.expect("stream");
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.expect("chunk"));
    }
    out
}

fn service(app: &TestApp) -> &MediaService {
    &app.state.media
}

/// What the publisher does with a post's media entry `{id, path}`.
async fn resolve(
    app: &TestApp,
    org_id: &str,
    id: &str,
    path: &str,
) -> Result<postiz_provider::MediaItem, ProviderError> {
    service(app)
        .resolve_reference(org_id, id, path)
        .await
        .map_err(MediaError::into_provider_error)
}

/// Whether a post may be saved with this media entry.
async fn check(app: &TestApp, org_id: &str, id: &str, path: &str) -> bool {
    service(app).check_reference(org_id, id, path).await.is_ok()
}

#[tokio::test]
async fn image_and_video_uploads_are_stored_and_served_back() {
    let app = spawn_app().await;
    let owner = app.register("media-owner@example.com", "Media Co").await;

    // An image, with a hostile name: stored under a random name, the name made safe.
    let image = png(20_000);
    let res = upload_file(&app, &owner, image.clone(), "../../etc/Holiday Photo.jpeg").await;
    assert_eq!(
        res.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    let body = res.json();
    let keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "id",
        "name",
        "originalName",
        "path",
        "thumbnail",
        "alt",
        "thumbnailTimestamp",
    ] {
        assert!(keys.contains(&k), "{k} missing in {body}");
    }
    assert_eq!(body["originalName"], ".._.._etc_Holiday Photo.png");
    assert!(body["thumbnail"].is_null() && body["alt"].is_null());
    let path = body["path"].as_str().expect("path");
    let key = key_of(path);
    assert!(key.ends_with(".png"), "{key}");
    assert_eq!(body["name"].as_str(), key.rsplit('/').next());
    let on_disk = std::fs::read(upload_root(&app).join(&key)).expect("stored file");
    assert_eq!(on_disk, image);

    let served = send(app.client.get(app.url(&format!("/uploads/{key}")))).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body, image);
    assert_eq!(served.header("content-type"), Some("image/png"));
    assert_eq!(served.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(served.header("accept-ranges"), Some("bytes"));
    assert_eq!(served.header("content-length"), Some("20000"));
    let etag = served.header("etag").expect("etag").to_string();
    let modified = served
        .header("last-modified")
        .expect("last-modified")
        .to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    // Conditional requests.
    let again = send(
        app.client
            .get(app.url(&format!("/uploads/{key}")))
            .header("if-none-match", &etag),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    let again = send(
        app.client
            .get(app.url(&format!("/uploads/{key}")))
            .header("if-modified-since", &modified),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);

    // A small video, read back with ranges.
    let video = mp4(3 * MIB + 123);
    let res = upload_file(&app, &owner, video.clone(), "clip.mp4").await;
    assert_eq!(
        res.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    let vkey = key_of(res.json()["path"].as_str().expect("path"));
    assert!(vkey.ends_with(".mp4"));
    assert_eq!(
        std::fs::read(upload_root(&app).join(&vkey)).expect("video"),
        video
    );
    let url = app.url(&format!("/uploads/{vkey}"));

    let part = send(app.client.get(&url).header("range", "bytes=1000-1999")).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.header("content-type"), Some("video/mp4"));
    assert_eq!(
        part.header("content-range").map(str::to_string),
        Some(format!("bytes 1000-1999/{}", video.len()))
    );
    assert_eq!(part.body, video[1000..2000]);

    let tail = send(app.client.get(&url).header("range", "bytes=-100")).await;
    assert_eq!(tail.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.body, video[video.len() - 100..]);

    let open = send(
        app.client
            .get(&url)
            .header("range", format!("bytes={}-", video.len() - 10)),
    )
    .await;
    assert_eq!(open.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(open.body, video[video.len() - 10..]);

    let beyond = send(
        app.client
            .get(&url)
            .header("range", format!("bytes={}-", video.len())),
    )
    .await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        beyond.header("content-range").map(str::to_string),
        Some(format!("bytes */{}", video.len()))
    );

    // If-Range with a stale tag: the whole file.
    let stale = send(
        app.client
            .get(&url)
            .header("range", "bytes=0-9")
            .header("if-range", "\"stale\""),
    )
    .await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.body.len(), video.len());

    let whole = send(app.client.get(&url)).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert_eq!(whole.body, video);

    let head = send(app.client.head(&url)).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(
        head.header("content-length").map(str::to_string),
        Some(video.len().to_string())
    );
    assert!(head.body.is_empty());

    let listed = library(&app, &owner, "").await;
    assert_eq!(listed["pages"], 1);
    assert_eq!(listed["results"].as_array().map(Vec::len), Some(2));
    // Newest first.
    assert_eq!(listed["results"][0]["originalName"], "clip.mp4");
}

#[tokio::test]
async fn refused_uploads_leave_nothing_behind() {
    let app = spawn_app().await;
    let owner = app.register("refused@example.com", "Refusals").await;
    let root = upload_root(&app);

    // One byte over Postiz's 10 MB image limit: refused while streaming, with a clean 400.
    let res = upload_file(&app, &owner, png(10 * MIB + 1), "big.png").await;
    assert_eq!(
        res.status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    let message = res.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("10485760"), "{message}");

    // The same, sent chunked (no length announced).
    let form = Form::new().part(
        "file",
        chunked_part(png(10 * MIB + 1), "big.png", "image/png"),
    );
    let res = upload(&app, &owner, "/media/upload-server", form).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);

    // Exactly at the limit: accepted.
    let res = upload_file(&app, &owner, png(10 * MIB), "limit.png").await;
    assert_eq!(
        res.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    let kept = key_of(res.json()["path"].as_str().expect("path"));

    // A fake image: HTML named .png, claimed image/png.
    let fake = b"<html><script>alert(1)</script></html>".repeat(100);
    let res = upload_file(&app, &owner, fake, "cat.png").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Unsupported file type"),
        "{}",
        res.json()
    );
    // SVG (scriptable) is not accepted either.
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    let res = upload_file(&app, &owner, svg, "logo.svg").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    // An empty file.
    let res = upload_file(&app, &owner, Vec::new(), "empty.png").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);

    // Two files in one request: the first is not kept.
    let form = Form::new()
        .part("file", file_part(png(5000), "a.png", "image/png"))
        .part("file", file_part(png(5000), "b.png", "image/png"));
    let res = upload(&app, &owner, "/media/upload-server", form).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&res.body).contains("Only one file"));
    // A file in another field.
    let form = Form::new()
        .part("file", file_part(png(5000), "a.png", "image/png"))
        .part("other", file_part(png(5000), "b.png", "image/png"));
    let res = upload(&app, &owner, "/media/upload-simple", form).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    // No file at all, and a body that is not multipart.
    let form = Form::new().text("preventSave", "true");
    let res = upload(&app, &owner, "/media/upload-simple", form).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = send(
        authed(&app, Method::POST, "/media/upload-server", &owner).json(&json!({"file": "x"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // An oversize text field.
    let form = Form::new()
        .text("preventSave", "x".repeat(20_000))
        .part("file", file_part(png(5000), "a.png", "image/png"));
    let res = upload(&app, &owner, "/media/upload-simple", form).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);

    // Without a session nothing is read or stored.
    let form = Form::new().part("file", file_part(png(5000), "a.png", "image/png"));
    let res = send(
        app.client
            .post(app.url("/media/upload-server"))
            .multipart(form),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);

    let files = files_under(&root);
    assert_eq!(
        files,
        vec![root.join(&kept)],
        "only the accepted file remains"
    );
    let listed = library(&app, &owner, "").await;
    assert_eq!(listed["results"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_library_pages_and_searches_like_postiz() {
    let app = spawn_app().await;
    let owner = app.register("library@example.com", "Library").await;
    for i in 0..19 {
        let name = if i % 5 == 0 {
            format!("Summer-{i}.png")
        } else {
            format!("photo-{i}.png")
        };
        let res = upload_file(&app, &owner, png(1000 + i), &name).await;
        assert_eq!(res.status, StatusCode::CREATED);
    }
    let video = upload_file(&app, &owner, mp4(4096), "SUMMER clip.mp4").await;
    assert_eq!(video.status, StatusCode::CREATED);

    let first = library(&app, &owner, "?page=1").await;
    assert_eq!(first["pages"], 2);
    let results = first["results"].as_array().expect("results");
    assert_eq!(results.len(), 18);
    assert_eq!(results[0]["originalName"], "SUMMER clip.mp4");
    let second = library(&app, &owner, "?page=2").await;
    assert_eq!(second["results"].as_array().map(Vec::len), Some(2));
    // Page 0 and no page mean the first page (the dashboard's first call).
    assert_eq!(
        library(&app, &owner, "?page=0").await["results"],
        first["results"]
    );
    assert_eq!(library(&app, &owner, "").await["results"], first["results"]);
    let beyond = library(&app, &owner, "?page=9").await;
    assert_eq!(beyond["pages"], 2);
    assert_eq!(beyond["results"], json!([]));

    let found = library(&app, &owner, "?page=1&search=summer").await;
    assert_eq!(found["pages"], 1);
    let names: Vec<&str> = found["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["originalName"].as_str())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(names.iter().all(|n| n.to_lowercase().contains("summer")));
    // LIKE wildcards are matched literally.
    assert_eq!(
        library(&app, &owner, "?search=%25").await["results"],
        json!([])
    );
    assert_eq!(
        library(&app, &owner, "?search=_").await["results"],
        json!([])
    );

    let bad = send(authed(&app, Method::GET, "/media?page=abc", &owner)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // The editor's AI video list is an array (empty: this build has no generators).
    let options = send(authed(&app, Method::GET, "/media/video-options", &owner)).await;
    assert_eq!(options.status, StatusCode::OK);
    assert_eq!(options.json(), json!([]));
}

#[tokio::test]
async fn delete_information_and_simple_uploads() {
    let app = spawn_app().await;
    let owner = app.register("info@example.com", "Info").await;
    let res = upload_file(&app, &owner, mp4(50_000), "talk.mp4").await;
    let video = res.json();
    let id = video["id"].as_str().expect("id").to_string();

    // A thumbnail is stored without entering the library (the dashboard's flow).
    let form = Form::new()
        .part("file", file_part(png(3000), "media.jpg", "image/jpeg"))
        .text("preventSave", "true");
    let res = upload(&app, &owner, "/media/upload-simple", form).await;
    assert_eq!(
        res.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    assert_eq!(
        res.json().as_object().map(|o| o.len()),
        Some(1),
        "{}",
        res.json()
    );
    let thumbnail = res.json()["path"].as_str().expect("path").to_string();
    let served = send(
        app.client
            .get(app.url(&format!("/uploads/{}", key_of(&thumbnail)))),
    )
    .await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(
        library(&app, &owner, "").await["results"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // Without preventSave, upload-simple saves into the library.
    let form = Form::new().part("file", file_part(png(3000), "saved.png", "image/png"));
    let res = upload(&app, &owner, "/media/upload-simple", form).await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert!(res.json()["id"].is_string());
    let saved_id = res.json()["id"].as_str().expect("id").to_string();

    let res = send(
        authed(&app, Method::POST, "/media/information", &owner).json(&json!({
            "id": id, "alt": "A talk on stage", "thumbnail": thumbnail, "thumbnailTimestamp": 1500
        })),
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    let info = res.json();
    assert_eq!(info["alt"], "A talk on stage");
    assert_eq!(info["thumbnail"], thumbnail.as_str());
    assert_eq!(info["thumbnailTimestamp"], 1500);
    assert_eq!(info["id"], id.as_str());
    let listed = library(&app, &owner, "").await;
    let row = listed["results"]
        .as_array()
        .and_then(|r| r.iter().find(|m| m["id"] == id.as_str()))
        .cloned()
        .expect("row");
    assert_eq!(row["alt"], "A talk on stage");
    assert_eq!(row["thumbnailTimestamp"], 1500);

    // The dashboard clears with "" and null.
    let res = send(
        authed(&app, Method::POST, "/media/information", &owner).json(&json!({
            "id": id, "alt": "", "thumbnail": "", "thumbnailTimestamp": null
        })),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert!(res.json()["alt"].is_null() && res.json()["thumbnail"].is_null());

    for bad in [
        json!({"id": id, "alt": "x", "thumbnail": "javascript:alert(1)"}),
        json!({"id": id, "alt": "x", "thumbnailTimestamp": -5}),
        json!({"id": id, "alt": "x", "thumbnailTimestamp": "soon"}),
        json!({"alt": "x"}),
    ] {
        let res = send(authed(&app, Method::POST, "/media/information", &owner).json(&bad)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let res = send(
        authed(&app, Method::POST, "/media/information", &owner)
            .json(&json!({"id": "nope", "alt": "x"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Delete: the entry leaves the library, the file stays for the posts that use it.
    let res = send(authed(
        &app,
        Method::DELETE,
        &format!("/media/{saved_id}"),
        &owner,
    ))
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["id"], saved_id.as_str());
    let path = res.json()["path"].as_str().expect("path").to_string();
    let listed = library(&app, &owner, "").await;
    assert!(
        listed["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|m| m["id"] != saved_id.as_str())
    );
    let res = send(authed(
        &app,
        Method::DELETE,
        &format!("/media/{saved_id}"),
        &owner,
    ))
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let served = send(
        app.client
            .get(app.url(&format!("/uploads/{}", key_of(&path)))),
    )
    .await;
    assert_eq!(served.status, StatusCode::OK);
}

#[tokio::test]
async fn other_organizations_files_are_not_found() {
    let app = spawn_app().await;
    let alice = app.register("alice-media@example.com", "Alice Media").await;
    let bob = app.register("bob-media@example.com", "Bob Media").await;
    let res = upload_file(&app, &alice, png(4000), "alice.png").await;
    let id = res.json()["id"].as_str().expect("id").to_string();

    let res = send(authed(&app, Method::DELETE, &format!("/media/{id}"), &bob)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = send(
        authed(&app, Method::POST, "/media/information", &bob)
            .json(&json!({"id": id, "alt": "mine"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(library(&app, &bob, "").await["results"], json!([]));
    // Bob's showorg cannot select Alice's organization.
    let forged = Session {
        org_id: alice.org_id.clone(),
        ..bob.clone()
    };
    let res = send(authed(&app, Method::GET, "/media", &forged)).await;
    assert!(
        res.json()["results"]
            .as_array()
            .is_none_or(|r| r.is_empty()),
        "{}",
        res.json()
    );
    // Still there for Alice, untouched.
    let listed = library(&app, &alice, "").await;
    assert_eq!(listed["results"][0]["id"], id.as_str());
    assert!(listed["results"][0]["alt"].is_null());

    // The publisher does not find Alice's file by id from Bob's organization either: the
    // reference falls back to its path, which is a public URL of our storage.
    let stored = resolve(&app, &bob.org_id, &id, "not a url").await;
    assert!(
        matches!(stored, Err(ProviderError::Rejected(_))),
        "{stored:?}"
    );
}

/// Sends a raw request line, so the path reaches the server exactly as written.
async fn raw_status(app: &TestApp, target: &str) -> u16 {
    let addr = app.address.trim_start_matches("http://");
    let mut sock = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    sock.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    let _ = sock.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn uploads_refuse_traversal_listings_and_foreign_files() {
    let app = spawn_app().await;
    let owner = app.register("traversal@example.com", "Traversal").await;
    let res = upload_file(&app, &owner, png(2000), "ok.png").await;
    let key = key_of(res.json()["path"].as_str().expect("path"));
    let root = upload_root(&app);
    // Files that must never be served: one beside the folder, one inside it with another
    // extension, a hidden one, and a partial multipart upload.
    std::fs::write(root.parent().expect("parent").join("secret.png"), png(100)).expect("write");
    std::fs::write(root.join("notes.html"), b"<script>alert(1)</script>").expect("write");
    std::fs::write(root.join(".hidden.png"), png(100)).expect("write");
    std::fs::write(root.join(format!("{key}#1")), png(100)).expect("write");
    let folder = key
        .rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .expect("folder");

    assert_eq!(raw_status(&app, &format!("/uploads/{key}")).await, 200);
    for target in [
        "/uploads/../secret.png".to_string(),
        "/uploads/%2e%2e/secret.png".to_string(),
        "/uploads/%2E%2E%2Fsecret.png".to_string(),
        "/uploads/..%2fsecret.png".to_string(),
        "/uploads/..%5csecret.png".to_string(),
        format!("/uploads/{folder}/../../../../secret.png"),
        "/uploads//etc/passwd".to_string(),
        "/uploads/notes.html".to_string(),
        "/uploads/.hidden.png".to_string(),
        format!("/uploads/{key}%231"),
        format!("/uploads/{folder}"),
        format!("/uploads/{folder}/"),
        "/uploads/".to_string(),
        "/uploads".to_string(),
        "/uploads/2026/01/01/missing.png".to_string(),
    ] {
        let status = raw_status(&app, &target).await;
        assert!(status == 404 || status == 400, "{target}: {status}");
    }
    let res = send(app.client.get(app.url("/uploads/notes.html"))).await;
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn the_publisher_reads_deleted_library_files_and_external_urls() {
    let app = spawn_app_with(Options::default().with_env("DISABLE_SSRF_PROTECTION", "true")).await;
    let owner = app.register("publisher@example.com", "Publisher").await;
    let video = mp4(2 * MIB + 7);
    let res = upload_file(&app, &owner, video.clone(), "scheduled.mp4").await;
    let entry = res.json();
    let id = entry["id"].as_str().expect("id").to_string();
    let path = entry["path"].as_str().expect("path").to_string();

    // Attached to a post, then deleted from the library: still publishes.
    let res = send(authed(
        &app,
        Method::DELETE,
        &format!("/media/{id}"),
        &owner,
    ))
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(check(&app, &owner.org_id, &id, &path).await);
    let item = resolve(&app, &owner.org_id, &id, &path)
        .await
        .expect("media");
    assert_eq!(item.kind, MediaKind::Video);
    assert_eq!(item.mime_type, "video/mp4");
    assert_eq!(item.url, path);
    assert_eq!(item.source.size().await.expect("size"), video.len() as u64);
    assert_eq!(read_all(&item).await, video);

    // A reference by our own public URL, without a known id.
    let item = resolve(&app, &owner.org_id, "unknown", &path)
        .await
        .expect("media");
    assert_eq!(read_all(&item).await, video);

    // An external URL, streamed through the SSRF-safe fetcher.
    let server = MockServer::start().await;
    let image = png(70_000);
    Mock::given(method("GET"))
        .and(url_path("/cdn/pic"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(image.clone()))
        .mount(&server)
        .await;
    let external = format!("{}/cdn/pic", server.uri());
    let item = resolve(&app, &owner.org_id, "", &external)
        .await
        .expect("external");
    assert_eq!(item.kind, MediaKind::Image);
    assert_eq!(item.mime_type, "image/png");
    assert_eq!(item.source.size().await.expect("size"), image.len() as u64);
    assert_eq!(read_all(&item).await, image);
    // Not media, or gone: refused with a message for the user.
    Mock::given(method("GET"))
        .and(url_path("/cdn/page"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html></html>"))
        .mount(&server)
        .await;
    let page = format!("{}/cdn/page", server.uri());
    let err = resolve(&app, &owner.org_id, "", &page).await.err();
    assert!(matches!(err, Some(ProviderError::Rejected(_))), "{err:?}");
    let gone = format!("{}/cdn/gone", server.uri());
    let err = resolve(&app, &owner.org_id, "", &gone).await.err();
    assert!(matches!(err, Some(ProviderError::Rejected(_))), "{err:?}");
    // A server that is down: worth retrying.
    let err = resolve(&app, &owner.org_id, "", "http://127.0.0.1:9/x.png")
        .await
        .err();
    assert!(matches!(err, Some(ProviderError::Transient(_))), "{err:?}");

    // With SSRF protection on (the default), private addresses are refused.
    let hits = |requests: Vec<wiremock::Request>| {
        requests
            .iter()
            .filter(|r| r.url.path() == "/cdn/pic")
            .count()
    };
    let before = hits(server.received_requests().await.unwrap_or_default());
    let strict = spawn_app().await;
    let someone = strict.register("strict@example.com", "Strict").await;
    let err = resolve(&strict, &someone.org_id, "", &external).await.err();
    assert!(
        matches!(&err, Some(ProviderError::Rejected(m)) if m.contains("not allowed")),
        "{err:?}"
    );
    assert!(!check(&strict, &someone.org_id, "", &external).await);
    let metadata = "http://169.254.169.254/latest/meta-data/";
    assert!(!check(&strict, &someone.org_id, "", metadata).await);
    assert!(!check(&strict, &someone.org_id, "", "file:///etc/passwd").await);
    let after = hits(server.received_requests().await.unwrap_or_default());
    assert_eq!(before, after, "the refused fetch must not reach the server");
}

#[tokio::test]
async fn uploads_stream_to_an_s3_bucket() {
    let moto = Moto::start();
    moto.create_bucket("media");
    let app = spawn_app_with(
        Options::default()
            .with_env("STORAGE_PROVIDER", "s3")
            .with_env("POSTIZ__MEDIA__S3__ENDPOINT", &moto.endpoint)
            .with_env("POSTIZ__MEDIA__S3__BUCKET", "media")
            .with_env("POSTIZ__MEDIA__S3__ACCESS_KEY_ID", "testing")
            .with_env("POSTIZ__MEDIA__S3__SECRET_ACCESS_KEY", "testing")
            .with_env("POSTIZ__MEDIA__PART_SIZE_BYTES", "5242880")
            .with_env("POSTIZ__MEDIA__UPLOAD_CONCURRENCY", "2")
            .with_env("POSTIZ__MEDIA__MAX_VIDEO_BYTES", "16777216"),
    )
    .await;
    assert!(app.state.media.storage().local_root().is_none());
    let owner = app.register("s3@example.com", "Bucket Co").await;

    let image = png(30_000);
    let res = upload_file(&app, &owner, image.clone(), "photo.png").await;
    assert_eq!(
        res.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    let image_path = res.json()["path"].as_str().expect("path").to_string();
    let prefix = format!("{}/media/", moto.endpoint);
    assert!(image_path.starts_with(&prefix), "{image_path}");
    let image_key = image_path[prefix.len()..].to_string();

    // A video larger than a part: a multipart upload to the bucket.
    let video = mp4(12 * MIB + 5);
    let res = upload_file(&app, &owner, video.clone(), "long.mp4").await;
    assert_eq!(
        res.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    let video_path = res.json()["path"].as_str().expect("path").to_string();
    let video_key = video_path[prefix.len()..].to_string();
    let video_id = res.json()["id"].as_str().expect("id").to_string();

    // The stored path is the bucket's URL, and the bytes are there. (Moto refuses anonymous
    // reads; a deployment makes the bucket public or puts a CDN in front of it.)
    let fetched = send(
        app.client
            .get(&image_path)
            .header("authorization", postiz_media::testing::FAKE_AUTHORIZATION),
    )
    .await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body, image);
    assert_eq!(
        moto.object("media", &video_key).expect("video object"),
        video
    );
    let mut keys = moto.keys("media");
    keys.sort();
    let mut expected = vec![image_key.clone(), video_key.clone()];
    expected.sort();
    assert_eq!(keys, expected);
    assert!(moto.pending_uploads("media").is_empty());
    // /uploads serves only the local folder.
    let res = send(app.client.get(app.url(&format!("/uploads/{image_key}")))).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Over the (lowered) 16 MiB video limit, announced and chunked: nothing is left.
    let res = upload_file(&app, &owner, mp4(17 * MIB), "huge.mp4").await;
    assert_eq!(
        res.status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    let form = Form::new().part("file", chunked_part(mp4(17 * MIB), "huge.mp4", "video/mp4"));
    let res = upload(&app, &owner, "/media/upload-server", form).await;
    assert_eq!(
        res.status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&res.body)
    );
    // A fake image.
    let res = upload_file(&app, &owner, b"GIF87-not-really".repeat(10), "x.png").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let mut after = moto.keys("media");
    after.sort();
    assert_eq!(after, expected);
    assert!(
        moto.pending_uploads("media").is_empty(),
        "{:?}",
        moto.pending_uploads("media")
    );

    // Deleted from the library, the video still publishes, streamed from the bucket.
    let res = send(authed(
        &app,
        Method::DELETE,
        &format!("/media/{video_id}"),
        &owner,
    ))
    .await;
    assert_eq!(res.status, StatusCode::OK);
    let item = resolve(&app, &owner.org_id, &video_id, &video_path)
        .await
        .expect("media");
    assert_eq!(item.url, video_path);
    assert_eq!(item.source.size().await.expect("size"), video.len() as u64);
    assert_eq!(read_all(&item).await, video);
    let listed = library(&app, &owner, "").await;
    assert_eq!(listed["results"].as_array().map(Vec::len), Some(1));
}
