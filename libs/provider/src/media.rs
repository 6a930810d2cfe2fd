//! Reading attached media without knowing where it is stored.

use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};

use crate::error::ProviderError;

/// A stream of chunks of a media file.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, ProviderError>> + Send>>;

/// Where a provider reads the bytes of a media file from. The media module implements it over
/// its storage (local folder or S3), so a large video is streamed, never held whole in memory.
#[async_trait]
pub trait MediaSource: Send + Sync {
    /// Size in bytes, when known in advance (needed by chunked upload protocols).
    async fn size(&self) -> Result<u64, ProviderError>;
    /// The file as a stream of chunks.
    async fn stream(&self) -> Result<ByteStream, ProviderError>;

    /// The whole file in memory; meant for images, which are capped in size.
    async fn bytes(&self) -> Result<Bytes, ProviderError> {
        let chunks: Vec<Bytes> = self.stream().await?.try_collect().await?;
        Ok(Bytes::from(chunks.concat()))
    }
}

/// Media held in memory; used for small files and in tests.
pub struct InMemoryMedia(pub Bytes);

#[async_trait]
impl MediaSource for InMemoryMedia {
    async fn size(&self) -> Result<u64, ProviderError> {
        Ok(self.0.len() as u64)
    }

    async fn stream(&self) -> Result<ByteStream, ProviderError> {
        let data = self.0.clone();
        Ok(Box::pin(futures_util::stream::once(
            async move { Ok(data) },
        )))
    }

    async fn bytes(&self) -> Result<Bytes, ProviderError> {
        Ok(self.0.clone())
    }
}

/// Splits a stream into chunks of exactly `chunk_size` bytes (the last one may be shorter), as
/// chunked upload protocols (X media APPEND, LinkedIn multi-part upload) require.
pub fn rechunk(stream: ByteStream, chunk_size: usize) -> ByteStream {
    let chunk_size = chunk_size.max(1);
    let state = (stream, Vec::<u8>::with_capacity(chunk_size), false);
    Box::pin(futures_util::stream::unfold(
        state,
        move |(mut stream, mut buf, mut done)| async move {
            loop {
                if buf.len() >= chunk_size {
                    let rest = buf.split_off(chunk_size);
                    let chunk = Bytes::from(std::mem::replace(&mut buf, rest));
                    return Some((Ok(chunk), (stream, buf, done)));
                }
                if done {
                    if buf.is_empty() {
                        return None;
                    }
                    let chunk = Bytes::from(std::mem::take(&mut buf));
                    return Some((Ok(chunk), (stream, buf, done)));
                }
                match stream.next().await {
                    Some(Ok(bytes)) => buf.extend_from_slice(&bytes),
                    Some(Err(e)) => return Some((Err(e), (stream, Vec::new(), true))),
                    None => done = true,
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rechunk_splits_exactly() {
        let parts: Vec<Result<Bytes, ProviderError>> = vec![
            Ok(Bytes::from_static(b"abc")),
            Ok(Bytes::from_static(b"defgh")),
            Ok(Bytes::from_static(b"ij")),
        ];
        let stream: ByteStream = Box::pin(futures_util::stream::iter(parts));
        let chunks: Vec<Bytes> = rechunk(stream, 4).try_collect().await.unwrap_or_default();
        assert_eq!(
            chunks,
            vec![
                Bytes::from_static(b"abcd"),
                Bytes::from_static(b"efgh"),
                Bytes::from_static(b"ij")
            ]
        );
    }

    #[tokio::test]
    async fn in_memory_media_reports_size_and_bytes() {
        let m = InMemoryMedia(Bytes::from_static(b"12345"));
        assert_eq!(m.size().await.ok(), Some(5));
        assert_eq!(m.bytes().await.ok(), Some(Bytes::from_static(b"12345")));
    }
}
