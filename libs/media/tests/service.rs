//! The media service and repository on SQLite with local storage.

mod common;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{MIB, chunks, files_under, mp4, png};
use futures_util::TryStreamExt;
use postiz_core::{AppError, ErrorCode};
use postiz_entity::media;
use postiz_media::repository::{self as repo, PAGE_SIZE};
use postiz_media::storage::{ObjectStorage, Storage};
use postiz_media::{
    FetchConfig, FetchError, FileType, MediaError, MediaService, SafeFetcher, SsrfPolicy,
    UploadPolicy,
};
use postiz_provider::{MediaKind, MediaSource};
use sea_orm::{DatabaseConnection, EntityTrait};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Fixture {
    _dir: tempfile::TempDir,
    uploads: std::path::PathBuf,
    db: DatabaseConnection,
    org: String,
    service: MediaService,
}

fn fetcher(allow_private: bool) -> SafeFetcher {
    SafeFetcher::new(FetchConfig {
        policy: SsrfPolicy {
            allow_private,
            allowed_ips: Vec::new(),
        },
        total_timeout: Duration::from_secs(10),
        ..FetchConfig::default()
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

async fn fixture_with(policy: UploadPolicy, allow_private: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (db, org) = common::database(&dir.path().join("data")).await;
    let uploads = dir.path().join("uploads");
    let storage: Arc<dyn Storage> = Arc::new(
        ObjectStorage::local(&uploads, "http://localhost:3000/uploads")
            .unwrap_or_else(|e| panic!("{e}"))
            .with_parts(5 * MIB, 2),
    );
    let service = MediaService::new(db.clone(), storage, fetcher(allow_private), policy);
    Fixture {
        _dir: dir,
        uploads,
        db,
        org,
        service,
    }
}

async fn fixture() -> Fixture {
    fixture_with(UploadPolicy::default(), false).await
}

async fn rows(db: &DatabaseConnection) -> Vec<media::Model> {
    media::Entity::find().all(db).await.unwrap_or_default()
}

#[tokio::test]
async fn upload_stores_the_file_and_returns_postiz_shape() {
    let f = fixture().await;
    let data = png(20_000);
    let view = f
        .service
        .upload(
            &f.org,
            Some("Holiday Photo.jpeg"),
            None,
            chunks(data.clone(), 3000),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Named by content, not by the claimed extension.
    assert!(view.name.ends_with(".png"), "{}", view.name);
    assert_eq!(view.original_name.as_deref(), Some("Holiday Photo.png"));
    assert!(
        view.path.starts_with("http://localhost:3000/uploads/"),
        "{}",
        view.path
    );
    assert!(view.path.ends_with(&view.name));

    let json = serde_json::to_value(&view).unwrap_or_default();
    let keys: Vec<&str> = json
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for k in [
        "id",
        "name",
        "originalName",
        "path",
        "thumbnail",
        "alt",
        "thumbnailTimestamp",
    ] {
        assert!(keys.contains(&k), "{k} missing from {json}");
    }
    assert!(json["thumbnail"].is_null());

    let stored = rows(&f.db).await;
    assert_eq!(stored.len(), 1);
    let row = &stored[0];
    assert_eq!(row.organization_id, f.org);
    assert_eq!(row.mime_type, "image/png");
    assert_eq!(row.kind, media::MediaKind::Image);
    assert_eq!(row.file_size, 20_000);
    assert_eq!(
        format!("http://localhost:3000/uploads/{}", row.storage_key),
        view.path
    );
    // The bytes on disk are the bytes sent.
    let on_disk = std::fs::read(f.uploads.join(&row.storage_key)).unwrap_or_default();
    assert!(on_disk == data);
}

#[tokio::test]
async fn refused_types_leave_nothing_behind() {
    let f = fixture().await;
    let html = b"<html><script>alert(document.cookie)</script></html>".to_vec();
    let err = f
        .service
        .upload(&f.org, Some("evil.png"), None, chunks(html, 7))
        .await
        .err();
    match &err {
        Some(MediaError::UnsupportedType { allowed }) => {
            assert!(
                allowed.contains("PNG") && allowed.contains("MP4"),
                "{allowed}"
            );
        }
        other => panic!("{other:?}"),
    }
    let app: AppError = err
        .map(AppError::from)
        .unwrap_or_else(|| AppError::bad_request(""));
    assert_eq!(app.code(), ErrorCode::BadRequest);
    assert!(
        app.message().starts_with("Unsupported file type."),
        "{}",
        app.message()
    );

    // QuickTime is recognised but not accepted by default (Postiz accepts mp4 only).
    let mut mov = 20u32.to_be_bytes().to_vec();
    mov.extend_from_slice(b"ftypqt  \0\0\0\0qt  ");
    mov.resize(5000, 1);
    let err = f
        .service
        .upload(&f.org, None, None, chunks(mov, 1000))
        .await
        .err();
    assert!(
        matches!(err, Some(MediaError::UnsupportedType { .. })),
        "{err:?}"
    );

    let err = f
        .service
        .upload(&f.org, None, None, chunks(Vec::new(), 10))
        .await
        .err();
    assert!(matches!(err, Some(MediaError::Empty)), "{err:?}");

    assert!(rows(&f.db).await.is_empty());
    assert!(
        files_under(&f.uploads).is_empty(),
        "{:?}",
        files_under(&f.uploads)
    );
}

#[tokio::test]
async fn caps_are_enforced_while_streaming() {
    let policy = UploadPolicy {
        max_image_bytes: 64 * 1024,
        max_video_bytes: 7 * MIB as u64,
        allowed: FileType::POSTIZ_DEFAULT.to_vec(),
    };
    let f = fixture_with(policy, false).await;

    // An image one byte over its cap, no size announced.
    let err = f
        .service
        .upload(
            &f.org,
            Some("big.png"),
            None,
            chunks(png(64 * 1024 + 1), 4096),
        )
        .await
        .err();
    assert!(
        matches!(
            err,
            Some(MediaError::TooLarge {
                kind: "image",
                limit: 65536
            })
        ),
        "{err:?}"
    );
    // A video over its cap after the upload went multipart.
    let err = f
        .service
        .upload(
            &f.org,
            Some("big.mp4"),
            None,
            chunks(mp4(9 * MIB), 256 * 1024),
        )
        .await
        .err();
    assert!(
        matches!(err, Some(MediaError::TooLarge { kind: "video", .. })),
        "{err:?}"
    );
    // An announced size over the cap is refused before anything is written.
    let err = f
        .service
        .upload(&f.org, None, Some(8 * MIB as u64), chunks(mp4(1000), 100))
        .await
        .err();
    assert!(matches!(err, Some(MediaError::TooLarge { .. })), "{err:?}");
    assert!(rows(&f.db).await.is_empty());
    assert!(
        files_under(&f.uploads).is_empty(),
        "{:?}",
        files_under(&f.uploads)
    );

    // At the cap it passes; a 6 MiB video is stored in parts.
    f.service
        .upload(&f.org, None, None, chunks(png(64 * 1024), 4096))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let video = f
        .service
        .upload(
            &f.org,
            Some("clip.mp4"),
            None,
            chunks(mp4(6 * MIB), 256 * 1024),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(video.path.ends_with(".mp4"));
    assert_eq!(rows(&f.db).await.len(), 2);
    assert_eq!(files_under(&f.uploads).len(), 2);
}

#[tokio::test]
async fn client_disconnects_are_reported_and_cleaned_up() {
    let f = fixture().await;
    let mut parts: Vec<Result<Bytes, std::io::Error>> = mp4(6 * MIB)
        .chunks(MIB)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    parts.push(Err(std::io::Error::other("connection reset")));
    let err = f
        .service
        .upload(&f.org, None, None, futures_util::stream::iter(parts))
        .await
        .err();
    assert!(
        matches!(&err, Some(MediaError::Interrupted(m)) if m.contains("reset")),
        "{err:?}"
    );
    assert!(rows(&f.db).await.is_empty());
    assert!(files_under(&f.uploads).is_empty());
}

#[tokio::test]
async fn listing_pages_search_and_isolation() {
    let f = fixture().await;
    let other_org = common::organization(&f.db, "Other").await;
    for i in 0..20 {
        let name = if i % 5 == 0 {
            format!("Sunset_{i}.png")
        } else {
            format!("pic {i}.png")
        };
        f.service
            .upload(&f.org, Some(&name), None, chunks(png(100 + i), 50))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // Distinct creation times for a stable newest-first order.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    f.service
        .upload(
            &other_org,
            Some("sunset_other.png"),
            None,
            chunks(png(100), 50),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let first = f
        .service
        .list(&f.org, Some(1), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.pages, 2);
    assert_eq!(first.results.len(), PAGE_SIZE as usize);
    assert_eq!(
        first.results[0].original_name.as_deref(),
        Some("pic 19.png")
    );
    let second = f
        .service
        .list(&f.org, Some(2), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(second.results.len(), 2);
    assert_eq!(
        second.results[1].original_name.as_deref(),
        Some("Sunset_0.png")
    );
    // Postiz: page 0 or missing is the first page; past the end is empty.
    let zero = f
        .service
        .list(&f.org, Some(0), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(zero.results, first.results);
    let none = f
        .service
        .list(&f.org, None, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(none.results, first.results);
    let past = f
        .service
        .list(&f.org, Some(9), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(past.results.is_empty());
    assert_eq!(past.pages, 2);

    // Case-insensitive search on the original name, within the organization only.
    let found = f
        .service
        .list(&f.org, Some(1), Some(" SUNSET "))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.pages, 1);
    let names: Vec<String> = found
        .results
        .iter()
        .filter_map(|m| m.original_name.clone())
        .collect();
    assert_eq!(
        names,
        vec![
            "Sunset_15.png",
            "Sunset_10.png",
            "Sunset_5.png",
            "Sunset_0.png"
        ]
    );
    // LIKE wildcards are literal.
    let literal = f
        .service
        .list(&f.org, Some(1), Some("%"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(literal.results.is_empty());
    let underscore = f
        .service
        .list(&f.org, Some(1), Some("t_1"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(underscore.results.len(), 2, "{:?}", underscore.results);

    // Another organization's file is invisible.
    let theirs = f
        .service
        .list(&other_org, Some(1), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(theirs.results.len(), 1);
    let their_id = theirs.results[0].id.clone();
    assert!(matches!(
        f.service.get(&f.org, &their_id).await,
        Err(MediaError::NotFound)
    ));
    assert!(matches!(
        f.service.delete(&f.org, &their_id).await,
        Err(MediaError::NotFound)
    ));
    assert!(matches!(
        f.service
            .save_information(&f.org, &their_id, Some("x"), None, None)
            .await,
        Err(MediaError::NotFound)
    ));
    assert!(matches!(
        f.service.open(&f.org, &their_id).await,
        Err(MediaError::NotFound)
    ));
    assert!(f.service.get(&other_org, &their_id).await.is_ok());
}

#[tokio::test]
async fn delete_is_soft_and_keeps_the_file_for_posts() {
    let f = fixture().await;
    let data = mp4(300_000);
    let view = f
        .service
        .upload(&f.org, Some("clip.mp4"), None, chunks(data.clone(), 65_536))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let deleted = f
        .service
        .delete(&f.org, &view.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(deleted.id, view.id);
    assert!(
        f.service
            .list(&f.org, None, None)
            .await
            .map(|p| p.results.is_empty())
            .unwrap_or(false)
    );
    assert!(matches!(
        f.service.get(&f.org, &view.id).await,
        Err(MediaError::NotFound)
    ));
    assert!(matches!(
        f.service.delete(&f.org, &view.id).await,
        Err(MediaError::NotFound)
    ));
    let row = repo::find_including_deleted(&f.db, &f.org, &view.id)
        .await
        .ok()
        .flatten();
    assert!(row.is_some_and(|r| r.deleted_at.is_some()));

    // The file stays, and a post scheduled earlier can still stream it.
    assert_eq!(files_under(&f.uploads).len(), 1);
    let opened = f
        .service
        .open(&f.org, &view.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.kind, MediaKind::Video);
    assert_eq!(opened.mime_type, "video/mp4");
    assert_eq!(opened.size().await.ok(), Some(300_000));
    let streamed: Vec<Bytes> = opened
        .stream()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .try_collect()
        .await
        .unwrap_or_default();
    assert!(streamed.concat() == data);
}

#[tokio::test]
async fn information_is_saved() {
    let f = fixture().await;
    let view = f
        .service
        .upload(&f.org, Some("clip.mp4"), None, chunks(mp4(5000), 1000))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let saved = f
        .service
        .save_information(
            &f.org,
            &view.id,
            Some("A dog on a beach"),
            Some("https://cdn.example.com/thumb.jpg"),
            Some(1500),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(saved.alt.as_deref(), Some("A dog on a beach"));
    assert_eq!(
        saved.thumbnail.as_deref(),
        Some("https://cdn.example.com/thumb.jpg")
    );
    assert_eq!(saved.thumbnail_timestamp, Some(1500));
    let json = serde_json::to_value(&saved).unwrap_or_default();
    assert_eq!(json["thumbnailTimestamp"], 1500);
    assert_eq!(json["alt"], "A dog on a beach");
    let listed = f
        .service
        .list(&f.org, None, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(listed.results[0], saved);

    // Empty thumbnail clears it; non-http thumbnails are refused.
    let cleared = f
        .service
        .save_information(&f.org, &view.id, Some(""), Some(""), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cleared.thumbnail, None);
    assert_eq!(cleared.alt.as_deref(), Some(""));
    let err = f
        .service
        .save_information(&f.org, &view.id, None, Some("javascript:alert(1)"), None)
        .await
        .err();
    assert!(matches!(err, Some(MediaError::Invalid(_))), "{err:?}");

    // The publisher's view carries alt and thumbnail.
    f.service
        .save_information(
            &f.org,
            &view.id,
            Some("alt"),
            Some("https://t.example/x.jpg"),
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let item = f
        .service
        .media_item(&f.org, &view.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(item.alt.as_deref(), Some("alt"));
    assert_eq!(
        item.thumbnail_url.as_deref(),
        Some("https://t.example/x.jpg")
    );
    assert_eq!(item.url, view.path);
    assert_eq!(item.source.size().await.ok(), Some(5000));
}

#[tokio::test]
async fn upload_from_url_fetches_sniffs_and_saves() {
    let server = MockServer::start().await;
    let data = png(50_000);
    Mock::given(method("GET"))
        .and(path("/images/My%20Cat.png"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Content-Type", "text/html")
                .set_body_bytes(data.clone()),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/page.html"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html></html>"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/gone.png"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/moved.png"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/images/My%20Cat.png"))
        .mount(&server)
        .await;

    // DISABLE_SSRF_PROTECTION=true: a local server is reachable.
    let f = fixture_with(UploadPolicy::default(), true).await;
    let view = f
        .service
        .upload_from_url(&f.org, &format!("{}/moved.png", server.uri()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(view.original_name.as_deref(), Some("My Cat.png"));
    let row = rows(&f.db).await.into_iter().next();
    assert_eq!(
        row.as_ref().map(|r| r.mime_type.as_str()),
        Some("image/png")
    );
    let on_disk = row
        .map(|r| std::fs::read(f.uploads.join(r.storage_key)).unwrap_or_default())
        .unwrap_or_default();
    assert!(on_disk == data);

    let err = f
        .service
        .upload_from_url(&f.org, &format!("{}/page.html", server.uri()))
        .await
        .err();
    assert!(
        matches!(err, Some(MediaError::UnsupportedType { .. })),
        "{err:?}"
    );
    let err = f
        .service
        .upload_from_url(&f.org, &format!("{}/gone.png", server.uri()))
        .await
        .err();
    assert!(
        matches!(err, Some(MediaError::Fetch(FetchError::Status(_)))),
        "{err:?}"
    );
    let app: AppError = err
        .map(AppError::from)
        .unwrap_or_else(|| AppError::not_found(""));
    assert_eq!(app.code(), ErrorCode::BadRequest);
    assert_eq!(rows(&f.db).await.len(), 1);
}

#[tokio::test]
async fn upload_from_url_refuses_private_addresses_by_default() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(100)))
        .expect(0)
        .mount(&server)
        .await;
    let f = fixture().await;
    let port = server.address().port();
    for url in [
        format!("http://127.0.0.1:{port}/a.png"),
        format!("http://localhost:{port}/a.png"),
        format!("http://[::1]:{port}/a.png"),
        "http://169.254.169.254/latest/meta-data/iam/a.png".to_string(),
        "http://10.0.0.8/a.png".to_string(),
        "file:///etc/passwd".to_string(),
    ] {
        let err = f.service.upload_from_url(&f.org, &url).await.err();
        assert!(matches!(err, Some(MediaError::Fetch(_))), "{url}: {err:?}");
        let message = err.map(|e| AppError::from(e).message()).unwrap_or_default();
        assert!(message.starts_with("Failed to fetch URL"), "{message}");
    }
    assert!(rows(&f.db).await.is_empty());
    let ip: IpAddr = [127, 0, 0, 1].into();
    assert!(SsrfPolicy::default().check_ip(ip).is_err());
}

#[tokio::test]
async fn store_without_saving_returns_a_path() {
    let f = fixture().await;
    let stored = f
        .service
        .store(Some("media.jpg"), None, chunks(png(1000), 100))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(stored.path.ends_with(".png"));
    assert_eq!(stored.size, 1000);
    assert!(rows(&f.db).await.is_empty());
    assert_eq!(files_under(&f.uploads).len(), 1);
}

#[tokio::test]
async fn service_futures_are_send_for_send_streams() {
    // Workers (AI generation, imports) run uploads on spawned tasks.
    fn assert_send<T: Send>(_: &T) {}
    let f = fixture().await;
    let from_url = f
        .service
        .upload_from_url(&f.org, "https://example.com/a.png");
    assert_send(&from_url);
    let upload = f.service.upload(&f.org, None, None, chunks(png(10), 5));
    assert_send(&upload);
    let open = f.service.open(&f.org, "x");
    assert_send(&open);
}
