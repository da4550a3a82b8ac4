//! Outbound webhooks as stored: a tenant's endpoints, the outbox of events (written in the same
//! transaction as the change they report), and one delivery per (endpoint, event) with its
//! attempts — the endpoint's delivery log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::TenantId;
use domain::webhooks::{DeliveryAttempt, DeliveryStatus, EndpointSpec, Event};
use serde::{Deserialize, Serialize};

use super::{StoreError, WriteError};

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointRecord {
    pub tenant: TenantId,
    /// `we_...`.
    pub id: String,
    pub spec: EndpointSpec,
    /// The signing secret (`whsec_...`): shown once, at creation or rotation.
    pub secret: String,
    /// The secret before the last rotation, still signing beside it until its time is up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<PreviousSecret>,
    /// Until when its deliveries are not tried: a worker's circuit breaker opened after
    /// failures in a row, shared here so the other workers need not learn it with tries of
    /// their own (`engine::webhooks::guard`). Past: the next try is a probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_open_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A rotated-out secret and when it stops signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousSecret {
    pub secret: String,
    pub until: DateTime<Utc>,
}

impl EndpointRecord {
    /// The secrets a delivery at `now` is signed with: the current one, then the previous
    /// one while its overlap lasts.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let Some(previous) = self.previous_secret.as_ref().filter(|p| now < p.until) {
            secrets.push(&previous.secret);
        }
        secrets
    }
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub tenant: TenantId,
    pub endpoint: String,
    pub event: Event,
    pub status: DeliveryStatus,
    /// Failed tries since the last redelivery (the backoff counts these).
    pub failures: u32,
    /// The latest tries, newest last (at most [`DeliveryRecord::KEPT_ATTEMPTS`]).
    pub attempts: Vec<DeliveryAttempt>,
    /// When the next try is due (pending only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_at: Option<DateTime<Utc>>,
    /// Bumped by every write; writes are conditional on it.
    pub version: u64,
}

impl DeliveryRecord {
    /// Tries kept in the log per delivery.
    pub const KEPT_ATTEMPTS: usize = 20;
}

/// What is due: an event not yet fanned out to its endpoints, or a delivery's next try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WebhookJob {
    /// Create the event's deliveries (one per endpoint that wants it) and send them.
    Fanout { tenant: TenantId, event: String },
    /// Try one delivery.
    Deliver {
        tenant: TenantId,
        endpoint: String,
        event: String,
    },
}

impl WebhookJob {
    /// The tenant whose event it is.
    pub fn tenant(&self) -> &TenantId {
        match self {
            Self::Fanout { tenant, .. } | Self::Deliver { tenant, .. } => tenant,
        }
    }

    /// The event's id.
    pub fn event(&self) -> &str {
        match self {
            Self::Fanout { event, .. } | Self::Deliver { event, .. } => event,
        }
    }
}

/// The tenant's webhook endpoints.
#[async_trait]
pub trait WebhookEndpoints: Send + Sync {
    /// Registers an endpoint; refused (`Refusal::PlanLimit`) past [`domain::webhooks::MAX_ENDPOINTS`].
    async fn create_endpoint(&self, record: &EndpointRecord) -> Result<(), WriteError>;
    /// The tenant's endpoints.
    async fn endpoints(&self, tenant: &TenantId) -> Result<Vec<EndpointRecord>, StoreError>;
    /// Replaces an endpoint's spec (its secret stays).
    async fn update_endpoint(
        &self,
        tenant: &TenantId,
        id: &str,
        spec: &EndpointSpec,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError>;
    /// Removes an endpoint (its deliveries expire with their TTL).
    async fn delete_endpoint(&self, tenant: &TenantId, id: &str) -> Result<(), WriteError>;
    /// Records the endpoint's circuit as open until then (none: closed); nothing if it is gone.
    async fn set_endpoint_circuit(
        &self,
        tenant: &TenantId,
        id: &str,
        open_until: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;
    /// Replaces an endpoint's secret `old` with `new`; `old` keeps signing beside it until
    /// `previous_until` (none: not at all). Refused if the secret is no longer `old` (another
    /// rotation came first) or the endpoint is gone.
    async fn rotate_secret(
        &self,
        tenant: &TenantId,
        id: &str,
        old: &str,
        new: &str,
        previous_until: Option<DateTime<Utc>>,
    ) -> Result<(), WriteError>;
}

/// The outbox of events to the tenant, and their fan-out to endpoints.
#[async_trait]
pub trait WebhookEvents: Send + Sync {
    /// Records an event by itself (for changes not written in a lead transaction).
    async fn record_event(&self, tenant: &TenantId, event: &Event) -> Result<(), StoreError>;
    /// An event from the outbox, and whether it was already fanned out.
    async fn event(&self, tenant: &TenantId, id: &str)
    -> Result<Option<(Event, bool)>, StoreError>;
    /// The tenant's latest events, newest first, each with whether it was fanned out.
    async fn recent_events(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<(Event, bool)>, StoreError>;
    /// Creates the event's deliveries (an existing one is left as it is) and marks it fanned
    /// out.
    async fn fan_out(
        &self,
        tenant: &TenantId,
        event: &Event,
        endpoints: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// Each event's delivery to each endpoint, and the work due.
#[async_trait]
pub trait WebhookDeliveries: Send + Sync {
    /// One delivery.
    async fn delivery(
        &self,
        tenant: &TenantId,
        endpoint: &str,
        event: &str,
    ) -> Result<Option<DeliveryRecord>, StoreError>;
    /// Writes a delivery back, conditional on the version it was read at.
    async fn save_delivery(&self, record: &DeliveryRecord) -> Result<(), WriteError>;
    /// An endpoint's latest deliveries, newest first.
    async fn deliveries(
        &self,
        tenant: &TenantId,
        endpoint: &str,
        limit: usize,
    ) -> Result<Vec<DeliveryRecord>, StoreError>;
    /// Work due by `now` (events to fan out, deliveries to try), each pushed `lease` later so a
    /// concurrent sweep does not take it too.
    async fn due_webhook_jobs(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: usize,
    ) -> Result<Vec<WebhookJob>, StoreError>;
}

/// Everything the webhook worker and the API's webhook routes use.
pub trait Webhooks: WebhookEndpoints + WebhookEvents + WebhookDeliveries {}

impl<T> Webhooks for T where T: WebhookEndpoints + WebhookEvents + WebhookDeliveries {}
