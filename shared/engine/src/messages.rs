//! What the tick puts on the dial queue.

use chrono::{DateTime, Utc};
use domain::ids::CampaignRef;
use domain::lead::Lead;
use domain::phone::E164;
use serde::{Deserialize, Serialize};

/// The voice settings of the campaign's agent, read once per tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSettings {
    /// The provider's name.
    pub provider: String,
    /// Caller id.
    pub from: E164,
    /// The agent on the provider.
    pub agent_ref: String,
    /// The voicemail message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voicemail_message: Option<String>,
}

/// One lead handed to a dialer: a snapshot of the lead as leased (its version and lease token
/// are what the dialer's write is conditional on), so the dialer reads nothing to dial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialMessage {
    /// The campaign.
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
