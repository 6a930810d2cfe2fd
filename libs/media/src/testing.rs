//! A moto S3 server for tests (`moto_server`, from `pip install 'moto[server]'`): started on a
//! free port, stopped when dropped, with raw helpers to inspect the bucket without signing.
//!
//! Compiled with the `test-support` feature (the backend's HTTP tests use it); the media
//! crate's own tests include this file directly.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Moto checks no signature, but refuses anonymous reads of objects: raw requests carry
/// an `Authorization` header of the right shape.
pub const FAKE_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 \
    Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00";

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

    /// A raw HTTP/1.0 request, not really signed (moto does not check signatures): status and the
    /// whole answer (head and body) as text.
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> Option<(u16, String)> {
        let (status, raw) = self.raw(method, path, body)?;
        Some((status, String::from_utf8_lossy(&raw).into_owned()))
    }

    /// The bytes of an object, if it exists.
    pub fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let (status, raw) = self.raw("GET", &format!("/{bucket}/{key}"), &[])?;
        if status != 200 {
            return None;
        }
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
        Some(raw[split + 4..].to_vec())
    }

    fn raw(&self, method: &str, path: &str, body: &[u8]) -> Option<(u16, Vec<u8>)> {
        let mut sock = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)).ok()?;
        sock.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
        let head = format!(
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nContent-Length: {}\r\n\
             Authorization: {FAKE_AUTHORIZATION}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        sock.write_all(head.as_bytes()).ok()?;
        sock.write_all(body).ok()?;
        let mut raw = Vec::new();
        sock.read_to_end(&mut raw).ok()?;
        let line_end = raw.iter().position(|b| *b == b'\n')?;
        let line = String::from_utf8_lossy(&raw[..line_end]).into_owned();
        let status = line.split_whitespace().nth(1)?.parse().ok()?;
        Some((status, raw))
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
