//! Checks a post against a channel's provider before anything is written: text length in the
//! network's own counting (after conversion to its format), media count and type, and the
//! provider's settings rules.

use postiz_provider::format::to_editor_format;
use postiz_provider::{ChannelAuth, MediaKind, MediaSummary, Provider};

use crate::dto::posts::{PostEntry, ValidationResult};
use crate::ports::ChannelView;

/// Whether a media path is a video, judged by its extension as Postiz does.
pub fn media_kind(path: &str) -> MediaKind {
    let lower = path
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if [".mp4", ".mov", ".webm", ".m4v", ".avi", ".mkv"]
        .iter()
        .any(|ext| lower.ends_with(ext))
    {
        MediaKind::Video
    } else {
        MediaKind::Image
    }
}

/// The provider settings of an entry with `__type` set to the channel's provider.
pub fn settings_of(entry: &PostEntry, identifier: &str) -> serde_json::Value {
    let mut settings = match &entry.settings {
        Some(serde_json::Value::Object(map)) => map.clone(),
        _ => serde_json::Map::new(),
    };
    settings.insert(
        "__type".into(),
        serde_json::Value::String(identifier.to_string()),
    );
    serde_json::Value::Object(settings)
}

/// What the provider needs of a channel to compute limits (no tokens).
pub fn limits_view(channel: &ChannelView) -> ChannelAuth {
    ChannelAuth {
        internal_id: channel.id.clone(),
        username: channel.profile.clone().unwrap_or_default(),
        additional_settings: channel.additional_settings.clone(),
        ..Default::default()
    }
}

/// The verdict on one channel's post, in Postiz's `validatePosts` shape.
pub fn validate_entry(
    channel: &ChannelView,
    provider: &dyn Provider,
    entry: &PostEntry,
) -> ValidationResult {
    let settings = settings_of(entry, provider.identifier());
    let summaries: Vec<MediaSummary> = entry
        .value
        .iter()
        .map(|v| MediaSummary::of(v.image.iter().map(|m| media_kind(&m.path))))
        .collect();
    let errors = match provider.validate(&summaries, &settings) {
        Ok(()) => {
            if entry.value.len() > 1 && !provider.capabilities().supports_comments {
                serde_json::Value::String(format!(
                    "{} does not support threads or comments: keep a single item",
                    provider.capabilities().name
                ))
            } else {
                serde_json::Value::Bool(true)
            }
        }
        Err(message) => serde_json::Value::String(message),
    };
    let maximum = provider.max_length(&limits_view(channel), &settings);
    let editor = provider.capabilities().editor;
    let mut empty_content = false;
    let mut too_long = false;
    for value in &entry.value {
        let text = to_editor_format(&value.content, editor);
        if text.trim().is_empty() && value.image.is_empty() {
            empty_content = true;
        }
        if provider.text_length(&text) > maximum {
            too_long = true;
        }
    }
    ValidationResult {
        id: channel.id.clone(),
        identifier: provider.identifier().to_string(),
        name: channel.name.clone(),
        valid: true,
        settings_error: String::new(),
        errors,
        empty_content,
        too_long,
        maximum_characters: maximum,
    }
}

/// The first rule a post breaks, as the message Postiz shows; drafts only need content.
pub fn first_failure(result: &ValidationResult, draft: bool) -> Option<String> {
    if result.empty_content {
        return Some("Your post should have at least one character or one image.".into());
    }
    if draft {
        return None;
    }
    if !result.valid {
        return Some(if result.settings_error.is_empty() {
            "Please fix your settings".into()
        } else {
            result.settings_error.clone()
        });
    }
    if let serde_json::Value::String(message) = &result.errors {
        return Some(message.clone());
    }
    if result.too_long {
        return Some(format!(
            "post is too long, please fix it (at most {} characters on {})",
            result.maximum_characters, result.identifier
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_kind_by_extension() {
        assert_eq!(
            media_kind("https://cdn/x/video.MP4?sig=1"),
            MediaKind::Video
        );
        assert_eq!(media_kind("/uploads/2026/11/22/a.png"), MediaKind::Image);
    }
}
