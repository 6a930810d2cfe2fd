//! The check a webhook URL passes when it is saved or test-sent: `http` or `https`, a host,
//! and every address the host resolves to allowed by the SSRF policy (Postiz
//! `IsSafeWebhookUrl`). Deliveries are checked again by the SSRF-safe fetcher, which pins the
//! addresses it checked and checks each redirect.

use std::net::IpAddr;
use std::sync::Arc;

use postiz_core::ssrf::{FetchError, HostResolver, SsrfPolicy};
use url::{Host, Url};

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

#[derive(Clone)]
pub struct UrlGuard {
    policy: SsrfPolicy,
    resolver: Arc<dyn HostResolver>,
}

impl UrlGuard {
    pub fn new(policy: SsrfPolicy, resolver: Arc<dyn HostResolver>) -> Self {
        Self { policy, resolver }
    }

    /// The parsed URL, or why it is refused (a message for the user).
    pub async fn check(&self, raw: &str) -> Result<Url, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("the URL is empty".into());
        }
        if raw.len() > MAX_URL_LEN {
            return Err(format!("the URL is longer than {MAX_URL_LEN} characters"));
        }
        let url = Url::parse(raw).map_err(|e| format!("the URL is not valid ({e})"))?;
        self.policy.check_url(&url).map_err(|e| e.to_string())?;
        if let Some(Host::Domain(name)) = url.host() {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            let ips = self
                .resolver
                .resolve(&name)
                .await
                .map_err(|_| FetchError::Resolve { host: name.clone() }.to_string())?;
            if ips.is_empty() {
                return Err(FetchError::Resolve { host: name }.to_string());
            }
            for ip in ips {
                self.check_ip(&name, ip)?;
            }
        }
        Ok(url)
    }

    fn check_ip(&self, host: &str, ip: IpAddr) -> Result<(), String> {
        self.policy.check_ip(ip).map_err(|reason| {
            FetchError::Blocked {
                host: host.to_string(),
                ip: Some(ip),
                reason,
            }
            .to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Fake(HashMap<&'static str, Vec<IpAddr>>);

    #[async_trait::async_trait]
    impl HostResolver for Fake {
        async fn resolve(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
            self.0
                .get(host)
                .cloned()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "NXDOMAIN"))
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    fn guard(allow_private: bool) -> UrlGuard {
        let mut map = HashMap::new();
        map.insert("public.test", vec![ip("93.184.216.34")]);
        map.insert("internal.test", vec![ip("10.1.2.3")]);
        map.insert("mixed.test", vec![ip("93.184.216.34"), ip("192.168.0.9")]);
        map.insert("metadata.test", vec![ip("169.254.169.254")]);
        UrlGuard::new(
            SsrfPolicy {
                allow_private,
                allowed_ips: Vec::new(),
            },
            Arc::new(Fake(map)),
        )
    }

    #[tokio::test]
    async fn refuses_private_and_odd_urls() {
        let g = guard(false);
        for url in [
            "",
            "not a url",
            "ftp://public.test/x",
            "file:///etc/passwd",
            "http://127.0.0.1/hook",
            "http://localhost:8080/hook",
            "http://[::1]/hook",
            "http://10.0.0.1/hook",
            "http://192.168.1.20/hook",
            "http://169.254.169.254/latest/meta-data",
            "https://internal.test/hook",
            "https://mixed.test/hook",
            "https://metadata.test/hook",
            "https://nowhere.test/hook",
        ] {
            assert!(g.check(url).await.is_err(), "{url} accepted");
        }
        assert!(g.check("https://public.test/hook").await.is_ok());
        assert!(g.check("http://public.test:8080/hook?a=1").await.is_ok());
        assert!(g.check("http://93.184.216.34/hook").await.is_ok());
    }

    #[tokio::test]
    async fn private_allowed_but_never_metadata() {
        let g = guard(true);
        assert!(g.check("http://127.0.0.1:9999/hook").await.is_ok());
        assert!(g.check("https://internal.test/hook").await.is_ok());
        assert!(g.check("http://169.254.169.254/").await.is_err());
        assert!(g.check("https://metadata.test/").await.is_err());
    }

    #[tokio::test]
    async fn messages_name_the_problem() {
        let g = guard(false);
        let msg = g
            .check("http://127.0.0.1/hook")
            .await
            .err()
            .unwrap_or_default();
        assert!(msg.contains("loopback"), "{msg}");
        let msg = g
            .check("https://internal.test/x")
            .await
            .err()
            .unwrap_or_default();
        assert!(
            msg.contains("internal.test") && msg.contains("private"),
            "{msg}"
        );
    }
}
