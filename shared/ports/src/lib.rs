//! Ports: every capability a handler needs, one trait each, with the values they exchange and
//! errors that carry no AWS type. The engine depends on these and the domain; the adapters
//! crate implements them (DynamoDB, SQS, EventBridge Scheduler, voice providers), and tests
//! and the local runner plug in their own clocks, fault plans and queues.

pub mod blobs;
pub mod clock;
pub mod faults;
pub mod metrics;
pub mod queue;
pub mod schedules;
pub mod store;
pub mod voice;
pub mod webhook_sender;

pub use clock::{Clock, ManualClock, ScaledClock, SystemClock};
pub use faults::{Faults, InjectedCrash, NoFaults};

/// An adapter's error, kept as the cause of a port's error without naming its type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
