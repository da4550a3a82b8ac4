//! The agent's reports on a lead: merged into the call in progress (and applied when the call
//! ends), or amending the attempt's record when they arrive after the provider's end of call.
//!
//! An agent often reports after the call (its summary takes seconds; the provider's status
//! callback does not wait), so a report on a settled attempt is not lost: an opt-out still
//! ends the lead's calls, a callback still schedules the lead when the attempt is its last, and
//! the disposition and results land on the attempt's record. A transfer can only be asked for
//! while the call is up.

use chrono::{DateTime, Utc};

use super::{ActiveCall, AgentStream, AttemptRecord, LeadState};
use crate::call_report::{AgentReport, ReportConflict};
use crate::retry::{AttemptReport, MAX_CALLBACKS, Outcome};
use crate::status::LeadStatus;

/// Why a report is refused (nothing changes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportRefused {
    /// The lead has no call and no record for that attempt.
    #[error("the lead has no such attempt")]
    NoSuchAttempt,
    /// A field was already reported with another value.
    #[error(transparent)]
    Conflict(#[from] ReportConflict),
    /// A transfer asked for after the call ended.
    #[error("the call has ended: a transfer can only be asked for during the call")]
    CallEnded,
}

/// What a report did to the lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportEffect {
    /// It repeated what was known: nothing was written.
    Unchanged,
    /// Merged into the call in progress.
    OnCall,
    /// Amended the settled attempt's record.
    Amended {
        /// The record's outcome before the amendment.
        outcome_before: Outcome,
    },
}

/// Whether a machine-detection verdict (Twilio's `AnsweredBy`: `human`, `machine_start`,
/// `machine_end_beep`, `machine_end_silence`, `machine_end_other`, `fax`, `unknown`) means a
/// machine answered.
pub fn is_machine(answered_by: &str) -> bool {
    answered_by.starts_with("machine") || answered_by == "fax"
}

/// An answered call shorter than this, with no word that the agent's stream started and nothing
/// reported by the agent, is taken as one the agent never came to: when the agent's stream
/// cannot connect, the provider runs the call's next step (hang up) within seconds.
pub const AGENT_SILENCE_SECONDS: u32 = 15;

impl ActiveCall {
    /// For a provider that reports the agent's media stream: a call the provider calls
    /// completed (answered by a person) is `agent_unavailable` when the agent never came on
    /// the line — its stream failed, or nothing says it started (no stream start, no report
    /// from the agent) and the call was shorter than [`AGENT_SILENCE_SECONDS`].
    pub fn agent_judged(&self, provider: &AttemptReport, duration_seconds: u32) -> AttemptReport {
        let answered_by_person = provider.outcome == Outcome::Completed
            && !self.answered_by.as_deref().is_some_and(is_machine);
        let reached = self.agent_stream == Some(AgentStream::Started) || !self.report.is_empty();
        let failed = matches!(self.agent_stream, Some(AgentStream::Failed(_)));
        if answered_by_person && !reached && (failed || duration_seconds < AGENT_SILENCE_SECONDS) {
            return AttemptReport::of(Outcome::AgentUnavailable);
        }
        provider.clone()
    }

    /// The provider's report with what the agent said on the call: an opt-out or a callback
    /// request is the agent's to know (to a provider it is a completed call), a machine
    /// verdict recorded while the call ran is the provider's own word even when its final
    /// report leaves it out, and a played voicemail message is the engine's.
    pub fn effective_report(&self, provider: &AttemptReport) -> AttemptReport {
        let mut report = provider.clone();
        if report.outcome == Outcome::Completed
            && self.answered_by.as_deref().is_some_and(is_machine)
        {
            report.outcome = Outcome::Voicemail;
        }
        if self.report.opt_out {
            report.outcome = Outcome::OptedOut;
            report.callback_at = None;
        } else if let Some(at) = self.report.callback_at
            && matches!(
                provider.outcome,
                Outcome::Completed | Outcome::CallbackRequested
            )
        {
            report.outcome = Outcome::CallbackRequested;
            report.callback_at = Some(at);
        }
        report.voicemail_left |= self.voicemail_left;
        report
    }
}

