//! The x provider (work in progress).
