//! The webhook worker. Two kinds of invocation:
//! - an SQS batch from the webhook queue: each record is a [`WebhookJob`] (fan an event out,
//!   try a delivery). A record that is not a job is dropped with an error log (retrying cannot
//!   fix it); a job that fails is a batch item failure, so SQS retries it.
//! - the sweep, once a minute (an EventBridge Scheduler schedule): queues every event and
//!   delivery whose time came but whose queue message was lost or is too far out for SQS's
//!   15-minute delay.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use engine::webhooks::Deliveries;
use ports::store::WebhookJob;
use serde::Deserialize;

/// What invoked the function.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    /// The schedule's input: `{"sweep": true}` (first: a queue batch never has `sweep`).
    Sweep { sweep: bool },
    /// A batch from the webhook queue.
    Queue(SqsEvent),
}

/// Handles one invocation; the answer is the batch's failures (empty for a sweep).
pub async fn handle(
    deliveries: &Deliveries,
    invocation: Invocation,
) -> Result<SqsBatchResponse, engine::EngineError> {
    match invocation {
        Invocation::Queue(batch) => Ok(handle_batch(deliveries, batch).await),
        Invocation::Sweep { .. } => {
            let queued = deliveries.sweep().await?;
            tracing::info!(queued, "webhook sweep");
            Ok(SqsBatchResponse::default())
        }
    }
}

/// Handles a batch of jobs at once: each is another endpoint's or event's, so one slow endpoint
/// holds up only its own tries (each bounded by the request timeout and its circuit).
pub async fn handle_batch(deliveries: &Deliveries, event: SqsEvent) -> SqsBatchResponse {
    let jobs = event.records.into_iter().map(|record| async move {
        let id = record.message_id.clone().unwrap_or_default();
        let job: WebhookJob = match serde_json::from_str(record.body.as_deref().unwrap_or("")) {
            Ok(job) => job,
            Err(err) => {
                tracing::error!(message = %id, error = %err, "dropping a webhook message that is not a job");
                return None;
            }
        };
        match deliveries.handle(&job).await {
            Ok(outcome) => {
                tracing::info!(message = %id, ?outcome, "webhook job");
                None
            }
            Err(err) => {
                tracing::error!(message = %id, error = %err, "webhook job failed; SQS will retry it");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                Some(failure)
            }
        }
    });
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = futures::future::join_all(jobs)
        .await
        .into_iter()
        .flatten()
        .collect();
    response
}
