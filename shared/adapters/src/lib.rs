//! Adapters behind the ports: the DynamoDB store, the SQS queue, S3 blobs, EventBridge
//! Scheduler, the voice providers (Twilio, an HTTP agent platform, the simulated network) and
//! the CloudWatch embedded metrics. Everything here talks to AWS or a provider through its
//! official client; nothing here decides policy (that is `domain`).

pub mod aws;
pub mod blobs;
pub mod emf;
pub mod queue;
pub mod request_count;
pub mod schedules;
pub mod store;
pub mod table_access;
pub mod voice;
pub mod webhook_sender;

pub use store::DynamoStore;
