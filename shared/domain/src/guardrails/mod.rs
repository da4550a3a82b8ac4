//! Guardrails: a campaign pauses itself on a bad day instead of burning through its list.
//!
//! Six signals, each a share over a sliding window (default 15 minutes):
//!
//! | guardrail | count | out of |
//! |---|---|---|
//! | failed attempts | attempts that ended failed (provider refusal, carrier error) or unknown | finished attempts |
//! | provider throttling | call requests the provider refused with 429 or 503 | call requests (attempts + those refusals) |
//! | opt-outs | people who asked not to be called again | connected calls |
//! | DNC hits | leads found on the do-not-call list at dial time | dial tries (attempts + those hits) |
//! | agent unavailable | answered calls the agent never came to | answered calls (connected + those) |
//! | missed disclosures | calls a person answered whose agent did not report a required disclosure | calls a person answered (off by default) |
//!
//! A sixth reason to pause is not a share: a provider refusing a call for a problem of the
//! account or the configuration (credentials, permissions, an unverified caller number) pauses
//! the campaign at once, from the dialer ([`PauseReason::account_problem`]).
//!
//! A share is judged only once its "out of" reaches `min_sample` in the window, so one failed
//! call of the first two does not stop a campaign. The counts come from the campaign's
//! counters, which only ever grow: the tick keeps a few snapshots of them (one every
//! [`Guardrails::snapshot_every`]), and the window's counts are now's counters minus the
//! newest snapshot at least a window old. No per-attempt write is added for this; one small
//! write every few ticks keeps the snapshots. Snapshots taken before the campaign last became
//! Active are never used, so a resume starts a fresh window.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

mod spec;

pub use spec::GuardrailsSpec;

/// One guardrail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Guardrail {
    /// Too many attempts failed (provider refusals, carrier errors, unknown outcomes).
    FailedAttempts,
    /// The provider refused too many call requests with 429 or 503.
    ProviderThrottling,
    /// Too many people who answered asked not to be called again.
    OptOuts,
    /// Too many leads were on the do-not-call list when their call came.
    DncHits,
    /// Too many answered calls never reached the agent (its media stream did not start).
    AgentUnavailable,
    /// Too many answered calls missed a required disclosure (the business identified; for
    /// telemarketing, the opt-out offered), as the agent reported them.
    MissedDisclosures,
    /// The provider refused a call for a problem of the account or configuration (not judged
    /// over a window: one such refusal pauses the campaign).
    AccountProblem,
    /// A telemarketing call found no extract of its country's do-not-call registry fresh enough
    /// to rely on (not judged over a window: the first such call pauses the campaign).
    StaleRegistry,
}

impl Guardrail {
    /// Every guardrail judged over a window, in the order they are judged (compliance
    /// first; the agent before the network: a down agent also fails calls).
    pub const ALL: [Guardrail; 6] = [
        Self::DncHits,
        Self::OptOuts,
        Self::MissedDisclosures,
        Self::AgentUnavailable,
        Self::FailedAttempts,
        Self::ProviderThrottling,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FailedAttempts => "failed_attempts",
            Self::ProviderThrottling => "provider_throttling",
            Self::OptOuts => "opt_outs",
            Self::DncHits => "dnc_hits",
            Self::AgentUnavailable => "agent_unavailable",
            Self::MissedDisclosures => "missed_disclosures",
            Self::AccountProblem => "account_problem",
            Self::StaleRegistry => "stale_registry",
        }
    }

    /// "`count` of `sample` ..." for a person.
    fn describe(self, count: i64, sample: i64) -> String {
        match self {
            Self::FailedAttempts => format!("{count} of {sample} finished attempts failed"),
            Self::ProviderThrottling => {
                format!("the provider refused {count} of {sample} call requests (429/503)")
            }
            Self::OptOuts => format!("{count} of {sample} people who answered opted out"),
            Self::DncHits => {
                format!("{count} of {sample} leads dialed were on the do-not-call list")
            }
            Self::AgentUnavailable => {
                format!("the agent never came on {count} of {sample} answered calls")
            }
            Self::MissedDisclosures => {
                format!("{count} of {sample} answered calls missed a required disclosure")
            }
            Self::AccountProblem => format!("the provider refused {count} of {sample} calls"),
            Self::StaleRegistry => "no fresh registry extract".to_owned(),
        }
    }
}

