//! Uploads a generated video through `MediaService` into local storage and reads it back,
//! printing throughput and the process's peak memory (VmHWM).
//!
//! ```text
//! cargo run --release -p postiz-media --example upload_bench -- [SIZE_MB] [CHUNK_KB]
//! ```
//! Defaults: 500 MiB in 64 KiB chunks (each chunk a fresh allocation, as a network payload).
//! The files go to a temporary folder (set TMPDIR to choose the disk), or to an S3-compatible
//! bucket when BENCH_S3_ENDPOINT and BENCH_S3_BUCKET are set (path-style, keys from
//! BENCH_S3_KEY / BENCH_S3_SECRET, default "testing", as moto accepts).

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use bytes::Bytes;
use futures_util::StreamExt;
use postiz_entity::{ShortLinkPreference, organization};
use postiz_media::storage::{ObjectStorage, S3Config, Storage};
use postiz_media::{MediaService, MediaSettings, UploadPolicy, fetcher_from_settings};
use postiz_migrations::{Migrator, MigratorTrait};
use postiz_provider::MediaSource;
use sea_orm::{ActiveModelTrait, Set};

const MIB: usize = 1024 * 1024;

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets VmHWM to the current RSS (Linux `clear_refs` value 5).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let size_mb: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let chunk_kb: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let total = size_mb * MIB;
    let chunk = chunk_kb * 1024;

    let dir = tempfile::tempdir()?;
    let settings = postiz_core::Settings::for_tests(&dir.path().join("data"))?;
    let db = postiz_core::db::connect(&settings).await?;
    Migrator::up(&db, None).await?;
    let org = postiz_core::ids::new_id();
    let at = chrono::Utc::now();
    organization::ActiveModel {
        id: Set(org.clone()),
        name: Set("Bench".into()),
        description: Set(None),
        api_key_hash: Set(None),
        api_key_sealed: Set(None),
        allow_trial: Set(false),
        is_trailing: Set(false),
        streak_since: Set(None),
        shortlink: Set(ShortLinkPreference::Ask),
        payment_id: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        deleted_at: Set(None),
    }
    .insert(&db)
    .await?;

    let media = MediaSettings::default();
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let backend = match (env("BENCH_S3_ENDPOINT"), env("BENCH_S3_BUCKET")) {
        (Some(endpoint), Some(bucket)) => ObjectStorage::s3(&S3Config {
            public_url: format!("{endpoint}/{bucket}"),
            endpoint,
            bucket,
            region: "us-east-1".into(),
            access_key_id: env("BENCH_S3_KEY").unwrap_or_else(|| "testing".into()),
            secret_access_key: env("BENCH_S3_SECRET").unwrap_or_else(|| "testing".into()),
            path_style: true,
        })?,
        _ => ObjectStorage::local(&dir.path().join("uploads"), "http://localhost:3000/uploads")?,
    };
    let storage: Arc<dyn Storage> =
        Arc::new(backend.with_parts(media.part_size_bytes as usize, media.upload_concurrency));
    let service = MediaService::new(
        db,
        Arc::clone(&storage),
        fetcher_from_settings(&media)?,
        UploadPolicy::from_settings(&media).map_err(anyhow::Error::msg)?,
    );

    let mut header = 32u32.to_be_bytes().to_vec();
    header.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2avc1mp41");
    let body = futures_util::stream::unfold(0usize, move |sent| {
        let header = header.clone();
        async move {
            if sent >= total {
                return None;
            }
            let n = chunk.min(total - sent);
            let mut buf = vec![(sent / chunk) as u8; n];
            if sent == 0 {
                buf[..header.len()].copy_from_slice(&header);
            }
            Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), sent + n))
        }
    });

    println!(
        "upload to {}: {size_mb} MiB in {chunk_kb} KiB chunks, part size {} MiB x {} in flight",
        storage.kind(),
        media.part_size_bytes / MIB as u64,
        media.upload_concurrency
    );
    let base = status_kib("VmRSS:");
    reset_peak();
    let started = Instant::now();
    let view = service
        .upload(&org, Some("bench.mp4"), None, body)
        .await
        .context("upload")?;
    let secs = started.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM:");
    println!(
        "upload: {:.2} s, {:.1} MiB/s; RSS before {:.1} MiB, peak during upload {:.1} MiB (+{:.1} MiB)",
        secs,
        size_mb as f64 / secs,
        mib(base),
        mib(peak),
        mib(peak.saturating_sub(base))
    );

    let base = status_kib("VmRSS:");
    reset_peak();
    let started = Instant::now();
    let opened = service.open(&org, &view.id).await.context("open")?;
    let expected = opened.size().await.map_err(anyhow::Error::msg)?;
    let mut stream = opened.stream().await.map_err(anyhow::Error::msg)?;
    let mut read = 0u64;
    while let Some(chunk) = stream.next().await {
        read += chunk.map_err(anyhow::Error::msg)?.len() as u64;
    }
    let secs = started.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM:");
    anyhow::ensure!(read == expected, "read {read} bytes, expected {expected}");
    println!(
        "read back (MediaSource stream): {:.2} s, {:.1} MiB/s; peak {:.1} MiB (+{:.1} MiB)",
        secs,
        read as f64 / MIB as f64 / secs,
        mib(peak),
        mib(peak.saturating_sub(base))
    );
    Ok(())
}
