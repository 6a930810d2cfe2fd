//! Why a channel operation was refused, for the HTTP layer and for the publisher.

use postiz_core::cache::CacheError;
use postiz_core::secrets::SealError;
use postiz_core::{AppError, ErrorCode};
use postiz_provider::ProviderError;
use serde_json::json;

/// The channels module's error. Controllers turn it into the API error; the publisher turns it
/// into a [`ProviderError`] class with `From`.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// No such channel in this organization (or it was deleted).
    #[error("Channel not found")]
    NotFound,
    #[error("Customer not found")]
    CustomerNotFound,
    /// The provider is unknown, switched off, missing its credentials or hidden.
    #[error("Integration not allowed")]
    ProviderNotAllowed,
    /// The OAuth state is unknown, expired, already used or issued for another provider.
    #[error("Invalid or expired state")]
    InvalidState,
    /// Bad input; the message names the problem.
    #[error("{0}")]
    Invalid(String),
    /// The network refused the connection (missing permissions, wrong account, bad
    /// credentials): 409 `{msg}` as Postiz's `NotEnoughScopes`.
    #[error("{0}")]
    ConnectFailed(String),
    /// The channel is switched off by the user.
    #[error("Channel disabled")]
    Disabled,
    /// The user authorized the network but has not picked the page yet.
    #[error("The channel is waiting for a page to be selected")]
    InBetweenSteps,
    /// The token could not be refreshed: the user must reconnect the channel.
    #[error("Refresh channel needed: {0}")]
    RefreshNeeded(String),
    /// A network failure that may pass (transient, rate limited, unconfirmed).
    #[error("{0}")]
    Provider(ProviderError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for ChannelError {
    fn from(e: sea_orm::DbErr) -> Self {
        ChannelError::Internal(e.into())
    }
}

impl From<CacheError> for ChannelError {
    fn from(e: CacheError) -> Self {
        ChannelError::Internal(e.into())
    }
}

impl From<SealError> for ChannelError {
    fn from(e: SealError) -> Self {
        ChannelError::Internal(anyhow::anyhow!("channel secrets: {e}"))
    }
}

impl From<serde_json::Error> for ChannelError {
    fn from(e: serde_json::Error) -> Self {
        ChannelError::Internal(e.into())
    }
}

impl From<ChannelError> for AppError {
    #[track_caller]
    fn from(e: ChannelError) -> Self {
        let message = e.to_string();
        match e {
            ChannelError::NotFound | ChannelError::CustomerNotFound => AppError::not_found(message),
            ChannelError::ProviderNotAllowed
            | ChannelError::InvalidState
            | ChannelError::Invalid(_)
            | ChannelError::Disabled
            | ChannelError::InBetweenSteps
            | ChannelError::RefreshNeeded(_) => AppError::bad_request(message),
            // Postiz answers `{msg}`; the dashboard reads `message || msg`.
            ChannelError::ConnectFailed(m) => {
                AppError::new(ErrorCode::Conflict, m.clone()).with_field("msg", json!(m))
            }
            ChannelError::Provider(p) => match p {
                ProviderError::RateLimited { retry_after, .. } => AppError::too_many_requests(
                    "The network is rate limiting requests; try again later",
                    retry_after.map_or(60, |d| d.as_secs()),
                ),
                ProviderError::Transient(_) | ProviderError::Unconfirmed(_) => AppError::new(
                    ErrorCode::Unavailable,
                    "The network did not answer; try again later",
                )
                .with_cause(p),
                other => AppError::bad_request(other.user_message()),
            },
            ChannelError::Internal(cause) => AppError::internal(cause),
        }
    }
}

/// What the publisher acts on: [`ChannelError::RefreshNeeded`] becomes `Disconnected` (the user
/// must reconnect; do not retry), network failures keep their class, an internal failure is
/// `Transient` (retry later), and a missing, disabled or half-connected channel is `Config`.
impl From<ChannelError> for ProviderError {
    fn from(e: ChannelError) -> Self {
        match e {
            ChannelError::Provider(p) => p,
            ChannelError::RefreshNeeded(m) => ProviderError::Disconnected(m),
            ChannelError::Internal(cause) => ProviderError::Transient(format!("{cause:#}")),
            other => ProviderError::Config(other.to_string()),
        }
    }
}

/// A connection attempt the network refused, as Postiz reports it (409). Failures that may pass
/// keep their class so the dashboard can say "try again".
pub(crate) fn connect_error(e: ProviderError) -> ChannelError {
    match e {
        ProviderError::Transient(_)
        | ProviderError::RateLimited { .. }
        | ProviderError::Unconfirmed(_) => ChannelError::Provider(e),
        ProviderError::InsufficientScopes(missing) => ChannelError::ConnectFailed(format!(
            "The connection is missing permissions: {missing}. Please reconnect and accept all the permissions"
        )),
        ProviderError::Config(_) => {
            tracing::error!(error = %e, "provider configuration error while connecting");
            ChannelError::ConnectFailed("Authentication failed".into())
        }
        other => ChannelError::ConnectFailed(other.user_message()),
    }
}
