//! Fetching URLs that users give us without letting them reach our private network (SSRF).
//!
//! Used by every module that fetches a user-given URL: uploads from URL, the media of posts
//! that point at external URLs, outgoing webhooks, feeds. The rules:
//! * only `http` and `https`;
//! * host names are resolved by us, every address is checked, and the connection goes to the
//!   checked addresses: reqwest's resolver is replaced, so there is no second lookup an
//!   attacker's DNS could answer differently (DNS rebinding);
//! * IP literals (which skip resolution) are checked before each request;
//! * refused: loopback, private (RFC 1918), link-local, CGNAT, unique-local IPv6, multicast,
//!   unspecified, broadcast, documentation, benchmarking and reserved ranges, cloud metadata
//!   endpoints, and IPv6 forms embedding a refused IPv4 address (mapped, NAT64, 6to4);
//! * redirects are followed by hand, at most `max_redirects`, each hop checked again;
//! * connect, read and total timeouts; the body is streamed with a size cap, and no content
//!   decoding is done (no decompression bombs).
//!
//! `allow_private` (Postiz `DISABLE_SSRF_PROTECTION=true`) lifts the address checks except
//! for cloud metadata endpoints, which stay refused.

use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use reqwest::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, PROXY_AUTHORIZATION,
};
use reqwest::{Method, StatusCode};
use tokio::time::Instant;
use url::{Host, Url};

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockReason {
    Unspecified,
    Loopback,
    /// RFC 1918 and IPv6 site-local.
    Private,
    /// 100.64.0.0/10, carrier-grade NAT.
    SharedAddressSpace,
    LinkLocal,
    /// fc00::/7.
    UniqueLocal,
    Multicast,
    Broadcast,
    Documentation,
    Benchmarking,
    /// Cloud instance metadata (169.254.169.254, fd00:ec2::254, ...).
    CloudMetadata,
    /// Any other special-purpose or unallocated range.
    Reserved,
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlockReason::Unspecified => "an unspecified address",
            BlockReason::Loopback => "a loopback address",
            BlockReason::Private => "a private network address",
            BlockReason::SharedAddressSpace => "a carrier-grade NAT address",
            BlockReason::LinkLocal => "a link-local address",
            BlockReason::UniqueLocal => "a unique-local IPv6 address",
            BlockReason::Multicast => "a multicast address",
            BlockReason::Broadcast => "the broadcast address",
            BlockReason::Documentation => "a documentation address",
            BlockReason::Benchmarking => "a benchmarking address",
            BlockReason::CloudMetadata => "a cloud metadata endpoint",
            BlockReason::Reserved => "a reserved address",
        })
    }
}

/// Classifies an address: `None` when it is a public unicast address.
pub fn classify_ip(ip: IpAddr) -> Option<BlockReason> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<BlockReason> {
    let [a, b, c, _] = ip.octets();
    let reason = match (a, b, c) {
        _ if is_metadata_v4(ip) => BlockReason::CloudMetadata,
        (0, _, _) => BlockReason::Unspecified,
        (10, _, _) => BlockReason::Private,
        (100, 64..=127, _) => BlockReason::SharedAddressSpace,
        (127, _, _) => BlockReason::Loopback,
        (169, 254, _) => BlockReason::LinkLocal,
        (172, 16..=31, _) => BlockReason::Private,
        (192, 0, 0) => BlockReason::Reserved,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => BlockReason::Documentation,
        (192, 88, 99) => BlockReason::Reserved,
        (192, 168, _) => BlockReason::Private,
        (198, 18..=19, _) => BlockReason::Benchmarking,
        (224..=239, _, _) => BlockReason::Multicast,
        (255, 255, 255) if ip == Ipv4Addr::BROADCAST => BlockReason::Broadcast,
        (240..=255, _, _) => BlockReason::Reserved,
        _ => return None,
    };
    Some(reason)
}

fn is_metadata_v4(ip: Ipv4Addr) -> bool {
    // AWS/GCP/Azure/OpenStack, AWS ECS task metadata, Alibaba Cloud.
    [
        Ipv4Addr::new(169, 254, 169, 254),
        Ipv4Addr::new(169, 254, 170, 2),
        Ipv4Addr::new(100, 100, 100, 200),
    ]
    .contains(&ip)
}

