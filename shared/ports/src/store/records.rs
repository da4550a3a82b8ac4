//! Campaigns and agents as the store keeps them.

use chrono::{DateTime, Utc};
use domain::agent::AgentSpec;
use domain::config::CampaignSpec;
use domain::ids::{AgentId, CampaignId, CampaignRef, TenantId};
use domain::status::CampaignStatus;
use serde::{Deserialize, Serialize};

/// A campaign as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRecord {
    pub tenant: TenantId,
    pub id: CampaignId,
    /// Lifecycle status.
    pub status: CampaignStatus,
    /// Bumped by every configuration change; dialers cache configuration by it.
    pub config_version: u64,
    /// The normalized configuration.
    pub spec: CampaignSpec,
    /// How its lead ids are derived: keyed for campaigns created since keyed ids exist; a
    /// stored campaign without the field is older and keeps plain ids.
    #[serde(default)]
    pub lead_ids: domain::ids::LeadIdScheme,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When it last became Active (launch, start or resume): the guardrails judge only what
    /// happened since. Absent on campaigns stored before guardrails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_since: Option<DateTime<Utc>>,
    /// Why a guardrail paused it; cleared when it becomes Active again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_reason: Option<domain::guardrails::PauseReason>,
}

impl CampaignRecord {
    /// The campaign's reference.
    pub fn reference(&self) -> CampaignRef {
        CampaignRef {
            tenant: self.tenant.clone(),
            campaign: self.id.clone(),
        }
    }
}

/// A campaign to create (in Draft).
#[derive(Debug, Clone)]
pub struct NewCampaign {
    /// Owner and id.
    pub campaign: CampaignRef,
    /// Normalized configuration.
    pub spec: CampaignSpec,
    /// Creation time.
    pub now: DateTime<Utc>,
}

/// An agent as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRecord {
    pub tenant: TenantId,
    pub id: AgentId,
    /// Normalized settings.
    pub spec: AgentSpec,
    /// Bumped by every change.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
