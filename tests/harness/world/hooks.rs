//! Driving the webhook worker in a world: its queue on the emulator, its sweep on the virtual
//! clock, its requests to a real receiver on this machine.

use std::sync::Arc;

use adapters::queue::SqsQueue;
use adapters::webhook_sender::HttpWebhookSender;
use chrono::Duration;
use domain::webhooks::DeliveryStatus;
use engine::webhooks::{Deliveries, JobOutcome};
use ports::store::{WebhookDeliveries, WebhookEndpoints, WebhookEvents, WebhookJob};

use super::{World, receive_visible};

/// What delivering did.
#[derive(Debug, Clone, Default)]
pub struct DeliveryStats {
    /// Jobs handled, by what they did.
    pub fan_outs: u64,
    pub delivered: u64,
    pub retries: u64,
    pub gave_up: u64,
    pub skipped: u64,
    /// Jobs the sweep queued.
    pub swept: u64,
    /// Virtual minutes it took.
    pub minutes: u64,
}

impl World {
    /// Runs the webhook worker until every event is fanned out and every delivery settled, or
    /// `max_minutes` virtual minutes: each minute, the queue is drained (each batch at once),
    /// then the clock moves a minute and the sweep runs. Requests time out after `timeout`.
    pub async fn deliver_outbound_webhooks(
        &self,
        timeout: std::time::Duration,
        max_minutes: u64,
    ) -> anyhow::Result<DeliveryStats> {
        let deliveries = self.webhook_worker(timeout)?;
        let mut stats = DeliveryStats::default();
        for minute in 0..max_minutes {
            self.drain_webhook_queue(&deliveries, &mut stats).await?;
            if self.webhooks_settled().await? {
                stats.minutes = minute;
                return Ok(stats);
            }
            self.clock.advance(Duration::minutes(1));
            stats.swept += deliveries.sweep().await? as u64;
        }
        anyhow::bail!("webhooks not settled after {max_minutes} minutes: {stats:?}")
    }

    /// A webhook worker on the world's queue and store, sending to real receivers with
    /// requests that time out after `timeout`; delays are the virtual clock's (a job due
    /// later is skipped when early, and the sweep queues it once its time came).
    pub fn webhook_worker(&self, timeout: std::time::Duration) -> anyhow::Result<Deliveries> {
        let url = self
            .webhook_queue_url
            .clone()
            .ok_or_else(|| anyhow::anyhow!("the world was built without webhooks"))?;
        let queue = SqsQueue::new(self.sqs.clone(), &url).with_delay_scale(0.0);
        Ok(Deliveries {
            store: self.store.clone(),
            queue: Arc::new(queue),
            sender: Arc::new(HttpWebhookSender::with_timeout(true, timeout)?),
            clock: Arc::new(self.clock.clone()),
            guards: Default::default(),
        })
    }

    /// Handles what the webhook queue holds until it is empty, each batch at once (as the
    /// webhook function does).
    pub async fn drain_webhook_queue(
        &self,
        deliveries: &Deliveries,
        stats: &mut DeliveryStats,
    ) -> anyhow::Result<()> {
        let url = self
            .webhook_queue_url
            .clone()
            .ok_or_else(|| anyhow::anyhow!("the world was built without webhooks"))?;
        loop {
            let messages = receive_visible(&self.sqs, &url).await?;
            if messages.is_empty() {
                return Ok(());
            }
            let jobs = messages.iter().map(|m| async move {
                let job: WebhookJob = serde_json::from_str(m.body().unwrap_or_default())?;
                anyhow::Ok(deliveries.handle(&job).await?)
            });
            for outcome in futures::future::join_all(jobs).await {
                match outcome? {
                    JobOutcome::FannedOut(_) => stats.fan_outs += 1,
                    JobOutcome::Delivered(_) => stats.delivered += 1,
                    JobOutcome::WillRetry(_) => stats.retries += 1,
                    JobOutcome::GaveUp => stats.gave_up += 1,
                    JobOutcome::Skipped(_) => stats.skipped += 1,
                }
            }
            for m in &messages {
                self.sqs
                    .delete_message()
                    .queue_url(&url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await?;
            }
        }
    }

    /// Whether every recorded event is fanned out and every delivery settled.
    async fn webhooks_settled(&self) -> anyhow::Result<bool> {
        let tenant = &self.campaign.tenant;
        let fanned = self
            .store
            .recent_events(tenant, 10_000)
            .await?
            .into_iter()
            .all(|(_, fanned)| fanned);
        if !fanned {
            return Ok(false);
        }
        for endpoint in self.store.endpoints(tenant).await? {
            let log = self.store.deliveries(tenant, &endpoint.id, 10_000).await?;
            if log.iter().any(|d| d.status == DeliveryStatus::Pending) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
