//! OAuth 1.0a request signing (RFC 5849) with HMAC-SHA1, as X requires for user-context calls.
//!
//! Only the parameters that take part in the signature are handled here: the protocol
//! parameters, the query string and, for `application/x-www-form-urlencoded` bodies, the form
//! fields. JSON and multipart bodies are not part of the signature (RFC 5849 section 3.4.1.3).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use url::Url;

/// The application's consumer key and secret (X "API key" and "API key secret").
#[derive(Clone)]
pub struct Consumer {
    pub key: String,
    pub secret: String,
}

/// A token and its secret: a request token during the connect flow, an access token after.
#[derive(Clone, Copy)]
pub struct Token<'a> {
    pub token: &'a str,
    pub secret: &'a str,
}

/// Percent-encodes a string as RFC 5849 section 3.6 requires: every byte except the unreserved
/// characters `A-Z a-z 0-9 - . _ ~` becomes `%XX` with upper-case hex digits.
pub fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len() * 3);
    for byte in input.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte));
            }
            _ => {
                out.push('%');
                out.push(hex_digit(byte >> 4));
                out.push(hex_digit(byte & 0x0f));
            }
        }
    }
    out
}

fn hex_digit(nibble: u8) -> char {
    char::from(if nibble < 10 {
        b'0' + nibble
    } else {
        b'A' + nibble - 10
    })
}

/// The base string URI of RFC 5849 section 3.4.1.2: scheme and host in lower case, the port only
/// when it is not the scheme's default, the path, and neither query nor fragment.
pub fn base_string_uri(url: &Url) -> String {
    let scheme = url.scheme().to_ascii_lowercase();
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    // `Url::port` is `None` for the scheme's default port.
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{scheme}://{host}{port}{}", url.path())
}

/// The signature base string of RFC 5849 section 3.4.1: method, base string URI and the
/// normalized parameters (each name and value encoded, sorted by name then value, joined).
pub fn signature_base_string(method: &str, url: &Url, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded.sort();
    let normalized = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(&base_string_uri(url)),
        percent_encode(&normalized)
    )
}

/// HMAC-SHA1 of the base string keyed with `consumer_secret&token_secret`, base64-encoded.
pub fn hmac_sha1_signature(base_string: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!(
        "{}&{}",
        percent_encode(consumer_secret),
        percent_encode(token_secret)
    );
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(base_string.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Everything needed to sign one request.
pub struct SignRequest<'a> {
    pub method: &'a str,
    /// The full URL, including the query string that is sent.
    pub url: &'a Url,
    /// Form fields of an `application/x-www-form-urlencoded` body; empty otherwise.
    pub form: &'a [(String, String)],
    /// Extra protocol parameters (`oauth_callback`, `oauth_verifier`).
    pub oauth_extra: &'a [(&'a str, &'a str)],
}

/// Builds the `Authorization: OAuth ...` header value for a request, with a fresh nonce and
/// timestamp. Called once per attempt, so a retried request never reuses a nonce.
pub fn authorization_header(
    consumer: &Consumer,
    token: Option<Token<'_>>,
    request: &SignRequest<'_>,
) -> String {
    let nonce = postiz_provider::oauth::random_token(32);
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
        .to_string();
    authorization_header_with(consumer, token, request, &nonce, &timestamp)
}

/// [`authorization_header`] with a given nonce and timestamp (for tests against known vectors).
pub fn authorization_header_with(
    consumer: &Consumer,
    token: Option<Token<'_>>,
    request: &SignRequest<'_>,
    nonce: &str,
    timestamp: &str,
) -> String {
    let mut oauth: Vec<(String, String)> = vec![
        ("oauth_consumer_key".into(), consumer.key.clone()),
        ("oauth_nonce".into(), nonce.to_string()),
        ("oauth_signature_method".into(), "HMAC-SHA1".into()),
        ("oauth_timestamp".into(), timestamp.to_string()),
        ("oauth_version".into(), "1.0".into()),
    ];
    if let Some(t) = token {
        oauth.push(("oauth_token".into(), t.token.to_string()));
    }
    for (k, v) in request.oauth_extra {
        oauth.push(((*k).to_string(), (*v).to_string()));
    }

    let mut all = oauth.clone();
    all.extend(
        request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned())),
    );
    all.extend(request.form.iter().cloned());

    let base = signature_base_string(request.method, request.url, &all);
    let signature = hmac_sha1_signature(
        &base,
        &consumer.secret,
        token.map(|t| t.secret).unwrap_or_default(),
    );
    oauth.push(("oauth_signature".into(), signature));
    oauth.sort();
    let fields = oauth
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("OAuth {fields}")
}