/// A campaign's guardrails, validated (see [`GuardrailsSpec`] for the bounds and defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guardrails {
    /// Off: the campaign never pauses itself.
    pub enabled: bool,
    /// The sliding window.
    pub window: Duration,
    /// The fewest "out of" a share is judged on.
    pub min_sample: i64,
    /// Highest allowed share per guardrail, in percent (100: never trips).
    pub max_percent: [(Guardrail, u32); 6],
}

impl Guardrails {
    /// The limit of one guardrail, in percent.
    pub fn limit(&self, guardrail: Guardrail) -> u32 {
        self.max_percent
            .iter()
            .find(|(g, _)| *g == guardrail)
            .map_or(100, |(_, p)| *p)
    }

    /// How often the tick keeps a snapshot: a fifth of the window (at least a minute), so the
    /// window judged is between `window` and `window` plus a fifth.
    pub fn snapshot_every(&self) -> Duration {
        Duration::minutes((self.window.num_minutes() / 5).max(1))
    }

    /// Whether the window's counts trip a guardrail (the first in [`Guardrail::ALL`] order).
    pub fn judge(&self, window: &HealthCounts) -> Option<Trip> {
        if !self.enabled {
            return None;
        }
        Guardrail::ALL.into_iter().find_map(|guardrail| {
            let (count, sample) = window.share(guardrail);
            let limit = self.limit(guardrail);
            (sample >= self.min_sample && count * 100 > i64::from(limit) * sample).then_some(Trip {
                guardrail,
                count,
                sample,
                limit_percent: limit,
            })
        })
    }
}

/// Counts since the campaign began, as its counters hold them (they only grow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HealthCounts {
    /// Attempts started.
    pub attempts: i64,
    /// Attempts with an outcome.
    pub finished: i64,
    /// Of those, failed or unknown.
    pub failed: i64,
    /// Of those, answered by a person or a machine.
    pub connected: i64,
    /// Of those, opted out.
    pub opted_out: i64,
    /// Call requests the provider refused with 429 or 503 (no attempt counted).
    pub throttled: i64,
    /// Leads found on the DNC list at dial time.
    pub dnc_hits: i64,
    /// Answered calls the agent never came to (not among `connected`).
    #[serde(default)]
    pub agent_unavailable: i64,
    /// Calls a person answered and the agent came to, where disclosures were due.
    #[serde(default)]
    pub disclosures_due: i64,
    /// Of those, calls whose agent did not report a required disclosure.
    #[serde(default)]
    pub disclosures_missed: i64,
}

impl HealthCounts {
    /// What happened between `base` and `self` (`self` taken later).
    pub fn since(&self, base: &HealthCounts) -> HealthCounts {
        HealthCounts {
            attempts: self.attempts - base.attempts,
            finished: self.finished - base.finished,
            failed: self.failed - base.failed,
            connected: self.connected - base.connected,
            opted_out: self.opted_out - base.opted_out,
            throttled: self.throttled - base.throttled,
            dnc_hits: self.dnc_hits - base.dnc_hits,
            agent_unavailable: self.agent_unavailable - base.agent_unavailable,
            disclosures_due: self.disclosures_due - base.disclosures_due,
            disclosures_missed: self.disclosures_missed - base.disclosures_missed,
        }
    }

    /// A guardrail's count and what it is out of.
    pub fn share(&self, guardrail: Guardrail) -> (i64, i64) {
        match guardrail {
            Guardrail::FailedAttempts => (self.failed, self.finished),
            Guardrail::ProviderThrottling => (self.throttled, self.attempts + self.throttled),
            Guardrail::OptOuts => (self.opted_out, self.connected),
            Guardrail::DncHits => (self.dnc_hits, self.attempts + self.dnc_hits),
            Guardrail::AgentUnavailable => (
                self.agent_unavailable,
                self.connected + self.agent_unavailable,
            ),
            Guardrail::MissedDisclosures => (self.disclosures_missed, self.disclosures_due),
            // Not judged over a window.
            Guardrail::AccountProblem | Guardrail::StaleRegistry => (0, 0),
        }
    }
}

/// The counters as they were at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthSnapshot {
    pub at: DateTime<Utc>,
    pub counts: HealthCounts,
}

/// A guardrail the window's counts passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trip {
    pub guardrail: Guardrail,
    pub count: i64,
    pub sample: i64,
    pub limit_percent: u32,
}

