//! Fanning events out to endpoints and trying each delivery, at least once.
//!
//! Every step is safe to repeat: a fan-out creates only deliveries that do not exist yet, and a
//! delivery's write is conditional on the version read, so two workers handed the same job
//! (a duplicate message, a sweep racing the fast path) record one attempt each at most — a
//! receiver may then see an event twice, which its id lets it ignore. A delivery that fails
//! waits as [`retry::next_wait`] says: up to 15 minutes on the queue's own delay, longer on the
//! due index for the sweep; after a day it is given up (failed), kept in the endpoint's log,
//! and can be redelivered by hand.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use domain::ids::TenantId;
use domain::webhooks::retry::{self, next_wait};
use domain::webhooks::signature;
use domain::webhooks::{DeliveryAttempt, DeliveryStatus};
use ports::Clock;
use ports::metrics::{self as emf, Metric};
use ports::queue::MessageQueue;
use ports::store::{DeliveryRecord, StoreError, WebhookJob, Webhooks, WriteError};
use ports::webhook_sender::{WebhookRequest, WebhookSender};

use super::enqueue;
use super::guard::{self, Admission, EndpointGuards, Judgement};
use crate::EngineError;

/// How long a swept job is hidden from the next sweeps (the queue delivers it meanwhile).
const SWEEP_LEASE: Duration = Duration::minutes(5);
/// Most jobs one sweep takes per shard.
const SWEEP_BATCH: usize = 100;
/// SQS's longest message delay.
const QUEUE_DELAY: Duration = Duration::minutes(15);

/// What one job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Fanned out to this many endpoints.
    FannedOut(usize),
    /// Delivered (2xx) on this attempt.
    Delivered(u16),
    /// Failed; tried again at this instant.
    WillRetry(DateTime<Utc>),
    /// Failed for a day (or the endpoint is gone): given up.
    GaveUp,
    /// Nothing to do (already done, unknown, or someone else's turn).
    Skipped(&'static str),
}

/// The delivering side: the webhook worker's handler and the sweep.
pub struct Deliveries {
    pub store: Arc<dyn Webhooks>,
    pub queue: Arc<dyn MessageQueue>,
    pub sender: Arc<dyn WebhookSender>,
    pub clock: Arc<dyn Clock>,
    /// Each endpoint's health as this worker saw it (`Default` for a new worker).
    pub guards: EndpointGuards,
}

impl Deliveries {
    /// Handles one job from the webhook queue.
    #[tracing::instrument(name = "webhook_job", skip_all, fields(tenant = %job.tenant(), event = job.event()))]
    pub async fn handle(&self, job: &WebhookJob) -> Result<JobOutcome, EngineError> {
        match job {
            WebhookJob::Fanout { tenant, event } => self.fan_out(tenant, event).await,
            WebhookJob::Deliver {
                tenant,
                endpoint,
                event,
            } => self.deliver(tenant, endpoint, event).await,
        }
    }

    async fn fan_out(&self, tenant: &TenantId, id: &str) -> Result<JobOutcome, EngineError> {
        let Some((event, fanned)) = self.store.event(tenant, id).await? else {
            return Ok(JobOutcome::Skipped("unknown event"));
        };
        if fanned {
            return Ok(JobOutcome::Skipped("already fanned out"));
        }
        let endpoints: Vec<String> = (self.store.endpoints(tenant).await?.into_iter())
            .filter(|e| e.spec.wants(event.kind))
            .map(|e| e.id)
            .collect();
        let now = self.clock.now();
        self.store.fan_out(tenant, &event, &endpoints, now).await?;
        for endpoint in &endpoints {
            let job = WebhookJob::Deliver {
                tenant: tenant.clone(),
                endpoint: endpoint.clone(),
                event: id.to_owned(),
            };
            // Lost sends are found by the sweep (the delivery is due now on the index).
            if let Err(err) = enqueue(self.queue.as_ref(), &job, std::time::Duration::ZERO).await {
                tracing::warn!(event = id, error = %err, "delivery not queued; the sweep will find it");
            }
        }
        Ok(JobOutcome::FannedOut(endpoints.len()))
    }

