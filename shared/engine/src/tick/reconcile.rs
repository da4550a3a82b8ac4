//! Calls past their deadline: settled from what the provider says, or as unknown.

use chrono::{DateTime, Duration, Utc};
use domain::ids::CampaignRef;
use domain::lead::{ActiveCall, AttemptDetails, DueKind, Lead};
use domain::retry::{AttemptReport, Outcome};
use domain::status::LeadStatus;
use ports::store::{DueBatch, Guards, NumberCalls};
use ports::voice::{CallLookup, CallReference};

use super::TickStore;
use crate::outcome::Applied;
use crate::{Engine, EngineError, LoadedCampaign, bounded};

/// How long after a lookup that found the call still going (or failed) it is looked up again.
const LOOK_AGAIN: Duration = Duration::minutes(2);

impl<S: TickStore> Engine<S> {
    /// Settles calls past their deadline: what the provider says, or an unknown outcome.
    pub(super) async fn reconcile_overdue(
        &self,
        loaded: &LoadedCampaign,
        now: DateTime<Utc>,
    ) -> Result<usize, EngineError> {
        let campaign = loaded.record.reference();
        let overdue = self
            .store
            .due_leads(
                &campaign,
                DueKind::CallDeadline,
                now,
                DueBatch::up_to(self.settings.reconcile_batch),
                0,
            )
            .await?;
        let work = overdue
            .into_iter()
            .map(|lead| self.reconcile(&campaign, loaded, lead, now));
        let mut settled = 0;
        for result in bounded(self.settings.write_concurrency, work).await {
            settled += usize::from(result?);
        }
        Ok(settled)
    }

    #[tracing::instrument(name = "reconcile", skip_all, fields(
        lead = %lead.id, attempt = tracing::field::Empty))]
    async fn reconcile(
        &self,
        campaign: &CampaignRef,
        loaded: &LoadedCampaign,
        lead: Lead,
        now: DateTime<Utc>,
    ) -> Result<bool, EngineError> {
        let Some(call) = lead
            .state
            .call
            .clone()
            .filter(|_| lead.state.status == LeadStatus::Calling)
        else {
            return Ok(false);
        };
        tracing::Span::current().record("attempt", call.attempt);
        let reference = CallReference {
            campaign: campaign.clone(),
            lead: lead.id.clone(),
            attempt: call.attempt,
        };
        let provider = self.provider(&call.provider)?;
        let lookup = provider
            .lookup_call(
                &reference,
                call.provider_call_id.as_deref(),
                &lead.contact.phone,
                call.started_at,
            )
            .await;
        self.crash_point("tick.after_lookup")?;
        // A provider that stays unreachable does not keep the lead forever.
        let give_up = now
            > call.started_at + loaded.config.call_handling.max_call_duration + Duration::hours(1);
        match lookup {
            Ok(CallLookup::Ended { report, details }) => {
                self.settle(&reference, &report, &details).await
            }
            Ok(CallLookup::InProgress { provider_call_id }) if !give_up => {
                self.look_again_later(campaign, &lead, &call, Some(provider_call_id), now)
                    .await?;
                Ok(false)
            }
            // Never created (its creation answer was lost, or the dialer died before asking):
            // no call happened, so the attempt does not count.
            Ok(CallLookup::NotFound) if call.provider_call_id.is_none() => {
                let mut state = lead.state.clone();
                if state.release_call(call.attempt, now).is_err() {
                    return Ok(false);
                }
                let key = NumberCalls::key(campaign, &lead.id, call.attempt);
                let guards = crate::outcome::release_guards(Some(&call), &lead.contact.phone, key);
                self.write_simple(campaign, &lead, &state, guards).await
            }
            Err(err) if !give_up => {
                tracing::warn!(%reference, error = %err, "call lookup failed; will retry");
                self.look_again_later(campaign, &lead, &call, None, now)
                    .await?;
                Ok(false)
            }
            // The provider has lost it, or we gave up waiting: the attempt's outcome is unknown.
            _ => {
                let report = AttemptReport::of(Outcome::Unknown);
                let details = AttemptDetails {
                    provider_call_id: call.provider_call_id.clone(),
                    ..Default::default()
                };
                self.settle(&reference, &report, &details).await
            }
        }
    }

    /// Applies what became of the attempt; whether the lead moved.
    async fn settle(
        &self,
        reference: &CallReference,
        report: &AttemptReport,
        details: &AttemptDetails,
    ) -> Result<bool, EngineError> {
        Ok(matches!(
            self.apply_outcome(reference, None, report, details).await?,
            Applied::Applied(_)
        ))
    }

    /// The call is still going (or the provider did not answer): its deadline moves
    /// [`LOOK_AGAIN`] ahead, recording the provider's call id if it was not known yet.
    async fn look_again_later(
        &self,
        campaign: &CampaignRef,
        lead: &Lead,
        call: &ActiveCall,
        provider_call_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let mut state = lead.state.clone();
        let extended = state.extend_call(call.attempt, now + LOOK_AGAIN).is_ok()
            && match provider_call_id {
                Some(id) if call.provider_call_id.is_none() => {
                    state.record_call_id(call.attempt, id).is_ok()
                }
                _ => true,
            };
        if extended {
            self.write_simple(campaign, lead, &state, Guards::default())
                .await?;
        }
        Ok(())
    }
}
