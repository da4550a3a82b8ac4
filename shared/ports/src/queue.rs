//! The queue port: messages with per-message delays (which spread each minute's calls).

use std::time::Duration;

use async_trait::async_trait;

/// A message to enqueue, visible after `delay`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The body (JSON).
    pub body: String,
    /// Delay before it becomes visible (SQS allows up to 15 minutes).
    pub delay: Duration,
}

/// Why messages could not be enqueued.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The request failed.
    #[error("the queue request failed")]
    Request(#[source] crate::BoxError),
    /// A message could not be built (a bug, not a transient failure).
    #[error("invalid message: {0}")]
    Invalid(String),
    /// Some entries of a batch were refused.
    #[error("{failed} of {total} messages were not enqueued")]
    Partial {
        /// How many failed.
        failed: usize,
        /// Out of.
        total: usize,
    },
}

/// Sends messages to a queue.
#[async_trait]
pub trait MessageQueue: Send + Sync {
    /// Enqueues every message (in batches), or says how many failed.
    async fn send(&self, messages: Vec<Outgoing>) -> Result<(), QueueError>;
}
