//! `GET|HEAD /uploads/<key>`: the files of the local upload folder (with S3/R2 storage the
//! files are served by the bucket at its public URL, and this route answers 404).
//!
//! Only keys of the shape the service writes are served, with the content type of the format
//! detected at upload, `X-Content-Type-Options: nosniff` and a restrictive CSP; no folder
//! listings; single byte ranges (206, 416), `ETag` / `Last-Modified` with `If-None-Match`,
//! `If-Modified-Since` and `If-Range`.

use std::time::{Duration, SystemTime};

use actix_web::body::SizedStream;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use futures_util::TryStreamExt;
use paperclip::actix::{api_v2_operation, web};
use postiz_core::AppError;

use crate::service::{MediaError, MediaService, PublicFile};
use crate::storage::ByteRange;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/uploads/{path:.*}")
            .route(web::get().to(serve_upload))
            .route(web::head().to(serve_upload)),
    );
}

/// Stored files get random names and are never rewritten: caches may keep them.
const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
/// A stored file opened on its own cannot run anything.
const CSP: &str = "default-src 'none'; sandbox";

#[api_v2_operation(skip)]
async fn serve_upload(
    req: HttpRequest,
    media: web::Data<MediaService>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let file = match media.public_file(&path).await {
        Ok(file) => file,
        Err(MediaError::NotFound) => return Ok(not_found()),
        Err(e) => return Err(e.into()),
    };
    let etag = entity_tag(&file);
    let modified = SystemTime::from(file.info.last_modified);
    let last_modified = httpdate::fmt_http_date(modified);
    let headers = req.headers();

    if not_modified(headers, &etag, modified) {
        let mut res = HttpResponse::NotModified();
        common_headers(&mut res, &etag, &last_modified);
        return Ok(res.finish());
    }

    let size = file.info.size;
    let wanted = if if_range_holds(headers, &etag, &last_modified) {
        headers
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_range(v, size))
    } else {
        None
    };
    let (status, range) = match wanted {
        Some(Ok(range)) => (StatusCode::PARTIAL_CONTENT, Some(range)),
        Some(Err(Unsatisfiable)) => {
            let mut res = HttpResponse::RangeNotSatisfiable();
            res.insert_header((header::CONTENT_RANGE, format!("bytes */{size}")));
            res.insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
            return Ok(res.finish());
        }
        None => (StatusCode::OK, None),
    };

    let object = match media
        .read_public(&file, range.map(|(s, e)| ByteRange::Bounded(s..e)))
        .await
    {
        Ok(object) => object,
        Err(MediaError::NotFound) => return Ok(not_found()),
        Err(e) => return Err(e.into()),
    };
    let length = object.range.end.saturating_sub(object.range.start);
    let mut res = HttpResponseBuilder::new(status);
    common_headers(&mut res, &etag, &last_modified);
    res.insert_header((header::CONTENT_TYPE, file.mime));
    if status == StatusCode::PARTIAL_CONTENT {
        res.insert_header((
            header::CONTENT_RANGE,
            format!(
                "bytes {}-{}/{size}",
                object.range.start,
                object.range.end.saturating_sub(1)
            ),
        ));
    }
    let key = file.key.clone();
    let stream = object.stream.inspect_err(move |e| {
        tracing::warn!(key, error = %e, "reading an upload failed mid-stream");
    });
    Ok(res.body(SizedStream::new(length, stream)))
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .content_type("application/json")
        .body(r#"{"statusCode":404,"message":"File not found","code":"not_found"}"#)
}

fn common_headers(res: &mut HttpResponseBuilder, etag: &str, modified: &str) {
    res.insert_header((header::ETAG, etag.to_string()))
        .insert_header((header::LAST_MODIFIED, modified.to_string()))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP));
}

/// A strong entity tag: the storage's own, or one made of size and modification time.
fn entity_tag(file: &PublicFile) -> String {
    let raw = file
        .info
        .e_tag
        .as_deref()
        .map(|t| {
            t.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .to_string()
        })
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic() && b != b'"'))
        .unwrap_or_else(|| {
            format!(
                "{:x}-{:x}",
                file.info.size,
                file.info.last_modified.timestamp_micros()
            )
        });
    format!("\"{raw}\"")
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
}

