//! The dialer function: consumes the dial queue (SQS, partial batch failures).
//!
//! Each record is one lead. A record that is done (called, handed back, skipped, or already
//! someone else's) succeeds; one that must wait (its planned start, the next second's provider
//! budget) is made invisible for that long and reported as failed, so SQS delivers it again
//! then; one whose handling failed is reported as failed and retried after the visibility
//! timeout, reaching the DLQ after the template's maxReceiveCount.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use engine::Engine;
use engine::dial::DialOutcome;
use engine::messages::DialMessage;
use ports::store::{Campaigns, Leads};

/// Records handled at once within a batch.
const CONCURRENCY: usize = 10;

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordResult {
    /// Done with it.
    Done,
    /// Deliver again after this long (in the engine clock's time).
    Later(std::time::Duration),
    /// Failed; retried after the visibility timeout.
    Failed,
}

/// Handles one record.
pub async fn handle_record<S>(engine: &Engine<S>, record: &SqsMessage) -> RecordResult
where
    S: Campaigns + Leads,
{
    let Some(body) = record.body.as_deref() else {
        tracing::error!(message_id = ?record.message_id, "dial record without a body");
        return RecordResult::Failed;
    };
    let message: DialMessage = match serde_json::from_str(body) {
        Ok(message) => message,
        Err(err) => {
            tracing::error!(message_id = ?record.message_id, error = %err, "malformed dial message");
            return RecordResult::Failed;
        }
    };
    match engine.dial(&message).await {
        Ok(DialOutcome::Done(what)) => {
            tracing::debug!(lead = %message.lead.id, what, "dial done");
            RecordResult::Done
        }
        Ok(DialOutcome::Later(delay)) => RecordResult::Later(delay),
        Err(err) => {
            tracing::warn!(lead = %message.lead.id, error = %err, "dial failed; will retry");
            RecordResult::Failed
        }
    }
}

/// Handles a batch and reports the records to deliver again. A record that must wait is made
/// invisible for its wait times `delay_scale` (real seconds per clock second: 1 in Lambda).
pub async fn handle_batch<S>(
    engine: &Engine<S>,
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    event: SqsEvent,
    delay_scale: f64,
) -> SqsBatchResponse
where
    S: Campaigns + Leads,
{
    use futures::StreamExt;
    let results: Vec<(SqsMessage, RecordResult)> = futures::stream::iter(event.records)
        .map(|record| async move {
            let result = handle_record(engine, &record).await;
            (record, result)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut response = SqsBatchResponse::default();
    for (record, result) in results {
        let id = record.message_id.clone().unwrap_or_default();
        match result {
            RecordResult::Done => {}
            RecordResult::Later(delay) => {
                let seconds = (delay.as_secs_f64() * delay_scale)
                    .ceil()
                    .clamp(0.0, 43_200.0) as i32;
                if let Some(receipt) = record.receipt_handle.as_deref() {
                    let changed = sqs
                        .change_message_visibility()
                        .queue_url(queue_url)
                        .receipt_handle(receipt)
                        .visibility_timeout(seconds)
                        .send()
                        .await;
                    if let Err(err) = changed {
                        tracing::warn!(message_id = %id, error = %aws_sdk_sqs::Error::from(err), "could not delay the record");
                    }
                }
                response.batch_item_failures.push(failure(id));
            }
            RecordResult::Failed => response.batch_item_failures.push(failure(id)),
        }
    }
    response
}

fn failure(id: String) -> BatchItemFailure {
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = id;
    failure
}