impl LeadState {
    /// Applies the agent's `report` about `attempt`: to the call in progress, else to the
    /// attempt's record. `campaign_running` is false once the campaign no longer schedules
    /// calls (then a late callback request is recorded but schedules nothing).
    pub fn apply_agent_report(
        &mut self,
        attempt: u8,
        report: &AgentReport,
        campaign_running: bool,
        now: DateTime<Utc>,
    ) -> Result<ReportEffect, ReportRefused> {
        if let Some(call) = self.call.as_mut().filter(|c| c.attempt == attempt)
            && self.status == LeadStatus::Calling
        {
            if !call.report.merge(report)? {
                return Ok(ReportEffect::Unchanged);
            }
            self.bump();
            return Ok(ReportEffect::OnCall);
        }
        let Some(index) = self.log.iter().position(|r| r.attempt == attempt) else {
            return Err(ReportRefused::NoSuchAttempt);
        };
        let record = &mut self.log[index];
        if report.transfer && !record.report.transfer {
            return Err(ReportRefused::CallEnded);
        }
        let outcome_before = record.outcome;
        if !record.report.merge(report)? {
            return Ok(ReportEffect::Unchanged);
        }
        // The latest attempt (a call given back before it was placed gave its number back),
        // known without the other attempts' records.
        let is_last = attempt == self.attempts && self.call.is_none();
        self.amend_settled(index, is_last, campaign_running, now);
        self.bump();
        Ok(ReportEffect::Amended { outcome_before })
    }

    /// Starts the transfer the agent asked for on `attempt`'s call in progress: `true` once (the
    /// caller then connects the transfer), `false` when no transfer was asked for or it already
    /// started.
    pub fn begin_transfer(&mut self, attempt: u8) -> bool {
        let Ok(call) = self.calling(attempt, "transfer the call of") else {
            return false;
        };
        if !call.report.transfer || call.transferred {
            return false;
        }
        if let Some(call) = self.call.as_mut() {
            call.transferred = true;
        }
        self.bump();
        true
    }

    /// Records what the provider said of the agent's stream on `attempt`'s call in progress;
    /// `false` when there is nothing new. A stream that started stays started (a later error
    /// is the end of a conversation that happened).
    pub fn record_agent_stream(&mut self, attempt: u8, stream: AgentStream) -> bool {
        let Ok(call) = self.calling(attempt, "record the agent's stream of") else {
            return false;
        };
        if call.agent_stream.is_some()
            && (stream != AgentStream::Started || call.agent_stream == Some(AgentStream::Started))
        {
            return false;
        }
        if let Some(call) = self.call.as_mut() {
            call.agent_stream = Some(stream);
        }
        self.bump();
        true
    }

    /// Records the provider's machine verdict on `attempt`'s call in progress, and whether the
    /// campaign's voicemail message was played; `false` when there is nothing new.
    pub fn record_machine_verdict(
        &mut self,
        attempt: u8,
        answered_by: &str,
        voicemail_left: bool,
    ) -> bool {
        let Ok(call) = self.calling(attempt, "record a machine verdict for") else {
            return false;
        };
        if call.answered_by.as_deref() == Some(answered_by) && call.voicemail_left >= voicemail_left
        {
            return false;
        }
        if let Some(call) = self.call.as_mut() {
            call.answered_by = Some(answered_by.to_owned());
            call.voicemail_left |= voicemail_left;
        }
        self.bump();
        true
    }

