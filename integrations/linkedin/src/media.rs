//! Media uploads: the Images API (one PUT of the whole file) and the Videos API (multi-part
//! upload streamed part by part, then `finalizeUpload`).

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use postiz_provider::{ByteStream, MediaItem, ProviderError, Replay};
use reqwest::Method;
use serde_json::json;

use crate::api::{ImageInit, MediaEndpoint, MediaInfo, UploadInstruction, VideoInit};
use crate::classify::LinkedInClassifier;
use crate::provider::{LinkedInProvider, encode};

/// Largest part we accept to buffer; LinkedIn documents 4 MiB parts.
const MAX_PART_BYTES: u64 = 16 * 1024 * 1024;

/// Reads exact byte counts from a media stream without holding more than one part.
struct PartReader {
    stream: ByteStream,
    buf: BytesMut,
}

impl PartReader {
    fn new(stream: ByteStream) -> Self {
        Self {
            stream,
            buf: BytesMut::new(),
        }
    }

    async fn take(&mut self, len: usize) -> Result<Bytes, ProviderError> {
        while self.buf.len() < len {
            match self.stream.next().await {
                Some(chunk) => self.buf.extend_from_slice(&chunk?),
                None => {
                    return Err(ProviderError::Rejected(
                        "the video is shorter than its declared size".into(),
                    ));
                }
            }
        }
        Ok(self.buf.split_to(len).freeze())
    }

