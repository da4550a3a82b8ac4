//! The dialer: one queued lead at a time (an SQS record).
//!
//! 1. Wait for the planned start (a message that arrives early goes back on the queue).
//! 2. Screen again: consent, window, daily caps (time and configuration may have moved on).
//! 3. Count the tenant's calls to the number over all its campaigns (its ledger) against the
//!    frequency caps; a number at a cap waits for the instant the caps allow.
//!    Claim the call: one transaction moves the lead from its lease to Calling, on the
//!    condition that the lease (version) is still this message's, the campaign is Active, the
//!    number is not on the tenant's DNC list (nor, for telemarketing, in its registry's
//!    extract: `registries`), its ledger is the one counted (the call is added
//!    to it), a concurrency slot and a rolling-hour start are free, the provider account has a
//!    calls-per-second token for this second and, where it caps simultaneous calls, a free
//!    line (its live calls over every tenant), and the caller number is under its hourly and
//!    daily limits (the call is counted; a number at its limit is skipped for the next
//!    closest of the pool). Only the winner of that write calls.
//! 4. Screen once more on the clock as it is after the claim (the transaction may have been
//!    slow), giving the claim back if the window no longer leaves room for the call.
//! 5. Place the call with our reference in the signed callback URL, and record its id.
//!    Rate limits and unavailability put the lead back without counting an attempt; a lost
//!    answer leaves the lead on the call, to be looked up shortly; a permanent refusal is a
//!    failed attempt.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use domain::clearance::clearance;
use domain::eligibility::{Screen, screen_for_call};
use domain::ids::LeadRef;
use domain::lead::{AttemptDetails, CounterDelta, Lead, LeadState, SkipReason};
use domain::retry::{AttemptReport, Outcome};
use domain::status::CampaignStatus;
use ports::metrics::{self as emf, Metric};
use ports::store::{AccountDemand, CampaignStatuses, Campaigns, Leads, NumberCalls, Tenants};
use ports::store::{
    CallerUseGuard, CpsGuard, Guards, HourlyIncrement, LeadWrite, PacingGuard, Refusal, WriteError,
};
use ports::voice::{CallReference, CallRequest, PlaceCallError, PlacedCall};

use crate::contact_caps::NumberCheck;
use crate::messages::DialMessage;
use crate::outcome::hour_of;
use crate::{Engine, EngineError, LoadedCampaign, std_duration};

/// The agent report API's path (served with the provider events).
pub const REPORT_PATH: &str = "/v1/call-reports";

/// What a dial message that paused its campaign came to (an account problem, no fresh
/// registry extract).
pub const PAUSED: &str = "handed back, campaign paused";

/// What became of a queued lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialOutcome {
    /// Finished with the message (called, handed back, skipped, or someone else has it).
    Done(&'static str),
    /// Put the message back; deliver it again after this delay.
    Later(StdDuration),
}

/// What the claim gave.
enum Claim {
    /// This dialer won the lead: its Calling state and the attempt number.
    Won {
        calling: Box<LeadState>,
        attempt: u8,
    },
    /// The caller number is at its hourly or daily limit: nothing was written, another number
    /// may be tried.
    CallerFull,
    /// Not this dialer's to call; what became of the message.
    Lost(DialOutcome),
}

/// Counts a create-call answer in the operational metrics.
fn count_placed(placed: &Result<PlacedCall, PlaceCallError>) {
    match placed {
        Ok(_) => emf::put(Metric::count("CallsPlaced", 1.0)),
        Err(err) => emf::put(Metric::count("ProviderErrors", 1.0).with(
            "Kind",
            match err {
                PlaceCallError::RateLimited { .. } => "rate_limited",
                PlaceCallError::Unavailable => "unavailable",
                PlaceCallError::Uncertain => "uncertain",
                PlaceCallError::Rejected { .. } => "rejected",
                PlaceCallError::AccountProblem {
                    credentials: true, ..
                } => "credentials",
                PlaceCallError::AccountProblem { .. } => "account_problem",
            },
        )),
    }
}

/// How long a lead waits after the provider refused for rate or availability.
const PROVIDER_BACKOFF: Duration = Duration::seconds(30);
/// How long a lead waits for a line when every line of its provider account is busy.
const ACCOUNT_LINE_WAIT: Duration = Duration::seconds(30);
/// When a call's creation answer was lost, it is looked up this soon.
const UNCERTAIN_LOOKUP: Duration = Duration::minutes(2);