/// Why a guardrail (or a provider's refusal for an account problem) paused a campaign: kept on
/// the campaign, shown in its progress, cleared by resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PauseReason {
    /// Which guardrail.
    pub guardrail: Guardrail,
    /// How many in the window (failed attempts, refused requests, opt-outs, DNC hits).
    pub count: i64,
    /// Out of how many (finished attempts, call requests, connected calls, dial tries).
    pub sample: i64,
    /// The limit passed, in percent.
    pub limit_percent: u32,
    /// The window, in minutes.
    pub window_minutes: u32,
    /// When the campaign paused.
    pub at: DateTime<Utc>,
    /// For a person, such as "12 of 20 finished attempts failed in the last 15 minutes (60%,
    /// limit 50%)".
    pub message: String,
}

impl PauseReason {
    /// The reason for a trip judged over `window` at `at`.
    pub fn of(trip: Trip, window: Duration, at: DateTime<Utc>) -> Self {
        let minutes = u32::try_from(window.num_minutes()).unwrap_or(u32::MAX);
        let percent = trip.count * 100 / trip.sample.max(1);
        PauseReason {
            guardrail: trip.guardrail,
            count: trip.count,
            sample: trip.sample,
            limit_percent: trip.limit_percent,
            window_minutes: minutes,
            at,
            message: format!(
                "{} in the last {minutes} minutes ({percent}%, limit {}%)",
                trip.guardrail.describe(trip.count, trip.sample),
                trip.limit_percent
            ),
        }
    }

    /// The reason for a pause of a telemarketing campaign whose call found no extract of its
    /// country's registry fresh enough (`problem`: which, and how old).
    pub fn stale_registry(problem: &str, at: DateTime<Utc>) -> Self {
        PauseReason {
            guardrail: Guardrail::StaleRegistry,
            count: 1,
            sample: 1,
            limit_percent: 0,
            window_minutes: 0,
            at,
            message: format!("{problem}, then resume (no contact's attempt was used)"),
        }
    }

    /// The reason for a pause on the provider's refusal of a call for a problem of the account
    /// or configuration: `problem` says what the provider said and what to fix.
    pub fn account_problem(problem: &str, at: DateTime<Utc>) -> Self {
        PauseReason {
            guardrail: Guardrail::AccountProblem,
            count: 1,
            sample: 1,
            limit_percent: 0,
            window_minutes: 0,
            at,
            message: format!("{problem}; fix it, then resume (no contact's attempt was used)"),
        }
    }
}

/// What a tick makes of the snapshots it read: the window's counts to judge, and how to keep
/// the snapshots (one to add, the ones no window will use again to drop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// Now's counters minus the window's base (`None`: no snapshot since the campaign became
    /// Active yet, nothing to judge).
    pub window: Option<HealthCounts>,
    /// A snapshot to keep of now's counters.
    pub add: Option<HealthSnapshot>,
    /// Instants of snapshots to drop.
    pub drop: Vec<DateTime<Utc>>,
}

impl Guardrails {
    /// Reviews the `history` of snapshots at `now`, with the counters `current`, for a
    /// campaign Active since `since` (snapshots before it belong to an earlier run).
    pub fn review(
        &self,
        history: &[HealthSnapshot],
        current: HealthCounts,
        now: DateTime<Utc>,
        since: Option<DateTime<Utc>>,
    ) -> Review {
        let mut usable: Vec<&HealthSnapshot> = history
            .iter()
            .filter(|s| since.is_none_or(|since| s.at >= since) && s.at <= now)
            .collect();
        usable.sort_by_key(|s| s.at);
        // The newest snapshot at least a window old, else the oldest there is (a window
        // shorter than asked for, early in a run).
        let start = now - self.window;
        let base = usable
            .iter()
            .rev()
            .find(|s| s.at <= start)
            .or(usable.first())
            .copied();
        let window = base.map(|b| current.since(&b.counts));
        let newest = usable.last().copied();
        let add = match newest {
            Some(n) if n.counts == current || now - n.at < self.snapshot_every() => None,
            _ => Some(HealthSnapshot {
                at: now,
                counts: current,
            }),
        };
        // Keep the base of this window and everything after it (a later window's base is
        // never older than this one's).
        let keep_from = base.map(|b| b.at);
        let drop = history
            .iter()
            .filter(|s| {
                since.is_some_and(|since| s.at < since) || keep_from.is_some_and(|k| s.at < k)
            })
            .map(|s| s.at)
            .collect();
        Review { window, add, drop }
    }
}

#[cfg(test)]
mod tests;