    /// What a late report changes on a settled attempt (already merged into its record).
    fn amend_settled(
        &mut self,
        index: usize,
        is_last: bool,
        campaign_running: bool,
        now: DateTime<Utc>,
    ) {
        let record: &mut AttemptRecord = &mut self.log[index];
        if record.outcome == Outcome::AgentUnavailable {
            // A report proves the agent was on the call after all (it came after the provider's
            // end of call): a conversation, not a miss, and the retry for the miss is not made.
            record.outcome = Outcome::Completed;
            if is_last && self.status == LeadStatus::Scheduled {
                self.status = LeadStatus::Completed;
                self.next_call_at = None;
                self.agent_misses = self.agent_misses.saturating_sub(1);
            }
        }
        if record.report.opt_out {
            record.outcome = Outcome::OptedOut;
            // A retry or callback still planned is not made: the person said stop.
            if self.status == LeadStatus::Scheduled {
                self.status = LeadStatus::Completed;
                self.next_call_at = None;
            }
            return;
        }
        let Some(at) = record.report.callback_at else {
            return;
        };
        let reached = matches!(
            record.outcome,
            Outcome::Completed | Outcome::CallbackRequested
        );
        let may_schedule = is_last
            && reached
            && campaign_running
            && self.callbacks_used < MAX_CALLBACKS
            && matches!(
                self.status,
                LeadStatus::Completed | LeadStatus::Scheduled | LeadStatus::Failed
            );
        if may_schedule && record.outcome != Outcome::CallbackRequested {
            record.outcome = Outcome::CallbackRequested;
            self.status = LeadStatus::Scheduled;
            self.callbacks_used += 1;
            self.next_call_at = Some(at.max(now));
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::call_report::Disposition;
    use crate::lead::AttemptDetails;
    use crate::retry::{RetryPolicy, RetryableOutcome};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-10T15:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn policy() -> RetryPolicy {
        RetryPolicy::new(2, Duration::hours(2), [RetryableOutcome::NoAnswer]).unwrap()
    }

    /// A lead on its first call.
    fn calling() -> LeadState {
        let mut state = LeadState::new(now());
        state
            .lease("t".into(), now(), now() + Duration::minutes(2))
            .unwrap();
        state
            .start_call("t", "twilio", now(), now() + Duration::minutes(15))
            .unwrap();
        state
    }

    fn finish(state: &mut LeadState, outcome: Outcome) -> AttemptRecord {
        state
            .finish_attempt(
                1,
                &AttemptReport::of(outcome),
                AttemptDetails::default(),
                &policy(),
                true,
                now() + Duration::minutes(3),
            )
            .unwrap()
    }

    fn opt_out() -> AgentReport {
        AgentReport {
            opt_out: true,
            ..AgentReport::default()
        }
    }

    fn callback(at: DateTime<Utc>) -> AgentReport {
        AgentReport {
            callback_at: Some(at),
            ..AgentReport::default()
        }
    }

    #[test]
    fn an_opt_out_said_on_the_call_makes_the_completed_call_an_opt_out() {
        let mut state = calling();
        let effect = state.apply_agent_report(1, &opt_out(), true, now());
        assert_eq!(effect, Ok(ReportEffect::OnCall));
        assert_eq!(
            state.apply_agent_report(1, &opt_out(), true, now()),
            Ok(ReportEffect::Unchanged)
        );
        let record = finish(&mut state, Outcome::Completed);
        assert_eq!(record.outcome, Outcome::OptedOut);
        assert!(record.report.opt_out);
        assert_eq!(state.status, LeadStatus::Completed);
    }

    #[test]
    fn a_callback_said_on_the_call_schedules_the_lead_at_that_time() {
        let mut state = calling();
        let at = now() + Duration::days(1);
        state
            .apply_agent_report(1, &callback(at), true, now())
            .unwrap();
        let record = finish(&mut state, Outcome::Completed);
        assert_eq!(record.outcome, Outcome::CallbackRequested);
        assert_eq!(state.status, LeadStatus::Scheduled);
        assert_eq!(state.next_call_at, Some(at));
        assert_eq!(state.callbacks_used, 1);
    }

    #[test]
    fn a_late_opt_out_cancels_the_planned_retry_and_marks_the_attempt() {
        let mut state = calling();
        finish(&mut state, Outcome::NoAnswer);
        assert_eq!(state.status, LeadStatus::Scheduled);
        let version = state.version;
        let effect = state.apply_agent_report(1, &opt_out(), true, now());
        assert_eq!(
            effect,
            Ok(ReportEffect::Amended {
                outcome_before: Outcome::NoAnswer
            })
        );
        assert_eq!(state.status, LeadStatus::Completed);
        assert_eq!(state.next_call_at, None);
        assert_eq!(state.log[0].outcome, Outcome::OptedOut);
        assert!(state.version > version);
        assert_eq!(
            state.apply_agent_report(1, &opt_out(), true, now()),
            Ok(ReportEffect::Unchanged)
        );
    }

    #[test]
    fn a_late_callback_on_the_last_completed_attempt_schedules_the_lead() {
        let mut state = calling();
        finish(&mut state, Outcome::Completed);
        let at = now() + Duration::hours(5);
        state
            .apply_agent_report(1, &callback(at), true, now())
            .unwrap();
        assert_eq!(state.status, LeadStatus::Scheduled);
        assert_eq!(state.next_call_at, Some(at));
        assert_eq!(state.log[0].outcome, Outcome::CallbackRequested);
        // Once the campaign no longer runs, a late callback is recorded and schedules nothing.
        let mut ended = calling();
        finish(&mut ended, Outcome::Completed);
        ended
            .apply_agent_report(1, &callback(at), false, now())
            .unwrap();
        assert_eq!(ended.status, LeadStatus::Completed);
        assert_eq!(ended.log[0].report.callback_at, Some(at));
    }

    #[test]
    fn a_transfer_starts_once_and_only_when_the_agent_asked_for_it() {
        let mut state = calling();
        assert!(!state.begin_transfer(1), "no transfer was asked for");
        let transfer = AgentReport {
            transfer: true,
            ..AgentReport::default()
        };
        state.apply_agent_report(1, &transfer, true, now()).unwrap();
        assert!(!state.begin_transfer(2), "another attempt's");
        assert!(state.begin_transfer(1));
        assert!(!state.begin_transfer(1), "a second ask connects nothing");
        let record = finish(&mut state, Outcome::Completed);
        assert!(record.transferred);
        assert!(record.report.transfer);
    }

    #[test]
    fn a_machine_verdict_and_a_left_message_reach_the_attempt() {
        let mut state = calling();
        assert!(state.record_machine_verdict(1, "machine_end_beep", true));
        assert!(!state.record_machine_verdict(1, "machine_end_beep", true));
        let record = finish(&mut state, Outcome::Voicemail);
        assert_eq!(record.answered_by.as_deref(), Some("machine_end_beep"));
        // The message left completes the lead (voicemail is not retried by this policy).
        assert_eq!(state.status, LeadStatus::Completed);
    }

    #[test]
    fn a_transfer_after_the_call_or_a_report_for_another_attempt_is_refused_and_changes_nothing() {
        let mut state = calling();
        finish(&mut state, Outcome::Completed);
        let before = state.clone();
        let transfer = AgentReport {
            transfer: true,
            ..AgentReport::default()
        };
        assert_eq!(
            state.apply_agent_report(1, &transfer, true, now()),
            Err(ReportRefused::CallEnded)
        );
        assert_eq!(
            state.apply_agent_report(2, &opt_out(), true, now()),
            Err(ReportRefused::NoSuchAttempt)
        );
        let disposition = AgentReport {
            disposition: Some(Disposition::parse("interested").unwrap()),
            ..AgentReport::default()
        };
        state
            .apply_agent_report(1, &disposition, true, now())
            .unwrap();
        let other = AgentReport {
            disposition: Some(Disposition::parse("not_interested").unwrap()),
            ..AgentReport::default()
        };
        let after_first = state.clone();
        assert!(matches!(
            state.apply_agent_report(1, &other, true, now()),
            Err(ReportRefused::Conflict(_))
        ));
        assert_eq!(state, after_first);
        assert_ne!(state, before);
    }

    fn call_of(state: &LeadState) -> ActiveCall {
        state.call.clone().unwrap()
    }

    #[test]
    fn an_answered_call_the_agent_never_came_to_is_agent_unavailable() {
        let completed = AttemptReport::of(Outcome::Completed);
        let mut state = calling();
        // The stream failed: whatever the duration, the agent never came.
        assert!(state.record_agent_stream(1, AgentStream::Failed("31920".into())));
        let judged = call_of(&state).agent_judged(&completed, 40);
        assert_eq!(judged.outcome, Outcome::AgentUnavailable);
        // It started after all (a retried error, then the start): the agent was on the line.
        assert!(state.record_agent_stream(1, AgentStream::Started));
        assert!(
            !state.record_agent_stream(1, AgentStream::Failed("31921".into())),
            "a started stream stays started"
        );
        assert_eq!(
            call_of(&state).agent_judged(&completed, 4).outcome,
            Outcome::Completed
        );
    }

    #[test]
    fn without_word_of_the_stream_a_short_call_is_agent_unavailable_and_a_long_one_completed() {
        let completed = AttemptReport::of(Outcome::Completed);
        let call = call_of(&calling());
        let short = AGENT_SILENCE_SECONDS - 1;
        assert_eq!(
            call.agent_judged(&completed, short).outcome,
            Outcome::AgentUnavailable
        );
        assert_eq!(
            call.agent_judged(&completed, AGENT_SILENCE_SECONDS).outcome,
            Outcome::Completed
        );
        // A report from the agent proves it was there.
        let mut reported = calling();
        let report = AgentReport {
            disposition: Some(Disposition::parse("interested").unwrap()),
            ..AgentReport::default()
        };
        reported
            .apply_agent_report(1, &report, true, now())
            .unwrap();
        assert_eq!(
            call_of(&reported).agent_judged(&completed, 3).outcome,
            Outcome::Completed
        );
        // Only a person's completed call is judged: a busy line is busy, a machine a machine.
        let busy = AttemptReport::of(Outcome::Busy);
        assert_eq!(call.agent_judged(&busy, 0).outcome, Outcome::Busy);
        let mut machine = calling();
        machine.record_machine_verdict(1, "machine_start", false);
        assert_eq!(
            call_of(&machine).agent_judged(&completed, 3).outcome,
            Outcome::Completed
        );
    }

    #[test]
    fn a_machine_verdict_recorded_during_the_call_makes_a_completed_call_voicemail() {
        let completed = AttemptReport::of(Outcome::Completed);
        let mut state = calling();
        assert_eq!(
            call_of(&state).effective_report(&completed).outcome,
            Outcome::Completed
        );
        state.record_machine_verdict(1, "machine_end_beep", false);
        assert_eq!(
            call_of(&state).effective_report(&completed).outcome,
            Outcome::Voicemail
        );
        let mut fax = calling();
        fax.record_machine_verdict(1, "fax", false);
        assert_eq!(
            call_of(&fax).effective_report(&completed).outcome,
            Outcome::Voicemail
        );
        let mut human = calling();
        human.record_machine_verdict(1, "human", false);
        assert_eq!(
            call_of(&human).effective_report(&completed).outcome,
            Outcome::Completed
        );
    }

    #[test]
    fn agent_unavailable_calls_reschedule_the_lead_without_using_its_retries() {
        let mut state = calling();
        let record = finish(&mut state, Outcome::AgentUnavailable);
        assert_eq!(record.outcome, Outcome::AgentUnavailable);
        assert_eq!(state.status, LeadStatus::Scheduled);
        assert_eq!((state.retries_used, state.agent_misses), (0, 1));
    }

    #[test]
    fn a_late_report_on_an_agent_unavailable_attempt_makes_it_a_conversation() {
        let mut state = calling();
        finish(&mut state, Outcome::AgentUnavailable);
        assert_eq!(state.status, LeadStatus::Scheduled);
        let report = AgentReport {
            disposition: Some(Disposition::parse("interested").unwrap()),
            ..AgentReport::default()
        };
        let effect = state.apply_agent_report(1, &report, true, now()).unwrap();
        assert_eq!(
            effect,
            ReportEffect::Amended {
                outcome_before: Outcome::AgentUnavailable
            }
        );
        assert_eq!(state.log[0].outcome, Outcome::Completed);
        assert_eq!(
            (state.status, state.agent_misses),
            (LeadStatus::Completed, 0)
        );
        assert_eq!(state.next_call_at, None);
    }
}