    async fn is_exhausted(&mut self) -> Result<bool, ProviderError> {
        if !self.buf.is_empty() {
            return Ok(false);
        }
        while let Some(chunk) = self.stream.next().await {
            if !chunk?.is_empty() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Checks that the instructions cover `0..size` in order, each part of a sane size.
fn check_instructions(
    mut parts: Vec<UploadInstruction>,
    size: u64,
) -> Result<Vec<UploadInstruction>, ProviderError> {
    parts.sort_by_key(|p| p.first_byte);
    let mut next = 0u64;
    for p in &parts {
        if p.first_byte != next
            || p.last_byte < p.first_byte
            || p.last_byte - p.first_byte + 1 > MAX_PART_BYTES
        {
            return Err(ProviderError::Rejected(
                "LinkedIn returned video upload instructions that do not match the file".into(),
            ));
        }
        next = p.last_byte + 1;
    }
    if next != size {
        return Err(ProviderError::Rejected(
            "LinkedIn returned video upload instructions that do not cover the file".into(),
        ));
    }
    Ok(parts)
}

impl LinkedInProvider {
    /// Uploads an image for `owner` and returns its `urn:li:image:` URN.
    pub(crate) async fn upload_image(
        &self,
        token: &str,
        owner: &str,
        media: &MediaItem,
    ) -> Result<String, ProviderError> {
        let url = format!("{}/rest/images?action=initializeUpload", self.api_base);
        let body = json!({ "initializeUploadRequest": { "owner": owner } });
        // Initializing only reserves an upload URL; repeating it is harmless.
        let init: ImageInit = self
            .http
            .json(
                || self.rest(Method::POST, &url, token).json(&body),
                Replay::Safe,
                &LinkedInClassifier,
            )
            .await?;
        let bytes = media.source.bytes().await?;
        // The documented upload sends the file in one PUT with the member's bearer token.
        self.http
            .send(
                || {
                    self.http
                        .raw()
                        .put(&init.value.upload_url)
                        .bearer_auth(token)
                        .timeout(self.http.upload_timeout())
                        .body(bytes.clone())
                },
                Replay::Safe,
                &LinkedInClassifier,
            )
            .await?;
        Ok(init.value.image)
    }

    /// Uploads a video for `owner` in the parts LinkedIn asks for and finalizes it; returns its
    /// `urn:li:video:` URN. The file is streamed: one part at most is held in memory.
    pub(crate) async fn upload_video(
        &self,
        token: &str,
        owner: &str,
        media: &MediaItem,
    ) -> Result<String, ProviderError> {
        let size = media.source.size().await?;
        if size == 0 {
            return Err(ProviderError::Rejected("the video file is empty".into()));
        }
        let url = format!("{}/rest/videos?action=initializeUpload", self.api_base);
        let body = json!({
            "initializeUploadRequest": {
                "owner": owner,
                "fileSizeBytes": size,
                "uploadCaptions": false,
                "uploadThumbnail": false,
            }
        });
        let init: VideoInit = self
            .http
            .json(
                || self.rest(Method::POST, &url, token).json(&body),
                Replay::Safe,
                &LinkedInClassifier,
            )
            .await?;
        let video = init.value.video;
        let parts = check_instructions(init.value.upload_instructions, size)?;

        let mut reader = PartReader::new(media.source.stream().await?);
        let mut etags = Vec::with_capacity(parts.len());
        for (index, part) in parts.iter().enumerate() {
            let len = usize::try_from(part.last_byte - part.first_byte + 1)
                .map_err(|_| ProviderError::Rejected("video part too large".into()))?;
            let chunk = reader.take(len).await?;
            // Upload URLs are pre-signed: the documented part upload carries no token. A PUT
            // of the same bytes to the same URL is idempotent, so it may be replayed.
            let response = self
                .http
                .send(
                    || {
                        self.http
                            .raw()
                            .put(&part.upload_url)
                            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                            .timeout(self.http.upload_timeout())
                            .body(chunk.clone())
                    },
                    Replay::Safe,
                    &LinkedInClassifier,
                )
                .await?;
            let etag = response
                .headers()
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    ProviderError::Rejected(format!(
                        "LinkedIn did not acknowledge part {} of the video",
                        index + 1
                    ))
                })?
                .to_string();
            etags.push(etag);
        }
        if !reader.is_exhausted().await? {
            return Err(ProviderError::Rejected(
                "the video is longer than its declared size".into(),
            ));
        }

        let url = format!("{}/rest/videos?action=finalizeUpload", self.api_base);
        let body = json!({
            "finalizeUploadRequest": {
                "video": video,
                "uploadToken": init.value.upload_token,
                "uploadedPartIds": etags,
            }
        });
        self.http
            .send(
                || self.rest(Method::POST, &url, token).json(&body),
                Replay::Safe,
                &LinkedInClassifier,
            )
            .await?;
        Ok(video)
    }

    /// Reads the processing status (and download URL) of an image or video.
    pub(crate) async fn media_info(
        &self,
        token: &str,
        endpoint: MediaEndpoint,
        urn: &str,
    ) -> Result<MediaInfo, ProviderError> {
        let url = format!("{}/rest/{}/{}", self.api_base, endpoint.path(), encode(urn));
        self.http
            .json(
                || self.rest(Method::GET, &url, token),
                Replay::Safe,
                &LinkedInClassifier,
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(first: u64, last: u64) -> UploadInstruction {
        UploadInstruction {
            upload_url: format!("u{first}"),
            first_byte: first,
            last_byte: last,
        }
    }

    #[test]
    fn instructions_must_cover_the_file() {
        let ok = check_instructions(vec![part(4, 9), part(0, 3)], 10);
        assert_eq!(
            ok.map(|p| p.iter().map(|p| p.first_byte).collect::<Vec<_>>()),
            Ok(vec![0, 4])
        );
        assert!(check_instructions(vec![part(0, 3)], 10).is_err());
        assert!(check_instructions(vec![part(0, 3), part(5, 9)], 10).is_err());
        assert!(check_instructions(vec![part(0, MAX_PART_BYTES)], MAX_PART_BYTES + 1).is_err());
    }

    #[tokio::test]
    async fn part_reader_takes_exact_ranges_across_chunks() {
        let chunks: Vec<Result<Bytes, ProviderError>> = vec![
            Ok(Bytes::from_static(b"abc")),
            Ok(Bytes::from_static(b"defgh")),
            Ok(Bytes::from_static(b"ij")),
        ];
        let mut reader = PartReader::new(Box::pin(futures_util::stream::iter(chunks)));
        assert_eq!(reader.take(4).await.ok(), Some(Bytes::from_static(b"abcd")));
        assert_eq!(reader.is_exhausted().await.ok(), Some(false));
        assert_eq!(
            reader.take(6).await.ok(),
            Some(Bytes::from_static(b"efghij"))
        );
        assert_eq!(reader.is_exhausted().await.ok(), Some(true));
        assert!(reader.take(1).await.is_err());
    }
}