fn classify_v6(ip: Ipv6Addr) -> Option<BlockReason> {
    let s = ip.segments();
    if ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) {
        return Some(BlockReason::CloudMetadata);
    }
    if ip.is_unspecified() {
        return Some(BlockReason::Unspecified);
    }
    if ip.is_loopback() {
        return Some(BlockReason::Loopback);
    }
    // ::ffff:a.b.c.d (IPv4-mapped): judged as the IPv4 address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    // 64:ff9b::/96 (NAT64): judged as the embedded IPv4 address.
    if s[0..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(embedded_v4(s[6], s[7]));
    }
    // 2002::/16 (6to4): the IPv4 address is in bits 16..48.
    if s[0] == 0x2002 {
        return classify_v4(embedded_v4(s[1], s[2]));
    }
    if s[0] == 0x2001 && s[1] == 0x0db8 {
        return Some(BlockReason::Documentation);
    }
    // 2001::/23: IETF protocol assignments, Teredo (2001::/32) among them.
    if s[0] == 0x2001 && s[1] < 0x0200 {
        return Some(BlockReason::Reserved);
    }
    let reason = match s[0] {
        0xfc00..=0xfdff => BlockReason::UniqueLocal,
        0xfe80..=0xfebf => BlockReason::LinkLocal,
        0xfec0..=0xfeff => BlockReason::Private,
        0xff00..=0xffff => BlockReason::Multicast,
        // Only 2000::/3 is allocated global unicast; everything else (IPv4-compatible,
        // discard-only 100::/64, local NAT64 64:ff9b:1::/48, ...) is special-purpose.
        0x2000..=0x3fff => return None,
        _ => BlockReason::Reserved,
    };
    Some(reason)
}

fn embedded_v4(hi: u16, lo: u16) -> Ipv4Addr {
    let [a, b] = hi.to_be_bytes();
    let [c, d] = lo.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

/// Which addresses may be reached.
#[derive(Debug, Clone, Default)]
pub struct SsrfPolicy {
    /// Allow private and other special addresses (not cloud metadata endpoints).
    pub allow_private: bool,
    /// Addresses allowed even though they are not public (an operator's internal host, tests).
    pub allowed_ips: Vec<IpAddr>,
}

impl SsrfPolicy {
    /// The policy the settings ask for: `DISABLE_SSRF_PROTECTION=true`
    /// (`media.disable_ssrf_protection`) lets fetches reach private networks.
    pub fn from_settings(settings: &crate::Settings) -> Self {
        Self {
            allow_private: settings.media.disable_ssrf_protection,
            allowed_ips: Vec::new(),
        }
    }

    /// Checks one address.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), BlockReason> {
        let ip = canonical(ip);
        match classify_ip(ip) {
            None => Ok(()),
            Some(_) if self.allowed_ips.iter().any(|a| canonical(*a) == ip) => Ok(()),
            Some(BlockReason::CloudMetadata) => Err(BlockReason::CloudMetadata),
            Some(_) if self.allow_private => Ok(()),
            Some(reason) => Err(reason),
        }
    }

    /// Checks a URL before a request: scheme, and the host when it is an IP literal or a
    /// `localhost` name. Other names are checked when they are resolved.
    pub fn check_url(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::UnsupportedScheme(url.scheme().to_string()));
        }
        let host = url
            .host()
            .ok_or_else(|| FetchError::InvalidUrl("the URL has no host".into()))?;
        let (name, ip) = match host {
            Host::Ipv4(v4) => (v4.to_string(), Some(IpAddr::V4(v4))),
            Host::Ipv6(v6) => (v6.to_string(), Some(IpAddr::V6(v6))),
            Host::Domain(d) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                if (d == "localhost" || d.ends_with(".localhost")) && !self.allow_private {
                    return Err(FetchError::Blocked {
                        host: d,
                        ip: None,
                        reason: BlockReason::Loopback,
                    });
                }
                (d, None)
            }
        };
        if let Some(ip) = ip {
            self.check_ip(ip).map_err(|reason| FetchError::Blocked {
                host: name,
                ip: Some(ip),
                reason,
            })?;
        }
        Ok(())
    }
}

/// `::ffff:a.b.c.d` compares equal to `a.b.c.d`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Resolves host names; injectable so tests can map names to any address.
#[async_trait]
pub trait HostResolver: Send + Sync + 'static {
    async fn resolve(&self, host: &str) -> std::io::Result<Vec<IpAddr>>;
}

/// The operating system's resolver.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

