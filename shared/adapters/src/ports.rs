//! The ports (defined in the `ports` crate, re-exported here for the callers that still name
//! them through the adapters) and the DynamoDB store's implementations of the store ports.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::{AgentId, CampaignRef, LeadRef, TenantId};
use domain::lead::{DueKind, Lead};
use domain::phone::E164;
use domain::status::CampaignStatus;

pub use ::ports::store::{
    AgentReader, CampaignReader, CampaignSnapshot, CampaignStatusWriter, Counters, DoNotCall,
    DueLeads, LeadReader, LeadTransitions,
};
pub use ::ports::{Clock, Faults, InjectedCrash, ManualClock, NoFaults, ScaledClock, SystemClock};

use crate::store::{
    AgentRecord, CampaignCounters, CampaignRecord, DueBatch, DueRead, DueScan, DynamoStore,
    LeadWrite, StoreError, WriteError,
};

#[async_trait]
impl CampaignSnapshot for DynamoStore {
    async fn campaign_with_counters(
        &self,
        campaign: &CampaignRef,
    ) -> Result<(Option<CampaignRecord>, CampaignCounters), StoreError> {
        DynamoStore::campaign_with_counters(self, campaign).await
    }
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
