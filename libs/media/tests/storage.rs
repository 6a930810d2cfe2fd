//! Storage round trips: the local folder and a real S3-compatible server (moto).

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::{MIB, Moto, chunks, files_under, mp4, png};
use postiz_media::storage::{ByteRange, ObjectStorage, PutError, S3Config, Storage, put_stream};
use postiz_media::{MediaSettings, StorageError};

fn local(dir: &std::path::Path) -> ObjectStorage {
    ObjectStorage::local(dir, "http://localhost:3000/uploads/")
        .unwrap_or_else(|e| panic!("{e}"))
        .with_parts(5 * MIB, 2)
}

async fn put(
    storage: &dyn Storage,
    key: &str,
    data: Vec<u8>,
    chunk: usize,
) -> Result<u64, PutError> {
    put_stream(storage, key, "video/mp4", chunks(data, chunk), None).await
}

async fn read(storage: &dyn Storage, key: &str, range: Option<ByteRange>) -> Vec<u8> {
    storage
        .get(key, range)
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e}"))
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("read {key}: {e}"))
        .to_vec()
}

/// Round trip, ranges, head and delete, for any backend.
async fn exercise(storage: &dyn Storage) {
    // Small: one request.
    let small = png(3000);
    let n = put(storage, "2026/11/22/small.png", small.clone(), 1000)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 3000);
    assert_eq!(read(storage, "2026/11/22/small.png", None).await, small);

    // Large: crosses the 5 MiB part size, so it goes multipart (three parts).
    let big = mp4(12 * MIB + 12345);
    let n = put(storage, "2026/11/22/big.mp4", big.clone(), 64 * 1024)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n as usize, big.len());
    let info = storage
        .head("2026/11/22/big.mp4")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(info.size as usize, big.len());

    let object = storage
        .get("2026/11/22/big.mp4", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(object.size as usize, big.len());
    let whole = object.bytes().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        whole == big,
        "the multipart object differs from what was sent"
    );

    // Ranges, including one across a part boundary.
    let boundary = 5 * MIB as u64;
    let cases = [
        (ByteRange::Bounded(0..16), 0..16),
        (
            ByteRange::Bounded(boundary - 10..boundary + 10),
            boundary as usize - 10..boundary as usize + 10,
        ),
        (
            ByteRange::From(big.len() as u64 - 100),
            big.len() - 100..big.len(),
        ),
        (ByteRange::Suffix(50), big.len() - 50..big.len()),
    ];
    for (range, expected) in cases {
        let obj = storage
            .get("2026/11/22/big.mp4", Some(range.clone()))
            .await
            .unwrap_or_else(|e| panic!("{range:?}: {e}"));
        assert_eq!(obj.range.start as usize, expected.start, "{range:?}");
        assert_eq!(obj.range.end as usize, expected.end, "{range:?}");
        let bytes = obj.bytes().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&bytes[..], &big[expected], "{range:?}");
    }

    // Missing objects.
    assert!(matches!(
        storage.head("2026/11/22/missing.png").await,
        Err(StorageError::NotFound(_))
    ));
    assert!(matches!(
        storage
            .get("2026/11/22/missing.png", None)
            .await
            .map(|_| ()),
        Err(StorageError::NotFound(_))
    ));
    // Keys that escape the root are refused.
    assert!(matches!(
        storage.get("../etc/passwd", None).await.map(|_| ()),
        Err(StorageError::InvalidKey(_))
    ));

    // Delete, twice (idempotent).
    storage
        .delete("2026/11/22/big.mp4")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    storage
        .delete("2026/11/22/big.mp4")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        storage.head("2026/11/22/big.mp4").await,
        Err(StorageError::NotFound(_))
    ));
}

#[tokio::test]
async fn local_round_trip_with_ranges() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let storage = local(dir.path());
    exercise(&storage).await;
    assert_eq!(
        storage.public_url("2026/11/22/small.png"),
        "http://localhost:3000/uploads/2026/11/22/small.png"
    );
    // The file is where the public URL says, under the folder.
    let on_disk = std::fs::read(dir.path().join("2026/11/22/small.png")).unwrap_or_default();
    assert_eq!(on_disk, png(3000));
    assert_eq!(
        files_under(dir.path()).len(),
        1,
        "{:?}",
        files_under(dir.path())
    );
}

#[tokio::test]
async fn local_refuses_an_oversize_stream_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let storage = local(dir.path());
    // Small limit, single-request path.
    let err = put_stream(
        &storage,
        "a/b.png",
        "image/png",
        chunks(png(5000), 1000),
        Some(4096),
    )
    .await
    .err();
    assert!(
        matches!(err, Some(PutError::TooLarge { limit: 4096 })),
        "{err:?}"
    );
    // Large limit, crossing into a multipart upload before failing.
    let err = put_stream(
        &storage,
        "a/c.mp4",
        "video/mp4",
        chunks(mp4(13 * MIB), 256 * 1024),
        Some(11 * MIB as u64),
    )
    .await
    .err();
    assert!(matches!(err, Some(PutError::TooLarge { .. })), "{err:?}");
    assert!(
        files_under(dir.path()).is_empty(),
        "{:?}",
        files_under(dir.path())
    );
    // Exactly at the limit is fine.
    let n = put_stream(
        &storage,
        "a/d.png",
        "image/png",
        chunks(png(4096), 1000),
        Some(4096),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 4096);
}