impl<S> Engine<S>
where
    S: Campaigns + CampaignStatuses + Leads + Tenants + AccountDemand,
{
    /// Handles one dial message.
    #[tracing::instrument(name = "dial", skip_all, fields(
        tenant = %message.campaign.tenant, campaign = %message.campaign.campaign,
        lead = %message.lead.id, attempt = tracing::field::Empty))]
    pub async fn dial(&self, message: &DialMessage) -> Result<DialOutcome, EngineError> {
        let now = self.clock.now();
        if now < message.not_before {
            return Ok(DialOutcome::Later(std_duration(message.not_before - now)));
        }
        let Some(loaded) = self
            .cached_campaign(&message.campaign, Some(message.config_version))
            .await?
        else {
            return Ok(DialOutcome::Done("unknown campaign"));
        };
        if let Some(done) = self.screen_before_claim(message, &loaded, now).await? {
            return Ok(done);
        }
        let registry = match self.registry_owed(message, &loaded, now).await? {
            Ok(check) => check,
            Err(done) => return Ok(done),
        };
        // The caller number, still the tenant's (one withdrawn since the campaign started stops
        // being used within the tenant cache's TTL) and under its limits: a number the claim
        // finds at its limit is skipped for the next closest, at most once each.
        let mut full = Vec::new();
        let (message, calling, attempt) = loop {
            let chosen = match self.with_local_caller(message, &full, now).await? {
                Ok(chosen) => chosen,
                Err(done) => return Ok(done),
            };
            self.crash_point("dial.before_claim")?;
            match self.claim(&chosen, &loaded, &registry, now).await? {
                Claim::Won { calling, attempt } => break (chosen, *calling, attempt),
                Claim::CallerFull => full.push(chosen.call.from),
                Claim::Lost(done) => return Ok(done),
            }
        };
        let message = &message;
        tracing::Span::current().record("attempt", attempt);
        self.crash_point("dial.after_claim")?;
        if let Some(done) = self
            .screen_after_claim(message, &loaded, &calling, attempt, now)
            .await?
        {
            return Ok(done);
        }
        let reference = CallReference {
            campaign: message.campaign.clone(),
            lead: message.lead.id.clone(),
            attempt,
        };
        let request = self.call_request(message, &loaded, &reference);
        let placed = self
            .provider(&message.call.provider)?
            .place_call(&request)
            .await;
        count_placed(&placed);
        self.crash_point("dial.after_place")?;
        self.settle_placed(message, &calling, &reference, placed, now)
            .await
    }

    /// Step 2: hands the lead back if the campaign is no longer active, defers or skips it if
    /// the screen says so; `None` when it may be called now.
    async fn screen_before_claim(
        &self,
        message: &DialMessage,
        loaded: &LoadedCampaign,
        now: DateTime<Utc>,
    ) -> Result<Option<DialOutcome>, EngineError> {
        let (campaign, lead) = (&message.campaign, &message.lead);
        if loaded.record.status != CampaignStatus::Active {
            self.defer(campaign, lead.clone(), now).await?;
            return Ok(Some(DialOutcome::Done("campaign not active: handed back")));
        }
        Ok(
            match screen_for_call(lead, &loaded.config, now, self.settings.call_start_margin) {
                Screen::Dial => None,
                Screen::Defer(at) => {
                    self.defer(campaign, lead.clone(), at).await?;
                    Some(DialOutcome::Done("outside the window: deferred"))
                }
                Screen::Skip(reason) => {
                    self.skip(campaign, lead.clone(), reason).await?;
                    Some(DialOutcome::Done("skipped"))
                }
            },
        )
    }

    /// Step 3: the claim, one transaction with every guard (see the module docs).
    async fn claim(
        &self,
        message: &DialMessage,
        loaded: &LoadedCampaign,
        registry: &domain::registry::RegistryCheck,
        now: DateTime<Utc>,
    ) -> Result<Claim, EngineError> {
        let lead = &message.lead;
        let config = &loaded.config;
        let token = lead
            .state
            .lease
            .as_ref()
            .map(|l| l.token.clone())
            .unwrap_or_default();
        let mut calling = lead.state.clone();
        let deadline = LeadState::call_deadline(now, config.call_handling.max_call_duration);
        let Ok(attempt) = calling.start_call(&token, &message.call.provider, now, deadline) else {
            return Ok(Claim::Lost(DialOutcome::Done("not leased")));
        };
        // The tenant's calls to the number, over all its campaigns.
        let (number_call, tenant_calls) = match self.check_number(message, attempt, now).await? {
            NumberCheck::Clear {
                guard,
                tenant_calls,
            } => (guard, tenant_calls),
            NumberCheck::Wait(at) => {
                emf::put(Metric::count("FrequencyCapDeferrals", 1.0));
                self.defer(&message.campaign, lead.clone(), at).await?;
                return Ok(Claim::Lost(DialOutcome::Done("frequency cap: deferred")));
            }
        };
        let account = self.provider(&message.call.provider)?.account();
        let account_lines = self.providers.account_lines(&message.call.provider);
        if let Some(call) = calling.call.as_mut() {
            // What allows this call, written in the same transaction that checks the DNC list.
            let from = message.call.from.as_str();
            let mut cleared = clearance(lead, config, now, from, Some(tenant_calls));
            cleared.caller_reason = message.call.chosen_because.clone();
            cleared.registry = domain::clearance::RegistryClearance::of(registry);
            call.clearance = Some(cleared);
            // On an account that caps simultaneous calls the call takes one of its lines.
            call.account_slot = account_lines.map(|_| account.id.clone());
        }
        let key = LeadRef {
            campaign: message.campaign.clone(),
            lead: lead.id.clone(),
        };
        let delta = CounterDelta::between(&lead.state, &calling, None);
        let tenant = &message.campaign.tenant;
        let bucket = self.tenant_bucket(account, tenant, now).await?;
        let mut guards = self.claim_guards(message, config, now, number_call);
        guards.provider_rate = Some(CpsGuard {
            account: account.id.clone(),
            epoch_second: now.timestamp(),
            limit: account.calls_per_second,
            tenant: bucket.limit.map(|share| (tenant.clone(), share)),
        });
        guards.account_lines = account_lines;
        guards.not_on_registry = crate::registries::registry_guard(registry, message);
        let write = LeadWrite {
            lead: &key,
            expected_version: lead.state.version,
            state: &calling,
            counters: &delta,
            guards,
        };
        match self.store.write_transition(write).await {
            Ok(()) => Ok(Claim::Won {
                calling: Box::new(calling),
                attempt,
            }),
            Err(err) => self.claim_lost(message, err, bucket.fair, now).await,
        }
    }

    /// What a claim's refused (or failed) write means for the message.
    async fn claim_lost(
        &self,
        message: &DialMessage,
        err: WriteError,
        fair: bool,
        now: DateTime<Utc>,
    ) -> Result<Claim, EngineError> {
        match err {
            // A start refused its fair share may have the others' unused part of the second.
            WriteError::Refused(Refusal::ProviderRate) if fair => {
                let lent = domain::fair_share::lending_starts(now);
                Ok(Claim::Lost(rate_refused(message, lent, now)))
            }
            WriteError::Refused(Refusal::CallerLimit) => {
                emf::put(Metric::count("CallerLimitRefusals", 1.0));
                Ok(Claim::CallerFull)
            }
            WriteError::Refused(refusal) => {
                Ok(Claim::Lost(self.claim_refused(message, refusal).await?))
            }
            err => Err(err.into()),
        }
    }

    /// Every condition and item of the claim's transaction (see the module docs) but the
    /// provider's calls per second, which the claim adds.
    fn claim_guards(
        &self,
        message: &DialMessage,
        config: &domain::config::CampaignConfig,
        now: DateTime<Utc>,
        number_call: ports::store::NumberCallGuard,
    ) -> Guards {
        Guards {
            campaign_status: Some(CampaignStatus::Active),
            not_on_dnc: Some(message.lead.contact.phone.clone()),
            not_erased: self.settings.erased_numbers.as_ref().map(|key| {
                let c = &message.campaign;
                domain::erasure::number_marker(key, &c.tenant, &message.lead.contact.phone)
            }),
            pacing: Some(PacingGuard {
                max_concurrent: config.pacing.max_concurrent_calls,
                calls_per_hour: config.pacing.calls_per_hour,
                epoch_minute: now.timestamp().div_euclid(60),
            }),
            hourly: Some(HourlyIncrement {
                started: 1,
                ..HourlyIncrement::at(hour_of(now))
            }),
            record_number_call: Some(number_call),
            caller_use: Some(CallerUseGuard {
                number: message.call.from.clone(),
                at: now,
                limits: message.call.limits,
            }),
            ..Guards::default()
        }
    }

    /// Step 4. The claim is a transaction and may have taken a while: the screen decided for
    /// `claimed_at`, but the call starts when the provider is reached. Decides again on the
    /// clock as it is now, just before the request, and gives the claim back untouched if the
    /// window (or the campaign) no longer leaves room for the call to start.
    async fn screen_after_claim(
        &self,
        message: &DialMessage,
        loaded: &LoadedCampaign,
        calling: &LeadState,
        attempt: u8,
        claimed_at: DateTime<Utc>,
    ) -> Result<Option<DialOutcome>, EngineError> {
        let placing_at = self.clock.now();
        if placing_at <= claimed_at {
            return Ok(None);
        }
        let margin = self.settings.call_start_margin;
        Ok(
            match screen_for_call(&message.lead, &loaded.config, placing_at, margin) {
                Screen::Dial => None,
                Screen::Defer(at) => {
                    self.release(message, calling, attempt, at, false).await?;
                    Some(DialOutcome::Done(
                        "window closed during the claim: released",
                    ))
                }
                // The next tick screens it again and records why it will never be called.
                Screen::Skip(_) => {
                    self.release(message, calling, attempt, placing_at, false)
                        .await?;
                    Some(DialOutcome::Done("no longer callable: released"))
                }
            },
        )
    }

    /// Step 5: records what the provider answered. Rate limits and unavailability put the
    /// lead back without counting an attempt; a lost answer leaves it on the call, to be
    /// looked up; a permanent refusal is a failed attempt.
    async fn settle_placed(
        &self,
        message: &DialMessage,
        calling: &LeadState,
        reference: &CallReference,
        placed: Result<PlacedCall, PlaceCallError>,
        now: DateTime<Utc>,
    ) -> Result<DialOutcome, EngineError> {
        let attempt = reference.attempt;
        let on_call = Lead {
            state: calling.clone(),
            ..message.lead.clone()
        };
        match placed {
            Ok(call) => {
                let mut recorded = calling.clone();
                if recorded
                    .record_call_id(attempt, call.provider_call_id)
                    .is_ok()
                {
                    if let Some(active) = recorded.call.as_mut() {
                        active.fields_left_out = call.fields_left_out;
                    }
                    // Refused as stale only if the outcome already arrived: nothing to record.
                    self.write_simple(&message.campaign, &on_call, &recorded, Guards::default())
                        .await?;
                }
                let to = message.lead.contact.phone.masked();
                tracing::info!(%reference, %to, "call placed");
                Ok(DialOutcome::Done("called"))
            }
            Err(PlaceCallError::RateLimited { retry_after }) => {
                let wait = retry_after
                    .and_then(|d| Duration::from_std(d).ok())
                    .map_or(PROVIDER_BACKOFF, |d| d.max(Duration::seconds(5)));
                self.release(message, calling, attempt, now + wait, true)
                    .await?;
                Ok(DialOutcome::Done("provider rate limited: released"))
            }
            Err(PlaceCallError::Unavailable) => {
                self.release(message, calling, attempt, now + PROVIDER_BACKOFF, true)
                    .await?;
                Ok(DialOutcome::Done("provider unavailable: released"))
            }
            Err(PlaceCallError::Uncertain) => {
                // The call may exist. Placing it again could call the person twice; instead
                // the tick looks it up once this deadline passes.
                let mut state = calling.clone();
                if state.extend_call(attempt, now + UNCERTAIN_LOOKUP).is_ok() {
                    self.write_simple(&message.campaign, &on_call, &state, Guards::default())
                        .await?;
                }
                tracing::warn!(%reference, "call creation answer lost; will look it up");
                Ok(DialOutcome::Done("creation uncertain: will look up"))
            }
            Err(PlaceCallError::AccountProblem {
                problem,
                credentials,
            }) => {
                // No contact's fault: the lead goes back as it was, the campaign stops calling
                // until a person fixes the account, and the operators hear of credentials.
                tracing::error!(%reference, %problem, credentials, "the provider refused the call for an account problem");
                self.release(message, calling, attempt, now + PROVIDER_BACKOFF, false)
                    .await?;
                self.pause_for_account(message, &problem, now).await
            }
            Err(PlaceCallError::Rejected { reason }) => {
                tracing::warn!(%reference, %reason, "call refused permanently");
                let report = AttemptReport::of(Outcome::Failed);
                let details = AttemptDetails {
                    disposition: Some(reason),
                    ..Default::default()
                };
                self.apply_outcome(reference, None, &report, &details)
                    .await?;
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
            Refusal::Registry => {
                self.skip(campaign, lead, SkipReason::OnRegistry).await?;
                DialOutcome::Done("on a do-not-call registry: skipped")
            }
            // No slot this minute: back to the due index for a later tick.
            Refusal::Pacing => {
                self.defer(campaign, lead, now + Duration::minutes(1))
                    .await?;
                DialOutcome::Done("pacing limit: handed back")
            }
            // Every line of the account is busy (other campaigns' calls hold them): back to the
            // due index shortly, as for pacing; no attempt was spent.
            Refusal::AccountLines => {
                self.defer(campaign, lead, now + ACCOUNT_LINE_WAIT).await?;
                DialOutcome::Done("every line of the account busy: handed back")
            }
            // This second's provider budget is spent: try again next second (later in a
            // backlog), lease kept.
            Refusal::ProviderRate => rate_refused(message, next_second(now), now),
            // Another campaign's call to the number came first: count again shortly. (A caller
            // number at its limit is the claim's to handle: another number is tried.)
            Refusal::Conflict | Refusal::NumberCallsMoved | Refusal::CallerLimit => {
                DialOutcome::Later(std_duration(next_second(now) - now))
            }
        })
    }

    /// Puts a lead whose call was certainly not placed back, without counting the attempt;
    /// `throttled`: the provider refused the request (429/503), counted for the guardrails in
    /// the same write.
    async fn release(
        &self,
        message: &DialMessage,
        calling: &LeadState,
        attempt: u8,
        at: DateTime<Utc>,
        throttled: bool,
    ) -> Result<(), EngineError> {
        let mut state = calling.clone();
        if state.release_call(attempt, at).is_ok() {
            let lead = Lead {
                state: calling.clone(),
                ..message.lead.clone()
            };
            let key = NumberCalls::key(&message.campaign, &message.lead.id, attempt);
            let guards = crate::outcome::release_guards(
                calling.call.as_ref(),
                &message.lead.contact.phone,
                key,
            );
            let mut delta = CounterDelta::between(&lead.state, &state, None);
            delta.throttled = i64::from(throttled);
            self.write_moved(&message.campaign, &lead, &state, guards, delta)
                .await?;
        }
        Ok(())
    }

    fn call_request(
        &self,
        message: &DialMessage,
        loaded: &LoadedCampaign,
        reference: &CallReference,
    ) -> CallRequest {
        let contact = &message.lead.contact;
        let mut variables: BTreeMap<String, String> = contact.custom.clone();
        // Every field of the contact but its number (the provider has it), by column name.
        let timezone = contact.timezone.map(|tz| tz.name().to_owned());
        let state = contact.state.as_ref().map(|s| s.as_str().to_owned());
        for (name, value) in [
            ("name", &contact.name),
            ("email", &contact.email),
            ("company", &contact.company),
            ("timezone", &timezone),
            ("state", &state),
        ] {
            if let Some(value) = value {
                variables.insert(name.to_owned(), value.clone());
            }
        }
        let handling = &loaded.config.call_handling;
        let base = &self.settings.provider_base_url;
        let provider = &message.call.provider;
        CallRequest {
            reference: reference.clone(),
            to: contact.phone.clone(),
            from: message.call.from.clone(),
            agent_ref: message.call.agent_ref.clone(),
            callback_url: format!("{base}/v1/call-events/{provider}/{}", reference.path()),
            call_flow_url: format!("{base}/v1/call-flow/{provider}/{}", reference.path()),
            report_url: format!("{base}{REPORT_PATH}"),
            report_token: self.call_token(reference, self.clock.now(), handling.max_call_duration),
            max_duration: std_duration(handling.max_call_duration),
            voicemail: handling.voicemail,
            voicemail_message: message.call.voicemail_message.clone(),
            transfer_number: handling.transfer_number.clone(),
            variables,
        }
    }
}

/// The start of the second after `now`'s.
fn next_second(now: DateTime<Utc>) -> DateTime<Utc> {
    let second = (now.timestamp_millis().div_euclid(1000) + 1) * 1000;
    DateTime::from_timestamp_millis(second).unwrap_or(now + Duration::seconds(1))
}

/// A start refused for the provider's rate: tried again at `next_chance`, or later when it is
/// in a backlog (`domain::fair_share::retry_after_refusal`), spread by its lead's id.
fn rate_refused(
    message: &DialMessage,
    next_chance: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DialOutcome {
    use std::hash::{Hash, Hasher};
    let mut salt = std::hash::DefaultHasher::new();
    message.lead.id.hash(&mut salt);
    let at = domain::fair_share::retry_after_refusal(
        now,
        message.not_before,
        next_chance,
        salt.finish(),
    );
    DialOutcome::Later(std_duration(at - now))
}