#[async_trait]
impl HostResolver for SystemResolver {
    async fn resolve(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        let addrs = tokio::net::lookup_host((host, 0)).await?;
        Ok(addrs.map(|a| a.ip()).collect())
    }
}

/// The error the resolver hands reqwest when an address is refused; found again in the
/// error's source chain to report [`FetchError::Blocked`].
#[derive(Debug)]
struct BlockedAddress {
    host: String,
    ip: IpAddr,
    reason: BlockReason,
}

impl fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} resolves to {} ({})", self.host, self.ip, self.reason)
    }
}

impl StdError for BlockedAddress {}

#[derive(Debug)]
struct ResolveFailed {
    host: String,
    message: String,
}

impl fmt::Display for ResolveFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot resolve {}: {}", self.host, self.message)
    }
}

impl StdError for ResolveFailed {}

/// reqwest's resolver: resolves once, refuses the name if any address is refused, and hands
/// the checked addresses to the connector.
struct GuardedResolver {
    inner: Arc<dyn HostResolver>,
    policy: SsrfPolicy,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let inner = Arc::clone(&self.inner);
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let ips = inner.resolve(&host).await.map_err(|e| {
                Box::new(ResolveFailed {
                    host: host.clone(),
                    message: e.to_string(),
                }) as Box<dyn StdError + Send + Sync>
            })?;
            if ips.is_empty() {
                return Err(Box::new(ResolveFailed {
                    host,
                    message: "no addresses".into(),
                }) as Box<dyn StdError + Send + Sync>);
            }
            for ip in &ips {
                if let Err(reason) = policy.check_ip(*ip) {
                    return Err(Box::new(BlockedAddress {
                        host: host.clone(),
                        ip: *ip,
                        reason,
                    }) as Box<dyn StdError + Send + Sync>);
                }
            }
            let addrs: reqwest::dns::Addrs =
                Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// Why a fetch failed. Messages are safe to show to the user.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    #[error("only http and https URLs are allowed, not {0}")]
    UnsupportedScheme(String),
    #[error("{} is not allowed: it points to {reason}", display_target(host, ip))]
    Blocked {
        host: String,
        ip: Option<IpAddr>,
        reason: BlockReason,
    },
    #[error("cannot resolve {host}")]
    Resolve { host: String },
    #[error("too many redirects (more than {0})")]
    TooManyRedirects(usize),
    #[error("invalid redirect: {0}")]
    BadRedirect(String),
    #[error("the server answered {0}")]
    Status(StatusCode),
    #[error("the download timed out")]
    Timeout,
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("connection failed")]
    Connect(#[source] reqwest::Error),
    #[error("the download failed")]
    Transfer(#[source] reqwest::Error),
    #[error("HTTP client error: {0}")]
    Client(String),
}

fn display_target(host: &str, ip: &Option<IpAddr>) -> String {
    match ip {
        Some(ip) if ip.to_string() != host => format!("{host} ({ip})"),
        _ => host.to_string(),
    }
}

impl FetchError {
    fn from_reqwest(e: reqwest::Error) -> Self {
        let mut source: Option<&(dyn StdError + 'static)> = Some(&e);
        while let Some(err) = source {
            if let Some(b) = err.downcast_ref::<BlockedAddress>() {
                return FetchError::Blocked {
                    host: b.host.clone(),
                    ip: Some(b.ip),
                    reason: b.reason,
                };
            }
            if let Some(r) = err.downcast_ref::<ResolveFailed>() {
                return FetchError::Resolve {
                    host: r.host.clone(),
                };
            }
            source = err.source();
        }
        if e.is_timeout() {
            FetchError::Timeout
        } else if e.is_connect() {
            FetchError::Connect(e)
        } else {
            FetchError::Transfer(e)
        }
    }

    /// Whether the address policy refused the request.
    pub fn is_blocked(&self) -> bool {
        matches!(self, FetchError::Blocked { .. })
    }
}

/// Limits and policy of a [`SafeFetcher`].
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub policy: SsrfPolicy,
    pub connect_timeout: Duration,
    /// Longest silence while waiting for the answer or its body.
    pub read_timeout: Duration,
    /// Longest whole exchange, redirects and body included.
    pub total_timeout: Duration,
    pub max_redirects: usize,
    /// Largest body read, unless a request sets its own.
    pub max_bytes: u64,
    pub user_agent: String,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            policy: SsrfPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(120),
            max_redirects: 5,
            max_bytes: 10 * 1024 * 1024,
            user_agent: "Postiz (+https://postiz.com)".into(),
        }
    }
}

