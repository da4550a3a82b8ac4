//! The dialer function: consumes the dial queue (SQS, partial batch failures).
//!
//! Each record is one lead. A record that is done (called, handed back, skipped, or already
//! someone else's) succeeds; one that must wait (its planned start, the next second's provider
//! budget, a write conflict) is sent again as a new message delayed that long, and the record
//! succeeds: a normal wait never counts toward the DLQ's receive limit. Only when that send
//! fails is the record made invisible for the wait and reported as failed. One whose handling
//! failed is reported as failed and retried after the visibility timeout, reaching the DLQ
//! after the template's maxReceiveCount.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use engine::Engine;
use engine::dial::DialOutcome;
use engine::messages::DialMessage;
use ports::store::{CampaignStatuses, Campaigns, Leads, Tenants};

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
    S: Campaigns + CampaignStatuses + Leads + Tenants,
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

/// Handles a batch and reports the records to deliver again. A record that must wait comes
/// back after its wait times `delay_scale` (real seconds per clock second: 1 in Lambda).
pub async fn handle_batch<S>(
    engine: &Engine<S>,
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    event: SqsEvent,
    delay_scale: f64,
) -> SqsBatchResponse
where
    S: Campaigns + CampaignStatuses + Leads + Tenants,
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
                let seconds = delay.as_secs_f64() * delay_scale;
                if !wait_again(sqs, queue_url, &record, seconds).await {
                    response.batch_item_failures.push(failure(id));
                }
            }
            RecordResult::Failed => response.batch_item_failures.push(failure(id)),
        }
    }
    response
}

/// SQS's longest message delay (15 minutes); a longer wait is re-evaluated then.
const MAX_DELAY_SECONDS: f64 = 900.0;

/// Makes `record` come back after `seconds`: a copy of it sent with that delay (a fresh
/// receive count) — true, the record itself is done. If the copy cannot be sent, the record
/// is made invisible for the wait instead and must be reported as failed (false).
async fn wait_again(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    record: &SqsMessage,
    seconds: f64,
) -> bool {
    let id = record.message_id.as_deref().unwrap_or_default();
    let delay = seconds.ceil().clamp(0.0, MAX_DELAY_SECONDS) as i32;
    if let Some(body) = record.body.as_deref() {
        let sent = sqs
            .send_message()
            .queue_url(queue_url)
            .message_body(body)
            .delay_seconds(delay)
            .send()
            .await;
        match sent {
            Ok(_) => return true,
            Err(err) => {
                tracing::warn!(message_id = %id, error = %aws_sdk_sqs::Error::from(err), "could not re-send the record; holding it instead")
            }
        }
    }
    if let Some(receipt) = record.receipt_handle.as_deref() {
        let visibility = seconds.ceil().clamp(0.0, 43_200.0) as i32;
        let changed = sqs
            .change_message_visibility()
            .queue_url(queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(visibility)
            .send()
            .await;
        if let Err(err) = changed {
            tracing::warn!(message_id = %id, error = %aws_sdk_sqs::Error::from(err), "could not delay the record");
        }
    }
    false
}

fn failure(id: String) -> BatchItemFailure {
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = id;
    failure
}
