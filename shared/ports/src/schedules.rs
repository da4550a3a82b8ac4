//! The schedules port: one tick schedule per running campaign. Launch creates it, pause
//! disables it, resume enables it, completion and cancellation delete it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::CampaignRef;
use serde::{Deserialize, Serialize};

/// The tick's input: which campaign to tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickInput {
    /// Tenant id.
    pub tenant: String,
    /// Campaign id.
    pub campaign: String,
}

/// Why a schedule request failed.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The request failed.
    #[error("the schedule request failed")]
    Request(#[source] crate::BoxError),
    /// The request could not be built (a bug, not a transient failure).
    #[error("invalid schedule request: {0}")]
    Invalid(String),
}

/// Manages campaigns' tick schedules.
#[async_trait]
pub trait Schedules: Send + Sync {
    /// Creates (or replaces) the campaign's schedule, enabled.
    async fn create(
        &self,
        campaign: &CampaignRef,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
    ) -> Result<(), ScheduleError>;
    /// Enables or disables it.
    async fn set_enabled(&self, campaign: &CampaignRef, enabled: bool)
    -> Result<(), ScheduleError>;
    /// Deletes it (no error if it is already gone).
    async fn delete(&self, campaign: &CampaignRef) -> Result<(), ScheduleError>;
}