    async fn deliver(
        &self,
        tenant: &TenantId,
        endpoint_id: &str,
        event_id: &str,
    ) -> Result<JobOutcome, EngineError> {
        let Some(mut delivery) = self.store.delivery(tenant, endpoint_id, event_id).await? else {
            return Ok(JobOutcome::Skipped("unknown delivery"));
        };
        let now = self.clock.now();
        if delivery.status != DeliveryStatus::Pending {
            return Ok(JobOutcome::Skipped("already settled"));
        }
        if delivery
            .next_at
            .is_some_and(|at| at > now + Duration::seconds(5))
        {
            return Ok(JobOutcome::Skipped("not due yet"));
        }
        // A removed or disabled endpoint gets nothing more (its owner turned it off).
        let endpoint = (self.store.endpoints(tenant).await?.into_iter())
            .find(|e| e.id == endpoint_id && e.spec.enabled);
        let Some(endpoint) = endpoint else {
            delivery.status = DeliveryStatus::Failed;
            delivery.next_at = None;
            return self.settle(delivery, JobOutcome::GaveUp).await;
        };
        self.guards
            .adopt(endpoint_id, endpoint.circuit_open_until, now);
        let permit = match self.guards.admit(endpoint_id, now) {
            Admission::Try(permit) => permit,
            Admission::Busy => return self.wait_for_a_place(&delivery).await,
            Admission::Open { until, failures } => {
                emf::put(Metric::count("WebhookCircuitOpen", 1.0));
                keep_attempt(
                    &mut delivery,
                    DeliveryAttempt {
                        at: now,
                        status_code: None,
                        error: Some(format!(
                            "not tried: the endpoint failed {failures} times in a row; \
                             its deliveries wait until {}",
                            until.format("%Y-%m-%dT%H:%M:%SZ")
                        )),
                        duration_ms: 0,
                    },
                );
                let outcome = failed(&mut delivery, now, until);
                return self.settle(delivery, outcome).await;
            }
        };
        let (attempt, answer) = self.try_once(&delivery, &endpoint, now).await?;
        keep_attempt(&mut delivery, attempt);
        let delivered = answer.as_ref().is_ok_and(|c| (200..300).contains(c));
        let judged = self.guards.finished(permit, delivered, self.clock.now());
        self.share_circuit(&endpoint, judged).await;
        let outcome = match answer {
            Ok(code) if delivered => {
                delivery.status = DeliveryStatus::Delivered;
                delivery.next_at = None;
                emf::put(Metric::count("WebhooksDelivered", 1.0));
                JobOutcome::Delivered(code)
            }
            _ => {
                emf::put(Metric::count("WebhookFailures", 1.0));
                failed(&mut delivery, now, now)
            }
        };
        self.settle(delivery, outcome).await
    }

    /// Writes what this try taught of the endpoint on its item, for the other workers: its
    /// circuit opened, or closed again after it had been shared as open. Best effort: a
    /// worker that misses it learns with tries of its own, as before.
    async fn share_circuit(&self, endpoint: &ports::store::EndpointRecord, judged: Judgement) {
        let open_until = match judged {
            Judgement::Opened(until) => Some(until),
            Judgement::Closed if endpoint.circuit_open_until.is_some() => None,
            Judgement::Closed | Judgement::Failed => return,
        };
        let write = (self.store).set_endpoint_circuit(&endpoint.tenant, &endpoint.id, open_until);
        if let Err(err) = write.await {
            tracing::warn!(endpoint = %endpoint.id, error = %err, "endpoint circuit not shared");
        }
    }

    /// The endpoint has its most tries in flight: the job comes back after
    /// [`guard::BUSY_WAIT`], the delivery untouched (still due, so the sweep also finds it).
    async fn wait_for_a_place(&self, delivery: &DeliveryRecord) -> Result<JobOutcome, EngineError> {
        let job = WebhookJob::Deliver {
            tenant: delivery.tenant.clone(),
            endpoint: delivery.endpoint.clone(),
            event: delivery.event.id.clone(),
        };
        let delay = guard::BUSY_WAIT.to_std().unwrap_or_default();
        if let Err(err) = enqueue(self.queue.as_ref(), &job, delay).await {
            tracing::warn!(error = %err, "busy delivery not queued; the sweep will find it");
        }
        Ok(JobOutcome::Skipped("endpoint busy"))
    }