/// Parses an `application/x-www-form-urlencoded` answer (request and access token endpoints).
pub fn parse_form(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.trim().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The value of a field in a parsed form.
pub fn form_value<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn percent_encoding_follows_rfc5849() {
        assert_eq!(
            percent_encode("Ladies + Gentlemen"),
            "Ladies%20%2B%20Gentlemen"
        );
        assert_eq!(
            percent_encode("An encoded string!"),
            "An%20encoded%20string%21"
        );
        assert_eq!(
            percent_encode("Dogs, Cats & Mice"),
            "Dogs%2C%20Cats%20%26%20Mice"
        );
        assert_eq!(percent_encode("☃"), "%E2%98%83");
        assert_eq!(percent_encode("a-b.c_d~e*'()"), "a-b.c_d~e%2A%27%28%29");
    }

    #[test]
    fn base_string_uri_drops_default_port_query_and_case() {
        assert_eq!(
            base_string_uri(&url("HTTPS://API.X.com:443/2/tweets?x=1#f")),
            "https://api.x.com/2/tweets"
        );
        assert_eq!(
            base_string_uri(&url("http://127.0.0.1:8080/oauth/request_token")),
            "http://127.0.0.1:8080/oauth/request_token"
        );
    }

    /// The worked example of X's "Creating a signature" guide: a form-encoded status update.
    #[test]
    fn signature_matches_the_documented_x_example() {
        let consumer = Consumer {
            key: "xvz1evFS4wEEPTGEFPHBog".into(),
            secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw".into(),
        };
        let token = Token {
            token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
            secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
        };
        let u = url("https://api.twitter.com/1.1/statuses/update.json?include_entities=true");
        let form = vec![(
            "status".to_string(),
            "Hello Ladies + Gentlemen, a signed OAuth request!".to_string(),
        )];
        let header = authorization_header_with(
            &consumer,
            Some(token),
            &SignRequest {
                method: "POST",
                url: &u,
                form: &form,
                oauth_extra: &[],
            },
            "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
            "1318622958",
        );
        assert!(
            header.contains("oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""),
            "{header}"
        );
        assert!(header.starts_with("OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", "));
        assert!(
            header.contains("oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\"")
        );
        assert!(header.contains("oauth_version=\"1.0\""));
    }

    /// Appendix A.5 of the OAuth Core 1.0 specification (the photos.example.net request).
    #[test]
    fn signature_matches_the_oauth_core_example() {
        let consumer = Consumer {
            key: "dpf43f3p2l4k3l03".into(),
            secret: "kd94hf93k423kf44".into(),
        };
        let u = url("http://photos.example.net/photos?file=vacation.jpg&size=original");
        let header = authorization_header_with(
            &consumer,
            Some(Token {
                token: "nnch734d00sl2jdk",
                secret: "pfkkdhi9sl3r4s00",
            }),
            &SignRequest {
                method: "GET",
                url: &u,
                form: &[],
                oauth_extra: &[],
            },
            "kllo9940pd9333jh",
            "1191242096",
        );
        assert!(
            header.contains("oauth_signature=\"tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D\""),
            "{header}"
        );
    }

    #[test]
    fn base_string_sorts_and_double_encodes() {
        let u = url("https://api.x.com/2/users/me?user.fields=name,username");
        let base = signature_base_string(
            "get",
            &u,
            &[
                ("user.fields".into(), "name,username".into()),
                ("oauth_nonce".into(), "n".into()),
            ],
        );
        assert_eq!(
            base,
            "GET&https%3A%2F%2Fapi.x.com%2F2%2Fusers%2Fme&oauth_nonce%3Dn%26user.fields%3Dname%252Cusername"
        );
    }

    #[test]
    fn form_answers_are_parsed() {
        let form =
            parse_form("oauth_token=abc&oauth_token_secret=d%2Fe&oauth_callback_confirmed=true\n");
        assert_eq!(form_value(&form, "oauth_token"), Some("abc"));
        assert_eq!(form_value(&form, "oauth_token_secret"), Some("d/e"));
        assert_eq!(form_value(&form, "missing"), None);
    }
}
