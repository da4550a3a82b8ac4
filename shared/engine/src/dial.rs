//! The dialer: one queued lead at a time (an SQS record).
//!
//! 1. Wait for the planned start (a message that arrives early goes back on the queue).
//! 2. Screen again: consent, window, daily caps (time and configuration may have moved on).
//! 3. Claim the call: one transaction moves the lead from its lease to Calling, on the
//!    condition that the lease (version) is still this message's, the campaign is Active, the
//!    number is not on the tenant's DNC list, a concurrency slot and a rolling-hour start are
//!    free, and the provider account has a calls-per-second token for this second. Only the
//!    winner of that write calls.
//! 4. Screen once more on the clock as it is after the claim (the transaction may have been
//!    slow), giving the claim back if the window no longer leaves room for the call.
//! 5. Place the call with our reference in the signed callback URL, and record its id.
//!    Rate limits and unavailability put the lead back without counting an attempt; a lost
//!    answer leaves the lead on the call, to be looked up shortly; a permanent refusal is a
//!    failed attempt.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use domain::eligibility::{Screen, screen_for_call};
use domain::ids::LeadRef;
use domain::lead::{AttemptDetails, CounterDelta, Lead, LeadState, SkipReason};
use domain::retry::{AttemptReport, Outcome};
use domain::status::CampaignStatus;
use ports::metrics::{self as emf, Metric};
use ports::store::{CampaignReader, LeadReader, LeadTransitions};
use ports::store::{
    CpsGuard, Guards, HourlyIncrement, LeadWrite, PacingGuard, Refusal, WriteError,
};
use ports::voice::{CallReference, CallRequest, PlaceCallError};

use crate::messages::DialMessage;
use crate::outcome::hour_of;
use crate::{Engine, EngineError, std_duration};

/// What became of a queued lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialOutcome {
    /// Finished with the message (called, handed back, skipped, or someone else has it).
    Done(&'static str),
    /// Put the message back; deliver it again after this delay.
    Later(StdDuration),
}

/// How long a lead waits after the provider refused for rate or availability.
const PROVIDER_BACKOFF: Duration = Duration::seconds(30);
/// When a call's creation answer was lost, it is looked up this soon.
const UNCERTAIN_LOOKUP: Duration = Duration::minutes(2);

