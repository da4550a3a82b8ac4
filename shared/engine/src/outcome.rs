//! Applying a call's outcome to its lead: shared by provider events and by the tick's reconciliation
//! of calls whose report never came.

use chrono::{DateTime, DurationRound, Utc};
use domain::eligibility::{Screen, screen_for_call};
use domain::ids::LeadRef;
use domain::lead::{AttemptDetails, AttemptRecord, CounterDelta, Lead, LeadState};
use domain::phone::E164;
use domain::retry::{AttemptReport, Outcome};
use domain::status::{CampaignStatus, LeadStatus};
use ports::store::{
    CallerOutcome, Guards, HourlyIncrement, LeadWrite, NumberCallRelease, Refusal, WriteError,
};
use ports::store::{Campaigns, Leads};
use ports::voice::CallReference;

use crate::{Engine, EngineError, LoadedCampaign};

/// What applying an outcome did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The lead moved to this status.
    Applied(LeadStatus),
    /// Nothing to do: a duplicate, a late report for an attempt already settled, an unknown lead.
    Ignored(&'static str),
}

/// Whether a campaign still schedules retries and callbacks: not once it is completed or
/// cancelled, nor past its end.
pub(crate) fn is_running(campaign: &LoadedCampaign, now: DateTime<Utc>) -> bool {
    !matches!(
        campaign.record.status,
        CampaignStatus::Completed | CampaignStatus::Cancelled
    ) && campaign.config.ends_at.is_none_or(|end| now < end)
}

/// The hour (UTC) an instant falls in.
pub(crate) fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(chrono::Duration::hours(1)).unwrap_or(at)
}

/// A provider's report of how a call ended, and which provider sent it.
#[derive(Clone, Copy)]
struct Reported<'a> {
    from_provider: Option<&'a str>,
    report: &'a AttemptReport,
    details: &'a AttemptDetails,
}

/// Guards for releasing a call that never happened: the start counted in its hour's analytics
/// is taken back with it, and the call leaves the number's ledger (a provider's refusal to
/// place calls must not use up a person's calls for the day) and its caller number's.
pub(crate) fn release_guards(
    call: Option<&domain::lead::ActiveCall>,
    number: &E164,
    key: String,
) -> Guards {
    let started_at = call.map(|c| c.started_at);
    Guards {
        caller_unuse: call.and_then(crate::caller::caller_use_of),
        forget_number_call: started_at.map(|started_at| NumberCallRelease {
            number: number.clone(),
            key,
            started_at,
        }),
        hourly: started_at.map(|started| HourlyIncrement {
            started: -1,
            ..HourlyIncrement::at(hour_of(started))
        }),
        ..Guards::default()
    }
}

/// The items written with an attempt's outcome: the opt-out's DNC entry, the hour's analytics,
/// its events, and the caller number's day (its health figures).
fn outcome_guards(
    lead: &Lead,
    record: &AttemptRecord,
    report: &AttemptReport,
    events: Vec<domain::webhooks::Event>,
) -> Guards {
    Guards {
        // The attempt's outcome, with what the agent reported during the call.
        add_to_dnc: (record.outcome == Outcome::OptedOut).then(|| lead.contact.phone.clone()),
        hourly: Some(HourlyIncrement {
            connected: i64::from(report.outcome.connected()),
            talk_seconds: i64::from(record.duration_seconds),
            answered: i64::from(domain::caller_health::answered(report.outcome)),
            abandoned: i64::from(report.outcome == Outcome::AgentUnavailable),
            ..HourlyIncrement::at(hour_of(record.started_at))
        }),
        events,
        caller_outcome: (lead.state.call.as_ref())
            .and_then(crate::caller::caller_use_of)
            .map(|used| CallerOutcome {
                number: used.number,
                started_at: used.at,
                answered: domain::caller_health::answered(record.outcome),
                talk_seconds: record.duration_seconds,
            }),
        ..Guards::default()
    }
}

