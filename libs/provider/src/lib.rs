//! The contract between the scheduler and the social networks.
//!
//! Each network lives in its own crate under `integrations/` and depends on this crate only. It
//! implements [`Provider`], exposes a [`ProviderFactory`] that `apps/backend` registers at
//! startup, and runs the [`conformance`] kit in its tests.

pub mod capabilities;
pub mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod error;
pub mod format;
pub mod http;
pub mod media;
pub mod oauth;
pub mod provider;
pub mod registry;
pub mod types;

pub use async_trait::async_trait;
pub use capabilities::{AuthFlow, Capabilities, CustomField, EditorFormat, FieldType, MediaRules};
pub use config::{
    BuildError, ConfigField, EnvBinding, ProviderConfig, ProviderContext, ProviderFactory,
};
pub use error::ProviderError;
pub use http::{DefaultClassifier, ErrorClassifier, HttpClient, HttpSettings, Replay, RetryPolicy};
pub use media::{ByteStream, InMemoryMedia, MediaSource};
pub use provider::{MediaSummary, Provider, validate_media_rules};
pub use registry::ProviderRegistry;
pub use types::{
    AdditionalSetting, AnalyticsPoint, AnalyticsSeries, AuthUrl, AuthUrlRequest,
    AuthenticateRequest, AuthenticatedAccount, ChannelAuth, DateRange, MediaItem, MediaKind, Page,
    PostItem, PublishOutcome, PublishedRef, TokenSet,
};
