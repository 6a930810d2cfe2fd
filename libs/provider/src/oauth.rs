//! OAuth helpers shared by providers: state and PKCE generation, the RFC 6749 token request,
//! and decoding of the credential payload the dashboard sends for credential-based networks.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::Rng;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::ProviderError;
use crate::http::{ErrorClassifier, HttpClient, Replay};
use crate::types::TokenSet;

/// A random URL-safe string of `len` characters from `[A-Za-z0-9]`.
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| {
            let i = rng.random_range(0..ALPHABET.len());
            char::from(ALPHABET[i])
        })
        .collect()
}

/// A PKCE verifier and its S256 challenge (RFC 7636).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn generate() -> Self {
        let verifier = random_token(64);
        let challenge = pkce_challenge(&verifier);
        Self {
            verifier,
            challenge,
        }
    }
}

/// The S256 challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The standard token endpoint answer.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub scope: Option<String>,
}

impl TokenResponse {
    pub fn into_token_set(self) -> TokenSet {
        TokenSet {
            access_token: self.access_token,
            access_secret: None,
            refresh_token: self.refresh_token.filter(|t| !t.is_empty()),
            expires_in: self.expires_in.map(Duration::from_secs),
        }
    }

    /// The granted scopes, split on spaces or commas.
    pub fn granted_scopes(&self) -> Vec<String> {
        self.scope
            .as_deref()
            .unwrap_or_default()
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// Fails with [`ProviderError::InsufficientScopes`] when a required scope was not granted.
pub fn require_scopes(required: &[String], granted: &[String]) -> Result<(), ProviderError> {
    let missing: Vec<&str> = required
        .iter()
        .filter(|r| !granted.iter().any(|g| g == *r))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ProviderError::InsufficientScopes(missing.join(", ")))
    }
}

/// Posts a form to a token endpoint (code exchange or refresh) and decodes the standard answer.
/// Token requests are safe to replay: a code is single-use, so a replay fails cleanly.
pub async fn token_request(
    http: &HttpClient,
    token_url: &str,
    form: &[(&str, &str)],
    classifier: &dyn ErrorClassifier,
) -> Result<TokenResponse, ProviderError> {
    let form: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    http.json(
        || {
            http.raw()
                .post(token_url)
                .header("accept", "application/json")
                .form(&form)
        },
        Replay::Safe,
        classifier,
    )
    .await
}

/// Decodes the `code` the dashboard posts for credential networks: base64 of a JSON object of the
/// custom fields (`{"service":"https://bsky.social","identifier":"me","password":"..."}`).
pub fn decode_credentials(code: &str) -> Result<BTreeMap<String, String>, ProviderError> {
    let raw = STANDARD
        .decode(code.trim())
        .or_else(|_| URL_SAFE_NO_PAD.decode(code.trim()))
        .map_err(|_| ProviderError::Rejected("the credentials are not valid base64".into()))?;
    let value: serde_json::Value = serde_json::from_slice(&raw)
        .map_err(|_| ProviderError::Rejected("the credentials are not a JSON object".into()))?;
    let object = value
        .as_object()
        .ok_or_else(|| ProviderError::Rejected("the credentials are not a JSON object".into()))?;
    Ok(object
        .iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k.clone(), s.clone())),
            serde_json::Value::Number(n) => Some((k.clone(), n.to_string())),
            serde_json::Value::Bool(b) => Some((k.clone(), b.to_string())),
            _ => None,
        })
        .collect())
}

/// Encodes credentials the way the dashboard does; used by tests and the public API.
pub fn encode_credentials(fields: &BTreeMap<String, String>) -> String {
    let json = serde_json::to_string(fields).unwrap_or_else(|_| "{}".to_string());
    STANDARD.encode(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_matches_rfc7636_example() {
        // Appendix B of RFC 7636.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn random_tokens_differ_and_have_the_length() {
        let a = random_token(32);
        assert_eq!(a.len(), 32);
        assert_ne!(a, random_token(32));
    }

    #[test]
    fn credentials_round_trip() {
        let mut f = BTreeMap::new();
        f.insert("identifier".to_string(), "me.bsky.social".to_string());
        f.insert("password".to_string(), "abcd-efgh".to_string());
        let decoded = decode_credentials(&encode_credentials(&f));
        assert_eq!(decoded.ok(), Some(f));
        assert!(decode_credentials("%%%").is_err());
    }

    #[test]
    fn missing_scopes_are_named() {
        let required = vec!["a".to_string(), "b".to_string()];
        let err = require_scopes(&required, &["a".to_string()]).err();
        assert_eq!(err, Some(ProviderError::InsufficientScopes("b".into())));
    }
}
