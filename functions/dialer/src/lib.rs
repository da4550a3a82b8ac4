//! The dialer function: consumes the dial queue (SQS, partial batch failures).
//!
//! Each record is one lead. A record that is done (called, handed back, skipped, or already
//! someone else's) succeeds; one that must wait (its planned start, the next second's provider
//! budget, a write conflict) is sent again as a new message delayed that long, and the record
//! succeeds: a normal wait never counts toward the DLQ's receive limit. Only when that send
//! fails is the record reported as failed (it comes back after the visibility timeout). One
//! whose handling failed is reported as failed and retried after the visibility timeout,
//! reaching the DLQ after the template's maxReceiveCount. A wait shorter than a second (SQS delays count whole
//! seconds) is waited in the invocation, at most [`SHORT_WAITS`] times per record.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use engine::Engine;
use engine::dial::DialOutcome;
use engine::messages::DialMessage;
use ports::queue::{MessageQueue, Outgoing};
use ports::store::{AccountDemand, CampaignStatuses, Campaigns, Leads, Tenants};

/// Records handled at once within a batch.
const CONCURRENCY: usize = 10;

/// How many sub-second waits one record may wait in the invocation before it is sent back.
const SHORT_WAITS: usize = 3;

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
    S: Campaigns + CampaignStatuses + Leads + Tenants + AccountDemand,
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
    queue: &dyn MessageQueue,
    event: SqsEvent,
    delay_scale: f64,
) -> SqsBatchResponse
where
    S: Campaigns + CampaignStatuses + Leads + Tenants + AccountDemand,
{
    use futures::StreamExt;
    let results: Vec<(SqsMessage, RecordResult)> = futures::stream::iter(event.records)
        .map(|record| async move {
            let mut result = handle_record(engine, &record).await;
            // A wait shorter than SQS's one-second delay step (the next second's provider
            // budget, the lending half of this one) is waited here: sent back, it would come
            // a whole second or more later, at a random point of that second.
            for _ in 0..SHORT_WAITS {
                let RecordResult::Later(delay) = result else {
                    break;
                };
                let real = delay.mul_f64(delay_scale);
                if real >= std::time::Duration::from_secs(1) {
                    break;
                }
                tokio::time::sleep(real).await;
                result = handle_record(engine, &record).await;
            }
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
                if !wait_again(queue, &record, seconds).await {
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
/// receive count) — true, the record itself is done. If the copy cannot be sent (false), the
/// record is reported as failed and comes back after the queue's visibility timeout: later
/// than planned, which only costs time (its lease may lapse and a tick leases it again; no
/// claim is ever made twice).
async fn wait_again(queue: &dyn MessageQueue, record: &SqsMessage, seconds: f64) -> bool {
    let id = record.message_id.as_deref().unwrap_or_default();
    let Some(body) = record.body.clone() else {
        return false;
    };
    let delay = std::time::Duration::from_secs_f64(seconds.ceil().clamp(0.0, MAX_DELAY_SECONDS));
    match queue.send(vec![Outgoing { body, delay }]).await {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!(message_id = %id, error = %err, "could not re-send the record; it comes back after the visibility timeout");
            false
        }
    }
}

fn failure(id: String) -> BatchItemFailure {
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = id;
    failure
}
