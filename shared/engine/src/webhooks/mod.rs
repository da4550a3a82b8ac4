//! Outbound webhooks: what the engine tells a tenant's own systems.
//!
//! Recording: a handler that makes something true asks [`Outbox::wants`] whether any of the
//! tenant's endpoints wants that event type (cached for `ttl`, like agents), builds the event,
//! and writes it in the same transaction as the change (a lead's outcome, a campaign's status).
//! After the write, [`Outbox::announce`] puts a fan-out job on the webhook queue: the fast path.
//! If that send is lost, the sweep finds the event on the due index within a minute.
//!
//! Delivering: [`Deliveries`] (in [`delivery`]) fans an event out to its endpoints and tries each
//! delivery, signed, retrying with backoff for a day.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use domain::ids::{CampaignRef, LeadRef, TenantId};
use domain::lead::{AttemptRecord, Lead};
use domain::status::CampaignStatus;
use domain::webhooks::{Event, EventType};
use ports::queue::{MessageQueue, Outgoing};
use ports::store::{EndpointRecord, StoreError, WebhookJob, Webhooks};
use serde_json::json;

use crate::ttl_cache::TtlCache;

pub mod delivery;
pub mod guard;

pub use delivery::{Deliveries, JobOutcome, redeliver};

/// The recording side, shared by the handlers that make events true.
pub struct Outbox {
    store: Arc<dyn Webhooks>,
    queue: Arc<dyn MessageQueue>,
    endpoints: TtlCache<TenantId, Vec<EndpointRecord>>,
    ttl: Duration,
}

impl Outbox {
    /// An outbox over `store`, announcing on `queue`, remembering a tenant's endpoints for
    /// `ttl` (a new endpoint receives events from at most `ttl` after it is registered).
    pub fn new(store: Arc<dyn Webhooks>, queue: Arc<dyn MessageQueue>, ttl: Duration) -> Self {
        Self {
            store,
            queue,
            endpoints: TtlCache::default(),
            ttl,
        }
    }

    /// Whether any enabled endpoint of `tenant` wants events of `kind`.
    pub async fn wants(
        &self,
        tenant: &TenantId,
        kind: EventType,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let endpoints = match self.endpoints.fresh(tenant, now, self.ttl) {
            Some(known) => known,
            None => {
                let read = self.store.endpoints(tenant).await?;
                self.endpoints.put(tenant.clone(), now, read.clone());
                read
            }
        };
        Ok(endpoints.iter().any(|e| e.spec.wants(kind)))
    }

    /// After the write that recorded `event`: the fan-out job, at once. A failure is logged,
    /// not returned: the event is already recorded, and the sweep delivers it.
    pub async fn announce(&self, tenant: &TenantId, event: &Event) {
        announce_on(self.queue.as_ref(), tenant, event).await;
    }
}

/// Queues `event`'s fan-out on `queue` (see [`Outbox::announce`]).
pub async fn announce_on(queue: &dyn MessageQueue, tenant: &TenantId, event: &Event) {
    let job = WebhookJob::Fanout {
        tenant: tenant.clone(),
        event: event.id.clone(),
    };
    if let Err(err) = enqueue(queue, &job, std::time::Duration::ZERO).await {
        tracing::warn!(event = %event.id, error = %err, "webhook fan-out not queued; the sweep will find it");
    }
}

/// Puts one job on the webhook queue, visible after `delay` (at most SQS's 15 minutes).
pub(crate) async fn enqueue(
    queue: &dyn MessageQueue,
    job: &WebhookJob,
    delay: std::time::Duration,
) -> Result<(), ports::queue::QueueError> {
    let body =
        serde_json::to_string(job).map_err(|e| ports::queue::QueueError::Invalid(e.to_string()))?;
    queue.send(vec![Outgoing { body, delay }]).await
}

/// A new event id: time-ordered (a ULID), so sorting ids sorts by creation.
pub fn new_event_id(at: DateTime<Utc>) -> String {
    let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    let id = ulid::Ulid::from_parts(ms, rand_bits());
    format!("evt_{}", id.to_string().to_lowercase())
}

fn rand_bits() -> u128 {
    ulid::Ulid::generate().random()
}

/// `call.completed`: one attempt's end, with what the agent reported.
pub fn call_completed(lead: &LeadRef, phone: &str, record: &AttemptRecord, sequence: u64) -> Event {
    let data = json!({
        "phone": phone,
        "attempt": record.attempt,
        "outcome": record.outcome,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "duration_seconds": record.duration_seconds,
        "disposition": record.shown_disposition(),
        "results": record.report.results,
        "answered_by": record.answered_by,
        "transferred": record.transferred,
    });
    lead_event(
        EventType::CallCompleted,
        lead,
        record.ended_at,
        sequence,
        data,
    )
}

/// `lead.opted_out`: the person asked not to be called again (their number is on the tenant's
/// Do-Not-Call list from the same write).
pub fn lead_opted_out(lead: &Lead, key: &LeadRef, record: &AttemptRecord, sequence: u64) -> Event {
    let data = json!({ "phone": lead.contact.phone.to_string(), "attempt": record.attempt });
    lead_event(
        EventType::LeadOptedOut,
        key,
        record.ended_at,
        sequence,
        data,
    )
}

fn lead_event(
    kind: EventType,
    lead: &LeadRef,
    at: DateTime<Utc>,
    sequence: u64,
    data: serde_json::Value,
) -> Event {
    Event {
        id: new_event_id(at),
        kind,
        created_at: at,
        campaign_id: lead.campaign.campaign.to_string(),
        lead_id: Some(lead.lead.to_string()),
        sequence: Some(sequence),
        data,
    }
}