#[tokio::test]
async fn local_discards_an_interrupted_stream() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let storage = local(dir.path());
    let mut parts: Vec<Result<Bytes, std::io::Error>> = mp4(7 * MIB)
        .chunks(MIB)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    parts.push(Err(std::io::Error::other("client went away")));
    let err = put_stream(
        &storage,
        "x/y.mp4",
        "video/mp4",
        futures_util::stream::iter(parts),
        None,
    )
    .await
    .err();
    assert!(
        matches!(&err, Some(PutError::Source(m)) if m.contains("went away")),
        "{err:?}"
    );
    assert!(
        files_under(dir.path()).is_empty(),
        "{:?}",
        files_under(dir.path())
    );
}

fn s3_storage(moto: &Moto, bucket: &str) -> ObjectStorage {
    ObjectStorage::s3(&S3Config {
        endpoint: moto.endpoint.clone(),
        bucket: bucket.into(),
        region: "us-east-1".into(),
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        path_style: true,
        public_url: format!("https://cdn.example.com/{bucket}"),
    })
    .unwrap_or_else(|e| panic!("{e}"))
    .with_parts(5 * MIB, 2)
}

#[tokio::test]
async fn s3_round_trip_with_ranges() {
    let moto = Moto::start();
    moto.create_bucket("media");
    let storage = s3_storage(&moto, "media");
    exercise(&storage).await;
    // What the server holds: only the small file, with the content type we sent.
    assert_eq!(moto.keys("media"), vec!["2026/11/22/small.png".to_string()]);
    assert!(moto.pending_uploads("media").is_empty());
    // The content type the server stored is the one we sent (put() sends video/mp4).
    let object = storage
        .get("2026/11/22/small.png", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(object.content_type.as_deref(), Some("video/mp4"));
    assert_eq!(object.size, 3000);
    assert_eq!(
        storage.public_url("2026/11/22/small.png"),
        "https://cdn.example.com/media/2026/11/22/small.png"
    );
}

#[tokio::test]
async fn s3_refuses_an_oversize_stream_and_keeps_nothing() {
    let moto = Moto::start();
    moto.create_bucket("media");
    let storage = s3_storage(&moto, "media");
    // Past two 5 MiB parts before the 11 MiB limit trips: the multipart upload must be aborted.
    let err = put_stream(
        &storage,
        "2026/11/22/too-big.mp4",
        "video/mp4",
        chunks(mp4(13 * MIB), 256 * 1024),
        Some(11 * MIB as u64),
    )
    .await
    .err();
    assert!(matches!(err, Some(PutError::TooLarge { .. })), "{err:?}");
    assert!(moto.keys("media").is_empty(), "{:?}", moto.keys("media"));
    assert!(
        moto.pending_uploads("media").is_empty(),
        "multipart upload left open: {:?}",
        moto.pending_uploads("media")
    );
}

#[tokio::test]
async fn settings_build_the_configured_storage() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut settings = MediaSettings::default();
    settings.local.directory = dir.path().join("uploads");
    let storage: Arc<dyn Storage> =
        postiz_media::storage::from_settings(&settings, "https://api.example.com/")
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(storage.kind(), "local");
    let root = std::fs::canonicalize(dir.path().join("uploads")).unwrap_or_default();
    assert_eq!(storage.local_root(), Some(root.as_path()));
    assert_eq!(
        storage.public_url("2026/01/02/x.png"),
        "https://api.example.com/uploads/2026/01/02/x.png"
    );
    assert!(dir.path().join("uploads").is_dir());

    let moto = Moto::start();
    moto.create_bucket("bucket");
    let mut settings = MediaSettings {
        storage_provider: postiz_media::StorageProvider::S3,
        ..MediaSettings::default()
    };
    settings.s3.endpoint = moto.endpoint.clone();
    settings.s3.bucket = "bucket".into();
    settings.s3.access_key_id = "testing".into();
    settings.s3.secret_access_key = "testing".into();
    let storage = postiz_media::storage::from_settings(&settings, "https://api.example.com")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(storage.kind(), "s3");
    assert_eq!(storage.local_root(), None);
    assert_eq!(
        storage.public_url("k.png"),
        format!("{}/bucket/k.png", moto.endpoint)
    );
    let n = put_stream(
        storage.as_ref(),
        "k.png",
        "image/png",
        chunks(png(100), 10),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 100);
    assert_eq!(moto.keys("bucket"), vec!["k.png".to_string()]);

    // Cloudflare without its variables is refused with their names.
    let settings = MediaSettings {
        storage_provider: postiz_media::StorageProvider::Cloudflare,
        ..MediaSettings::default()
    };
    let err = postiz_media::storage::from_settings(&settings, "https://api.example.com")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("CLOUDFLARE_ACCOUNT_ID"), "{err}");
}
