//! Adapters behind the engine's ports: the DynamoDB store, and (in later modules) the SQS
//! queue, S3 blobs, EventBridge Scheduler and voice providers. Everything here talks to AWS
//! through the official AWS SDK for Rust; nothing here decides policy (that is `domain`).

pub mod aws;
pub mod blobs;
pub mod emf;
pub mod metrics;
pub mod ports;
pub mod queue;
pub mod schedules;
pub mod store;
pub mod voice;

pub use store::DynamoStore;
