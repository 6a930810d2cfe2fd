//! Media that lives at an external URL (posts made through the public API may point at files
//! anywhere): read through the SSRF-safe fetcher, streamed, never held whole.

use async_trait::async_trait;
use futures_util::StreamExt;
use postiz_core::ssrf::{FetchError, FetchRequest, SafeFetcher};
use postiz_provider::{ByteStream, MediaSource, ProviderError};

/// A file at an http(s) URL. Every read fetches it again: the address is resolved and checked
/// each time (a name that later points somewhere private is refused), and the body stops at
/// `max_bytes`.
#[derive(Debug, Clone)]
pub struct RemoteMedia {
    fetcher: SafeFetcher,
    url: String,
    max_bytes: u64,
    /// The length the server announced when the media was resolved.
    size: Option<u64>,
}

impl RemoteMedia {
    pub fn new(fetcher: SafeFetcher, url: String, max_bytes: u64, size: Option<u64>) -> Self {
        Self {
            fetcher,
            url,
            max_bytes,
            size,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

#[async_trait]
impl MediaSource for RemoteMedia {
    async fn size(&self) -> Result<u64, ProviderError> {
        if let Some(size) = self.size {
            return Ok(size);
        }
        // The server sent no length: count a download (nothing is kept).
        let mut stream = self.stream().await?;
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            size = size.saturating_add(chunk?.len() as u64);
        }
        Ok(size)
    }

    async fn stream(&self) -> Result<ByteStream, ProviderError> {
        let url = self.url.clone();
        let response = self
            .fetcher
            .send(FetchRequest::get(self.url.as_str()).with_max_bytes(self.max_bytes))
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| fetch_provider_error(&url, e))?;
        Ok(Box::pin(response.into_stream().map(move |r| {
            r.map_err(|e| fetch_provider_error(&url, e))
        })))
    }
}

/// A failed fetch of a post's media, as the publisher classifies it: a refused, missing or
/// oversize file is final (`Rejected`, with a message for the user); a server that cannot be
/// reached or fails is `Transient` (retried later).
pub fn fetch_provider_error(url: &str, e: FetchError) -> ProviderError {
    let url = if url.is_empty() { "file" } else { url };
    match e {
        FetchError::Timeout
        | FetchError::Connect(_)
        | FetchError::Transfer(_)
        | FetchError::Resolve { .. } => {
            ProviderError::Transient(format!("fetching the media {url} failed: {e}"))
        }
        FetchError::Status(status) if status.is_server_error() || status.as_u16() == 429 => {
            ProviderError::Transient(format!("fetching the media {url} failed: {e}"))
        }
        FetchError::Client(m) => ProviderError::Transient(format!("HTTP client: {m}")),
        other => ProviderError::Rejected(format!("The media {url} cannot be used: {other}")),
    }
}
