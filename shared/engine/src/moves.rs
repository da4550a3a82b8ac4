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

/// How many times a step beaten by concurrent writes is tried before it gives up.
const RACE_TRIES: u32 = 6;
/// The first pause after a beaten try; it doubles after each.
const FIRST_RACE_PAUSE: std::time::Duration = std::time::Duration::from_millis(10);

/// Runs a read-then-conditional-write step until no concurrent write beats it (`None`: it was
/// beaten; read again and look again), a few times at most, then gives up as a conflict.
///
/// Between tries it pauses, doubling from [`FIRST_RACE_PAUSE`] and spread 0.5–1.5×: a
/// provider sends a call's events at once (a status, a verdict, the agent's tool call, its
/// report), and handlers that all retried at once would meet again on the same lead (about
/// 0.3 s in all before giving up).
pub(crate) async fn until_not_raced<T, F, Fut>(mut step: F) -> Result<T, EngineError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, EngineError>>,
{
    for tried in 0..RACE_TRIES {
        if let Some(done) = step().await? {
            return Ok(done);
        }
        if tried + 1 < RACE_TRIES {
            tokio::time::sleep(race_pause(tried, spread())).await;
        }
    }
    Err(EngineError::Write(WriteError::Refused(Refusal::Conflict)))
}

/// The pause after the `tried`-th beaten try (0-based), scaled by `spread` in 0.5..1.5.
fn race_pause(tried: u32, spread: f64) -> std::time::Duration {
    FIRST_RACE_PAUSE
        .saturating_mul(1 << tried.min(10))
        .mul_f64(spread.clamp(0.5, 1.5))
}

/// A spread in 0.5..1.5 that differs between concurrent handlers (the clock's nanoseconds).
fn spread() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    0.5 + f64::from(nanos % 1000) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn pauses_double_after_each_beaten_try_within_their_spread() {
        let ms = |tried, spread| race_pause(tried, spread).as_millis();
        assert_eq!([ms(0, 1.0), ms(1, 1.0), ms(4, 1.0)], [10, 20, 160]);
        assert_eq!([ms(2, 0.5), ms(2, 1.5), ms(2, 9.0)], [20, 60, 60]);
    }

    #[tokio::test]
    async fn a_step_beaten_on_all_but_its_last_try_lands_and_one_beaten_every_time_is_a_conflict() {
        let tries = AtomicU32::new(0);
        let landed = until_not_raced(|| async {
            let n = tries.fetch_add(1, Ordering::Relaxed) + 1;
            Ok((n == RACE_TRIES).then_some(n))
        })
        .await;
        assert_eq!(landed.unwrap(), RACE_TRIES);
        let beaten: Result<(), _> = until_not_raced(|| async { Ok(None) }).await;
        assert!(matches!(
            beaten,
            Err(EngineError::Write(WriteError::Refused(Refusal::Conflict)))
        ));
    }
}