impl<S> Engine<S>
where
    S: CampaignReader + LeadReader + LeadTransitions,
{
    /// Handles one dial message.
    #[tracing::instrument(skip_all, fields(lead = %message.lead.id, campaign = %message.campaign))]
    pub async fn dial(&self, message: &DialMessage) -> Result<DialOutcome, EngineError> {
        let now = self.clock.now();
        if now < message.not_before {
            return Ok(DialOutcome::Later(std_duration(message.not_before - now)));
        }
        let campaign = &message.campaign;
        let lead = &message.lead;
        let Some(loaded) = self
            .cached_campaign(campaign, Some(message.config_version))
            .await?
        else {
            return Ok(DialOutcome::Done("unknown campaign"));
        };
        let config = &loaded.config;
        if loaded.record.status != CampaignStatus::Active {
            self.defer(campaign, lead.clone(), now).await?;
            return Ok(DialOutcome::Done("campaign not active: handed back"));
        }
        match screen_for_call(lead, config, now, self.settings.call_start_margin) {
            Screen::Dial => {}
            Screen::Defer(at) => {
                self.defer(campaign, lead.clone(), at).await?;
                return Ok(DialOutcome::Done("outside the window: deferred"));
            }
            Screen::Skip(reason) => {
                self.skip(campaign, lead.clone(), reason).await?;
                return Ok(DialOutcome::Done("skipped"));
            }
        }
        self.crash_point("dial.before_claim")?;

        let token = lead
            .state
            .lease
            .as_ref()
            .map(|l| l.token.clone())
            .unwrap_or_default();
        let mut calling = lead.state.clone();
        let deadline = LeadState::call_deadline(now, config.call_handling.max_call_duration);
        let Ok(attempt) = calling.start_call(&token, &message.call.provider, now, deadline) else {
            return Ok(DialOutcome::Done("not leased"));
        };
        let provider = self.provider(&message.call.provider)?;
        let account = provider.account();
        let key = LeadRef {
            campaign: campaign.clone(),
            lead: lead.id.clone(),
        };
        let delta = CounterDelta::between(&lead.state, &calling, None);
        let guards = Guards {
            campaign_status: Some(CampaignStatus::Active),
            not_on_dnc: Some(lead.contact.phone.clone()),
            pacing: Some(PacingGuard {
                max_concurrent: config.pacing.max_concurrent_calls,
                calls_per_hour: config.pacing.calls_per_hour,
                epoch_minute: now.timestamp().div_euclid(60),
            }),
            provider_rate: Some(CpsGuard {
                account: account.id.clone(),
                epoch_second: now.timestamp(),
                limit: account.calls_per_second,
            }),
            hourly: Some(HourlyIncrement {
                hour: hour_of(now),
                started: 1,
                connected: 0,
                talk_seconds: 0,
            }),
            ..Guards::default()
        };
        let write = LeadWrite {
            lead: &key,
            expected_version: lead.state.version,
            state: &calling,
            counters: &delta,
            guards,
        };
        match self.store.write_transition(write).await {
            Ok(()) => {}
            Err(WriteError::Refused(refusal)) => return self.claim_refused(message, refusal).await,
            Err(err) => return Err(err.into()),
        }
        self.crash_point("dial.after_claim")?;

        // The claim is a transaction and may have taken a while: the screen above decided
        // for `now`, but the call starts when the provider is reached. Decide again on the
        // clock as it is now, just before the request, and give the claim back untouched if
        // the window (or the campaign) no longer leaves room for the call to start.
        let placing_at = self.clock.now();
        if placing_at > now {
            let margin = self.settings.call_start_margin;
            match screen_for_call(lead, config, placing_at, margin) {
                Screen::Dial => {}
                Screen::Defer(at) => {
                    self.release(message, &calling, attempt, at).await?;
                    return Ok(DialOutcome::Done(
                        "window closed during the claim: released",
                    ));
                }
                // The next tick screens it again and records why it will never be called.
                Screen::Skip(_) => {
                    self.release(message, &calling, attempt, placing_at).await?;
                    return Ok(DialOutcome::Done("no longer callable: released"));
                }
            }
        }

        let reference = CallReference {
            campaign: campaign.clone(),
            lead: lead.id.clone(),
            attempt,
        };
        let request = self.call_request(message, &loaded, &reference);
        let placed = provider.place_call(&request).await;
        match &placed {
            Ok(_) => emf::put(Metric::count("CallsPlaced", 1.0)),
            Err(err) => emf::put(Metric::count("ProviderErrors", 1.0).with(
                "Kind",
                match err {
                    PlaceCallError::RateLimited { .. } => "rate_limited",
                    PlaceCallError::Unavailable => "unavailable",
                    PlaceCallError::Uncertain => "uncertain",
                    PlaceCallError::Rejected { .. } => "rejected",
                },
            )),
        }
        self.crash_point("dial.after_place")?;
        match placed {
            Ok(call) => {
                let mut recorded = calling.clone();
                if recorded
                    .record_call_id(attempt, call.provider_call_id)
                    .is_ok()
                {
                    // Refused as stale only if the outcome already arrived: nothing to record.
                    self.write_simple(
                        campaign,
                        &Lead {
                            state: calling.clone(),
                            ..lead.clone()
                        },
                        &recorded,
                        Guards::default(),
                    )
                    .await?;
                }
                tracing::info!(%reference, to = %lead.contact.phone.masked(), "call placed");
                Ok(DialOutcome::Done("called"))
            }
            Err(PlaceCallError::RateLimited { retry_after }) => {
                let wait = retry_after
                    .and_then(|d| Duration::from_std(d).ok())
                    .map_or(PROVIDER_BACKOFF, |d| d.max(Duration::seconds(5)));
                self.release(message, &calling, attempt, now + wait).await?;
                Ok(DialOutcome::Done("provider rate limited: released"))
            }
            Err(PlaceCallError::Unavailable) => {
                self.release(message, &calling, attempt, now + PROVIDER_BACKOFF)
                    .await?;
                Ok(DialOutcome::Done("provider unavailable: released"))
            }
            Err(PlaceCallError::Uncertain) => {
                // The call may exist. Placing it again could call the person twice; instead
                // the tick looks it up once this deadline passes.
                let mut state = calling.clone();
                if state.extend_call(attempt, now + UNCERTAIN_LOOKUP).is_ok() {
                    self.write_simple(
                        campaign,
                        &Lead {
                            state: calling.clone(),
                            ..lead.clone()
                        },
                        &state,
                        Guards::default(),
                    )
                    .await?;
                }
                tracing::warn!(%reference, "call creation answer lost; will look it up");
                Ok(DialOutcome::Done("creation uncertain: will look up"))
            }
            Err(PlaceCallError::Rejected { reason }) => {
                tracing::warn!(%reference, %reason, "call refused permanently");
                let report = AttemptReport::of(Outcome::Failed);
                let details = AttemptDetails {
                    disposition: Some(reason),
                    ..Default::default()
                };
                self.apply_outcome(&reference, &report, &details).await?;
                Ok(DialOutcome::Done("refused by the provider"))
            }
        }
    }

    async fn claim_refused(
        &self,
        message: &DialMessage,
        refusal: Refusal,
    ) -> Result<DialOutcome, EngineError> {
        let now = self.clock.now();
        let lead = message.lead.clone();
        let campaign = &message.campaign;
        Ok(match refusal {
            // Someone else has it (a duplicate delivery, a newer lease): not ours to call.
            Refusal::Stale => DialOutcome::Done("lease lost"),
            Refusal::CampaignStatus | Refusal::PlanLimit => {
                self.defer(campaign, lead, now).await?;
                DialOutcome::Done("campaign not active: handed back")
            }
            Refusal::DoNotCall => {
                self.skip(campaign, lead, SkipReason::DoNotCall).await?;
                DialOutcome::Done("on the do-not-call list: skipped")
            }
            // No slot this minute: back to the due index for a later tick.
            Refusal::Pacing => {
                self.defer(campaign, lead, now + Duration::minutes(1))
                    .await?;
                DialOutcome::Done("pacing limit: handed back")
            }
            // This second's provider budget is spent: try again next second, lease kept.
            Refusal::ProviderRate | Refusal::Conflict => {
                let next_second = (now + Duration::seconds(1)).timestamp_millis() / 1000 * 1000
                    - now.timestamp_millis();
                DialOutcome::Later(StdDuration::from_millis(next_second.max(1) as u64))
            }
        })
    }

    /// Puts a lead whose call was certainly not placed back, without counting the attempt.
    async fn release(
        &self,
        message: &DialMessage,
        calling: &LeadState,
        attempt: u8,
        at: chrono::DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let mut state = calling.clone();
        let started_at = calling.call.as_ref().map(|c| c.started_at);
        if state.release_call(attempt, at).is_ok() {
            let lead = Lead {
                state: calling.clone(),
                ..message.lead.clone()
            };
            let guards = crate::outcome::release_guards(started_at);
            self.write_simple(&message.campaign, &lead, &state, guards)
                .await?;
        }
        Ok(())
    }

    fn call_request(
        &self,
        message: &DialMessage,
        loaded: &crate::LoadedCampaign,
        reference: &CallReference,
    ) -> CallRequest {
        let contact = &message.lead.contact;
        let mut variables: BTreeMap<String, String> = contact.custom.clone();
        for (name, value) in [
            ("name", &contact.name),
            ("email", &contact.email),
            ("company", &contact.company),
        ] {
            if let Some(value) = value {
                variables.insert(name.to_owned(), value.clone());
            }
        }
        let handling = &loaded.config.call_handling;
        CallRequest {
            reference: reference.clone(),
            to: contact.phone.clone(),
            from: message.call.from.clone(),
            agent_ref: message.call.agent_ref.clone(),
            callback_url: format!(
                "{}/v1/call-events/{}/{}",
                self.settings.webhook_base_url,
                message.call.provider,
                reference.path()
            ),
            max_duration: std_duration(handling.max_call_duration),
            voicemail: handling.voicemail,
            voicemail_message: message.call.voicemail_message.clone(),
            transfer_number: handling.transfer_number.clone(),
            variables,
        }
    }
}
