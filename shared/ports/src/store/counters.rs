//! A campaign's counters and pacing state, as plain values (the adapter reads and writes them;
//! see its counters module for how they move).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::lead::status_index;
use domain::pacing::PacingState;
use domain::retry::Outcome;
use domain::status::LeadStatus;

/// A campaign's counters as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CampaignCounters {
    /// Leads per status (index = position in [`LeadStatus::ALL`]).
    pub by_status: [i64; 6],
    /// Attempts started.
    pub attempts: i64,
    pub talk_seconds: i64,
    /// Attempts per outcome.
    pub outcomes: BTreeMap<Outcome, i64>,
    /// Calls in progress.
    pub in_flight: i64,
    /// Starts in the rolling hour (see the module docs).
    pub hour_starts: i64,
    /// Starts per epoch minute still inside `hour_starts`.
    pub minute_starts: BTreeMap<i64, i64>,
    /// Writes so far that may have made a lead due earlier than the index showed.
    pub due_changes: i64,
    /// The last quiet hint a tick left, if any.
    pub quiet: Option<QuietHint>,
    /// Leads set aside because their stored item does not decode (not in `by_status`).
    pub quarantined: i64,
    /// Leads erased at a person's request (not in `by_status`, their calls out of every count).
    pub erased: i64,
    /// Call requests the provider refused with 429 or 503 (each released its lead).
    pub throttled: i64,
    /// Leads found on the DNC list at dial time.
    pub dnc_hits: i64,
    /// Calls a person answered where disclosures were due, and those that missed one.
    pub disclosures_due: i64,
    pub disclosures_missed: i64,
    /// The guardrails' snapshots of these counters (the `HEALTH` item, read in the same batch
    /// by [`super::Counters::campaign_with_counters`]; empty from a plain counters read).
    pub health: Vec<domain::guardrails::HealthSnapshot>,
}

/// "No lead in due shard `s` is due to dial before `until[s]`", true when a tick wrote it and
/// for as long as no due change has happened since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietHint {
    /// Per due shard (index = shard): nothing in it is due before this.
    pub until: Vec<DateTime<Utc>>,
    /// `due_changes` when the tick that wrote the hint read the counters.
    pub changes: i64,
}

impl CampaignCounters {
    /// Leads in a status.
    pub fn count(&self, status: LeadStatus) -> i64 {
        self.by_status[status_index(status)]
    }

    /// All leads.
    pub fn total(&self) -> i64 {
        self.by_status.iter().sum()
    }

    /// Leads not yet final.
    pub fn open(&self) -> i64 {
        LeadStatus::ALL
            .iter()
            .filter(|s| !s.is_final())
            .map(|s| self.count(*s))
            .sum()
    }

    /// The counters reconciliation checks, as plain values.
    pub fn tally(&self) -> domain::results::Tally {
        domain::results::Tally {
            by_status: self.by_status,
            attempts: self.attempts,
            talk_seconds: self.talk_seconds,
            outcomes: self.outcomes.clone(),
            in_flight: self.in_flight,
        }
        .normalized()
    }

    /// Per due shard, whether nothing in it is due at `at` (a tick need not read it): a hint
    /// stands, no due change happened since it was written, its time for the shard is later,
    /// and no further than `horizon` ahead (a hint from a clock far ahead is not trusted).
    pub fn quiet_shards(&self, at: DateTime<Utc>, horizon: chrono::Duration) -> Vec<bool> {
        let shards = usize::from(super::LEAD_SHARDS);
        match &self.quiet {
            Some(hint) if hint.changes == self.due_changes && hint.until.len() == shards => hint
                .until
                .iter()
                .map(|until| at < *until && *until <= at + horizon)
                .collect(),
            _ => vec![false; shards],
        }
    }

    /// Whether nothing at all is due at `at` (see [`CampaignCounters::quiet_shards`]).
    pub fn quiet_at(&self, at: DateTime<Utc>, horizon: chrono::Duration) -> bool {
        self.quiet_shards(at, horizon)
            .into_iter()
            .all(|quiet| quiet)
    }

    /// What the guardrails judge, as counted so far.
    pub fn health_counts(&self) -> domain::guardrails::HealthCounts {
        let outcome = |o: Outcome| self.outcomes.get(&o).copied().unwrap_or(0);
        let tally = self.tally();
        domain::guardrails::HealthCounts {
            attempts: self.attempts,
            finished: tally.finished_attempts(),
            failed: outcome(Outcome::Failed) + outcome(Outcome::Unknown),
            connected: tally.connected(),
            opted_out: outcome(Outcome::OptedOut),
            throttled: self.throttled,
            dnc_hits: self.dnc_hits,
            agent_unavailable: outcome(Outcome::AgentUnavailable),
            disclosures_due: self.disclosures_due,
            disclosures_missed: self.disclosures_missed,
        }
    }

    /// The pacing inputs.
    pub fn pacing_state(&self) -> PacingState {
        PacingState {
            in_flight: u32::try_from(self.in_flight.max(0)).unwrap_or(u32::MAX),
            started_last_hour: u32::try_from(self.hour_starts.max(0)).unwrap_or(u32::MAX),
        }
    }
}
