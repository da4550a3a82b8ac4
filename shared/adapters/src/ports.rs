//! Ports: the small capabilities handlers depend on, one trait each, so a handler names exactly
//! what it uses. The DynamoDB store implements the store capabilities; the queue, the voice
//! providers, the clock and fault injection have ports of their own.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use domain::ids::{CampaignRef, LeadRef, TenantId};
use domain::lead::{DueKind, Lead};
use domain::phone::E164;
use domain::status::CampaignStatus;

use domain::ids::AgentId;

use crate::store::{
    AgentRecord, CampaignCounters, CampaignRecord, DueBatch, DueRead, DueScan, DynamoStore,
    LeadWrite, StoreError, WriteError,
};

/// The time. Everything that depends on the time asks this, so tests and the local runner can
/// run hours of a campaign in seconds.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to (tests, discrete-event simulation).
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Sets the time (never backwards).
    pub fn set(&self, at: DateTime<Utc>) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if at > *now {
            *now = at;
        }
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A clock that runs `speed` times faster than real time from a starting instant (the local
/// runner's `--speed`).
#[derive(Debug, Clone)]
pub struct ScaledClock {
    origin_real: std::time::Instant,
    origin_virtual: DateTime<Utc>,
    speed: f64,
}

impl ScaledClock {
    /// Starts at `origin`, running `speed` times real time.
    pub fn new(origin: DateTime<Utc>, speed: f64) -> Self {
        Self {
            origin_real: std::time::Instant::now(),
            origin_virtual: origin,
            speed: speed.max(0.001),
        }
    }

    /// How many times faster than real time.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Real time that corresponds to a virtual duration.
    pub fn real(&self, virtual_duration: std::time::Duration) -> std::time::Duration {
        virtual_duration.div_f64(self.speed)
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = self.origin_real.elapsed().mul_f64(self.speed);
        self.origin_virtual + Duration::from_std(elapsed).unwrap_or_else(|_| Duration::zero())
    }
}

/// A crash injected by a test between two steps of a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("injected crash at {0}")]
pub struct InjectedCrash(pub &'static str);

/// Fault injection: handlers call [`Faults::crash_point`] between consecutive steps, and a
/// test's implementation may make any of them fail as if the process died there.
pub trait Faults: Send + Sync {
    /// Returns an error when the test wants the process to die at `point`.
    fn crash_point(&self, point: &'static str) -> Result<(), InjectedCrash>;
}

/// No faults (production).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFaults;

impl Faults for NoFaults {
    fn crash_point(&self, _: &'static str) -> Result<(), InjectedCrash> {
        Ok(())
    }
}

/// Reads a campaign's configuration and status.
#[async_trait]
pub trait CampaignReader: Send + Sync {
    /// The campaign, if the tenant has it.
    async fn campaign(&self, campaign: &CampaignRef) -> Result<Option<CampaignRecord>, StoreError>;
}

/// Reads a campaign together with its counters, in one request.
#[async_trait]
pub trait CampaignSnapshot: Send + Sync {
    /// The campaign (if the tenant has it) and its counters.
    async fn campaign_with_counters(
        &self,
        campaign: &CampaignRef,
    ) -> Result<(Option<CampaignRecord>, CampaignCounters), StoreError>;
}

#[async_trait]
impl CampaignSnapshot for DynamoStore {
    async fn campaign_with_counters(
        &self,
        campaign: &CampaignRef,
    ) -> Result<(Option<CampaignRecord>, CampaignCounters), StoreError> {
        DynamoStore::campaign_with_counters(self, campaign).await
    }
}

/// Reads an agent.
#[async_trait]
pub trait AgentReader: Send + Sync {
    /// The agent, if the tenant has it.
    async fn agent(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
    ) -> Result<Option<AgentRecord>, StoreError>;
}

#[async_trait]
impl AgentReader for DynamoStore {
    async fn agent(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
    ) -> Result<Option<AgentRecord>, StoreError> {
        self.get_agent(tenant, agent).await
    }
}

/// Moves a campaign's status.
#[async_trait]
pub trait CampaignStatusWriter: Send + Sync {
    /// From `from` to `to`, refused if no longer in `from`.
    async fn set_campaign_status(
        &self,
        campaign: &CampaignRef,
        from: CampaignStatus,
        to: CampaignStatus,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError>;
}

/// Reads and maintains a campaign's counters.
#[async_trait]
pub trait Counters: Send + Sync {
    /// The counters.
    async fn counters(&self, campaign: &CampaignRef) -> Result<CampaignCounters, StoreError>;
    /// Drops rolling-hour minutes that are wholly more than an hour old.
    async fn roll_hour_window(
        &self,
        campaign: &CampaignRef,
        counters: &CampaignCounters,
        now: DateTime<Utc>,
    ) -> Result<i64, WriteError>;
    /// Leaves a quiet hint: nothing in due shard `s` due before `until[s]`, as of `changes`.
    async fn leave_quiet_hint(
        &self,
        campaign: &CampaignRef,
        until: &[DateTime<Utc>],
        changes: i64,
    ) -> Result<(), StoreError>;
}

/// Reads due leads from the due index.
#[async_trait]
pub trait DueLeads: Send + Sync {
    /// Leads due for `kind` at `now`, as many as `batch` says.
    async fn due_leads(
        &self,
        campaign: &CampaignRef,
        kind: DueKind,
        now: DateTime<Utc>,
        batch: DueBatch,
        first_shard: u8,
    ) -> Result<Vec<Lead>, StoreError>;
    /// The leads a read of the due index asks for, with how far each shard was read.
    async fn scan_due(
        &self,
        campaign: &CampaignRef,
        read: DueRead<'_>,
    ) -> Result<DueScan, StoreError>;
}

/// Reads one lead.
#[async_trait]
pub trait LeadReader: Send + Sync {
    /// The lead, strongly consistent.
    async fn lead(&self, lead: &LeadRef) -> Result<Option<Lead>, StoreError>;
}

/// Writes lead transitions (with counters and guards).
#[async_trait]
pub trait LeadTransitions: Send + Sync {
    /// Writes one transition, all or nothing.
    async fn write_transition(&self, write: LeadWrite<'_>) -> Result<(), WriteError>;
}

/// The tenant's Do-Not-Call list.
#[async_trait]
pub trait DoNotCall: Send + Sync {
    /// Adds a number.
    async fn add_dnc(
        &self,
        tenant: &TenantId,
        number: &E164,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Whether a number is on the list.
    async fn is_dnc(&self, tenant: &TenantId, number: &E164) -> Result<bool, StoreError>;
}

#[async_trait]
impl CampaignReader for DynamoStore {
    async fn campaign(&self, campaign: &CampaignRef) -> Result<Option<CampaignRecord>, StoreError> {
        self.get_campaign(campaign).await
    }
}

#[async_trait]
impl CampaignStatusWriter for DynamoStore {
    async fn set_campaign_status(
        &self,
        campaign: &CampaignRef,
        from: CampaignStatus,
        to: CampaignStatus,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError> {
        DynamoStore::set_campaign_status(self, campaign, from, to, now).await
    }
}

#[async_trait]
impl Counters for DynamoStore {
    async fn counters(&self, campaign: &CampaignRef) -> Result<CampaignCounters, StoreError> {
        DynamoStore::counters(self, campaign).await
    }

    async fn roll_hour_window(
        &self,
        campaign: &CampaignRef,
        counters: &CampaignCounters,
        now: DateTime<Utc>,
    ) -> Result<i64, WriteError> {
        DynamoStore::roll_hour_window(self, campaign, counters, now).await
    }

    async fn leave_quiet_hint(
        &self,
        campaign: &CampaignRef,
        until: &[DateTime<Utc>],
        changes: i64,
    ) -> Result<(), StoreError> {
        DynamoStore::leave_quiet_hint(self, campaign, until, changes).await
    }
}

#[async_trait]
impl DueLeads for DynamoStore {
    async fn due_leads(
        &self,
        campaign: &CampaignRef,
        kind: DueKind,
        now: DateTime<Utc>,
        batch: DueBatch,
        first_shard: u8,
    ) -> Result<Vec<Lead>, StoreError> {
        DynamoStore::due_leads(self, campaign, kind, now, batch, first_shard).await
    }

    async fn scan_due(
        &self,
        campaign: &CampaignRef,
        read: DueRead<'_>,
    ) -> Result<DueScan, StoreError> {
        DynamoStore::scan_due(self, campaign, read).await
    }
}

#[async_trait]
impl LeadReader for DynamoStore {
    async fn lead(&self, lead: &LeadRef) -> Result<Option<Lead>, StoreError> {
        self.get_lead(lead).await
    }
}

#[async_trait]
impl LeadTransitions for DynamoStore {
    async fn write_transition(&self, write: LeadWrite<'_>) -> Result<(), WriteError> {
        DynamoStore::write_transition(self, write).await
    }
}

#[async_trait]
impl DoNotCall for DynamoStore {
    async fn add_dnc(
        &self,
        tenant: &TenantId,
        number: &E164,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        DynamoStore::add_dnc(self, tenant, number, source, now).await
    }

    async fn is_dnc(&self, tenant: &TenantId, number: &E164) -> Result<bool, StoreError> {
        DynamoStore::is_dnc(self, tenant, number).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_forward_and_only_when_told() {
        let t = DateTime::parse_from_rfc3339("2026-06-10T15:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = ManualClock::at(t);
        assert_eq!(clock.now(), t);
        clock.advance(Duration::seconds(30));
        assert_eq!(clock.now(), t + Duration::seconds(30));
        clock.set(t);
        assert_eq!(clock.now(), t + Duration::seconds(30), "never backwards");
    }

    #[test]
    fn a_scaled_clock_runs_faster_than_real_time() {
        let t = DateTime::parse_from_rfc3339("2026-06-10T15:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = ScaledClock::new(t, 3600.0);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let elapsed = clock.now() - t;
        assert!(elapsed >= Duration::seconds(60), "{elapsed}");
        assert_eq!(
            clock.real(std::time::Duration::from_secs(3600)),
            std::time::Duration::from_secs(1)
        );
    }
}
