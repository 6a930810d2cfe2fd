//! Shared test helpers: a moto S3 server, a migrated SQLite database, sample files.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::Stream;
use postiz_core::ids::new_id;
use postiz_entity::ShortLinkPreference;
use postiz_entity::organization;
use postiz_migrations::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

pub const MIB: usize = 1024 * 1024;

/// A PNG signature followed by `len - 8` filler bytes.
pub fn png(len: usize) -> Vec<u8> {
    let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    v.resize(len.max(8), 0x42);
    v
}

/// An MP4 `ftyp` box followed by filler up to `len` bytes.
pub fn mp4(len: usize) -> Vec<u8> {
    let mut v = mp4_header();
    let mut i = 0u32;
    while v.len() < len {
        i = i.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        v.push((i >> 24) as u8);
    }
    v.truncate(len.max(32));
    v
}

pub fn mp4_header() -> Vec<u8> {
    let mut v = 32u32.to_be_bytes().to_vec();
    v.extend_from_slice(b"ftypisom");
    v.extend_from_slice(&[0, 0, 2, 0]);
    v.extend_from_slice(b"isomiso2avc1mp41");
    v
}

/// Splits bytes into a stream of chunks of `chunk` bytes.
pub fn chunks(data: Vec<u8>, chunk: usize) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let parts: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(chunk.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures_util::stream::iter(parts)
}

/// A stream of `total` bytes of a file type, produced chunk by chunk (never held whole).
pub fn generated(
    header: Vec<u8>,
    total: usize,
    chunk: usize,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(0usize, move |sent| {
        let header = header.clone();
        async move {
            if sent >= total {
                return None;
            }
            let n = chunk.min(total - sent);
            let mut buf = vec![(sent / chunk) as u8; n];
            if sent == 0 {
                let h = header.len().min(n);
                buf[..h].copy_from_slice(&header[..h]);
            }
            Some((Ok(Bytes::from(buf)), sent + n))
        }
    })
}

/// Every regular file under `dir`.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
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

/// A migrated SQLite database in `dir` and one organization in it.
pub async fn database(dir: &Path) -> (DatabaseConnection, String) {
    let settings = postiz_core::Settings::for_tests(dir).unwrap_or_else(|e| panic!("{e}"));
    let db = postiz_core::db::connect(&settings)
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    Migrator::up(&db, None)
        .await
        .unwrap_or_else(|e| panic!("migrate: {e}"));
    let org = organization(&db, "Acme").await;
    (db, org)
}

pub async fn organization(db: &DatabaseConnection, name: &str) -> String {
    let at = chrono::Utc::now();
    let id = new_id();
    organization::ActiveModel {
        id: Set(id.clone()),
        name: Set(name.into()),
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
    .insert(db)
    .await
    .unwrap_or_else(|e| panic!("organization: {e}"));
    id
}

/// The moto harness, shared with the backend's HTTP tests (`postiz_media::testing`).
#[path = "../../src/testing.rs"]
mod moto;

#[allow(unused_imports)] // Not every test file starts moto.
pub use moto::Moto;
