//! Shared test helpers: a moto S3 server, a migrated SQLite database, sample files.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// A moto S3 server on a free port, stopped when dropped.
pub struct Moto {
    child: Child,
    pub endpoint: String,
    pub addr: SocketAddr,
}

const INSTALL_HINT: &str = "moto_server was not found. The S3 tests run against moto's S3 server: \
run `make test-deps` (installs it into .tools/), or `python3 -m venv .tools/venv && \
.tools/venv/bin/pip install 'moto[server]'` and set MOTO_SERVER=$PWD/.tools/venv/bin/moto_server, \
or put `moto_server` on PATH.";

/// `MOTO_SERVER` (path to an executable), else `moto_server` on PATH.
fn moto_executable() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        if path.is_file() {
            return path;
        }
        panic!(
            "MOTO_SERVER={} is not a file. {INSTALL_HINT}",
            path.display()
        );
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("moto_server");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("{INSTALL_HINT}");
}

impl Moto {
    pub fn start() -> Moto {
        let exe = moto_executable();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let child = Command::new(&exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}. {INSTALL_HINT}", exe.display()));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut moto = Moto {
            child,
            endpoint: format!("http://{addr}"),
            addr,
        };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited at start ({status}). {INSTALL_HINT}");
            }
            if moto.request("GET", "/", &[]).is_some_and(|(s, _)| s == 200) {
                return moto;
            }
            if started.elapsed() > Duration::from_secs(30) {
                panic!("moto_server did not answer on {addr} within 30 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A raw, unsigned HTTP/1.1 request (moto does not check signatures): status and body.
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> Option<(u16, String)> {
        let mut sock = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)).ok()?;
        sock.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        sock.write_all(head.as_bytes()).ok()?;
        sock.write_all(body).ok()?;
        let mut raw = Vec::new();
        sock.read_to_end(&mut raw).ok()?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text.split_whitespace().nth(1)?.parse().ok()?;
        Some((status, text))
    }

    pub fn create_bucket(&self, bucket: &str) {
        let created = self.request("PUT", &format!("/{bucket}"), &[]);
        assert!(
            created.as_ref().is_some_and(|(s, _)| *s == 200),
            "create bucket: {created:?}"
        );
    }

    /// Keys in the bucket (ListObjectsV2).
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        let (status, body) = self
            .request("GET", &format!("/{bucket}?list-type=2"), &[])
            .unwrap_or_default();
        assert_eq!(status, 200, "ListObjectsV2: {body}");
        assert!(body.contains("<ListBucketResult"), "{body}");
        xml_values(&body, "Key")
    }

    /// Multipart uploads started and neither completed nor aborted.
    pub fn pending_uploads(&self, bucket: &str) -> Vec<String> {
        let (status, body) = self
            .request("GET", &format!("/{bucket}?uploads"), &[])
            .unwrap_or_default();
        assert_eq!(status, 200, "ListMultipartUploads: {body}");
        assert!(body.contains("<ListMultipartUploadsResult"), "{body}");
        xml_values(&body, "UploadId")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else {
            break;
        };
        out.push(after[..end].to_string());
        rest = &after[end + close.len()..];
    }
    out
}
