//! The results function: each SQS record is a [`ResultsJob`] (an export to write, a campaign
//! to reconcile, a number to erase). A record that cannot be parsed is dropped with an error log (retrying cannot
//! fix it); a job that fails is reported as a batch item failure, so SQS retries it and, past
//! the redrive limit, moves it to the dead-letter queue. This function also consumes that
//! queue: a dead-lettered job is given up ([`give_up_job`]: an export is marked failed).

use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use domain::ids::LeadIdKey;
use engine::erasure::ErasureTools;
use engine::results::{ResultsJob, ResultsStore, give_up_job, run_job};
use ports::Clock;
use ports::blobs::{BlobReads, Blobs};

/// What the handler needs: the store's repositories and the bucket, as ports.
pub struct Worker<S> {
    pub store: Arc<S>,
    /// The data bucket.
    pub blobs: Arc<dyn Blobs>,
    /// The same bucket read (an erasure reads the rejected-rows reports).
    pub reads: Arc<dyn BlobReads>,
    /// The deployment's lead id key (an erasure derives lead ids and the number's marker);
    /// without it erasure jobs fail (and reach the dead-letter queue).
    pub lead_key: Option<LeadIdKey>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The results queue's dead-letter queue: its records are given up, not run.
    pub dead_letter_queue_arn: Option<String>,
}

/// Handles a batch of results jobs, one at a time (each reads a whole campaign).
pub async fn handle_batch<S: ResultsStore>(
    worker: &Worker<S>,
    event: SqsEvent,
) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let job: ResultsJob = match serde_json::from_str(record.body.as_deref().unwrap_or("")) {
            Ok(job) => job,
            Err(err) => {
                tracing::error!(message = %id, error = %err, "dropping a results message that is not a job");
                continue;
            }
        };
        let dead_lettered = record.event_source_arn.is_some()
            && record.event_source_arn == worker.dead_letter_queue_arn;
        let result = if dead_lettered {
            give_up_job(worker.store.as_ref(), &job, worker.clock.now()).await
        } else {
            let tools = worker.lead_key.as_ref().map(|key| ErasureTools {
                blobs: worker.blobs.as_ref(),
                reads: worker.reads.as_ref(),
                key,
            });
            run_job(
                worker.store.as_ref(),
                worker.blobs.as_ref(),
                &job,
                worker.clock.clone(),
                tools,
            )
            .await
        };
        if let Err(err) = result {
            tracing::error!(message = %id, error = %err, "results job failed; SQS will retry it");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

impl<S> Clone for Worker<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            blobs: self.blobs.clone(),
            reads: self.reads.clone(),
            lead_key: self.lead_key.clone(),
            clock: self.clock.clone(),
            dead_letter_queue_arn: self.dead_letter_queue_arn.clone(),
        }
    }
}
