//! Ports: the small capabilities handlers depend on, one trait each, so a handler names
//! exactly what it uses and tests can swap what is not AWS (the clock, the voice provider).
//! The DynamoDB store implements the store capabilities.

use chrono::{DateTime, Utc};

/// The time. Everything that depends on the time asks this, so tests and the local runner can
/// run hours of a campaign in seconds.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