/// `If-None-Match` (weak comparison) wins over `If-Modified-Since` (RFC 9110 13.2.2).
fn not_modified(headers: &HeaderMap, etag: &str, modified: SystemTime) -> bool {
    if let Some(list) = header_str(headers, header::IF_NONE_MATCH) {
        let ours = etag.trim_start_matches("W/");
        return list
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.trim_start_matches("W/") == ours);
    }
    match header_str(headers, header::IF_MODIFIED_SINCE)
        .and_then(|v| httpdate::parse_http_date(v).ok())
    {
        // HTTP dates have whole seconds.
        Some(since) => truncate_to_secs(modified) <= since,
        None => false,
    }
}

/// `If-Range`: the range applies only if the representation is still the one named (strong
/// comparison of the tag, or exactly the same date).
fn if_range_holds(headers: &HeaderMap, etag: &str, last_modified: &str) -> bool {
    match header_str(headers, header::IF_RANGE).map(str::trim) {
        None => true,
        Some(v) if v.starts_with('"') => v == etag,
        Some(v) if v.starts_with("W/") => false,
        Some(v) => v == last_modified,
    }
}

fn truncate_to_secs(t: SystemTime) -> SystemTime {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => SystemTime::UNIX_EPOCH + Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}

/// A range that starts past the end of the file.
#[derive(Debug, PartialEq, Eq)]
pub struct Unsatisfiable;

/// Parses a `Range` header against a file of `size` bytes: `Some(Ok(start..end))` (end
/// exclusive) for one satisfiable range, `Some(Err)` for an unsatisfiable one, `None` when the
/// header is to be ignored (malformed, another unit, or several ranges: the whole file is sent).
pub fn parse_range(value: &str, size: u64) -> Option<Result<(u64, u64), Unsatisfiable>> {
    let (unit, spec) = value.trim().split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return None;
    }
    let (first, last) = spec.trim().split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if first.is_empty() {
        // bytes=-n: the last n bytes.
        if !digits(last) {
            return None;
        }
        let n: u64 = last.parse().ok()?;
        if n == 0 || size == 0 {
            return Some(Err(Unsatisfiable));
        }
        return Some(Ok((size - n.min(size), size)));
    }
    if !digits(first) || !(last.is_empty() || digits(last)) {
        return None;
    }
    let start: u64 = first.parse().ok()?;
    let end_inclusive = if last.is_empty() {
        None
    } else {
        let e: u64 = last.parse().ok()?;
        if e < start {
            return None;
        }
        Some(e)
    };
    if start >= size {
        return Some(Err(Unsatisfiable));
    }
    let end = end_inclusive.map_or(size, |e| e.saturating_add(1).min(size));
    Some(Ok((start, end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 10))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 100))));
        assert_eq!(parse_range("bytes=90-500", 100), Some(Ok((90, 100))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 100))));
        assert_eq!(parse_range("bytes=-500", 100), Some(Ok((0, 100))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(Unsatisfiable)));
        assert_eq!(parse_range("bytes=-0", 100), Some(Err(Unsatisfiable)));
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
        assert_eq!(parse_range("bytes=a-b", 100), None);
        assert_eq!(parse_range("bytes=-", 100), None);
        assert_eq!(parse_range(" BYTES = 1 - 2 ", 100), Some(Ok((1, 3))));
    }

    #[test]
    fn conditional_requests() {
        let mut h = HeaderMap::new();
        let now = SystemTime::now();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(not_modified(&h, "\"b\"", now));
        assert!(!not_modified(&h, "\"c\"", now));
        let mut h = HeaderMap::new();
        let date = httpdate::fmt_http_date(now);
        if let Ok(v) = HeaderValue::from_str(&date) {
            h.insert(header::IF_MODIFIED_SINCE, v);
        }
        assert!(not_modified(&h, "\"x\"", now));
        assert!(!not_modified(&h, "\"x\"", now + Duration::from_secs(5)));
        let mut h = HeaderMap::new();
        h.insert(header::IF_RANGE, HeaderValue::from_static("\"x\""));
        assert!(if_range_holds(&h, "\"x\"", &date));
        assert!(!if_range_holds(&h, "\"y\"", &date));
    }
}
