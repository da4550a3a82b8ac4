//! A lead: who to call (fixed at import) and where it is in its life (changes with each step).
//!
//! Every transition checks its precondition, bumps the version, and keeps one invariant: every
//! non-final lead has a deadline ([`LeadState::due`]) after which the tick acts on it by itself,
//! so no lead can get stuck. The store writes the new state on the condition that the version is
//! still the one the transition started from, so a stale writer is refused.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

mod contact;
pub use contact::{ConsentType, Contact};

use crate::call_report::AgentReport;
use crate::clearance::CallClearance;
use crate::ids::{ImportId, LeadId};
use crate::retry::{AttemptReport, NextStep, Outcome, RetryPolicy};
use crate::status::{LeadStatus, TransitionError};

/// Call start times remembered for daily caps (the strictest cap is 3 per 24 hours).
pub const REMEMBERED_STARTS: usize = 5;

/// Where the lead came from: which import and which line. A retried import chunk recognises
/// the leads it already wrote by this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSource {
    /// The import job.
    pub import_id: ImportId,
    /// 1-based line of the row in the file (the header is line 1).
    pub line: u64,
}

/// Why a lead was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// A user skipped it.
    Manual,
    /// The number is on the tenant's Do-Not-Call list.
    DoNotCall,
    /// A telemarketing call's number is in the tenant's extract of its country's government
    /// do-not-call registry, and the contact is not exempt.
    OnRegistry,
    /// The campaign requires consent and the lead has none.
    NoConsent,
    /// The campaign requires evidence of consent (its source and time) and the lead's row
    /// did not give both.
    NoConsentEvidence,
    /// The campaign's purpose needs a stronger consent than the lead's (telemarketing: express
    /// written consent with its source, time and agreement reference).
    ConsentInsufficient,
    /// The campaign ended (end date, completion or cancellation) before the lead finished.
    CampaignEnded,
    /// The calling window never opens for this lead within the campaign.
    WindowNeverOpens,
    /// The lead's time zone cannot be known.
    UnknownTimeZone,
}

impl SkipReason {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::DoNotCall => "do_not_call",
            Self::OnRegistry => "on_registry",
            Self::NoConsent => "no_consent",
            Self::NoConsentEvidence => "no_consent_evidence",
            Self::ConsentInsufficient => "consent_insufficient",
            Self::CampaignEnded => "campaign_ended",
            Self::WindowNeverOpens => "window_never_opens",
            Self::UnknownTimeZone => "unknown_time_zone",
        }
    }
}

/// A lease: the tick handed the lead to the queue; only the holder of the token may call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Unique per lease.
    pub token: String,
    /// The lease lapses here and the lead may be offered again.
    pub until: DateTime<Utc>,
}

/// The call in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveCall {
    /// The attempt number (1-based).
    pub attempt: u8,
    /// The voice provider carrying the call (where to look it up).
    pub provider: String,
    /// When the dialer committed to the call.
    pub started_at: DateTime<Utc>,
    /// If no outcome arrives by then, the tick reconciles the call.
    pub deadline: DateTime<Utc>,
    /// The provider's id, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_call_id: Option<String>,
    /// What the agent has reported so far; applied when the call ends ([`reports`]).
    #[serde(default, skip_serializing_if = "AgentReport::is_empty")]
    pub report: AgentReport,
    /// The provider's machine-detection verdict (`human`, `machine_end_beep`, ...), once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
    /// The campaign's voicemail message was played to the machine.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voicemail_left: bool,
    /// Lead fields the provider could not carry to the agent (its size limit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields_left_out: Vec<String>,
    /// The call was handed to the transfer number (at most once).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transferred: bool,
    /// What allowed the call, recorded when the dialer committed to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clearance: Option<CallClearance>,
    /// What the provider said of the agent's media stream, for providers that report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_stream: Option<AgentStream>,
    /// The provider account whose concurrent-call ledger holds a line for this call: set by the
    /// claim on an account that caps simultaneous calls, given back with the campaign's
    /// `in_flight` slot whenever the call leaves Calling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_slot: Option<String>,
}

