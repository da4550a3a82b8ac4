//! The tick function: invoked once a minute per running campaign by its EventBridge Scheduler
//! schedule, with the campaign reference as input.

use domain::ids::{CampaignId, CampaignRef, TenantId};
use engine::tick::{TickReport, TickStore};
use engine::{Engine, EngineError};
use ports::schedules::TickInput;

/// Why a tick invocation failed (the Scheduler retries it; the next minute's tick runs anyway).
#[derive(Debug, thiserror::Error)]
pub enum TickError {
    /// The input does not name a campaign.
    #[error("the schedule's input does not name a campaign: {0}")]
    BadInput(String),
    /// The tick failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Runs the tick for the campaign the input names.
pub async fn handle<S: TickStore>(
    engine: &Engine<S>,
    input: TickInput,
) -> Result<TickReport, TickError> {
    let campaign = CampaignRef {
        tenant: TenantId::parse(input.tenant).map_err(|e| TickError::BadInput(e.to_string()))?,
        campaign: CampaignId::parse(input.campaign)
            .map_err(|e| TickError::BadInput(e.to_string()))?,
    };
    Ok(engine.tick(&campaign).await?)
}
