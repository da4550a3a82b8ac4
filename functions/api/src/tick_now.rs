//! The first tick of a launched or resumed campaign runs in the request, so its first calls go
//! out within seconds instead of at the next minute of its schedule. Ticks are safe to run
//! twice (every lease, claim and pacing limit is a conditional write), so this tick and the
//! scheduled one racing each other call no one twice and pass no limit.

use async_trait::async_trait;
use domain::ids::CampaignRef;
use engine::Engine;
use engine::tick::TickStore;

/// Runs a campaign's tick now.
#[async_trait]
pub trait TickNow: Send + Sync {
    /// Runs it; a failure is logged, not answered: the scheduled tick follows within a minute.
    async fn tick_now(&self, campaign: &CampaignRef);
}

#[async_trait]
impl<S: TickStore + 'static> TickNow for Engine<S> {
    async fn tick_now(&self, campaign: &CampaignRef) {
        match self.tick(campaign).await {
            Ok(report) => {
                tracing::info!(%campaign, enqueued = report.enqueued, "first tick run at once")
            }
            Err(err) => {
                tracing::warn!(%campaign, error = %err, "first tick failed; the schedule's follows")
            }
        }
    }
}