/// `campaign.status_changed`, with a guardrail's reason when one paused it.
pub fn campaign_status_changed(
    campaign: &CampaignRef,
    from: CampaignStatus,
    to: CampaignStatus,
    at: DateTime<Utc>,
    reason: Option<&domain::guardrails::PauseReason>,
) -> Event {
    let mut data = json!({ "from": from, "to": to });
    if let Some(reason) = reason {
        data["pause_reason"] = json!(reason);
    }
    Event {
        id: new_event_id(at),
        kind: EventType::CampaignStatusChanged,
        created_at: at,
        campaign_id: campaign.campaign.to_string(),
        lead_id: None,
        sequence: None,
        data,
    }
}

impl<S> crate::Engine<S> {
    /// The webhook events an attempt's end makes true, for the endpoints that want them:
    /// `call.completed`, and `lead.opted_out` for an opt-out. `sequence`: the lead's version
    /// after the write.
    pub(crate) async fn attempt_events(
        &self,
        lead: &Lead,
        key: &LeadRef,
        record: &AttemptRecord,
        sequence: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>, StoreError> {
        let Some(hooks) = &self.hooks else {
            return Ok(Vec::new());
        };
        let tenant = &key.campaign.tenant;
        let mut events = Vec::new();
        if hooks.wants(tenant, EventType::CallCompleted, now).await? {
            let phone = lead.contact.phone.to_string();
            events.push(call_completed(key, &phone, record, sequence));
        }
        if record.outcome == domain::retry::Outcome::OptedOut
            && hooks.wants(tenant, EventType::LeadOptedOut, now).await?
        {
            events.push(lead_opted_out(lead, key, record, sequence));
        }
        Ok(events)
    }

    /// The `campaign.status_changed` event of a move, when this engine records events (every
    /// status change is recorded: they are few, and the fan-out finds who wants them).
    pub(crate) fn status_event(
        &self,
        campaign: &CampaignRef,
        from: CampaignStatus,
        to: CampaignStatus,
        at: DateTime<Utc>,
        reason: Option<&domain::guardrails::PauseReason>,
    ) -> Option<Event> {
        self.hooks
            .as_ref()
            .map(|_| campaign_status_changed(campaign, from, to, at, reason))
    }

    /// Moves a campaign's status, recording its `campaign.status_changed` event in the same
    /// write (see [`Self::status_event`]) and announcing it after.
    pub(crate) async fn move_campaign(
        &self,
        campaign: &CampaignRef,
        from: CampaignStatus,
        to: CampaignStatus,
        now: DateTime<Utc>,
    ) -> Result<(), ports::store::WriteError>
    where
        S: ports::store::CampaignStatuses,
    {
        match self.status_event(campaign, from, to, now, None) {
            None => {
                self.store
                    .set_campaign_status(campaign, from, to, now)
                    .await
            }
            Some(event) => {
                self.store
                    .set_campaign_status_telling(campaign, from, to, now, &event)
                    .await?;
                self.announce(&campaign.tenant, std::slice::from_ref(&event))
                    .await;
                Ok(())
            }
        }
    }

    /// After the write that recorded `events`: their fan-out jobs.
    pub(crate) async fn announce(&self, tenant: &TenantId, events: &[Event]) {
        if let Some(hooks) = &self.hooks {
            for event in events {
                hooks.announce(tenant, event).await;
            }
        }
    }
}

/// `import.completed` (every row accounted for) or `import.failed` (the file refused, or the
/// import given up): the import's counts, or why. `None` for an import still going.
pub fn import_finished(record: &ports::store::ImportRecord, at: DateTime<Utc>) -> Option<Event> {
    use ports::store::ImportStatus;
    let kind = match record.status {
        ImportStatus::Completed => EventType::ImportCompleted,
        ImportStatus::Rejected | ImportStatus::Failed => EventType::ImportFailed,
        ImportStatus::AwaitingUpload | ImportStatus::Processing => return None,
    };
    let data = json!({
        "import_id": record.id.to_string(),
        "status": record.status,
        "rows_read": record.rows_read,
        "imported": record.imported,
        "rejected": record.rejected_total(),
        "rejected_by_reason": record.rejected,
        "refusal": record.refusal,
        "report_available": record.report_key.is_some(),
    });
    Some(Event {
        id: new_event_id(at),
        kind,
        created_at: at,
        campaign_id: record.campaign.campaign.to_string(),
        lead_id: None,
        sequence: None,
        data,
    })
}

/// `export.ready`: the file is written; its download URL comes from
/// `GET /v1/campaigns/{campaign_id}/exports/{export_id}` (a signed URL expires, so none is sent).
pub fn export_ready(record: &ports::store::ExportRecord, at: DateTime<Utc>) -> Event {
    let data = json!({
        "export_id": record.id.to_string(),
        "kind": record.kind,
        "rows": record.rows,
        "bytes": record.bytes,
    });
    Event {
        id: new_event_id(at),
        kind: EventType::ExportReady,
        created_at: at,
        campaign_id: record.campaign.campaign.to_string(),
        lead_id: None,
        sequence: None,
        data,
    }
}

/// `caller_number.rested`: the health rule rested one of the agent's numbers (judged by the
/// tick of `campaign`).
pub fn caller_number_rested(
    campaign: &domain::ids::CampaignRef,
    number: &domain::phone::E164,
    rest: &domain::caller_health::NumberRest,
) -> Event {
    let data = json!({
        "number": number.as_str(),
        "reason": rest.reason,
        "until": rest.until,
        "by_hand": rest.by_hand,
    });
    Event {
        id: new_event_id(rest.since),
        kind: EventType::CallerNumberRested,
        created_at: rest.since,
        campaign_id: campaign.campaign.to_string(),
        lead_id: None,
        sequence: None,
        data,
    }
}
