//! Signed tokens: sessions (the `auth` cookie/header) and invitations (the `?org=` link).
//! HS256 with `JWT_SECRET`, as Postiz, but with an expiry.

use chrono::{DateTime, Duration, TimeZone, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use postiz_entity::Role;
use serde::{Deserialize, Serialize};

const SESSION: &str = "session";
const INVITE: &str = "invite";

#[derive(Debug, Serialize, Deserialize)]
struct SessionClaims {
    /// The user id; named as in Postiz's tokens.
    id: String,
    iat: i64,
    exp: i64,
    typ: String,
    /// The user's session version when issued; a password change ends older sessions.
    #[serde(default)]
    sv: i32,
}

/// The invitation claims; field names follow Postiz's invite token (`orgId`, `role`, `email`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InviteClaims {
    /// The invitation id (single use).
    pub id: String,
    #[serde(rename = "orgId")]
    pub org_id: String,
    pub role: Role,
    pub email: String,
    pub exp: i64,
    typ: String,
}

/// A verified session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: String,
    pub issued_at: DateTime<Utc>,
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("invalid token")]
    Invalid,
    #[error("expired token")]
    Expired,
}

/// Issues and verifies tokens.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    session_ttl: Duration,
    renew_after: Duration,
}

impl Tokens {
    pub fn new(secret: &str, session_ttl_hours: u32, renew_after_hours: u32) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            session_ttl: Duration::hours(i64::from(session_ttl_hours)),
            renew_after: Duration::hours(i64::from(renew_after_hours)),
        }
    }

    pub fn session_ttl(&self) -> Duration {
        self.session_ttl
    }

    /// A new session token for a user.
    pub fn issue_session(&self, user_id: &str, version: i32) -> Result<String, TokenError> {
        let now = Utc::now();
        let claims = SessionClaims {
            id: user_id.to_string(),
            iat: now.timestamp(),
            exp: (now + self.session_ttl).timestamp(),
            typ: SESSION.into(),
            sv: version,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|_| TokenError::Invalid)
    }

    pub fn verify_session(&self, token: &str) -> Result<Session, TokenError> {
        let claims: SessionClaims = self.decode(token)?;
        if claims.typ != SESSION {
            return Err(TokenError::Invalid);
        }
        let issued_at = Utc
            .timestamp_opt(claims.iat, 0)
            .single()
            .ok_or(TokenError::Invalid)?;
        Ok(Session {
            user_id: claims.id,
            issued_at,
            version: claims.sv,
        })
    }

    /// Whether a session is old enough to be renewed on this request.
    pub fn should_renew(&self, session: &Session) -> bool {
        Utc::now() - session.issued_at > self.renew_after
    }

    pub fn issue_invite(
        &self,
        invitation_id: &str,
        org_id: &str,
        role: Role,
        email: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<String, TokenError> {
        let claims = InviteClaims {
            id: invitation_id.to_string(),
            org_id: org_id.to_string(),
            role,
            email: email.to_string(),
            exp: expires_at.timestamp(),
            typ: INVITE.into(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|_| TokenError::Invalid)
    }

    pub fn verify_invite(&self, token: &str) -> Result<InviteClaims, TokenError> {
        let claims: InviteClaims = self.decode(token)?;
        if claims.typ != INVITE {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, token: &str) -> Result<T, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp"]);
        decode::<T>(token.trim(), &self.decoding, &validation)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new("a-secret-long-enough-for-tests", 24, 1)
    }

    #[test]
    fn session_round_trip() {
        let t = tokens();
        let token = t.issue_session("user-1", 0).unwrap_or_default();
        let s = t.verify_session(&token);
        assert_eq!(s.map(|s| s.user_id), Ok("user-1".to_string()));
    }

    #[test]
    fn forged_and_foreign_tokens_are_refused() {
        let token = tokens().issue_session("user-1", 0).unwrap_or_default();
        let other = Tokens::new("another-secret-entirely-000", 24, 1);
        assert_eq!(other.verify_session(&token), Err(TokenError::Invalid));
        assert_eq!(
            tokens().verify_session("abc.def.ghi"),
            Err(TokenError::Invalid)
        );
        // An invitation is not a session.
        let invite = tokens()
            .issue_invite("i", "o", Role::User, "", Utc::now() + Duration::hours(1))
            .unwrap_or_default();
        assert_eq!(tokens().verify_session(&invite), Err(TokenError::Invalid));
    }

    #[test]
    fn expired_tokens_are_refused() {
        let t = tokens();
        let invite = t
            .issue_invite(
                "i",
                "o",
                Role::Admin,
                "a@b.c",
                Utc::now() - Duration::hours(1),
            )
            .unwrap_or_default();
        assert_eq!(t.verify_invite(&invite), Err(TokenError::Expired));
    }
}