impl<S> Engine<S>
where
    S: Campaigns + Leads,
{
    /// Applies `report` to the attempt `reference` names, exactly once: the write is
    /// conditional on the lead still being on that call at the version read, and moves the
    /// counters, releases the concurrency slot, and (for an opt-out) puts the number on the
    /// tenant's Do-Not-Call list, all in one transaction.
    /// `from_provider` names the provider whose event brought the report (`None` when the
    /// engine looked the call up itself): another provider's report is not this call's.
    pub(crate) async fn apply_outcome(
        &self,
        reference: &CallReference,
        from_provider: Option<&str>,
        report: &AttemptReport,
        details: &AttemptDetails,
    ) -> Result<Applied, EngineError> {
        let key = LeadRef {
            campaign: reference.campaign.clone(),
            lead: reference.lead.clone(),
        };
        let reported = Reported {
            from_provider,
            report,
            details,
        };
        // A concurrent duplicate may win the race; re-read and look again.
        crate::moves::until_not_raced(|| self.try_apply(&key, reference, &reported)).await
    }

    /// One try at applying the report; `None` when a concurrent write won the race (read
    /// again and look again).
    async fn try_apply(
        &self,
        key: &LeadRef,
        reference: &CallReference,
        reported: &Reported<'_>,
    ) -> Result<Option<Applied>, EngineError> {
        let Reported {
            from_provider,
            report,
            details,
        } = *reported;
        let now = self.clock.now();
        let Some(mut lead) = self.store.get_lead(key).await? else {
            return Ok(Some(Applied::Ignored("unknown lead")));
        };
        let on_this_call = lead.state.status == LeadStatus::Calling
            && lead
                .state
                .call
                .as_ref()
                .is_some_and(|c| c.attempt == reference.attempt);
        if !on_this_call {
            return Ok(Some(Applied::Ignored("the attempt is already settled")));
        }
        if !reports_this_call(lead.state.call.as_ref(), from_provider, details) {
            tracing::warn!(%reference, "a report names another call than the attempt's; ignored");
            return Ok(Some(Applied::Ignored("another call's report")));
        }
        let Some(campaign) = self.cached_campaign(&reference.campaign, None).await? else {
            return Ok(Some(Applied::Ignored("unknown campaign")));
        };
        if let Some(learnt) = &details.learnt {
            learn(&mut lead, reference, learnt, now);
        }
        let report = &self.agent_judged(lead.state.call.as_ref(), report, details);
        let Some((next, record)) =
            self.settle_attempt(&lead, &campaign, reference.attempt, report, details, now)
        else {
            return Ok(Some(Applied::Ignored("the attempt is already settled")));
        };
        let mut delta = CounterDelta::between(&lead.state, &next, Some(&record));
        if let Some(missed) =
            domain::disclosures::missed(record.outcome, &record.report, campaign.config.purpose)
        {
            (delta.disclosures_due, delta.disclosures_missed) = (1, i64::from(missed));
        }
        let events = self
            .attempt_events(&lead, key, &record, next.version, now)
            .await?;
        let guards = outcome_guards(&lead, &record, report, events.clone());
        self.crash_point("outcome.before_write")?;
        let write = LeadWrite {
            lead: key,
            expected_version: lead.state.version,
            state: &next,
            counters: &delta,
            guards,
        };
        match self.store.write_transition(write).await {
            Ok(()) => {
                ports::metrics::put(
                    ports::metrics::Metric::count("CallOutcomes", 1.0)
                        .with("Outcome", record.outcome.as_str()),
                );
                tracing::info!(lead = %key, attempt = reference.attempt, outcome = record.outcome.as_str(), status = next.status.as_str(), "outcome applied");
                self.announce(&key.campaign.tenant, &events).await;
                Ok(Some(Applied::Applied(next.status)))
            }
            Err(WriteError::Refused(Refusal::Stale | Refusal::Conflict)) => Ok(None),
            Err(WriteError::Refused(other)) => {
                tracing::warn!(lead = %key, refusal = %other, "outcome refused");
                Ok(Some(Applied::Ignored("refused")))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The provider's report, with an answered call the agent never came to told apart, for
    /// providers that report the agent's stream (see `ActiveCall::agent_judged`).
    fn agent_judged(
        &self,
        call: Option<&domain::lead::ActiveCall>,
        report: &AttemptReport,
        details: &AttemptDetails,
    ) -> AttemptReport {
        match call {
            Some(call)
                if self
                    .provider(&call.provider)
                    .is_ok_and(|p| p.reports_agent_stream()) =>
            {
                call.agent_judged(report, details.duration_seconds)
            }
            _ => report.clone(),
        }
    }

    /// The lead's state after the attempt and the attempt's record; `None` if the attempt is
    /// already settled. A retry or a callback that falls outside the lead's window (or its
    /// daily cap) is scheduled at its next opening at once: the lead shows when it will really
    /// be called, and no tick wakes at the earlier time only to move it.
    fn settle_attempt(
        &self,
        lead: &Lead,
        campaign: &LoadedCampaign,
        attempt: u8,
        report: &AttemptReport,
        details: &AttemptDetails,
        now: DateTime<Utc>,
    ) -> Option<(LeadState, AttemptRecord)> {
        let mut next = lead.state.clone();
        let record = next
            .finish_attempt(
                attempt,
                report,
                details.clone(),
                &campaign.config.retry,
                is_running(campaign, now),
                now,
            )
            .ok()?;
        self.defer_into_window(lead, &mut next, campaign);
        Some((next, record))
    }

    /// A lead newly scheduled (retry, callback) whose time falls outside its window or daily
    /// cap is moved to the next opening.
    pub(crate) fn defer_into_window(
        &self,
        lead: &Lead,
        next: &mut LeadState,
        campaign: &LoadedCampaign,
    ) {
        let Some(at) = next
            .next_call_at
            .filter(|_| next.status == LeadStatus::Scheduled)
        else {
            return;
        };
        let scheduled = Lead {
            state: next.clone(),
            ..lead.clone()
        };
        let margin = self.settings.call_start_margin;
        if let Screen::Defer(opening) = screen_for_call(&scheduled, &campaign.config, at, margin) {
            // Only a lead that may be called can be scheduled: this cannot fail.
            let _ = next.defer(opening);
        }
    }
}

/// Whether a report is about the attempt's own call: a report through another provider's
/// event never is; once the attempt knows its provider call
/// id, a report naming another id (a signed report re-posted to this lead's URL, a stale
/// call's) is not this call's, whatever its URL says. Before the id is known (the creation
/// answer is still on its way, or was lost) the report is taken and its id recorded.
fn reports_this_call(
    call: Option<&domain::lead::ActiveCall>,
    from_provider: Option<&str>,
    details: &AttemptDetails,
) -> bool {
    if let (Some(call), Some(from)) = (call, from_provider)
        && call.provider != from
    {
        return false;
    }
    let known = call.and_then(|c| c.provider_call_id.as_deref());
    match (known, details.provider_call_id.as_deref()) {
        (Some(known), Some(reported)) => known == reported,
        _ => true,
    }
}

/// What a platform's analysis learnt about the call (`AttemptDetails::learnt`), merged into the
/// call's report by the agent report API's rules, in the outcome's own write (one write, so an
/// opt-out lands on the DNC list with the outcome): a field those rules refuse (a callback time
/// in the past, results over their bounds) or one the agent already reported otherwise is left
/// out and logged, never the rest.
fn learn(
    lead: &mut Lead,
    reference: &CallReference,
    learnt: &domain::call_report::ReportBody,
    now: DateTime<Utc>,
) {
    let (report, dropped) = learnt.clone().into_report_dropping_invalid(now);
    let left_out = match (report, lead.state.call.as_mut()) {
        (Some(report), Some(call)) => call.report.merge_what_fits(&report),
        _ => Vec::new(),
    };
    let fields = (dropped.iter().map(|d| &d.field)).chain(left_out.iter().map(|c| &c.field));
    for field in fields {
        tracing::warn!(%reference, %field, "a field the platform's analysis reported was left out");
    }
}
