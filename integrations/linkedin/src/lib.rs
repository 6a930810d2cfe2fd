//! The linkedin provider (work in progress).
