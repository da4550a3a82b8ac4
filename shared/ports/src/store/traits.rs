//! The store capabilities, one trait each, so a handler names exactly what it uses.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::{AgentId, CampaignRef, LeadRef, TenantId};
use domain::lead::{DueKind, Lead};
use domain::phone::E164;
use domain::status::CampaignStatus;

use super::{
    AgentRecord, CampaignCounters, CampaignRecord, DueBatch, DueRead, DueScan, LeadWrite,
    StoreError, WriteError,
};

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