/// What a provider reported of the agent's media stream on a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStream {
    /// The stream started: the agent was on the line.
    Started,
    /// The stream failed, with the provider's reason, and never started.
    Failed(String),
}

/// One finished attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// The attempt number (1-based).
    pub attempt: u8,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When its outcome was applied.
    pub ended_at: DateTime<Utc>,
    /// How it ended.
    pub outcome: Outcome,
    /// Talk time in seconds.
    pub duration_seconds: u32,
    /// The provider's call id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_call_id: Option<String>,
    /// The agent's disposition (interested, not interested, ...), if it reported one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
    /// What the agent reported through the report API (disposition, results, requests).
    #[serde(default, skip_serializing_if = "AgentReport::is_empty")]
    pub report: AgentReport,
    /// The provider's machine-detection verdict, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
    /// Lead fields the provider could not carry to the agent (its size limit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields_left_out: Vec<String>,
    /// The call was handed to the transfer number.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transferred: bool,
    /// What allowed the call (absent for attempts made before clearances were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clearance: Option<CallClearance>,
}

impl AttemptRecord {
    /// The disposition to show: the agent's report, else the provider's.
    pub fn shown_disposition(&self) -> Option<&str> {
        self.report
            .disposition
            .as_ref()
            .map(|d| d.as_str())
            .or(self.disposition.as_deref())
    }
}

/// Which deadline a non-final lead is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DueKind {
    /// Due to be dialed (first call, retry, callback) or its lease lapses.
    Dial,
    /// A call's outcome is due; past it the call is reconciled.
    CallDeadline,
}

/// The mutable part of a lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadState {
    /// Public status.
    pub status: LeadStatus,
    /// Bumped by every transition; writes are conditional on it.
    pub version: u64,
    /// Attempts started.
    pub attempts: u8,
    /// Retries scheduled so far.
    pub retries_used: u8,
    /// Callbacks scheduled so far.
    pub callbacks_used: u8,
    /// Calls that ended with the agent unavailable (they use no retry; see
    /// [`crate::retry::MAX_AGENT_MISSES`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub agent_misses: u8,
    /// When a Pending or Scheduled lead may next be called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_call_at: Option<DateTime<Utc>>,
    /// The queue lease, while a dialer holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
    /// The call in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<ActiveCall>,
    /// Finished attempts' records, oldest first, as far as this copy knows them. Never
    /// serialized: each record is an item of its own (the store writes those a transition
    /// puts here and attaches them where attempts are shown), so neither the lead item nor a
    /// dial message grows with what agents report. Read still from a lead stored before then,
    /// so its next transition moves them out.
    #[serde(default, skip_serializing)]
    pub log: Vec<AttemptRecord>,
    /// Why the lead was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<SkipReason>,
    /// Recent call starts, newest last, for daily call caps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent_starts: Vec<DateTime<Utc>>,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

fn refused(status: LeadStatus, action: &'static str) -> TransitionError {
    TransitionError {
        entity: "lead",
        status: status.as_str(),
        action,
    }
}

impl LeadState {
    /// A new lead, due at `due_at`.
    pub fn new(due_at: DateTime<Utc>) -> Self {
        Self {
            status: LeadStatus::Pending,
            version: 1,
            attempts: 0,
            retries_used: 0,
            callbacks_used: 0,
            agent_misses: 0,
            next_call_at: Some(due_at),
            lease: None,
            call: None,
            log: Vec::new(),
            skip_reason: None,
            recent_starts: Vec::new(),
        }
    }

    /// The deadline of a non-final lead and what it is for; `None` once final.
    pub fn due(&self) -> Option<(DueKind, DateTime<Utc>)> {
        match self.status {
            LeadStatus::Pending | LeadStatus::Scheduled => {
                let at = self.lease.as_ref().map(|l| l.until).or(self.next_call_at)?;
                Some((DueKind::Dial, at))
            }
            LeadStatus::Calling => self
                .call
                .as_ref()
                .map(|c| (DueKind::CallDeadline, c.deadline)),
            LeadStatus::Completed | LeadStatus::Failed | LeadStatus::Skipped => None,
        }
    }

