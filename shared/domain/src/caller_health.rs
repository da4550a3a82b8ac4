//! Number health: how each caller number is doing today, and when one looks labelled. A number
//! the carriers' analytics mark "Spam Likely" is still dialed as before, but people stop
//! picking up: its answer rate falls below the rest of its pool's. Over a minimum sample (so one
//! unlucky hour does not count) a number answered at less than a set share of the pool's rate is
//! rested for a while: the dialers skip it, its pool carries the calls, and the figures say why.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::config::FieldError;
use crate::phone::E164;
use crate::retry::Outcome;

/// A call shorter than this, once answered, is a short call (a hang-up on hearing the agent).
pub const SHORT_CALL_SECONDS: u32 = 10;

/// Whether a person picked up (whatever became of the call after): what the answer rate counts.
/// Voicemail, no answer, busy and failures are not answers.
pub fn answered(outcome: Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Completed
            | Outcome::OptedOut
            | Outcome::CallbackRequested
            | Outcome::AgentUnavailable
    )
}

/// One number's figures for one UTC day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NumberDay {
    /// Calls started from it.
    pub calls: u32,
    /// Calls a person picked up.
    pub answered: u32,
    /// Talk time of those calls, in seconds.
    pub talk_seconds: u64,
    /// Answered calls shorter than 10 seconds.
    pub short_calls: u32,
}

impl NumberDay {
    /// Answered calls per call started; `None` before the first call.
    pub fn answer_rate(&self) -> Option<f64> {
        (self.calls > 0).then(|| f64::from(self.answered) / f64::from(self.calls))
    }

    /// Average talk time of the answered calls, in seconds.
    pub fn average_talk_seconds(&self) -> Option<f64> {
        (self.answered > 0).then(|| self.talk_seconds as f64 / f64::from(self.answered))
    }

    /// The sum of several days or numbers.
    pub fn sum<'a>(days: impl IntoIterator<Item = &'a NumberDay>) -> NumberDay {
        days.into_iter()
            .fold(NumberDay::default(), |a, d| NumberDay {
                calls: a.calls + d.calls,
                answered: a.answered + d.answered,
                talk_seconds: a.talk_seconds + d.talk_seconds,
                short_calls: a.short_calls + d.short_calls,
            })
    }
}

/// When a number is rested for its answer rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HealthRule {
    /// Calls a number must have started today, and the rest of its pool together, before its
    /// answer rate is judged: 10-10000. Default 40.
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 10000))]
    #[serde(deserialize_with = "crate::config::whole_number::u32")]
    pub min_calls: u32,
    /// A number answered at less than this percentage of the rest of its pool's rate is
    /// rested: 1-99. Default 50 (half the pool's rate).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 99))]
    #[serde(deserialize_with = "crate::config::whole_number::u32")]
    pub below_percent: u32,
    /// How long it rests, in hours: 1-720. Default 24.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 720))]
    #[serde(deserialize_with = "crate::config::whole_number::u32")]
    pub rest_hours: u32,
}

impl Default for HealthRule {
    fn default() -> Self {
        Self {
            min_calls: 40,
            below_percent: 50,
            rest_hours: 24,
        }
    }
}

impl HealthRule {
    /// Every problem with the rule, each named `{field}.{name}`.
    pub fn check(&self, field: &str) -> Vec<FieldError> {
        let ranges = [
            ("min_calls", self.min_calls, 10, 10_000),
            ("below_percent", self.below_percent, 1, 99),
            ("rest_hours", self.rest_hours, 1, 720),
        ];
        (ranges.into_iter())
            .filter(|(_, v, lo, hi)| !(lo..=hi).contains(&v))
            .map(|(name, _, lo, hi)| FieldError {
                field: format!("{field}.{name}"),
                message: format!("must be {lo}-{hi}"),
            })
            .collect()
    }

    /// Why `number` should rest, judged on today's figures of its whole pool (`pool`, the
    /// number included); `None` while it is healthy or the sample is too small.
    pub fn judge(&self, number: &E164, pool: &[(E164, NumberDay)]) -> Option<String> {
        let own = pool.iter().find(|(n, _)| n == number)?.1;
        let others = NumberDay::sum(pool.iter().filter(|(n, _)| n != number).map(|(_, d)| d));
        if own.calls < self.min_calls || others.calls < self.min_calls {
            return None;
        }
        let (rate, pool_rate) = (own.answer_rate()?, others.answer_rate()?);
        (rate * 100.0 < pool_rate * f64::from(self.below_percent)).then(|| {
            format!(
                "answered {:.0}% of {} calls today, against {:.0}% for the rest of its pool (under {}% of it)",
                rate * 100.0,
                own.calls,
                pool_rate * 100.0,
                self.below_percent
            )
        })
    }

