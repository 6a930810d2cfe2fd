//! The factory: identifiers, environment bindings, configuration, capabilities.

mod common;

use postiz_provider::{BuildError, ConfigField, EditorFormat, ProviderConfig, ProviderFactory};
use postiz_provider_mastodon::MastodonFactory;

#[test]
fn identifiers_and_env_bindings_follow_postiz() {
    assert_eq!(MastodonFactory.identifiers(), &["mastodon"]);
    let bindings: Vec<_> = MastodonFactory
        .env_bindings("mastodon")
        .iter()
        .map(|b| (b.var, b.field))
        .collect();
    assert_eq!(
        bindings,
        vec![
            ("MASTODON_URL", ConfigField::Url("instance")),
            ("MASTODON_CLIENT_ID", ConfigField::ClientId),
            ("MASTODON_CLIENT_SECRET", ConfigField::ClientSecret),
        ]
    );
    assert!(MastodonFactory.env_bindings("x").is_empty());
}

#[test]
fn missing_credentials_skip_the_provider() {
    let config = ProviderConfig {
        client_id: Some("id".into()),
        ..Default::default()
    };
    let err = MastodonFactory
        .build("mastodon", &config, &common::context())
        .err();
    assert_eq!(err, Some(BuildError::MissingCredentials));
}

#[test]
fn bad_options_and_identifiers_are_invalid() {
    let ctx = common::context();
    let bad = |options: &[(&str, &str)]| {
        MastodonFactory
            .build(
                "mastodon",
                &common::config("https://m.example", options),
                &ctx,
            )
            .err()
    };
    assert!(matches!(
        bad(&[("pkce", "maybe")]),
        Some(BuildError::Invalid(_))
    ));
    assert!(matches!(
        bad(&[("media_wait_secs", "-1")]),
        Some(BuildError::Invalid(_))
    ));
    assert!(matches!(
        MastodonFactory
            .build("mastodon", &common::config("ftp://m.example", &[]), &ctx)
            .err(),
        Some(BuildError::Invalid(_))
    ));
    assert!(matches!(
        MastodonFactory
            .build(
                "mastodon-custom",
                &common::config("https://m.example", &[]),
                &ctx
            )
            .err(),
        Some(BuildError::Invalid(_))
    ));
}

#[tokio::test]
async fn default_instance_is_mastodon_social() {
    let config = ProviderConfig {
        client_id: Some("id".into()),
        client_secret: Some("secret".into()),
        ..Default::default()
    };
    let provider = MastodonFactory
        .build("mastodon", &config, &common::context())
        .unwrap_or_else(|e| panic!("{e}"));
    let auth = provider
        .auth_url(Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        auth.url
            .starts_with("https://mastodon.social/oauth/authorize?"),
        "{}",
        auth.url
    );
}

#[test]
fn capabilities_match_postiz_and_the_docs() {
    let provider = common::provider_with("https://m.example", &[]);
    let caps = provider.capabilities();
    assert_eq!(caps.identifier, "mastodon");
    assert_eq!(caps.name, "Mastodon");
    assert_eq!(caps.editor, EditorFormat::Normal);
    assert_eq!(
        caps.scopes,
        vec!["write:statuses", "profile", "write:media"]
    );
    assert_eq!(caps.max_concurrent_jobs, 5);
    assert!(caps.supports_comments);
    assert!(caps.async_processing);
    assert!(!caps.refreshable);
    assert!(!caps.between_steps);
    assert_eq!(caps.media.max_images, 4);
    assert_eq!(caps.media.max_videos, 1);
    assert!(!caps.media.allow_mixed);
    assert!(caps.media.media_in_comments);
    assert_eq!(
        provider.max_length(&common::channel(), &serde_json::json!({})),
        500
    );
}

#[test]
fn text_is_counted_as_mastodon_counts_it() {
    let provider = common::provider_with("https://m.example", &[]);
    assert_eq!(provider.text_length("abc"), 3);
    let long_url = format!("https://example.com/{}", "x".repeat(300));
    assert_eq!(provider.text_length(&format!("read {long_url}")), 5 + 23);
    assert_eq!(
        provider.text_length("hi @alice@example.social 👨‍👩‍👧‍👦"),
        3 + 6 + 1 + 1
    );
}

#[test]
fn media_rules_are_validated() {
    use postiz_provider::MediaSummary;
    let provider = common::provider_with("https://m.example", &[]);
    let ok = [MediaSummary {
        images: 4,
        videos: 0,
    }];
    assert!(provider.validate(&ok, &serde_json::json!({})).is_ok());
    let five = [MediaSummary {
        images: 5,
        videos: 0,
    }];
    assert!(provider.validate(&five, &serde_json::json!({})).is_err());
    let two_videos = [MediaSummary {
        images: 0,
        videos: 2,
    }];
    assert!(
        provider
            .validate(&two_videos, &serde_json::json!({}))
            .is_err()
    );
    let mixed = [MediaSummary {
        images: 1,
        videos: 1,
    }];
    assert!(provider.validate(&mixed, &serde_json::json!({})).is_err());
}
