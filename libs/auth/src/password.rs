//! Password hashing: argon2id for new hashes; bcrypt hashes imported from Postiz are verified
//! and flagged for an upgrade.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Invalid,
    Valid,
    /// Valid, but stored with an old scheme (bcrypt): re-hash it now.
    ValidNeedsUpgrade,
}

/// Hashes a password to an argon2id PHC string.
pub fn hash(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash password: {e}"))
}

/// Verifies a password against an argon2 or bcrypt hash.
pub fn verify(password: &str, stored: &str) -> Verification {
    if stored.starts_with("$2a$") || stored.starts_with("$2b$") || stored.starts_with("$2y$") {
        return match bcrypt::verify(password, stored) {
            Ok(true) => Verification::ValidNeedsUpgrade,
            _ => Verification::Invalid,
        };
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verification::Invalid;
    };
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Verification::Valid,
        Err(_) => Verification::Invalid,
    }
}

/// Spends the time of a real verification, so a login for an unknown e-mail takes as long as
/// one with a wrong password.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("postiz-dummy-password").unwrap_or_default());
    let _ = verify(password, stored);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_round_trip() {
        let h = hash("correct horse").unwrap_or_default();
        assert!(h.starts_with("$argon2id$"));
        assert_eq!(verify("correct horse", &h), Verification::Valid);
        assert_eq!(verify("wrong", &h), Verification::Invalid);
    }

    #[test]
    fn bcrypt_hashes_from_postiz_are_accepted_and_flagged() {
        // Postiz hashes with bcrypt, cost 10.
        let h = bcrypt::hash("secret123", 10).unwrap_or_default();
        assert_eq!(verify("secret123", &h), Verification::ValidNeedsUpgrade);
        assert_eq!(verify("nope", &h), Verification::Invalid);
    }

    #[test]
    fn garbage_is_invalid() {
        assert_eq!(verify("x", "not-a-hash"), Verification::Invalid);
        assert_eq!(verify("x", ""), Verification::Invalid);
    }
}
