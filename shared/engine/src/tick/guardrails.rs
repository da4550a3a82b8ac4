//! The tick's guardrail review: judge the last window of the campaign's counters, pause the
//! campaign if a guardrail trips, keep the snapshots the next windows need.

use chrono::{DateTime, Utc};
use domain::guardrails::PauseReason;
use domain::status::CampaignStatus;
use ports::metrics::{self as emf, Metric};
use ports::store::{CampaignCounters, WriteError};

use super::TickStore;
use crate::{Engine, EngineError, LoadedCampaign};

/// What the review decided.
pub(super) enum Verdict {
    /// Dial on.
    Dial,
    /// Paused by this tick, for this reason.
    Paused(PauseReason),
    /// No longer Active (another tick paused it, or a person acted): dial nothing.
    Moved,
}

impl<S: TickStore> Engine<S> {
    /// Reviews an Active campaign's guardrails at `now` from the counters and snapshots the
    /// tick read. The pause is conditional on the campaign still being Active since the run the
    /// counters were judged for, so a person's pause and resume in between is never undone.
    pub(super) async fn review_guardrails(
        &self,
        loaded: &LoadedCampaign,
        counters: &CampaignCounters,
        now: DateTime<Utc>,
    ) -> Result<Verdict, EngineError> {
        let guardrails = &loaded.config.guardrails;
        if !guardrails.enabled {
            return Ok(Verdict::Dial);
        }
        let campaign = loaded.record.reference();
        let since = loaded.record.active_since;
        let review = guardrails.review(&counters.health, counters.health_counts(), now, since);
        if let Some(trip) = review.window.and_then(|w| guardrails.judge(&w)) {
            let reason = PauseReason::of(trip, guardrails.window, now);
            let (from, to) = (CampaignStatus::Active, CampaignStatus::Paused);
            let event = self.status_event(&campaign, from, to, now, Some(&reason));
            return match self
                .store
                .pause_with_reason(&campaign, since, &reason, event.as_ref())
                .await
            {
                Ok(()) => {
                    self.announce(&campaign.tenant, event.as_slice()).await;
                    emf::put(
                        Metric::count("GuardrailTrips", 1.0)
                            .with("Guardrail", trip.guardrail.as_str()),
                    );
                    tracing::warn!(%campaign, guardrail = trip.guardrail.as_str(), reason = %reason.message, "paused by a guardrail");
                    Ok(Verdict::Paused(reason))
                }
                Err(WriteError::Refused(_)) => Ok(Verdict::Moved),
                Err(err) => Err(err.into()),
            };
        }
        self.store
            .keep_health(&campaign, review.add, &review.drop)
            .await?;
        Ok(Verdict::Dial)
    }
}
