//! Counters recomputed from the leads themselves: the truth that reconciliation compares the
//! stored counters and hourly items with (promise 8).

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, Utc};
use serde::{Deserialize, Serialize};

use crate::lead::{LeadState, status_index};
use crate::retry::Outcome;
use crate::status::LeadStatus;

/// The counters a campaign keeps, as values.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tally {
    /// Leads per status (index = position in [`LeadStatus::ALL`]).
    pub by_status: [i64; 6],
    /// Attempts started (and not released).
    pub attempts: i64,
    /// Talk seconds of finished attempts.
    pub talk_seconds: i64,
    /// Finished attempts per outcome (zero counts absent).
    pub outcomes: BTreeMap<Outcome, i64>,
    /// Calls in progress.
    pub in_flight: i64,
}

impl Tally {
    /// Adds one lead.
    pub fn add(&mut self, lead: &LeadState) {
        self.by_status[status_index(lead.status)] += 1;
        self.attempts += i64::from(lead.attempts);
        self.in_flight += i64::from(lead.status == LeadStatus::Calling);
        for record in &lead.log {
            *self.outcomes.entry(record.outcome).or_default() += 1;
            self.talk_seconds += i64::from(record.duration_seconds);
        }
    }

    /// The tally of many leads.
    pub fn of<'a>(leads: impl IntoIterator<Item = &'a LeadState>) -> Self {
        let mut tally = Self::default();
        for lead in leads {
            tally.add(lead);
        }
        tally
    }

    /// Leads counted.
    pub fn total(&self) -> i64 {
        self.by_status.iter().sum()
    }

    /// Leads in a status.
    pub fn count(&self, status: LeadStatus) -> i64 {
        self.by_status[status_index(status)]
    }

    pub fn finished_attempts(&self) -> i64 {
        self.outcomes.values().sum()
    }

    /// Finished attempts a person or a machine answered.
    pub fn connected(&self) -> i64 {
        self.outcomes
            .iter()
            .filter(|(o, _)| o.connected())
            .map(|(_, n)| n)
            .sum()
    }

    /// Abandoned calls: a person answered and no agent spoke (the agent never came on), the
    /// count the Telemarketing Sales Rule limits to 3 % of the calls a person answered.
    pub fn abandoned(&self) -> i64 {
        self.outcomes
            .get(&Outcome::AgentUnavailable)
            .copied()
            .unwrap_or(0)
    }

    /// Finished attempts a person answered (the agent then spoke or not): what abandonment is
    /// a share of. Voicemail, no answer, busy and failures are not among them.
    pub fn answered_by_person(&self) -> i64 {
        (self.outcomes.iter())
            .filter(|(o, _)| crate::caller_health::answered(**o))
            .map(|(_, n)| n)
            .sum()
    }

    /// Abandoned calls per call a person answered; `None` before the first such call.
    pub fn abandonment_rate(&self) -> Option<f64> {
        let answered = self.answered_by_person();
        (answered > 0).then(|| self.abandoned() as f64 / answered as f64)
    }

    /// Without zero outcome counts (stored counters may hold zeros after a release).
    pub fn normalized(mut self) -> Self {
        self.outcomes.retain(|_, n| *n != 0);
        self
    }
}

/// One hour's calls, attributed to the hour each call started in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourTally {
    /// Start of the hour (UTC).
    pub hour: DateTime<Utc>,
    /// Calls started.
    pub started: i64,
    /// Calls answered by a person or a machine.
    pub connected: i64,
    pub talk_seconds: i64,
    /// Calls a person answered (the agent then spoke or not), and of those the abandoned ones
    /// (no agent came on): a trailing abandonment rate is read from these.
    pub answered: i64,
    pub abandoned: i64,
}

impl HourTally {
    /// An hour with nothing in it.
    pub fn empty(hour: DateTime<Utc>) -> Self {
        Self {
            hour,
            started: 0,
            connected: 0,
            talk_seconds: 0,
            answered: 0,
            abandoned: 0,
        }
    }
}

fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(chrono::Duration::hours(1)).unwrap_or(at)
}

/// The hourly timeline recomputed from leads, built one lead at a time: every finished attempt
/// and every call in progress counts as started in its start hour; finished attempts add their
/// connection and talk time to the same hour.
#[derive(Debug, Clone, Default)]
pub struct Timeline(BTreeMap<DateTime<Utc>, HourTally>);

impl Timeline {
    fn count(&mut self, at: DateTime<Utc>, outcome: Option<Outcome>, talk_seconds: u32) {
        let hour = hour_of(at);
        let h = self.0.entry(hour).or_insert(HourTally::empty(hour));
        h.started += 1;
        h.connected += i64::from(outcome.is_some_and(Outcome::connected));
        h.talk_seconds += i64::from(talk_seconds);
        h.answered += i64::from(outcome.is_some_and(crate::caller_health::answered));
        h.abandoned += i64::from(outcome == Some(Outcome::AgentUnavailable));
    }

    /// Adds one lead's calls.
    pub fn add(&mut self, lead: &LeadState) {
        for record in &lead.log {
            self.count(
                record.started_at,
                Some(record.outcome),
                record.duration_seconds,
            );
        }
        if let Some(call) = &lead.call {
            self.count(call.started_at, None, 0);
        }
    }

    /// The hours, oldest first.
    pub fn into_hours(self) -> Vec<HourTally> {
        self.0.into_values().collect()
    }
}

/// Abandoned calls per call a person answered over the hours from `since` on (a trailing
/// window: the Telemarketing Sales Rule's 30 days), with the two counts; `None` before the first
/// such call.
pub fn abandonment_since(hours: &[HourTally], since: DateTime<Utc>) -> (i64, i64, Option<f64>) {
    let (abandoned, answered) = (hours.iter())
        .filter(|h| h.hour >= hour_of(since))
        .fold((0, 0), |(ab, an), h| (ab + h.abandoned, an + h.answered));
    let rate = (answered > 0).then(|| abandoned as f64 / answered as f64);
    (abandoned, answered, rate)
}

/// The [`Timeline`] of many leads.
pub fn hourly_from_leads<'a>(leads: impl IntoIterator<Item = &'a LeadState>) -> Vec<HourTally> {
    let mut timeline = Timeline::default();
    for lead in leads {
        timeline.add(lead);
    }
    timeline.into_hours()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abandonment_is_a_share_of_the_calls_a_person_answered() {
        let mut tally = Tally::default();
        assert_eq!(tally.abandonment_rate(), None);
        for (outcome, n) in [
            (Outcome::Completed, 30),
            (Outcome::OptedOut, 5),
            (Outcome::CallbackRequested, 3),
            (Outcome::AgentUnavailable, 2),
            (Outcome::Voicemail, 40),
            (Outcome::NoAnswer, 20),
        ] {
            tally.outcomes.insert(outcome, n);
        }
        assert_eq!((tally.abandoned(), tally.answered_by_person()), (2, 40));
        assert_eq!(tally.abandonment_rate(), Some(0.05));
    }
}
