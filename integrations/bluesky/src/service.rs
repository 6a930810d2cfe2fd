//! The PDS (service) URL a user types when connecting: normalisation and the public-address check.
//!
//! The address is chosen by the user and then called from the server, so at connect time it must
//! be HTTPS and resolve only to public addresses (as Postiz checks unless
//! `DISABLE_SSRF_PROTECTION=true`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use postiz_provider::ProviderError;

/// Trims, adds `https://` when no scheme was typed (the connect form allows that) and drops
/// trailing slashes.
pub fn normalize(service: &str) -> String {
    let trimmed = service.trim().trim_end_matches('/');
    if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    }
}

/// Checks a user-supplied service URL. With `allow_private` (tests, private deployments) any
/// http(s) URL is accepted.
pub async fn check(service: &str, allow_private: bool) -> Result<(), ProviderError> {
    let invalid = || ProviderError::Rejected(format!("Invalid service URL: {service}"));
    let url = url::Url::parse(service).map_err(|_| invalid())?;
    let host = url.host_str().ok_or_else(invalid)?.to_string();
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => {
            return Err(ProviderError::Rejected(
                "Invalid service URL: it must be a public HTTPS address".into(),
            ));
        }
    }
    if allow_private {
        return Ok(());
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let addresses: Vec<IpAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| ProviderError::Rejected(format!("Cannot resolve the service host {host}")))?
        .map(|a| a.ip())
        .collect();
    if addresses.is_empty() || !addresses.iter().all(is_public) {
        return Err(ProviderError::Rejected(
            "Invalid service URL: it must be a public HTTPS address".into(),
        ));
    }
    Ok(())
}

/// Whether an address is routable on the public internet.
pub fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(&v4);
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link local fe80::/10
                || (first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
                || *v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0))
        }
    }
}

fn is_public_v4(ip: &Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        assert_eq!(normalize(" bsky.social/ "), "https://bsky.social");
        assert_eq!(
            normalize("https://pds.example.com/"),
            "https://pds.example.com"
        );
        assert_eq!(normalize("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }

    #[test]
    fn public_addresses() {
        let yes = ["1.1.1.1", "2606:4700:4700::1111"];
        let no = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ];
        for ip in yes {
            assert!(ip.parse().is_ok_and(|ip: IpAddr| is_public(&ip)), "{ip}");
        }
        for ip in no {
            assert!(ip.parse().is_ok_and(|ip: IpAddr| !is_public(&ip)), "{ip}");
        }
    }

    #[tokio::test]
    async fn private_or_plain_http_services_are_refused() {
        assert!(matches!(
            check("http://127.0.0.1:9", false).await,
            Err(ProviderError::Rejected(_))
        ));
        assert!(matches!(
            check("https://127.0.0.1:9", false).await,
            Err(ProviderError::Rejected(_))
        ));
        assert!(matches!(
            check("https://[::1]:443", false).await,
            Err(ProviderError::Rejected(_))
        ));
        assert!(check("http://127.0.0.1:9", true).await.is_ok());
        assert!(check("ftp://example.com", true).await.is_err());
    }
}
