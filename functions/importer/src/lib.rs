//! The CSV importer. Operators drop a CSV at `imports/{tenant}/{campaign}/{file}` (directly or
//! through the API's presigned URL); the bucket notifies the import queue; this function turns
//! the file into leads.
//!
//! The file is streamed, never loaded whole, and processed in chunks of rows. After each
//! chunk one transaction records the checkpoint (byte offset, line, counts) and adds the new
//! leads to the campaign's counters. When the invocation's time runs short it enqueues a
//! continuation and a fresh invocation resumes at the checkpoint. A chunk that dies midway is
//! simply read again: leads are conditional puts that remember their import and line, so a
//! retried chunk recognises its own rows and creates and counts nothing twice.

pub mod dead_letter;
pub mod event;
pub mod job;
pub mod pipeline;
pub mod registry;
pub mod report;

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use domain::import::Limits;
use ports::{Clock, Faults};

/// Tunables.
#[derive(Debug, Clone)]
pub struct ImportSettings {
    /// Rows per chunk (one checkpoint each).
    pub chunk_rows: usize,
    /// Bytes of the file per chunk, at most (a chunk ends at the first row end past it).
    pub chunk_bytes: u64,
    /// Files larger than this are refused.
    pub max_file_bytes: u64,
    /// Row limits.
    pub limits: Limits,
    /// Conditional puts in flight at once.
    pub write_concurrency: usize,
    /// Stop starting chunks this long before the invocation's deadline.
    pub deadline_margin: Duration,
    /// The import queue's dead-letter queue: its messages give their import up
    /// ([`dead_letter`]) instead of running it again.
    pub dead_letter_queue_arn: Option<String>,
}

impl Default for ImportSettings {
    fn default() -> Self {
        Self {
            chunk_rows: 5_000,
            chunk_bytes: 8 * 1024 * 1024,
            max_file_bytes: 512 * 1024 * 1024,
            limits: Limits::default(),
            write_concurrency: 32,
            deadline_margin: Duration::from_secs(90),
            dead_letter_queue_arn: None,
        }
    }
}

/// The repositories the importer uses.
pub trait ImporterStore:
    ports::store::Campaigns
    + ports::store::Tenants
    + ports::store::Imports
    + ports::store::Leads
    + ports::store::DoNotCall
    + ports::store::Counters
    + ports::store::Registries
{
}

impl<T> ImporterStore for T where
    T: ports::store::Campaigns
        + ports::store::Tenants
        + ports::store::Imports
        + ports::store::Leads
        + ports::store::DoNotCall
        + ports::store::Counters
        + ports::store::Registries
{
}

/// What the importer reads and writes in the data bucket (a sum of the two bucket ports).
pub trait ImporterBlobs: ports::blobs::Blobs + ports::blobs::BlobReads {}

impl<T: ports::blobs::Blobs + ports::blobs::BlobReads> ImporterBlobs for T {}

/// What the importer uses.
pub struct Importer {
    /// The store, as the importer's repositories.
    pub store: Arc<dyn ImporterStore>,
    /// The data bucket: the uploaded files, the reports written there.
    pub blobs: Arc<dyn ImporterBlobs>,
    /// The import queue, for continuations.
    pub continuations: Arc<dyn ports::queue::MessageQueue>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Crash injection (none in production).
    pub faults: Arc<dyn Faults>,
    /// The deployment's secret for keyed lead ids.
    pub lead_id_key: domain::ids::LeadIdKey,
    /// Tunables.
    pub settings: ImportSettings,
}

/// Handles a batch of import-queue messages; failed ones are retried (and reach the DLQ
/// after the queue's maxReceiveCount). Messages from the DLQ give their import up.
pub async fn handle_batch(
    importer: &Importer,
    event: SqsEvent,
    deadline: std::time::Instant,
) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let dead_lettered = record.event_source_arn.is_some()
            && record.event_source_arn == importer.settings.dead_letter_queue_arn;
        let body = record.body.unwrap_or_default();
        let mut failed = false;
        for request in event::parse_message(&body) {
            let result = if dead_lettered {
                dead_letter::give_up(importer, request).await
            } else {
                job::run(importer, request, deadline).await.map(|_| ())
            };
            if let Err(err) = result {
                tracing::error!(message_id = %id, error = %err, "import failed; will retry");
                failed = true;
            }
        }
        if failed {
            let mut f = BatchItemFailure::default();
            f.item_identifier = id;
            response.batch_item_failures.push(f);
        }
    }
    response
}
