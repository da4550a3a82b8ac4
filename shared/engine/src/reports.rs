//! The agent report API's engine side: a report authenticated by its per-call token is merged
//! into the attempt it names, exactly once, in one conditional write that also puts an
//! opted-out number on the tenant's Do-Not-Call list and moves the counters.

use chrono::{DateTime, Utc};
use domain::call_report::AgentReport;
use domain::call_token::{BadCallToken, CallClaims};
use domain::ids::LeadRef;
use domain::lead::reports::{ReportEffect, ReportRefused};
use domain::lead::{CounterDelta, Lead};
use domain::retry::Outcome;
use domain::status::LeadStatus;
use domain::webhooks::EventType;
use ports::store::{
    Campaigns, Guards, HourlyIncrement, LeadWrite, Leads, RecordsWanted, Refusal, WriteError,
};
use ports::voice::CallReference;
use tracing::Instrument;

use crate::outcome::is_running;
use crate::{Engine, EngineError};

/// What a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportOutcome {
    /// Recorded (or a repeat of what was recorded: `changed` is false).
    Recorded {
        /// Whether anything new was written.
        changed: bool,
        /// Whether the call was still in progress (else the attempt's record was amended).
        during_call: bool,
        /// The lead's status after the report.
        lead_status: LeadStatus,
    },
    /// The token is not valid (forged, for another deployment, expired).
    BadToken,
    /// Refused; nothing changed.
    Refused(ReportRefused),
}

/// The claims of a report about the attempt `reference` names.
fn claims_of(reference: &CallReference, expires_at: DateTime<Utc>) -> CallClaims {
    CallClaims {
        lead: LeadRef {
            campaign: reference.campaign.clone(),
            lead: reference.lead.clone(),
        },
        attempt: reference.attempt,
        expires_at,
    }
}