/// One request.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    pub method: Method,
    pub url: String,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
    pub follow_redirects: bool,
    /// Overrides [`FetchConfig::max_bytes`].
    pub max_bytes: Option<u64>,
}

impl FetchRequest {
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            url: url.into(),
            headers: HeaderMap::new(),
            body: None,
            follow_redirects: true,
            max_bytes: None,
        }
    }

    /// A POST that does not follow redirects (webhooks).
    pub fn post(url: impl Into<String>, body: Bytes) -> Self {
        Self {
            method: Method::POST,
            url: url.into(),
            headers: HeaderMap::new(),
            body: Some(body),
            follow_redirects: false,
            max_bytes: None,
        }
    }

    pub fn with_max_bytes(mut self, max: u64) -> Self {
        self.max_bytes = Some(max);
        self
    }
}

/// An HTTP client that only reaches addresses the policy allows.
#[derive(Clone)]
pub struct SafeFetcher {
    client: reqwest::Client,
    config: Arc<FetchConfig>,
}

impl fmt::Debug for SafeFetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SafeFetcher")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SafeFetcher {
    /// With the operating system's resolver.
    pub fn new(config: FetchConfig) -> Result<Self, FetchError> {
        Self::with_resolver(config, Arc::new(SystemResolver))
    }

    pub fn with_resolver(
        config: FetchConfig,
        resolver: Arc<dyn HostResolver>,
    ) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            // A proxy would resolve names itself, out of our control.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(GuardedResolver {
                inner: resolver,
                policy: config.policy.clone(),
            })
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Self {
            client,
            config: Arc::new(config),
        })
    }

    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// GET, following redirects.
    pub async fn get(&self, url: &str) -> Result<FetchResponse, FetchError> {
        self.send(FetchRequest::get(url)).await
    }

    /// Sends a request. Any status is returned (check [`FetchResponse::status`] or use
    /// [`FetchResponse::error_for_status`]); a body announced larger than the limit is refused.
    pub async fn send(&self, request: FetchRequest) -> Result<FetchResponse, FetchError> {
        let deadline = Instant::now() + self.config.total_timeout;
        let max_bytes = request.max_bytes.unwrap_or(self.config.max_bytes);
        let mut url =
            Url::parse(request.url.trim()).map_err(|e| FetchError::InvalidUrl(e.to_string()))?;
        let mut method = request.method;
        let mut headers = request.headers;
        let mut body = request.body;
        let mut redirects = 0usize;
        loop {
            self.config.policy.check_url(&url)?;
            let mut builder = self
                .client
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            if let Some(b) = &body {
                builder = builder.body(b.clone());
            }
            let response = tokio::time::timeout_at(deadline, builder.send())
                .await
                .map_err(|_| FetchError::Timeout)?
                .map_err(FetchError::from_reqwest)?;
            let status = response.status();
            if request.follow_redirects
                && status.is_redirection()
                && let Some(location) = response.headers().get(LOCATION)
            {
                if redirects >= self.config.max_redirects {
                    return Err(FetchError::TooManyRedirects(self.config.max_redirects));
                }
                let location = location
                    .to_str()
                    .map_err(|_| FetchError::BadRedirect("unreadable Location".into()))?;
                let next = url
                    .join(location)
                    .map_err(|e| FetchError::BadRedirect(e.to_string()))?;
                let to_get = status == StatusCode::SEE_OTHER
                    || (matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND)
                        && method == Method::POST);
                if to_get {
                    method = Method::GET;
                    body = None;
                    headers.remove(CONTENT_TYPE);
                    headers.remove(CONTENT_LENGTH);
                }
                if next.origin() != url.origin() {
                    headers.remove(AUTHORIZATION);
                    headers.remove(COOKIE);
                    headers.remove(PROXY_AUTHORIZATION);
                }
                tracing::debug!(from = %url, to = %next, "following a redirect");
                url = next;
                redirects += 1;
                continue;
            }
            if status.is_success()
                && let Some(len) = response.content_length()
                && len > max_bytes
            {
                return Err(FetchError::TooLarge { limit: max_bytes });
            }
            return Ok(FetchResponse {
                url,
                status,
                headers: response.headers().clone(),
                redirects,
                response,
                max_bytes,
                deadline,
            });
        }
    }
}

