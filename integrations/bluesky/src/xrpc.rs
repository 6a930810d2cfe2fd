//! XRPC plumbing shared by every call: the error body and its classes, rate-limit headers, the
//! session answers and the blob/job shapes.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use postiz_provider::http::{default_classify, default_message, retry_after};
use postiz_provider::{ErrorClassifier, ProviderError, TokenSet};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

/// The XRPC error body: `{"error":"ExpiredToken","message":"Token has expired"}`.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

fn parse_error(body: &str) -> ErrorBody {
    serde_json::from_str(body).unwrap_or_default()
}

/// The `error` name of an XRPC error body, when there is one.
pub fn error_name(body: &str) -> Option<String> {
    parse_error(body).error.filter(|e| !e.is_empty())
}

/// Classifies the answers of a PDS (and of the video service, which uses the same body).
///
/// - 400 `ExpiredToken` / `InvalidToken`: the reference PDS answers an expired access token with
///   400, not 401, so both are refresh-needed;
/// - 401: refresh-needed (the session can be refreshed, or re-created from the app password);
/// - 429: rate limited, waiting `Retry-After` or else until `ratelimit-reset`;
/// - 5xx: transient; other 4xx: rejected with the network's message.
pub struct XrpcClassifier;

impl ErrorClassifier for XrpcClassifier {
    fn message(&self, status: StatusCode, body: &str) -> String {
        let parsed = parse_error(body);
        if let Some(message) = parsed.message.filter(|m| !m.trim().is_empty()) {
            return postiz_provider::error::truncate_message(&message, 1000);
        }
        if let Some(error) = parsed.error.filter(|e| !e.trim().is_empty()) {
            return error;
        }
        default_message(status, body)
    }

    fn classify(&self, status: StatusCode, headers: &HeaderMap, body: &str) -> ProviderError {
        classify_with_message(status, headers, body, self.message(status, body))
    }
}

/// The XRPC status rules applied with an already extracted message.
pub fn classify_with_message(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    message: String,
) -> ProviderError {
    if status == StatusCode::BAD_REQUEST
        && matches!(
            error_name(body).as_deref(),
            Some("ExpiredToken" | "InvalidToken")
        )
    {
        return ProviderError::RefreshNeeded(message);
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return ProviderError::RateLimited {
            retry_after: rate_limit_wait(headers),
            message,
        };
    }
    default_classify(status, headers, &message)
}

/// How long to wait after a 429: `Retry-After` first, else the `ratelimit-reset` header, which
/// Bluesky sends as a Unix time in seconds (the IETF draft it follows uses a delay in seconds;
/// small values are read that way).
pub fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    retry_after(headers).or_else(|| ratelimit_reset(headers))
}

fn ratelimit_reset(headers: &HeaderMap) -> Option<Duration> {
    let value: i64 = headers
        .get("ratelimit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    if value < 0 {
        return None;
    }
    // Anything past 2001-09-09 is a timestamp; a delay that long is not a rate limit.
    if value >= 1_000_000_000 {
        let now = chrono::Utc::now().timestamp();
        return Some(Duration::from_secs(value.saturating_sub(now).max(0) as u64));
    }
    Some(Duration::from_secs(value as u64))
}

/// The answer of `com.atproto.server.createSession` and `refreshSession`. No `Debug`: it holds tokens.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Defaulted so a malformed answer is reported without echoing its body (it holds tokens).
    #[serde(default)]
    pub access_jwt: String,
    /// Required by the lexicon; tolerated as missing so a stored one is kept.
    #[serde(default)]
    pub refresh_jwt: Option<String>,
    #[serde(default)]
    pub handle: String,
    #[serde(default)]
    pub did: String,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub status: Option<String>,
}

impl Session {
    pub fn token_set(&self) -> TokenSet {
        TokenSet {
            access_token: self.access_jwt.clone(),
            access_secret: None,
            refresh_token: self.refresh_jwt.clone().filter(|t| !t.is_empty()),
            expires_in: jwt_expires_in(&self.access_jwt),
        }
    }

    /// Fails on an answer without an access token.
    pub fn checked(self) -> Result<Self, ProviderError> {
        if self.access_jwt.is_empty() {
            return Err(ProviderError::Rejected(
                "Bluesky answered the session request without an access token".into(),
            ));
        }
        Ok(self)
    }

    /// Fails when the host says the account is not active (taken down, suspended, deactivated).
    pub fn ensure_active(&self) -> Result<(), ProviderError> {
        if self.active == Some(false) {
            let reason = self.status.as_deref().unwrap_or("inactive");
            return Err(ProviderError::Disconnected(format!(
                "the Bluesky account is not active ({reason})"
            )));
        }
        Ok(())
    }
}

/// The answer of `com.atproto.server.getSession` (only what the video upload needs).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    #[serde(default)]
    pub did_doc: Option<Value>,
}

/// The PDS endpoint declared in a DID document (`#atproto_pds` service).
pub fn pds_endpoint(did_doc: &Value) -> Option<String> {
    did_doc
        .get("service")?
        .as_array()?
        .iter()
        .find(|s| {
            s.get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| id.ends_with("#atproto_pds"))
        })?
        .get("serviceEndpoint")?
        .as_str()
        .map(str::to_string)
}

