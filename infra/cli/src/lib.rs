//! The client side of the campaign API: a typed HTTP client (used by the `campaigns` command,
//! the local runner's demo, and the end-to-end test) and the terminal's progress display.

pub mod client;
pub mod commands;
pub mod pools;
pub mod privacy;
pub mod watch;

pub use client::{ApiClient, ClientError};
