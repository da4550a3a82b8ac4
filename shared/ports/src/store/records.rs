//! Campaigns and agents as the store keeps them.

use chrono::{DateTime, Utc};
use domain::agent::AgentSpec;
use domain::config::CampaignConfig;
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
    /// The validated configuration, parsed once when the record is read (stored as its
    /// normalized spec). Every reader — API, importer, engine — shares this one parse; a stored
    /// spec that no longer parses makes the record unreadable, and the store sets it aside.
    #[serde(rename = "spec", with = "stored_config")]
    pub config: std::sync::Arc<CampaignConfig>,
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
    /// Its leads expire (DynamoDB's TTL deletes them) at this instant: its end plus the
    /// tenant's retention, written by the results worker's `retain` job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_data_until: Option<DateTime<Utc>>,
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

/// A campaign's configuration as the store keeps it: its normalized spec, parsed on read.
mod stored_config {
    use std::sync::Arc;

    use domain::config::{CampaignConfig, CampaignSpec};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(config: &Arc<CampaignConfig>, s: S) -> Result<S::Ok, S::Error> {
        config.spec().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<CampaignConfig>, D::Error> {
        let spec = CampaignSpec::deserialize(d)?;
        CampaignConfig::parse(spec)
            .map(Arc::new)
            .map_err(serde::de::Error::custom)
    }
}

/// A campaign to create (in Draft).
#[derive(Debug, Clone)]
pub struct NewCampaign {
    /// Owner and id.
    pub campaign: CampaignRef,
    /// The validated configuration.
    pub config: CampaignConfig,
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