    /// How long a rest from `now` lasts.
    pub fn rest_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + Duration::hours(i64::from(self.rest_hours))
    }
}

/// A number resting: skipped by the dialers until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NumberRest {
    /// Since when.
    pub since: DateTime<Utc>,
    /// Until when.
    pub until: DateTime<Utc>,
    /// Why: the health rule's finding, or what the person wrote.
    pub reason: String,
    /// Rested by a person (not by the health rule).
    pub by_hand: bool,
}

impl NumberRest {
    /// Whether the number rests at `now`.
    pub fn holds_at(&self, now: DateTime<Utc>) -> bool {
        self.since <= now && now < self.until
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn n(s: &str) -> E164 {
        E164::parse_strict(s).unwrap()
    }

    fn day(calls: u32, answered: u32) -> NumberDay {
        NumberDay {
            calls,
            answered,
            ..NumberDay::default()
        }
    }

    #[test]
    fn a_number_answered_far_less_than_its_pool_is_judged_and_told_why() {
        let (labelled, a, b) = (n("+12125550100"), n("+12125550101"), n("+13125550102"));
        let rule = HealthRule::default();
        let pool = vec![
            (labelled.clone(), day(50, 5)),
            (a.clone(), day(40, 17)),
            (b.clone(), day(40, 16)),
        ];
        let why = rule.judge(&labelled, &pool).expect("10% against 41%");
        assert_eq!(
            why,
            "answered 10% of 50 calls today, against 41% for the rest of its pool (under 50% of it)"
        );
        assert_eq!(rule.judge(&a, &pool), None);
    }

    #[test]
    fn too_few_calls_on_either_side_judge_nothing() {
        let (x, y) = (n("+12125550100"), n("+12125550101"));
        let rule = HealthRule::default();
        let few = vec![(x.clone(), day(39, 0)), (y.clone(), day(100, 50))];
        assert_eq!(rule.judge(&x, &few), None, "its own sample is too small");
        let alone = vec![(x.clone(), day(100, 0)), (y, day(39, 20))];
        assert_eq!(
            rule.judge(&x, &alone),
            None,
            "the pool's sample is too small"
        );
        assert_eq!(rule.judge(&x, &[(x.clone(), day(100, 0))]), None);
    }

    #[test]
    fn rules_out_of_range_are_refused_by_field() {
        assert!(HealthRule::default().check("caller_health").is_empty());
        let bad = HealthRule {
            min_calls: 5,
            below_percent: 100,
            rest_hours: 0,
        };
        let fields: Vec<String> = bad.check("h").into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["h.min_calls", "h.below_percent", "h.rest_hours"]);
    }

    proptest! {
        /// A number is judged only over the minimum sample on both sides, and only when its
        /// rate is under the set share of the rest of the pool's; and a number answered at
        /// least as often as the rest of its pool is never judged.
        #[test]
        fn only_a_number_well_below_its_pool_over_the_sample_is_judged(
            own_calls in 0u32..200, own_share in 0u32..=100,
            other_calls in 0u32..200, other_share in 0u32..=100,
            min_calls in 10u32..100, below_percent in 1u32..100,
        ) {
            let (x, y) = (n("+12125550100"), n("+13125550101"));
            let own = day(own_calls, own_calls * own_share / 100);
            let other = day(other_calls, other_calls * other_share / 100);
            let rule = HealthRule { min_calls, below_percent, rest_hours: 24 };
            let judged = rule.judge(&x, &[(x.clone(), own), (y, other)]).is_some();
            let sampled = own_calls >= min_calls && other_calls >= min_calls;
            let rates = (own.answer_rate(), other.answer_rate());
            let below = matches!(rates, (Some(a), Some(b)) if a * 100.0 < b * f64::from(below_percent));
            prop_assert_eq!(judged, sampled && below);
            if let (Some(a), Some(b)) = rates {
                prop_assert!(!(judged && a >= b));
            }
        }
    }
}
