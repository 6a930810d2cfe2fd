//! The mastodon provider (work in progress).
