//! The webhook worker's part in a local run: its queue's event source, and the sweep once a
//! virtual minute (EventBridge Scheduler's part in a deployment).

use std::sync::Arc;
use std::time::Duration;

use engine::webhooks::Deliveries;

use super::sleep_or_stop;
use super::sources::concurrent_batch_source;

/// Batches of the webhook queue handled at once, as the template's event source allows
/// (`MaximumConcurrency: 10`): a batch waiting on a slow endpoint holds one of them.
const CONCURRENT_BATCHES: usize = 10;

/// Handles the webhook queue's batches as Lambda would.
pub(crate) async fn webhook_loop(
    deliveries: Arc<Deliveries>,
    sqs: aws_sdk_sqs::Client,
    url: String,
    stopped: tokio::sync::watch::Receiver<bool>,
) {
    concurrent_batch_source(sqs, url, stopped, CONCURRENT_BATCHES, move |event| {
        let deliveries = deliveries.clone();
        async move { webhooks::handle_batch(&deliveries, event).await }
    })
    .await;
}

/// Runs the sweep every virtual minute.
pub(crate) async fn sweep_loop(
    deliveries: Arc<Deliveries>,
    speed: f64,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let real = Duration::from_secs_f64((60.0 / speed.max(0.001)).clamp(0.05, 60.0));
    loop {
        if sleep_or_stop(&mut stopped, real).await {
            return;
        }
        if let Err(err) = deliveries.sweep().await {
            tracing::warn!(error = %err, at = %deliveries.clock.now(), "webhook sweep failed");
        }
    }
}
