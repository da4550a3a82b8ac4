//! Single-lead moves shared by the tick and the dialer.

use chrono::{DateTime, Utc};
use domain::ids::{CampaignRef, LeadRef};
use domain::lead::{CounterDelta, Lead, LeadState, SkipReason};
use ports::store::Leads;
use ports::store::{Guards, LeadWrite, Refusal, WriteError};

use crate::{Engine, EngineError};

impl<S: Leads> Engine<S> {
    /// Moves a lead to its next opening. Returns whether it moved (a stale read does not).
    pub(crate) async fn defer(
        &self,
        campaign: &CampaignRef,
        lead: Lead,
        at: DateTime<Utc>,
    ) -> Result<bool, EngineError> {
        let mut state = lead.state.clone();
        if state.defer(at).is_err() {
            return Ok(false);
        }
        self.write_simple(campaign, &lead, &state, Guards::default())
            .await
    }

    /// Skips a lead (with its counters). Returns whether it moved. A skip for the DNC list
    /// comes only from a claim refused on it, so it counts a DNC hit at dial time (a guardrail
    /// signal) in the same write.
    pub(crate) async fn skip(
        &self,
        campaign: &CampaignRef,
        lead: Lead,
        reason: SkipReason,
    ) -> Result<bool, EngineError> {
        let mut state = lead.state.clone();
        if state.skip(reason).is_err() {
            return Ok(false);
        }
        let mut delta = CounterDelta::between(&lead.state, &state, None);
        delta.dnc_hits = i64::from(reason == SkipReason::DoNotCall);
        self.write_moved(campaign, &lead, &state, Guards::default(), delta)
            .await
    }

    /// Writes `state` over `lead` with the counters it moves; `false` when refused as stale.
    pub(crate) async fn write_simple(
        &self,
        campaign: &CampaignRef,
        lead: &Lead,
        state: &LeadState,
        guards: Guards,
    ) -> Result<bool, EngineError> {
        let delta = CounterDelta::between(&lead.state, state, None);
        self.write_moved(campaign, lead, state, guards, delta).await
    }

    /// Writes `state` over `lead` moving the counters by `delta`; `false` when refused as
    /// stale.
    pub(crate) async fn write_moved(
        &self,
        campaign: &CampaignRef,
        lead: &Lead,
        state: &LeadState,
        guards: Guards,
        delta: CounterDelta,
    ) -> Result<bool, EngineError> {
        let key = LeadRef {
            campaign: campaign.clone(),
            lead: lead.id.clone(),
        };
        let write = LeadWrite {
            lead: &key,
            expected_version: lead.state.version,
            state,
            counters: &delta,
            guards,
        };
        match self.store.write_transition(write).await {
            Ok(()) => Ok(true),
            Err(WriteError::Refused(Refusal::Stale | Refusal::Conflict)) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }
}

/// Runs a read-then-conditional-write step until no concurrent write beats it (`None`: it was
/// beaten; read again and look again), a few times at most, then gives up as a conflict.
pub(crate) async fn until_not_raced<T, F, Fut>(mut step: F) -> Result<T, EngineError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, EngineError>>,
{
    for _ in 0..4 {
        if let Some(done) = step().await? {
            return Ok(done);
        }
    }
    Err(EngineError::Write(WriteError::Refused(Refusal::Conflict)))
}
