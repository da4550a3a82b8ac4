//! How a transition moves the campaign's counters.

use std::collections::BTreeMap;

use super::{AttemptRecord, LeadState};
use crate::retry::Outcome;
use crate::status::LeadStatus;

/// How a transition moves the campaign's counters. Applied in the same transaction as the
/// lead's write, so counters always equal what the leads say.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CounterDelta {
    /// Change per lead status (index = position in [`LeadStatus::ALL`]).
    pub by_status: [i64; 6],
    pub attempts_started: i64,
    /// Outcome counts.
    pub outcomes: BTreeMap<Outcome, i64>,
    pub talk_seconds: i64,
    /// Calls in progress (the concurrency slot).
    pub in_flight: i64,
    /// Call requests the provider refused with 429 or 503 (a guardrail signal).
    pub throttled: i64,
    /// Leads found on the DNC list at dial time (a guardrail signal).
    pub dnc_hits: i64,
    /// Calls a person answered where disclosures were due, and those that missed one (a
    /// guardrail signal; set by the engine, which knows the campaign's purpose).
    pub disclosures_due: i64,
    pub disclosures_missed: i64,
    /// The provider account whose concurrent-call ledger moves with `in_flight`: the line the
    /// starting call takes, or the one the ending call gives back (see
    /// [`super::ActiveCall::account_slot`]).
    pub account_slot: Option<String>,
}

impl CounterDelta {
    /// The delta from `before` to `after`, with the finished attempt if there was one.
    pub fn between(
        before: &LeadState,
        after: &LeadState,
        finished: Option<&AttemptRecord>,
    ) -> Self {
        let mut delta = Self::default();
        if before.status != after.status {
            delta.by_status[status_index(before.status)] -= 1;
            delta.by_status[status_index(after.status)] += 1;
        }
        delta.attempts_started = i64::from(after.attempts) - i64::from(before.attempts);
        let was_calling = before.status == LeadStatus::Calling;
        let is_calling = after.status == LeadStatus::Calling;
        delta.in_flight = i64::from(is_calling) - i64::from(was_calling);
        let slot_of = |state: &LeadState| state.call.as_ref()?.account_slot.clone();
        delta.account_slot = match delta.in_flight {
            1 => slot_of(after),
            -1 => slot_of(before),
            _ => None,
        };
        if let Some(record) = finished {
            *delta.outcomes.entry(record.outcome).or_default() += 1;
            delta.talk_seconds = i64::from(record.duration_seconds);
        }
        delta
    }

    /// A new lead.
    pub fn imported(count: i64) -> Self {
        let mut delta = Self::default();
        delta.by_status[status_index(LeadStatus::Pending)] = count;
        delta
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Position of a status in [`LeadStatus::ALL`].
pub fn status_index(status: LeadStatus) -> usize {
    LeadStatus::ALL
        .iter()
        .position(|s| *s == status)
        .unwrap_or(0)
}
