//! Tenants and their API keys as the store keeps them.

use chrono::{DateTime, Utc};
use domain::ids::{ApiKeyId, TenantId};
use domain::plan::Plan;
use serde::{Deserialize, Serialize};

/// A tenant as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRecord {
    /// Id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Plan.
    pub plan: Plan,
    /// Campaigns now Scheduled, Active or Paused.
    pub live_campaigns: u32,
    /// The plan's limit on live campaigns; absent = unlimited. Kept on the item so a launch's
    /// condition can compare the two attributes atomically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_limit: Option<u32>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl TenantRecord {
    /// A new tenant with no live campaign.
    pub fn new(id: TenantId, name: impl Into<String>, plan: Plan, now: DateTime<Utc>) -> Self {
        Self {
            id,
            name: name.into(),
            plan,
            live_campaigns: 0,
            live_limit: plan.live_campaign_limit(),
            created_at: now,
        }
    }
}

/// An API key's public record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Public id (the key's first segment).
    pub id: ApiKeyId,
    /// Owner.
    pub tenant: TenantId,
    /// A label for people.
    pub label: String,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// Revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}
