//! The job payload: which post, which version, which step.

use serde::{Deserialize, Serialize};

/// The queue every publication runs on; providers are kept apart by concurrency limits.
pub const QUEUE_NAME: &str = "publish";

/// One step of a post's publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishJob {
    /// The root post.
    pub post_id: String,
    /// The post's version when the job was pushed; a different current version makes the job
    /// stale.
    pub version: i32,
    #[serde(default)]
    pub step: Step,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    /// Publish the root item.
    #[default]
    Publish,
    /// Publish the thread item at `position` (1 is the first reply).
    Comment { position: i32 },
    /// Poll the network about the item at `position`, still processing.
    Check {
        position: i32,
        checks: u32,
        errors: u32,
    },
    /// Look again at a post another attempt had claimed.
    Verify,
}