impl<S> Engine<S>
where
    S: Campaigns + Leads,
{
    /// The token for reports about `reference`, valid until the call's longest end plus the
    /// report grace.
    pub(crate) fn call_token(
        &self,
        reference: &CallReference,
        started_at: DateTime<Utc>,
        max_call: chrono::Duration,
    ) -> String {
        let expires_at = domain::lead::LeadState::call_deadline(started_at, max_call)
            + self.settings.report_grace;
        self.settings
            .call_tokens
            .mint(&claims_of(reference, expires_at))
    }

    /// Applies an agent's report carried with `token`.
    pub async fn apply_agent_report(
        &self,
        token: &str,
        report: &AgentReport,
    ) -> Result<ReportOutcome, EngineError> {
        let now = self.clock.now();
        let claims = match self.settings.call_tokens.verify(token, now) {
            Ok(claims) => claims,
            Err(BadCallToken) => return Ok(ReportOutcome::BadToken),
        };
        let span = tracing::info_span!("agent_report",
            tenant = %claims.lead.campaign.tenant, campaign = %claims.lead.campaign.campaign,
            lead = %claims.lead.lead, attempt = claims.attempt);
        // A concurrent write (the provider's end of call, another report) may win the race.
        crate::moves::until_not_raced(|| self.try_report(&claims, report, now))
            .instrument(span)
            .await
    }

    /// Applies a report the agent's platform carried for the attempt `reference` names (its
    /// authentication, checked by the provider's adapter, binds it to that attempt): the same
    /// rules as [`Self::apply_agent_report`].
    pub async fn apply_platform_report(
        &self,
        reference: &CallReference,
        report: &AgentReport,
    ) -> Result<ReportOutcome, EngineError> {
        let now = self.clock.now();
        let claims = claims_of(reference, now);
        crate::moves::until_not_raced(|| self.try_report(&claims, report, now)).await
    }

    async fn try_report(
        &self,
        claims: &CallClaims,
        report: &AgentReport,
        now: DateTime<Utc>,
    ) -> Result<Option<ReportOutcome>, EngineError> {
        let Some(mut lead) = self.store.get_lead(&claims.lead).await? else {
            return Ok(Some(ReportOutcome::Refused(ReportRefused::NoSuchAttempt)));
        };
        // The attempt's record, for a report that comes after its end (the one record this
        // write then rewrites).
        if lead.state.call.as_ref().map(|c| c.attempt) != Some(claims.attempt) {
            let one = std::slice::from_mut(&mut lead);
            let which = RecordsWanted::Attempt(claims.attempt);
            (self.store)
                .attach_records(&claims.lead.campaign, one, which)
                .await?;
        }
        let Some(campaign) = self.cached_campaign(&claims.lead.campaign, None).await? else {
            return Ok(Some(ReportOutcome::Refused(ReportRefused::NoSuchAttempt)));
        };
        let mut next = lead.state.clone();
        let effect = match next.apply_agent_report(
            claims.attempt,
            report,
            is_running(&campaign, now),
            now,
        ) {
            Ok(effect) => effect,
            Err(refused) => return Ok(Some(ReportOutcome::Refused(refused))),
        };
        let during_call = lead.state.status == LeadStatus::Calling
            && lead
                .state
                .call
                .as_ref()
                .is_some_and(|c| c.attempt == claims.attempt);
        if effect == ReportEffect::Unchanged {
            return Ok(Some(ReportOutcome::Recorded {
                changed: false,
                during_call,
                lead_status: lead.state.status,
            }));
        }
        self.defer_into_window(&lead, &mut next, &campaign);
        let delta = report_delta(&lead, &next, claims.attempt, effect);
        let events = self
            .late_opt_out_events(&lead, &claims.lead, &next, claims.attempt, effect, now)
            .await?;
        let guards = Guards {
            add_to_dnc: report.opt_out.then(|| lead.contact.phone.clone()),
            events: events.clone(),
            hourly: amended_hour(&next, claims.attempt, effect),
            ..Guards::default()
        };
        let write = LeadWrite {
            lead: &claims.lead,
            expected_version: lead.state.version,
            state: &next,
            counters: &delta,
            guards,
        };
        match self.store.write_transition(write).await {
            Ok(()) => {
                tracing::info!(lead = %claims.lead, attempt = claims.attempt, during_call, opt_out = report.opt_out, "agent report recorded");
                self.announce(&claims.lead.campaign.tenant, &events).await;
                Ok(Some(ReportOutcome::Recorded {
                    changed: true,
                    during_call,
                    lead_status: next.status,
                }))
            }
            Err(WriteError::Refused(Refusal::Stale | Refusal::Conflict)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// `lead.opted_out` for a report that turns an ended attempt into an opt-out: the event
    /// the attempt's end would have recorded had the agent said so during the call (one per
    /// opt-out: an attempt that was an opt-out already records nothing new).
    async fn late_opt_out_events(
        &self,
        lead: &Lead,
        key: &LeadRef,
        next: &domain::lead::LeadState,
        attempt: u8,
        effect: ReportEffect,
        now: DateTime<Utc>,
    ) -> Result<Vec<domain::webhooks::Event>, EngineError> {
        let ReportEffect::Amended { outcome_before } = effect else {
            return Ok(Vec::new());
        };
        let Some(record) = next.log.iter().find(|r| r.attempt == attempt) else {
            return Ok(Vec::new());
        };
        if outcome_before == Outcome::OptedOut || record.outcome != Outcome::OptedOut {
            return Ok(Vec::new());
        }
        let Some(hooks) = &self.hooks else {
            return Ok(Vec::new());
        };
        if !hooks
            .wants(&key.campaign.tenant, EventType::LeadOptedOut, now)
            .await?
        {
            return Ok(Vec::new());
        }
        Ok(vec![crate::webhooks::lead_opted_out(
            lead,
            key,
            record,
            next.version,
        )])
    }
}

/// The hour bucket a report moves: an amended outcome that changes whether the call connected
/// or was abandoned (an `agent_unavailable` call the agent then reports on) moves those counts
/// of the hour the call started, as the totals move with the outcome counts.
fn amended_hour(
    next: &domain::lead::LeadState,
    attempt: u8,
    effect: ReportEffect,
) -> Option<HourlyIncrement> {
    let ReportEffect::Amended { outcome_before } = effect else {
        return None;
    };
    let after = next.log.iter().find(|r| r.attempt == attempt)?;
    let moved =
        |of: fn(Outcome) -> bool| i64::from(of(after.outcome)) - i64::from(of(outcome_before));
    let hour = HourlyIncrement {
        connected: moved(Outcome::connected),
        answered: moved(domain::caller_health::answered),
        abandoned: moved(|o| o == Outcome::AgentUnavailable),
        ..HourlyIncrement::at(crate::outcome::hour_of(after.started_at))
    };
    (hour.connected != 0 || hour.answered != 0 || hour.abandoned != 0).then_some(hour)
}

/// The counters a report moves: the lead's status (a cancelled retry, a scheduled callback)
/// and, for a settled attempt, its outcome.
fn report_delta(
    lead: &Lead,
    next: &domain::lead::LeadState,
    attempt: u8,
    effect: ReportEffect,
) -> CounterDelta {
    let mut delta = CounterDelta::between(&lead.state, next, None);
    if let ReportEffect::Amended { outcome_before } = effect
        && let Some(after) = next.log.iter().find(|r| r.attempt == attempt)
        && after.outcome != outcome_before
    {
        *delta.outcomes.entry(outcome_before).or_default() -= 1;
        *delta.outcomes.entry(after.outcome).or_default() += 1;
    }
    delta
}