    /// Whether a tick may lease the lead at `now`.
    pub fn is_due_for_dial(&self, now: DateTime<Utc>) -> bool {
        matches!(self.due(), Some((DueKind::Dial, at)) if at <= now)
    }

    fn bump(&mut self) {
        self.version += 1;
    }

    /// The tick hands the lead to the queue until `until`.
    pub fn lease(
        &mut self,
        token: String,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        if !self.status.is_dialable() || !self.is_due_for_dial(now) {
            return Err(refused(self.status, "lease"));
        }
        self.lease = Some(Lease { token, until });
        self.bump();
        Ok(())
    }

    /// The lead may not be called before `at` (window closed, daily cap): drop any lease.
    pub fn defer(&mut self, at: DateTime<Utc>) -> Result<(), TransitionError> {
        if !self.status.is_dialable() {
            return Err(refused(self.status, "defer"));
        }
        self.lease = None;
        self.next_call_at = Some(at);
        self.bump();
        Ok(())
    }

    /// The holder of the lease commits to calling: the lead is Calling until `deadline`.
    pub fn start_call(
        &mut self,
        token: &str,
        provider: &str,
        now: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> Result<u8, TransitionError> {
        let holds_lease = self.lease.as_ref().is_some_and(|l| l.token == token);
        if !self.status.is_dialable() || !holds_lease {
            return Err(refused(self.status, "start a call for"));
        }
        self.attempts += 1;
        self.status = LeadStatus::Calling;
        self.lease = None;
        self.next_call_at = None;
        self.call = Some(ActiveCall {
            attempt: self.attempts,
            provider: provider.to_owned(),
            started_at: now,
            deadline,
            provider_call_id: None,
            report: AgentReport::default(),
            answered_by: None,
            voicemail_left: false,
            fields_left_out: Vec::new(),
            transferred: false,
            clearance: None,
            agent_stream: None,
            account_slot: None,
        });
        self.recent_starts.push(now);
        if self.recent_starts.len() > REMEMBERED_STARTS {
            self.recent_starts.remove(0);
        }
        self.bump();
        Ok(self.attempts)
    }

    fn calling(&self, attempt: u8, action: &'static str) -> Result<&ActiveCall, TransitionError> {
        match &self.call {
            Some(call) if self.status == LeadStatus::Calling && call.attempt == attempt => Ok(call),
            _ => Err(refused(self.status, action)),
        }
    }

    /// Records the provider's id for the call in progress.
    pub fn record_call_id(
        &mut self,
        attempt: u8,
        provider_call_id: String,
    ) -> Result<(), TransitionError> {
        self.calling(attempt, "record a call id for")?;
        if let Some(call) = self.call.as_mut() {
            call.provider_call_id = Some(provider_call_id);
        }
        self.bump();
        Ok(())
    }

    /// Moves the call's deadline (e.g. to reconcile an uncertain call creation soon).
    pub fn extend_call(
        &mut self,
        attempt: u8,
        deadline: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        self.calling(attempt, "extend the call of")?;
        if let Some(call) = self.call.as_mut() {
            call.deadline = deadline;
        }
        self.bump();
        Ok(())
    }

    /// The provider certainly did not place the call (rate limited, unavailable): undo the
    /// attempt, which does not count, and try again at `retry_at`.
    pub fn release_call(
        &mut self,
        attempt: u8,
        retry_at: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        self.calling(attempt, "release the call of")?;
        self.attempts -= 1;
        self.status = if self.attempts == 0 {
            LeadStatus::Pending
        } else {
            LeadStatus::Scheduled
        };
        self.call = None;
        self.recent_starts.pop();
        self.next_call_at = Some(retry_at);
        self.bump();
        Ok(())
    }

    /// Applies the outcome of `attempt`. `campaign_running` is false when the campaign has
    /// ended or been cancelled: then a lead that would be retried is skipped instead.
    pub fn finish_attempt(
        &mut self,
        attempt: u8,
        report: &AttemptReport,
        details: AttemptDetails,
        policy: &RetryPolicy,
        campaign_running: bool,
        now: DateTime<Utc>,
    ) -> Result<AttemptRecord, TransitionError> {
        let call = self.calling(attempt, "finish an attempt of")?.clone();
        let history = crate::retry::AttemptHistory {
            retries_used: self.retries_used,
            callbacks_used: self.callbacks_used,
            agent_misses: self.agent_misses,
        };
        // What the agent reported during the call decides what a provider cannot know.
        let report = &call.effective_report(report);
        let record = AttemptRecord {
            attempt,
            started_at: call.started_at,
            ended_at: now,
            outcome: report.outcome,
            duration_seconds: details.duration_seconds,
            provider_call_id: details.provider_call_id.or(call.provider_call_id),
            disposition: details.disposition,
            report: call.report,
            answered_by: call.answered_by,
            fields_left_out: call.fields_left_out,
            transferred: call.transferred || details.transferred,
            clearance: call.clearance,
        };
        self.call = None;
        match policy.decide(report, history, now) {
            NextStep::Finish(status) => self.status = status,
            NextStep::RetryAt(_) | NextStep::CallbackAt(_) if !campaign_running => {
                self.status = LeadStatus::Skipped;
                self.skip_reason = Some(SkipReason::CampaignEnded);
            }
            NextStep::RetryAt(at) => {
                self.status = LeadStatus::Scheduled;
                if report.outcome == crate::retry::Outcome::AgentUnavailable {
                    self.agent_misses += 1;
                } else {
                    self.retries_used += 1;
                }
                self.next_call_at = Some(at);
            }
            NextStep::CallbackAt(at) => {
                self.status = LeadStatus::Scheduled;
                self.callbacks_used += 1;
                self.next_call_at = Some(at);
            }
        }
        self.log.push(record.clone());
        self.bump();
        Ok(record)
    }

    /// Skips a lead that is not final and not on a call.
    pub fn skip(&mut self, reason: SkipReason) -> Result<(), TransitionError> {
        if !self.status.is_dialable() {
            return Err(refused(self.status, "skip"));
        }
        self.status = LeadStatus::Skipped;
        self.skip_reason = Some(reason);
        self.lease = None;
        self.next_call_at = None;
        self.bump();
        Ok(())
    }

    /// The last finished attempt's outcome.
    pub fn last_outcome(&self) -> Option<Outcome> {
        self.log.last().map(|r| r.outcome)
    }

    /// A call's deadline: its maximum duration plus time for ringing and the provider's report.
    pub fn call_deadline(now: DateTime<Utc>, max_call: Duration) -> DateTime<Utc> {
        now + max_call + Duration::minutes(5)
    }
}

/// Facts the provider reports with an outcome.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttemptDetails {
    /// Talk time.
    pub duration_seconds: u32,
    /// The provider's call id.
    pub provider_call_id: Option<String>,
    /// The agent's disposition.
    pub disposition: Option<String>,
    /// The provider handed the call to another number itself (a platform's transfer).
    pub transferred: bool,
    /// What the agent's platform learnt after the call (its analysis), as a report body: applied
    /// by the report API's rules before the outcome, an invalid field dropped, never the rest.
    pub learnt: Option<crate::call_report::ReportBody>,
}

/// A whole lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    /// Derived from the campaign and the number.
    pub id: LeadId,
    /// Who to call.
    pub contact: Contact,
    /// Where it came from.
    pub source: ImportSource,
    /// Where it is.
    pub state: LeadState,
}

mod counter_delta;
pub use counter_delta::{CounterDelta, status_index};

pub mod reports;

#[cfg(test)]
mod tests;