    /// One signed request for `delivery` to `endpoint`: what the log records, and the answer.
    async fn try_once(
        &self,
        delivery: &DeliveryRecord,
        endpoint: &ports::store::EndpointRecord,
        now: DateTime<Utc>,
    ) -> Result<
        (
            DeliveryAttempt,
            Result<u16, ports::webhook_sender::NoAnswer>,
        ),
        EngineError,
    > {
        let body = serde_json::to_vec(&delivery.event).map_err(|e| {
            EngineError::Store(StoreError::Corrupt {
                key: delivery.event.id.clone(),
                reason: e.to_string(),
            })
        })?;
        let request = WebhookRequest {
            url: endpoint.spec.url.clone(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                (
                    signature::HEADER.into(),
                    signature::sign_with_each(&endpoint.signing_secrets(now), now, &body),
                ),
                ("Campaigns-Event-Id".into(), delivery.event.id.clone()),
                (
                    "Campaigns-Event-Type".into(),
                    delivery.event.kind.as_str().into(),
                ),
            ],
            body,
        };
        let started = Instant::now();
        let answer = self.sender.post(request).await;
        let attempt = DeliveryAttempt {
            at: now,
            status_code: answer.as_ref().ok().copied(),
            error: answer.as_ref().err().map(|e| e.0.clone()),
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        Ok((attempt, answer))
    }

    /// Writes the delivery back; a retry soon enough goes back on the queue with its delay
    /// (a later one waits on the due index for the sweep).
    async fn settle(
        &self,
        delivery: DeliveryRecord,
        outcome: JobOutcome,
    ) -> Result<JobOutcome, EngineError> {
        match self.store.save_delivery(&delivery).await {
            Ok(()) => {}
            // Another worker wrote it first: its attempt stands, this one is not recorded.
            Err(WriteError::Refused(_)) => return Ok(JobOutcome::Skipped("raced")),
            Err(err) => return Err(err.into()),
        }
        if let JobOutcome::WillRetry(at) = outcome {
            let wait = at - self.clock.now();
            if wait <= QUEUE_DELAY {
                let job = WebhookJob::Deliver {
                    tenant: delivery.tenant.clone(),
                    endpoint: delivery.endpoint.clone(),
                    event: delivery.event.id.clone(),
                };
                let delay = wait.to_std().unwrap_or_default();
                if let Err(err) = enqueue(self.queue.as_ref(), &job, delay).await {
                    tracing::warn!(error = %err, "retry not queued; the sweep will find it");
                }
            }
        }
        Ok(outcome)
    }

    /// Queues every job whose time came (events not fanned out, deliveries due): run once a
    /// minute. Returns how many.
    pub async fn sweep(&self) -> Result<usize, EngineError> {
        let now = self.clock.now();
        let jobs = self
            .store
            .due_webhook_jobs(now, SWEEP_LEASE, SWEEP_BATCH)
            .await?;
        for job in &jobs {
            enqueue(self.queue.as_ref(), job, std::time::Duration::ZERO).await?;
        }
        Ok(jobs.len())
    }

    /// See [`redeliver`].
    pub async fn redeliver(
        &self,
        tenant: &TenantId,
        endpoint: &str,
        event: &str,
    ) -> Result<bool, EngineError> {
        let now = self.clock.now();
        redeliver(
            self.store.as_ref(),
            self.queue.as_ref(),
            now,
            tenant,
            endpoint,
            event,
        )
        .await
    }
}

/// Tries a delivery again from the start (its backoff reset), whatever its status: the
/// endpoint's owner asked. `false`: no such delivery.
pub async fn redeliver(
    store: &dyn Webhooks,
    queue: &dyn MessageQueue,
    now: DateTime<Utc>,
    tenant: &TenantId,
    endpoint: &str,
    event: &str,
) -> Result<bool, EngineError> {
    let Some(mut delivery) = store.delivery(tenant, endpoint, event).await? else {
        return Ok(false);
    };
    delivery.status = DeliveryStatus::Pending;
    delivery.failures = 0;
    delivery.next_at = Some(now);
    store.save_delivery(&delivery).await?;
    let job = WebhookJob::Deliver {
        tenant: tenant.clone(),
        endpoint: endpoint.to_owned(),
        event: event.to_owned(),
    };
    enqueue(queue, &job, std::time::Duration::ZERO).await?;
    Ok(true)
}

/// Adds `attempt` to the delivery's log, keeping the last [`DeliveryRecord::KEPT_ATTEMPTS`].
fn keep_attempt(delivery: &mut DeliveryRecord, attempt: DeliveryAttempt) {
    delivery.attempts.push(attempt);
    let excess = delivery
        .attempts
        .len()
        .saturating_sub(DeliveryRecord::KEPT_ATTEMPTS);
    delivery.attempts.drain(..excess);
}

/// A failed (or not tried) attempt: the next try after the backoff and not before
/// `not_before`, or the delivery given up when its day is over.
fn failed(
    delivery: &mut DeliveryRecord,
    now: DateTime<Utc>,
    not_before: DateTime<Utc>,
) -> JobOutcome {
    delivery.failures += 1;
    match next_wait(delivery.failures) {
        Some(wait) => {
            let at = (now + wait).max(not_before);
            delivery.next_at = Some(at);
            JobOutcome::WillRetry(at)
        }
        None => {
            delivery.status = DeliveryStatus::Failed;
            delivery.next_at = None;
            JobOutcome::GaveUp
        }
    }
}

/// The longest one request may take.
pub const REQUEST_TIMEOUT: std::time::Duration = retry::REQUEST_TIMEOUT;