/// Remaining lifetime of a JWT from its `exp` claim (read, not verified: the PDS verifies it).
pub fn jwt_expires_in(token: &str) -> Option<Duration> {
    let payload = token.split('.').nth(1)?;
    let raw = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Value = serde_json::from_slice(&raw).ok()?;
    let exp = claims.get("exp")?.as_i64()?;
    let left = exp - chrono::Utc::now().timestamp();
    (left > 0).then(|| Duration::from_secs(left as u64))
}

/// `app.bsky.actor.getProfile` (what the connection shows).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub avatar: Option<String>,
    #[serde(default)]
    pub handle: Option<String>,
}

/// `com.atproto.repo.createRecord` and `getRecord` answers: a strong reference.
#[derive(Debug, Clone, Deserialize)]
pub struct RecordRef {
    pub uri: String,
    #[serde(default)]
    pub cid: Option<String>,
}

/// `app.bsky.video.defs#jobStatus`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    #[serde(default)]
    pub job_id: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub blob: Option<Value>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

pub const JOB_STATE_FAILED: &str = "JOB_STATE_FAILED";

impl JobStatus {
    /// Reads a job status from an answer of the video service. The lexicon wraps it in
    /// `jobStatus`, but `uploadVideo` has been seen answering it unwrapped; both are accepted.
    pub fn from_answer(value: &Value) -> Option<Self> {
        let inner = value.get("jobStatus").unwrap_or(value);
        let status: JobStatus = serde_json::from_value(inner.clone()).ok()?;
        (!status.job_id.is_empty() || status.blob.is_some() || status.error.is_some())
            .then_some(status)
    }

    pub fn failed(&self) -> bool {
        self.state == JOB_STATE_FAILED
    }

    /// The reason given for a failure, for the user.
    pub fn failure_message(&self) -> String {
        let detail = self
            .message
            .as_deref()
            .or(self.error.as_deref())
            .filter(|m| !m.trim().is_empty())
            .unwrap_or("the video could not be processed");
        format!("Bluesky could not process the video: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn expired_token_on_400_needs_a_refresh() {
        let h = HeaderMap::new();
        let c = XrpcClassifier;
        let e = c.classify(
            StatusCode::BAD_REQUEST,
            &h,
            r#"{"error":"ExpiredToken","message":"Token has expired"}"#,
        );
        assert_eq!(e, ProviderError::RefreshNeeded("Token has expired".into()));
        let e = c.classify(StatusCode::BAD_REQUEST, &h, r#"{"error":"InvalidToken"}"#);
        assert_eq!(e, ProviderError::RefreshNeeded("InvalidToken".into()));
        let e = c.classify(
            StatusCode::BAD_REQUEST,
            &h,
            r#"{"error":"InvalidRequest","message":"Invalid app.bsky.feed.post record"}"#,
        );
        assert_eq!(
            e,
            ProviderError::Rejected("Invalid app.bsky.feed.post record".into())
        );
    }

    #[test]
    fn ratelimit_reset_as_timestamp_or_delay() {
        let mut h = HeaderMap::new();
        let at = chrono::Utc::now().timestamp() + 120;
        h.insert(
            "ratelimit-reset",
            HeaderValue::from_str(&at.to_string()).unwrap_or(HeaderValue::from_static("0")),
        );
        let wait = rate_limit_wait(&h).map(|d| d.as_secs());
        assert!(matches!(wait, Some(118..=120)), "{wait:?}");
        h.insert("ratelimit-reset", HeaderValue::from_static("45"));
        assert_eq!(rate_limit_wait(&h), Some(Duration::from_secs(45)));
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(rate_limit_wait(&h), Some(Duration::from_secs(7)));
    }

    #[test]
    fn jwt_expiry_is_read_from_the_payload() {
        let exp = chrono::Utc::now().timestamp() + 7200;
        let payload =
            URL_SAFE_NO_PAD.encode(format!(r#"{{"scope":"com.atproto.access","exp":{exp}}}"#));
        let token = format!("eyJhbGciOiJFUzI1NksifQ.{payload}.sig");
        let left = jwt_expires_in(&token).map(|d| d.as_secs());
        assert!(matches!(left, Some(7190..=7200)), "{left:?}");
        assert_eq!(jwt_expires_in("opaque-token"), None);
    }

    #[test]
    fn job_status_wrapped_or_not() {
        let wrapped = serde_json::json!({"jobStatus":{"jobId":"j1","did":"did:plc:a","state":"JOB_STATE_CREATED"}});
        let flat = serde_json::json!({"jobId":"j2","did":"did:plc:a","state":"JOB_STATE_COMPLETED","blob":{"$type":"blob"}});
        assert_eq!(
            JobStatus::from_answer(&wrapped).map(|s| s.job_id),
            Some("j1".into())
        );
        let flat = JobStatus::from_answer(&flat);
        assert_eq!(flat.as_ref().map(|s| s.job_id.as_str()), Some("j2"));
        assert!(flat.is_some_and(|s| s.blob.is_some()));
        assert!(JobStatus::from_answer(&serde_json::json!({"other":1})).is_none());
    }

    #[test]
    fn pds_endpoint_from_did_doc() {
        let doc = serde_json::json!({
            "id": "did:plc:abc",
            "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                         "serviceEndpoint": "https://morel.us-east.host.bsky.network"}]
        });
        assert_eq!(
            pds_endpoint(&doc).as_deref(),
            Some("https://morel.us-east.host.bsky.network")
        );
    }
}
