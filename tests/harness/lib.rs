//! A discrete-event harness for the dispatch engine: the real engine, the real DynamoDB and SQS
//! (the local emulator, through the AWS SDK), the simulated phone network, and a virtual clock
//! that jumps from event to event. It plays the parts AWS plays in the cloud: EventBridge
//! Scheduler (a tick per minute), the SQS event source (receive, invoke dialers, delete) with
//! SQS's per-message delays kept in virtual time, and the provider's webhook deliveries.
//!
//! Faults it adds on top of the simulator's: every message delivered several times, several
//! dialers working the same messages at once, ticks fired twice, and crashes injected between
//! the steps of every handler. [`promises`] then checks the promises of docs/ARCHITECTURE.md from the
//! network's record and the final state.

pub mod crash;
pub mod fake_providers;
pub mod fake_twilio;
pub mod flood;
pub mod frequency;
pub mod promises;
pub mod table_policy;
pub mod webhook_receiver;
pub mod world;

pub use world::{PhaseRequests, RunStats, World, WorldConfig};
