//! The SQS event sources as Lambda runs them, for the functions the queues feed: receive,
//! hand the records to the function's handler, delete what it did not report as failed. Each
//! runs in its function's [`CALLER`] scope, so the table accesses it makes are recorded as that
//! function's.

use std::sync::Arc;
use std::time::Duration;

use adapters::store::DynamoStore;
use adapters::table_access::CALLER;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use engine::Engine;
use ports::ScaledClock;

use crate::sleep_or_stop;

fn sqs_event(messages: &[aws_sdk_sqs::types::Message]) -> SqsEvent {
    let mut event = SqsEvent::default();
    for m in messages {
        let mut record = SqsMessage::default();
        record.message_id = m.message_id.clone();
        record.receipt_handle = m.receipt_handle.clone();
        record.body = m.body.clone();
        event.records.push(record);
    }
    event
}

/// The SQS event source's part for the dialer: long-poll, hand each record to the dialer
/// handler, delete what is done; a record that must wait is held and handed over again when
/// its (virtual) time comes.
pub(crate) async fn dialer_loop(
    engine: Arc<Engine<DynamoStore>>,
    sqs: aws_sdk_sqs::Client,
    url: String,
    (clock, planned): (Arc<ScaledClock>, crate::measure::PlannedStarts),
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    while let Some(messages) = receive(&sqs, &url, &mut stopped).await {
        for record in sqs_event(&messages).records {
            let (engine, sqs, url, clock, planned) = (
                engine.clone(),
                sqs.clone(),
                url.clone(),
                clock.clone(),
                planned.clone(),
            );
            tokio::spawn(CALLER.scope("dialer", async move {
                loop {
                    planned.record(record.body.as_deref());
                    match dialer::handle_record(&engine, &record).await {
                        dialer::RecordResult::Done => {
                            if let Some(receipt) = &record.receipt_handle {
                                let _ = sqs
                                    .delete_message()
                                    .queue_url(&url)
                                    .receipt_handle(receipt)
                                    .send()
                                    .await;
                            }
                            return;
                        }
                        dialer::RecordResult::Later(delay) => {
                            tokio::time::sleep(clock.real(delay)).await
                        }
                        // Left on the queue: SQS delivers it again after the visibility timeout.
                        dialer::RecordResult::Failed => return,
                    }
                }
            }));
        }
    }
}

/// Receives up to ten messages (long poll); None when stopping.
async fn receive(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    stopped: &mut tokio::sync::watch::Receiver<bool>,
) -> Option<Vec<aws_sdk_sqs::types::Message>> {
    loop {
        if *stopped.borrow() {
            return None;
        }
        match sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
        {
            Ok(out) => return Some(out.messages.unwrap_or_default()),
            Err(err) => {
                tracing::warn!(error = %aws_sdk_sqs::Error::from(err), queue = url, "receiving messages failed");
                if sleep_or_stop(stopped, Duration::from_secs(1)).await {
                    return None;
                }
            }
        }
    }
}

/// Deletes the messages a handler did not report as failed.
async fn delete_done(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
    messages: &[aws_sdk_sqs::types::Message],
    response: &aws_lambda_events::event::sqs::SqsBatchResponse,
) {
    for m in messages {
        let failed = response
            .batch_item_failures
            .iter()
            .any(|f| Some(&f.item_identifier) == m.message_id.as_ref());
        if let (false, Some(receipt)) = (failed, &m.receipt_handle) {
            let _ = sqs
                .delete_message()
                .queue_url(url)
                .receipt_handle(receipt)
                .send()
                .await;
        }
    }
}

/// The SQS event source as Lambda runs it for a batch handler: receive, hand the batch over,
/// delete what the handler did not report as failed.
pub(crate) async fn batch_source<F, Fut>(
    sqs: aws_sdk_sqs::Client,
    url: String,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    handle: F,
) where
    F: Fn(SqsEvent) -> Fut,
    Fut: std::future::Future<Output = aws_lambda_events::event::sqs::SqsBatchResponse>,
{
    while let Some(messages) = receive(&sqs, &url, &mut stopped).await {
        if messages.is_empty() {
            continue;
        }
        let response = handle(sqs_event(&messages)).await;
        delete_done(&sqs, &url, &messages, &response).await;
    }
}

/// The same for a function whose event source runs up to `limit` batches at once
/// (`ScalingConfig.MaximumConcurrency`): one long poll receives, each batch is handled on its
/// own task while fewer than `limit` are. (One poll, not `limit`: the emulator's long polls
/// each keep a thread busy.)
pub(crate) async fn concurrent_batch_source<F, Fut>(
    sqs: aws_sdk_sqs::Client,
    url: String,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    limit: usize,
    handle: F,
) where
    F: Fn(SqsEvent) -> Fut,
    Fut: std::future::Future<Output = aws_lambda_events::event::sqs::SqsBatchResponse>
        + Send
        + 'static,
{
    let places = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    while let Some(messages) = receive(&sqs, &url, &mut stopped).await {
        if messages.is_empty() {
            continue;
        }
        let Ok(place) = places.clone().acquire_owned().await else {
            return;
        };
        let (batch, sqs, url) = (handle(sqs_event(&messages)), sqs.clone(), url.clone());
        tokio::spawn(CALLER.scope(CALLER.get(), async move {
            let response = batch.await;
            delete_done(&sqs, &url, &messages, &response).await;
            drop(place);
        }));
    }
}

/// The SQS event source's part for the results worker.
pub(crate) async fn results_loop(
    worker: results::Worker<DynamoStore>,
    sqs: aws_sdk_sqs::Client,
    url: String,
    stopped: tokio::sync::watch::Receiver<bool>,
) {
    let worker = &worker;
    batch_source(sqs, url, stopped, |event| {
        results::handle_batch(worker, event)
    })
    .await;
}

/// The SQS event source's part for the importer.
pub(crate) async fn importer_loop(
    importer: Arc<importer::Importer>,
    sqs: aws_sdk_sqs::Client,
    url: String,
    stopped: tokio::sync::watch::Receiver<bool>,
) {
    let importer = importer.as_ref();
    batch_source(sqs, url, stopped, |event| {
        let deadline = std::time::Instant::now() + Duration::from_secs(600);
        importer::handle_batch(importer, event, deadline)
    })
    .await;
}