/// An answer whose body has not been read yet.
pub struct FetchResponse {
    /// The URL that answered (after redirects).
    pub url: Url,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub redirects: usize,
    response: reqwest::Response,
    max_bytes: u64,
    deadline: Instant,
}

impl fmt::Debug for FetchResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchResponse")
            .field("url", &self.url.as_str())
            .field("status", &self.status)
            .field("redirects", &self.redirects)
            .finish_non_exhaustive()
    }
}

impl FetchResponse {
    /// The announced body size.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }

    /// Fails with [`FetchError::Status`] unless the status is 2xx.
    pub fn error_for_status(self) -> Result<Self, FetchError> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(FetchError::Status(self.status))
        }
    }

    /// The body as a stream that fails once it passes the size limit or the deadline.
    pub fn into_stream(self) -> BoxStream<'static, Result<Bytes, FetchError>> {
        let limit = self.max_bytes;
        let deadline = self.deadline;
        let body = self.response.bytes_stream().boxed();
        futures_util::stream::unfold(
            (body, 0u64, false),
            move |(mut body, seen, done)| async move {
                if done {
                    return None;
                }
                match tokio::time::timeout_at(deadline, body.next()).await {
                    Err(_) => Some((Err(FetchError::Timeout), (body, seen, true))),
                    Ok(None) => None,
                    Ok(Some(Err(e))) => {
                        Some((Err(FetchError::from_reqwest(e)), (body, seen, true)))
                    }
                    Ok(Some(Ok(chunk))) => {
                        let seen = seen.saturating_add(chunk.len() as u64);
                        if seen > limit {
                            Some((Err(FetchError::TooLarge { limit }), (body, seen, true)))
                        } else {
                            Some((Ok(chunk), (body, seen, false)))
                        }
                    }
                }
            },
        )
        .boxed()
    }

    /// The whole body in memory (within the size limit).
    pub async fn bytes(self) -> Result<Bytes, FetchError> {
        let mut out = Vec::new();
        let mut stream = self.into_stream();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(Bytes::from(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn ip_classification_table() {
        let blocked = [
            ("127.0.0.1", BlockReason::Loopback),
            ("127.255.255.254", BlockReason::Loopback),
            ("10.0.0.1", BlockReason::Private),
            ("10.255.255.255", BlockReason::Private),
            ("172.16.0.1", BlockReason::Private),
            ("172.31.255.255", BlockReason::Private),
            ("192.168.1.1", BlockReason::Private),
            ("100.64.0.1", BlockReason::SharedAddressSpace),
            ("100.127.255.255", BlockReason::SharedAddressSpace),
            ("169.254.169.254", BlockReason::CloudMetadata),
            ("169.254.170.2", BlockReason::CloudMetadata),
            ("100.100.100.200", BlockReason::CloudMetadata),
            ("169.254.1.1", BlockReason::LinkLocal),
            ("0.0.0.0", BlockReason::Unspecified),
            ("0.1.2.3", BlockReason::Unspecified),
            ("224.0.0.1", BlockReason::Multicast),
            ("239.255.255.250", BlockReason::Multicast),
            ("255.255.255.255", BlockReason::Broadcast),
            ("240.0.0.1", BlockReason::Reserved),
            ("192.0.0.8", BlockReason::Reserved),
            ("192.0.2.1", BlockReason::Documentation),
            ("198.51.100.7", BlockReason::Documentation),
            ("203.0.113.9", BlockReason::Documentation),
            ("198.18.0.1", BlockReason::Benchmarking),
            ("::", BlockReason::Unspecified),
            ("::1", BlockReason::Loopback),
            ("fe80::1", BlockReason::LinkLocal),
            ("fc00::1", BlockReason::UniqueLocal),
            ("fd12:3456::1", BlockReason::UniqueLocal),
            ("fd00:ec2::254", BlockReason::CloudMetadata),
            ("ff02::1", BlockReason::Multicast),
            ("fec0::1", BlockReason::Private),
            ("::ffff:127.0.0.1", BlockReason::Loopback),
            ("::ffff:10.1.2.3", BlockReason::Private),
            ("::ffff:169.254.169.254", BlockReason::CloudMetadata),
            ("64:ff9b::a9fe:a9fe", BlockReason::CloudMetadata),
            ("64:ff9b::7f00:1", BlockReason::Loopback),
            ("2002:7f00:1::1", BlockReason::Loopback),
            ("2002:c0a8:0101::1", BlockReason::Private),
            ("2001:db8::1", BlockReason::Documentation),
            ("2001:0:4136:e378::1", BlockReason::Reserved),
            ("::7f00:1", BlockReason::Reserved),
            ("100::1", BlockReason::Reserved),
        ];
        for (addr, reason) in blocked {
            assert_eq!(classify_ip(ip(addr)), Some(reason), "{addr}");
        }
        let public = [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.1.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ];
        for addr in public {
            assert_eq!(classify_ip(ip(addr)), None, "{addr}");
        }
    }

    #[test]
    fn policy_switches() {
        let strict = SsrfPolicy::default();
        assert!(strict.check_ip(ip("10.0.0.1")).is_err());
        let open = SsrfPolicy {
            allow_private: true,
            allowed_ips: vec![],
        };
        assert!(open.check_ip(ip("10.0.0.1")).is_ok());
        assert!(open.check_ip(ip("127.0.0.1")).is_ok());
        // Metadata endpoints stay closed even then.
        assert_eq!(
            open.check_ip(ip("169.254.169.254")),
            Err(BlockReason::CloudMetadata)
        );
        let listed = SsrfPolicy {
            allow_private: false,
            allowed_ips: vec![ip("127.0.0.1")],
        };
        assert!(listed.check_ip(ip("127.0.0.1")).is_ok());
        assert!(listed.check_ip(ip("::ffff:127.0.0.1")).is_ok());
        assert!(listed.check_ip(ip("127.0.0.2")).is_err());
    }

    #[test]
    fn url_checks() {
        let p = SsrfPolicy::default();
        let check = |u: &str| {
            Url::parse(u)
                .map_err(|e| e.to_string())
                .map(|u| p.check_url(&u))
        };
        let blocked = |u: &str| matches!(check(u), Ok(Err(FetchError::Blocked { .. })));
        assert!(blocked("http://127.0.0.1/x"));
        assert!(blocked("http://10.1.2.3/x"));
        assert!(blocked("http://169.254.169.254/latest/meta-data/"));
        assert!(blocked("http://[::1]:8080/"));
        assert!(blocked("http://[::ffff:127.0.0.1]/"));
        assert!(blocked("http://localhost:3000/"));
        assert!(blocked("http://LOCALHOST./"));
        assert!(blocked("http://api.localhost/"));
        // Numeric host forms are normalised by the URL parser.
        assert!(blocked("http://2130706433/"));
        assert!(blocked("http://0x7f.1/"));
        assert!(blocked("http://017700000001/"));
        assert!(matches!(
            check("ftp://example.com/a.png"),
            Ok(Err(FetchError::UnsupportedScheme(_)))
        ));
        assert!(matches!(
            check("file:///etc/passwd"),
            Ok(Err(FetchError::UnsupportedScheme(_)))
        ));
        assert!(matches!(check("https://example.com/a.png"), Ok(Ok(()))));
        assert!(matches!(check("http://8.8.8.8/"), Ok(Ok(()))));
    }

    /// Maps names to addresses and counts lookups.
    #[derive(Default)]
    struct FakeResolver {
        map: HashMap<String, Vec<IpAddr>>,
        lookups: AtomicUsize,
    }

    impl FakeResolver {
        fn with(entries: &[(&str, &[&str])]) -> Arc<Self> {
            let map = entries
                .iter()
                .map(|(h, ips)| ((*h).to_string(), ips.iter().map(|s| ip(s)).collect()))
                .collect();
            Arc::new(Self {
                map,
                lookups: AtomicUsize::new(0),
            })
        }
    }

    #[async_trait]
    impl HostResolver for FakeResolver {
        async fn resolve(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
            self.lookups.fetch_add(1, Ordering::SeqCst);
            self.map
                .get(host)
                .cloned()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "NXDOMAIN"))
        }
    }

    fn config(policy: SsrfPolicy) -> FetchConfig {
        FetchConfig {
            policy,
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
            ..FetchConfig::default()
        }
    }

    /// Wiremock listens on 127.0.0.1; the policy treats that one address as public.
    fn wiremock_is_public() -> SsrfPolicy {
        SsrfPolicy {
            allow_private: false,
            allowed_ips: vec![ip("127.0.0.1")],
        }
    }

    fn fetcher(policy: SsrfPolicy, resolver: Arc<dyn HostResolver>) -> SafeFetcher {
        SafeFetcher::with_resolver(config(policy), resolver)
            .unwrap_or_else(|e| panic!("client: {e}"))
    }

    async fn received(server: &MockServer) -> Vec<String> {
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| r.url.path().to_string())
            .collect()
    }

    #[tokio::test]
    async fn refuses_private_literals_without_sending_anything() {
        let server = MockServer::start().await;
        let f = fetcher(SsrfPolicy::default(), Arc::new(SystemResolver));
        let port = server.address().port();
        for url in [
            format!("http://127.0.0.1:{port}/a.png"),
            format!("http://[::1]:{port}/a.png"),
            format!("http://localhost:{port}/a.png"),
            "http://10.0.0.1/a.png".to_string(),
            "http://169.254.169.254/latest/meta-data/".to_string(),
        ] {
            let err = f.get(&url).await.err();
            assert!(
                matches!(err, Some(FetchError::Blocked { .. })),
                "{url}: {err:?}"
            );
        }
        assert!(received(&server).await.is_empty());
    }

    #[tokio::test]
    async fn refuses_names_resolving_to_private_addresses() {
        let server = MockServer::start().await;
        let port = server.address().port();
        let resolver = FakeResolver::with(&[
            ("loopback.test", &["127.0.0.1"]),
            ("mixed.test", &["93.184.216.34", "10.0.0.7"]),
            ("metadata.test", &["169.254.169.254"]),
        ]);
        let f = fetcher(SsrfPolicy::default(), resolver.clone());
        for host in ["loopback.test", "mixed.test", "metadata.test"] {
            let err = f.get(&format!("http://{host}:{port}/a.png")).await.err();
            match err {
                Some(FetchError::Blocked { host: h, ip, .. }) => {
                    assert_eq!(h, host);
                    assert!(ip.is_some());
                }
                other => panic!("{host}: {other:?}"),
            }
        }
        assert!(resolver.lookups.load(Ordering::SeqCst) >= 3);
        let err = f.get("http://nowhere.test/a.png").await.err();
        assert!(matches!(err, Some(FetchError::Resolve { .. })), "{err:?}");
        assert!(received(&server).await.is_empty());
    }

    #[tokio::test]
    async fn connects_to_the_vetted_address() {
        // "public.test" exists only in the fake resolver: reaching the server proves the
        // connection used the address we checked, not a second lookup.
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/a.png"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(b"hello".to_vec()))
            .expect(1)
            .mount(&server)
            .await;
        let resolver = FakeResolver::with(&[("public.test", &["127.0.0.1"])]);
        let f = fetcher(wiremock_is_public(), resolver.clone());
        let port = server.address().port();
        let resp = f
            .get(&format!("http://public.test:{port}/a.png"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.status, StatusCode::OK);
        let body = resp.bytes().await.unwrap_or_default();
        assert_eq!(&body[..], b"hello");
        assert_eq!(resolver.lookups.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn redirects_to_private_addresses_are_refused() {
        let server = MockServer::start().await;
        let port = server.address().port();
        let targets = [
            (
                "/to-metadata",
                "http://169.254.169.254/latest/meta-data/".to_string(),
            ),
            (
                "/to-internal",
                format!("http://internal.test:{port}/secret"),
            ),
            ("/to-loopback6", format!("http://[::1]:{port}/secret")),
            ("/to-localhost", format!("http://localhost:{port}/secret")),
            ("/to-file", "file:///etc/passwd".to_string()),
        ];
        for (from, to) in &targets {
            Mock::given(method("GET"))
                .and(path(*from))
                .respond_with(ResponseTemplate::new(302).insert_header("Location", to.as_str()))
                .mount(&server)
                .await;
        }
        Mock::given(method("GET"))
            .and(path("/secret"))
            .respond_with(ResponseTemplate::new(200).set_body_string("secret"))
            .expect(0)
            .mount(&server)
            .await;
        let resolver = FakeResolver::with(&[
            ("public.test", &["127.0.0.1"]),
            ("internal.test", &["10.0.0.5"]),
        ]);
        let f = fetcher(wiremock_is_public(), resolver);
        for (from, _) in &targets {
            let err = f
                .get(&format!("http://public.test:{port}{from}"))
                .await
                .err();
            let expected = if *from == "/to-file" {
                matches!(err, Some(FetchError::UnsupportedScheme(_)))
            } else {
                matches!(err, Some(FetchError::Blocked { .. }))
            };
            assert!(expected, "{from}: {err:?}");
        }
        let hits = received(&server).await;
        assert!(!hits.iter().any(|p| p == "/secret"), "{hits:?}");
        assert_eq!(hits.len(), targets.len());
    }

    #[tokio::test]
    async fn redirects_are_followed_up_to_the_limit() {
        let server = MockServer::start().await;
        for i in 0..7 {
            Mock::given(method("GET"))
                .and(path(format!("/r{i}")))
                .respond_with(
                    ResponseTemplate::new(301).insert_header("Location", format!("/r{}", i + 1)),
                )
                .mount(&server)
                .await;
        }
        Mock::given(method("GET"))
            .and(path("/r7"))
            .respond_with(ResponseTemplate::new(200).set_body_string("end"))
            .mount(&server)
            .await;
        let f = fetcher(wiremock_is_public(), Arc::new(SystemResolver));
        let base = server.uri();
        // r2 -> ... -> r7 is five redirects: allowed.
        let resp = f
            .get(&format!("{base}/r2"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.redirects, 5);
        assert_eq!(resp.url.path(), "/r7");
        // r1 -> ... -> r7 is six: refused after the fifth.
        let err = f.get(&format!("{base}/r1")).await.err();
        assert!(
            matches!(err, Some(FetchError::TooManyRedirects(5))),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn size_cap_applies_to_declared_and_streamed_bodies() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/big"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![7u8; 4096]))
            .mount(&server)
            .await;
        let open = SsrfPolicy {
            allow_private: true,
            allowed_ips: vec![],
        };
        let f = fetcher(open, Arc::new(SystemResolver));
        let url = format!("{}/big", server.uri());
        let err = f
            .send(FetchRequest::get(url.clone()).with_max_bytes(1000))
            .await
            .err();
        assert!(
            matches!(err, Some(FetchError::TooLarge { limit: 1000 })),
            "{err:?}"
        );
        let ok = f
            .send(FetchRequest::get(url).with_max_bytes(4096))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.bytes().await.map(|b| b.len()).ok(), Some(4096));
    }

    #[tokio::test]
    async fn streamed_cap_without_content_length() {
        // A chunked body has no Content-Length: the cap must trip while streaming.
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(async move {
            if let Ok((mut sock, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .await;
                for _ in 0..64 {
                    let _ = sock.write_all(b"400\r\n").await;
                    let _ = sock.write_all(&[1u8; 1024]).await;
                    let _ = sock.write_all(b"\r\n").await;
                }
                let _ = sock.write_all(b"0\r\n\r\n").await;
            }
        });
        let f = fetcher(wiremock_is_public(), Arc::new(SystemResolver));
        let resp = f
            .send(FetchRequest::get(format!("http://{addr}/stream")).with_max_bytes(10_000))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.content_length(), None);
        let err = resp.bytes().await.err();
        assert!(
            matches!(err, Some(FetchError::TooLarge { limit: 10_000 })),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn fetches_from_a_local_server_when_private_is_allowed() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/image.png"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("Content-Type", "image/png")
                    .set_body_bytes(b"\x89PNG\r\n\x1a\nrest".to_vec()),
            )
            .expect(1)
            .mount(&server)
            .await;
        let open = SsrfPolicy {
            allow_private: true,
            allowed_ips: vec![],
        };
        let f = fetcher(open, Arc::new(SystemResolver));
        let resp = f
            .get(&format!("{}/image.png", server.uri()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.content_type(), Some("image/png"));
        let body = resp.bytes().await.unwrap_or_default();
        assert!(body.starts_with(b"\x89PNG"));
    }

    #[tokio::test]
    async fn times_out_on_a_silent_server() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
            .mount(&server)
            .await;
        let cfg = FetchConfig {
            policy: wiremock_is_public(),
            connect_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_millis(300),
            total_timeout: Duration::from_millis(600),
            ..FetchConfig::default()
        };
        let f = SafeFetcher::with_resolver(cfg, Arc::new(SystemResolver))
            .unwrap_or_else(|e| panic!("{e}"));
        let started = std::time::Instant::now();
        let err = f.get(&format!("{}/slow", server.uri())).await.err();
        assert!(matches!(err, Some(FetchError::Timeout)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
