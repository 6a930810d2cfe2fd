//! Error classes that drive the publisher without it knowing which network answered.

use std::time::Duration;

/// What went wrong talking to a network, classified by what the caller should do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The access token is expired or invalid: refresh it and try again.
    #[error("the access token must be refreshed: {0}")]
    RefreshNeeded(String),
    /// The channel lost its authorization (revoked app, missing permission): the user must reconnect it.
    #[error("the channel must be reconnected: {0}")]
    Disconnected(String),
    /// The network refused the content or the request; the message is the network's own, for the user.
    #[error("{0}")]
    Rejected(String),
    /// The network asked us to slow down.
    #[error("rate limited by the network: {message}")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    /// A failure that may pass: network errors before the request was sent, 5xx answers.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// The request was sent but no answer came back: it may or may not have taken effect,
    /// so it must not be retried blindly.
    #[error("the outcome could not be confirmed: {0}")]
    Unconfirmed(String),
    /// The connection granted fewer permissions than the provider needs.
    #[error("missing permissions: {0}")]
    InsufficientScopes(String),
    /// The provider does not offer this operation (for example page listing on a network without pages).
    #[error("{0} is not supported by this provider")]
    Unsupported(&'static str),
    /// The provider is misconfigured or the stored channel data is unusable.
    #[error("provider configuration error: {0}")]
    Config(String),
}

impl ProviderError {
    /// A short stable name of the class, for logs, metrics and tests.
    pub fn class(&self) -> &'static str {
        match self {
            Self::RefreshNeeded(_) => "refresh_needed",
            Self::Disconnected(_) => "disconnected",
            Self::Rejected(_) => "rejected",
            Self::RateLimited { .. } => "rate_limited",
            Self::Transient(_) => "transient",
            Self::Unconfirmed(_) => "unconfirmed",
            Self::InsufficientScopes(_) => "insufficient_scopes",
            Self::Unsupported(_) => "unsupported",
            Self::Config(_) => "config",
        }
    }

    /// Whether retrying the same call later may succeed without user action.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Transient(_))
    }

    /// The text to show to the user when this error ends a publication.
    pub fn user_message(&self) -> String {
        match self {
            Self::Rejected(m) => m.clone(),
            other => other.to_string(),
        }
    }
}

/// Truncates a network message so an unexpectedly large error body never floods logs or rows.
pub fn truncate_message(message: &str, max_chars: usize) -> String {
    let trimmed = message.trim();
    if trimmed.chars().count() <= max_chars {
        return trimmed.to_string();
    }
    let mut out: String = trimmed.chars().take(max_chars).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_classes() {
        assert!(ProviderError::Transient("x".into()).is_retryable());
        assert!(
            ProviderError::RateLimited {
                retry_after: None,
                message: "slow".into()
            }
            .is_retryable()
        );
        assert!(!ProviderError::Unconfirmed("x".into()).is_retryable());
        assert!(!ProviderError::Rejected("x".into()).is_retryable());
    }

    #[test]
    fn truncation_keeps_short_messages() {
        assert_eq!(truncate_message(" hi ", 10), "hi");
        assert_eq!(truncate_message("abcdef", 3), "abc…");
    }
}
