//! Sealing secrets at rest (channel tokens, credentials, API keys) with an AEAD, and keyed
//! hashes for looking secrets up without storing them in the clear.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const SEALED_PREFIX: &str = "v1:";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value cannot be opened with this key (was the encryption key changed?)")]
    WrongKey,
}

/// Seals and opens secrets with XChaCha20-Poly1305. The key is derived from the configured
/// encryption key (or the JWT secret), so a database leak alone reveals nothing.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    lookup_key: [u8; 32],
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<key>)")
    }
}

fn derive(secret: &[u8], purpose: &[u8]) -> [u8; 32] {
    // HMAC-SHA256 as a KDF: a distinct key per purpose from one secret of any length.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(m) => m,
        // HMAC accepts keys of any length; this branch cannot be reached.
        Err(_) => return [0u8; 32],
    };
    mac.update(purpose);
    mac.finalize().into_bytes().into()
}

impl Sealer {
    pub fn new(secret: &str) -> Self {
        let key = derive(secret.as_bytes(), b"postiz/seal/v1");
        Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
            lookup_key: derive(secret.as_bytes(), b"postiz/lookup/v1"),
        }
    }

    /// Encrypts a secret; each call gives a different output.
    pub fn seal(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext.as_bytes())
            .unwrap_or_default();
        let mut raw = Vec::with_capacity(24 + ciphertext.len());
        raw.extend_from_slice(&nonce);
        raw.extend_from_slice(&ciphertext);
        format!("{SEALED_PREFIX}{}", STANDARD_NO_PAD.encode(raw))
    }

    pub fn open(&self, sealed: &str) -> Result<String, SealError> {
        let encoded = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or(SealError::Malformed)?;
        let raw = STANDARD_NO_PAD
            .decode(encoded)
            .map_err(|_| SealError::Malformed)?;
        if raw.len() < 24 + 16 {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = raw.split_at(24);
        let plaintext = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .map_err(|_| SealError::WrongKey)?;
        String::from_utf8(plaintext).map_err(|_| SealError::Malformed)
    }

    /// A deterministic keyed hash for finding a secret (an API key) by value.
    pub fn lookup_hash(&self, value: &str) -> String {
        hex::encode(derive(&self.lookup_key, value.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_randomised() {
        let s = Sealer::new("a secret");
        let a = s.seal("token-123");
        let b = s.seal("token-123");
        assert_ne!(a, b);
        assert!(!a.contains("token-123"));
        assert_eq!(s.open(&a).as_deref(), Ok("token-123"));
    }

    #[test]
    fn another_key_cannot_open() {
        let sealed = Sealer::new("one").seal("x");
        assert_eq!(Sealer::new("two").open(&sealed), Err(SealError::WrongKey));
        assert_eq!(
            Sealer::new("one").open("garbage"),
            Err(SealError::Malformed)
        );
    }

    #[test]
    fn lookup_hash_is_stable_and_keyed() {
        let s = Sealer::new("k");
        assert_eq!(s.lookup_hash("abc"), s.lookup_hash("abc"));
        assert_ne!(s.lookup_hash("abc"), Sealer::new("k2").lookup_hash("abc"));
    }
}
