//! The bluesky provider (work in progress).
