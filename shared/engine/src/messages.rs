//! What the tick puts on the dial queue.

use chrono::{DateTime, Utc};
use domain::ids::{CampaignRef, ErasureId, ExportId, TenantId};
use domain::lead::Lead;
use domain::phone::E164;
use ports::queue::{MessageQueue, Outgoing, QueueError};
use serde::{Deserialize, Serialize};

/// The voice settings of the campaign's agent, read once per tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSettings {
    /// The provider's name.
    pub provider: String,
    /// Caller id: the agent's default number.
    pub from: E164,
    /// The rest of the agent's caller pool: the dialer calls from the one nearest the contact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pool: Vec<E164>,
    /// The tenant's named pool the call comes from instead of `from` and `pool` (the
    /// campaign's, else the agent's): the dialer reads its numbers and limits from the tenant
    /// record it reads anyway, so a change to the pool reaches the next dial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_pool: Option<String>,
    /// Why the dialer chose `from` from the pool (set by the dialer, never sent).
    #[serde(skip)]
    pub chosen_because: Option<String>,
    /// Calls each of those numbers may start per hour and per day.
    #[serde(default)]
    pub limits: domain::caller_limits::CallerLimits,
    /// The agent on the provider.
    pub agent_ref: String,
    /// The voicemail message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicemail_message: Option<String>,
}

impl CallSettings {
    /// Calls from one number (no pool, the default limits), with no voicemail message.
    pub fn from_number(provider: &str, from: E164, agent_ref: &str) -> Self {
        Self {
            provider: provider.to_owned(),
            from,
            pool: Vec::new(),
            named_pool: None,
            chosen_because: None,
            limits: Default::default(),
            agent_ref: agent_ref.to_owned(),
            voicemail_message: None,
        }
    }
}

/// One lead handed to a dialer: a snapshot of the lead as leased (its version and lease token
/// are what the dialer's write is conditional on), so the dialer reads nothing to dial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialMessage {
    pub campaign: CampaignRef,
    /// The campaign configuration version the tick used.
    pub config_version: u64,
    /// The lead as leased.
    pub lead: Lead,
    /// The agent's voice settings.
    pub call: CallSettings,
    /// The planned start; a message that arrives earlier waits.
    pub not_before: DateTime<Utc>,
}

/// Work for the results worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResultsJob {
    /// Write the export `export` of `campaign`.
    Export {
        campaign: CampaignRef,
        /// The export job (already recorded as Queued).
        export: ExportId,
    },
    /// Recompute `campaign`'s counters from its leads; rewrite them if they drifted and
    /// `repair` is set.
    Reconcile {
        campaign: CampaignRef,
        /// Whether to repair drift.
        repair: bool,
    },
    /// Give an ended campaign's leads the expiry the tenant's retention asks for (or take it
    /// off when the tenant keeps its leads).
    Retain { campaign: CampaignRef },
    /// Erase `number` from the tenant's data (the erasure `erasure`, already recorded). The
    /// message is the only place the worker learns the number from: the record never holds it.
    Erase {
        tenant: TenantId,
        erasure: ErasureId,
        number: E164,
    },
}

impl ResultsJob {
    /// What the job is about, for logs: a campaign (`tenant/campaign`) or a tenant.
    pub fn scope(&self) -> String {
        match self {
            Self::Export { campaign, .. }
            | Self::Reconcile { campaign, .. }
            | Self::Retain { campaign } => campaign.to_string(),
            Self::Erase { tenant, .. } => tenant.to_string(),
        }
    }

    /// `export`, `reconcile`, `retain` or `erase` (for logs and metrics).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Export { .. } => "export",
            Self::Reconcile { .. } => "reconcile",
            Self::Retain { .. } => "retain",
            Self::Erase { .. } => "erase",
        }
    }

    /// Puts the job on the results queue.
    pub async fn enqueue(&self, queue: &dyn MessageQueue) -> Result<(), QueueError> {
        let body = serde_json::to_string(self).map_err(|e| QueueError::Invalid(e.to_string()))?;
        queue
            .send(vec![Outgoing {
                body,
                delay: std::time::Duration::ZERO,
            }])
            .await
    }
}
