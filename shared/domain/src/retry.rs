//! What an attempt's outcome means for the lead: finish it, retry it later, or call back.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::status::LeadStatus;

/// How one call attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered by a person; the conversation ended normally.
    Completed,
    /// Rang out.
    NoAnswer,
    /// Line busy.
    Busy,
    /// Answered by a machine.
    Voicemail,
    /// The call failed (network, carrier, invalid number).
    Failed,
    /// The outcome is unknown: the provider's report never came and a lookup found nothing.
    Unknown,
    /// The person asked not to be called again.
    OptedOut,
    /// The person asked to be called back at a time.
    CallbackRequested,
    /// The call was cancelled before it connected.
    Canceled,
    /// Answered by a person, but the agent never came on the line (its media stream failed to
    /// start): the campaign's failure, not the contact's. Retried without using a retry.
    AgentUnavailable,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 10] = [
        Self::Completed,
        Self::NoAnswer,
        Self::Busy,
        Self::Voicemail,
        Self::Failed,
        Self::Unknown,
        Self::OptedOut,
        Self::CallbackRequested,
        Self::Canceled,
        Self::AgentUnavailable,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::NoAnswer => "no_answer",
            Self::Busy => "busy",
            Self::Voicemail => "voicemail",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
            Self::OptedOut => "opted_out",
            Self::CallbackRequested => "callback_requested",
            Self::Canceled => "canceled",
            Self::AgentUnavailable => "agent_unavailable",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Whether a person (or their voicemail) answered and the call went on: a person who
    /// answered to silence (the agent never came) was not connected to anyone.
    pub fn connected(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::OptedOut | Self::CallbackRequested | Self::Voicemail
        )
    }
}

/// The outcomes a campaign may choose to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RetryableOutcome {
    /// Rang out.
    NoAnswer,
    /// Line busy.
    Busy,
    /// Reached a machine.
    Voicemail,
}

/// Limits of a retry policy.
pub const MAX_RETRIES: u8 = 5;
/// Callbacks a person may ask for before the lead is finished anyway.
pub const MAX_CALLBACKS: u8 = 3;
/// Calls of a lead that may end with the agent unavailable before the lead fails anyway:
/// such a call uses no retry (it is the campaign's failure), but a person is not called
/// without end for it. The agent-unavailable guardrail pauses a campaign long before.
pub const MAX_AGENT_MISSES: u8 = 3;
/// Shortest delay between attempts.
pub const MIN_RETRY_DELAY: Duration = Duration::minutes(1);
/// Longest delay between attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::days(30);

/// When and whether to try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u8,
    delay: Duration,
    retry_on: BTreeSet<RetryableOutcome>,
}

/// A retry policy outside its limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRetryPolicy {
    /// More than [`MAX_RETRIES`].
    #[error("retries must be between 0 and {MAX_RETRIES}, got {0}")]
    TooManyRetries(u32),
    /// Outside [`MIN_RETRY_DELAY`]..=[`MAX_RETRY_DELAY`].
    #[error("the delay between attempts must be between 1 minute and 30 days, got {0} minutes")]
    DelayOutOfRange(i64),
}

impl RetryPolicy {
    /// Builds a policy within its limits.
    pub fn new(
        max_retries: u32,
        delay: Duration,
        retry_on: impl IntoIterator<Item = RetryableOutcome>,
    ) -> Result<Self, InvalidRetryPolicy> {
        let max_retries = u8::try_from(max_retries)
            .ok()
            .filter(|&n| n <= MAX_RETRIES)
            .ok_or(InvalidRetryPolicy::TooManyRetries(max_retries))?;
        if delay < MIN_RETRY_DELAY || delay > MAX_RETRY_DELAY {
            return Err(InvalidRetryPolicy::DelayOutOfRange(delay.num_minutes()));
        }
        Ok(Self {
            max_retries,
            delay,
            retry_on: retry_on.into_iter().collect(),
        })
    }

    /// Retries after the first attempt.
    pub fn max_retries(&self) -> u8 {
        self.max_retries
    }

    /// Delay between an attempt and its retry.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// Which outcomes are retried.
    pub fn retry_on(&self) -> &BTreeSet<RetryableOutcome> {
        &self.retry_on
    }

    /// Decides what follows an attempt.
    ///
    /// - Completed and opted-out calls finish the lead as Completed (the person was reached).
    /// - A callback request schedules the call at the requested time, at most
    ///   [`MAX_CALLBACKS`] times; callbacks do not use retries.
    /// - No-answer, busy and voicemail are retried when chosen and retries remain; otherwise
    ///   the lead fails, except a voicemail on which the agent left its message, which completes.
    /// - An unknown outcome (the report never came) is retried while retries remain, whatever
    ///   the chosen set: nothing is known, so the attempt is not held against the lead. So is a
    ///   failure the network called temporary (a SIP 503, say).
    /// - A call the agent never came to is retried without using a retry, at most
    ///   [`MAX_AGENT_MISSES`] times.
    /// - Other failed and canceled calls fail the lead.
    pub fn decide(
        &self,
        report: &AttemptReport,
        history: AttemptHistory,
        now: DateTime<Utc>,
    ) -> NextStep {
        let retries_left = history.retries_used < self.max_retries;
        let retry = || NextStep::RetryAt(now + self.delay);
        let chosen = |o: RetryableOutcome| self.retry_on.contains(&o) && retries_left;
        match report.outcome {
            Outcome::Completed | Outcome::OptedOut => NextStep::Finish(LeadStatus::Completed),
            Outcome::CallbackRequested => match report.callback_at {
                // A provider's event is not refused like a report (the call happened): a time
                // out of the report API's bounds is brought inside them.
                Some(at) if history.callbacks_used < MAX_CALLBACKS => {
                    let latest =
                        now + chrono::Duration::days(crate::call_report::MAX_CALLBACK_DAYS);
                    NextStep::CallbackAt(at.clamp(now, latest))
                }
                _ => NextStep::Finish(LeadStatus::Completed),
            },
            Outcome::NoAnswer if chosen(RetryableOutcome::NoAnswer) => retry(),
            Outcome::Busy if chosen(RetryableOutcome::Busy) => retry(),
            Outcome::Voicemail if chosen(RetryableOutcome::Voicemail) => retry(),
            Outcome::Voicemail if report.voicemail_left => NextStep::Finish(LeadStatus::Completed),
            Outcome::Unknown if retries_left => retry(),
            Outcome::Failed if report.temporary && retries_left => retry(),
            Outcome::AgentUnavailable if history.agent_misses < MAX_AGENT_MISSES => retry(),
            Outcome::NoAnswer
            | Outcome::Busy
            | Outcome::Voicemail
            | Outcome::Unknown
            | Outcome::Failed
            | Outcome::Canceled
            | Outcome::AgentUnavailable => NextStep::Finish(LeadStatus::Failed),
        }
    }
}

/// What is known about an attempt when it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptReport {
    /// How it ended.
    pub outcome: Outcome,
    /// For callbacks: when the person asked to be called.
    pub callback_at: Option<DateTime<Utc>>,
    /// For voicemail: whether the agent left its message.
    pub voicemail_left: bool,
    /// For a failure: the network said it was temporary (try again later).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub temporary: bool,
}

impl AttemptReport {
    /// A report with just an outcome.
    pub fn of(outcome: Outcome) -> Self {
        Self {
            outcome,
            callback_at: None,
            voicemail_left: false,
            temporary: false,
        }
    }

    /// A failure the network called temporary.
    pub fn temporary_failure() -> Self {
        Self {
            temporary: true,
            ..Self::of(Outcome::Failed)
        }
    }
}

/// What the lead has used so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttemptHistory {
    /// Retries already scheduled.
    pub retries_used: u8,
    /// Callbacks already scheduled.
    pub callbacks_used: u8,
    /// Calls that ended with the agent unavailable.
    pub agent_misses: u8,
}

/// What happens to the lead next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// The lead is final with this status.
    Finish(LeadStatus),
    /// Try again at this time (subject to the calling window).
    RetryAt(DateTime<Utc>),
    /// Call back at this time, as the person asked (subject to the calling window).
    CallbackAt(DateTime<Utc>),
}

/// The earliest instant at or after `at` when one more call keeps the number within
/// `max_calls` starts in any 24 hours, given earlier `starts` (any order).
pub fn earliest_within_daily_cap(
    starts: &[DateTime<Utc>],
    max_calls: u8,
    at: DateTime<Utc>,
) -> DateTime<Utc> {
    let mut sorted: Vec<DateTime<Utc>> = starts.to_vec();
    sorted.sort();
    crate::contact_caps::earliest_within_span(&sorted, max_calls, Duration::hours(24), at)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-10T15:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn policy(retries: u32, on: &[RetryableOutcome]) -> RetryPolicy {
        RetryPolicy::new(retries, Duration::hours(2), on.iter().copied()).unwrap()
    }

    fn used(retries_used: u8) -> AttemptHistory {
        AttemptHistory {
            retries_used,
            ..AttemptHistory::default()
        }
    }

    #[test]
    fn a_call_the_agent_never_came_to_is_retried_without_a_retry_a_few_times() {
        let p = policy(0, &[]);
        let missed = AttemptReport::of(Outcome::AgentUnavailable);
        for misses in 0..MAX_AGENT_MISSES {
            let history = AttemptHistory {
                agent_misses: misses,
                ..used(0)
            };
            assert_eq!(
                p.decide(&missed, history, now()),
                NextStep::RetryAt(now() + Duration::hours(2)),
                "no retries configured, yet the contact's chance is not spent"
            );
        }
        let history = AttemptHistory {
            agent_misses: MAX_AGENT_MISSES,
            ..used(0)
        };
        assert_eq!(
            p.decide(&missed, history, now()),
            NextStep::Finish(LeadStatus::Failed)
        );
        assert!(!Outcome::AgentUnavailable.connected());
    }

    #[test]
    fn a_temporary_failure_is_retried_while_retries_remain_and_a_lasting_one_is_not() {
        let p = policy(1, &[]);
        assert_eq!(
            p.decide(&AttemptReport::temporary_failure(), used(0), now()),
            NextStep::RetryAt(now() + Duration::hours(2))
        );
        assert_eq!(
            p.decide(&AttemptReport::temporary_failure(), used(1), now()),
            NextStep::Finish(LeadStatus::Failed)
        );
        assert_eq!(
            p.decide(&AttemptReport::of(Outcome::Failed), used(0), now()),
            NextStep::Finish(LeadStatus::Failed)
        );
    }

    #[test]
    fn chosen_outcomes_are_retried_after_the_delay_until_retries_run_out() {
        let p = policy(2, &[RetryableOutcome::NoAnswer, RetryableOutcome::Busy]);
        let no_answer = AttemptReport::of(Outcome::NoAnswer);
        assert_eq!(
            p.decide(&no_answer, used(0), now()),
            NextStep::RetryAt(now() + Duration::hours(2))
        );
        assert_eq!(
            p.decide(&no_answer, used(1), now()),
            NextStep::RetryAt(now() + Duration::hours(2))
        );
        assert_eq!(
            p.decide(&no_answer, used(2), now()),
            NextStep::Finish(LeadStatus::Failed)
        );
    }

    #[test]
    fn outcomes_not_chosen_are_not_retried() {
        let p = policy(5, &[RetryableOutcome::Busy]);
        assert_eq!(
            p.decide(&AttemptReport::of(Outcome::NoAnswer), used(0), now()),
            NextStep::Finish(LeadStatus::Failed)
        );
    }

    #[test]
    fn a_voicemail_with_the_message_left_completes_unless_voicemail_is_retried() {
        let report = AttemptReport {
            voicemail_left: true,
            temporary: false,
            ..AttemptReport::of(Outcome::Voicemail)
        };
        assert_eq!(
            policy(2, &[]).decide(&report, used(0), now()),
            NextStep::Finish(LeadStatus::Completed)
        );
        assert!(matches!(
            policy(2, &[RetryableOutcome::Voicemail]).decide(&report, used(0), now()),
            NextStep::RetryAt(_)
        ));
        let silent = AttemptReport::of(Outcome::Voicemail);
        assert_eq!(
            policy(2, &[]).decide(&silent, used(0), now()),
            NextStep::Finish(LeadStatus::Failed)
        );
    }

    #[test]
    fn callbacks_follow_the_request_and_do_not_spend_retries() {
        let p = policy(0, &[]);
        let at = now() + Duration::days(1);
        let report = AttemptReport {
            callback_at: Some(at),
            ..AttemptReport::of(Outcome::CallbackRequested)
        };
        assert_eq!(p.decide(&report, used(0), now()), NextStep::CallbackAt(at));
        let past = AttemptReport {
            callback_at: Some(now() - Duration::hours(1)),
            ..report.clone()
        };
        assert_eq!(p.decide(&past, used(0), now()), NextStep::CallbackAt(now()));
        let next_year = AttemptReport {
            callback_at: Some(now() + Duration::days(365)),
            ..report.clone()
        };
        let latest = now() + Duration::days(crate::call_report::MAX_CALLBACK_DAYS);
        assert_eq!(
            p.decide(&next_year, used(0), now()),
            NextStep::CallbackAt(latest),
            "a provider's time past the bound is brought inside it"
        );
        let end_of_time = AttemptReport {
            callback_at: Some(DateTime::<Utc>::MAX_UTC),
            ..report.clone()
        };
        assert_eq!(
            p.decide(&end_of_time, used(0), now()),
            NextStep::CallbackAt(latest),
            "the last time chrono can hold is brought inside the bound, not added to"
        );
        let exhausted = AttemptHistory {
            retries_used: 0,
            callbacks_used: MAX_CALLBACKS,
            agent_misses: 0,
        };
        assert_eq!(
            p.decide(&report, exhausted, now()),
            NextStep::Finish(LeadStatus::Completed)
        );
    }

    #[test]
    fn unknown_outcomes_are_retried_while_retries_remain_whatever_is_chosen() {
        let p = policy(1, &[]);
        let unknown = AttemptReport::of(Outcome::Unknown);
        assert!(matches!(
            p.decide(&unknown, used(0), now()),
            NextStep::RetryAt(_)
        ));
        assert_eq!(
            p.decide(&unknown, used(1), now()),
            NextStep::Finish(LeadStatus::Failed)
        );
    }

    #[test]
    fn the_policy_refuses_values_outside_its_limits() {
        assert_eq!(
            RetryPolicy::new(6, Duration::hours(1), []),
            Err(InvalidRetryPolicy::TooManyRetries(6))
        );
        assert_eq!(
            RetryPolicy::new(1, Duration::seconds(30), []),
            Err(InvalidRetryPolicy::DelayOutOfRange(0))
        );
    }

    #[test]
    fn a_daily_cap_pushes_the_next_call_past_the_oldest_start() {
        let t = now();
        let starts = [
            t - Duration::hours(20),
            t - Duration::hours(10),
            t - Duration::hours(1),
        ];
        assert_eq!(
            earliest_within_daily_cap(&starts, 3, t),
            t + Duration::hours(4)
        );
        assert_eq!(earliest_within_daily_cap(&starts, 4, t), t);
    }

    fn arb_outcome() -> impl Strategy<Value = Outcome> {
        proptest::sample::select(Outcome::ALL.to_vec())
    }

    fn arb_retryable() -> impl Strategy<Value = Vec<RetryableOutcome>> {
        proptest::sample::subsequence(
            vec![
                RetryableOutcome::NoAnswer,
                RetryableOutcome::Busy,
                RetryableOutcome::Voicemail,
            ],
            0..=3,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn a_lead_is_never_attempted_more_than_one_plus_retries_plus_callbacks_times(
            max_retries in 0u32..=5, on in arb_retryable(), delay_min in 1i64..10_000,
            outcomes in proptest::collection::vec((arb_outcome(), any::<bool>(), 0i64..100_000, any::<bool>()), 1..30),
        ) {
            let p = RetryPolicy::new(max_retries, Duration::minutes(delay_min), on).unwrap();
            let mut history = AttemptHistory::default();
            let mut attempts = 0u32;
            let mut t = now();
            for (outcome, left, callback_offset, temporary) in outcomes {
                attempts += 1;
                let report = AttemptReport {
                    outcome,
                    callback_at: Some(t + Duration::minutes(callback_offset)),
                    voicemail_left: left,
                    temporary,
                };
                match p.decide(&report, history, t) {
                    NextStep::Finish(status) => {
                        prop_assert!(status.is_final());
                        break;
                    }
                    NextStep::RetryAt(at) => {
                        prop_assert_eq!(at, t + Duration::minutes(delay_min));
                        prop_assert!(at > t);
                        if outcome == Outcome::AgentUnavailable {
                            history.agent_misses += 1;
                        } else {
                            history.retries_used += 1;
                        }
                        t = at;
                    }
                    NextStep::CallbackAt(at) => {
                        prop_assert_eq!(outcome, Outcome::CallbackRequested);
                        prop_assert!(at >= t);
                        history.callbacks_used += 1;
                        t = at;
                    }
                }
            }
            prop_assert!(attempts <= 1 + max_retries + u32::from(MAX_CALLBACKS) + u32::from(MAX_AGENT_MISSES));
            prop_assert!(history.retries_used <= p.max_retries());
            prop_assert!(history.agent_misses <= MAX_AGENT_MISSES);
            prop_assert!(history.callbacks_used <= MAX_CALLBACKS);
        }

        #[test]
        fn only_chosen_unknown_temporary_or_agent_outcomes_are_ever_retried(
            max_retries in 0u32..=5, on in arb_retryable(), outcome in arb_outcome(),
            retries_used in 0u8..=5, left in any::<bool>(), temporary in any::<bool>(),
            agent_misses in 0u8..=MAX_AGENT_MISSES,
        ) {
            let p = RetryPolicy::new(max_retries, Duration::hours(1), on.clone()).unwrap();
            let report = AttemptReport { outcome, callback_at: None, voicemail_left: left, temporary };
            let next = p.decide(&report, AttemptHistory { retries_used, callbacks_used: 0, agent_misses }, now());
            if let NextStep::RetryAt(_) = next && outcome == Outcome::AgentUnavailable {
                // The campaign's failure: retried on its own budget, not the contact's.
                prop_assert!(agent_misses < MAX_AGENT_MISSES);
            } else if let NextStep::RetryAt(_) = next {
                prop_assert!(retries_used < p.max_retries());
                let chosen = match outcome {
                    Outcome::NoAnswer => on.contains(&RetryableOutcome::NoAnswer),
                    Outcome::Busy => on.contains(&RetryableOutcome::Busy),
                    Outcome::Voicemail => on.contains(&RetryableOutcome::Voicemail),
                    Outcome::Unknown => true,
                    Outcome::Failed => temporary,
                    _ => false,
                };
                prop_assert!(chosen, "{outcome:?} retried with {on:?}");
            }
        }

        #[test]
        fn the_daily_cap_is_respected_by_the_time_it_returns(
            offsets in proptest::collection::vec(0i64..(72 * 60), 0..12), cap in 1u8..5,
        ) {
            let starts: Vec<_> = offsets.iter().map(|m| now() - Duration::minutes(*m)).collect();
            let t = earliest_within_daily_cap(&starts, cap, now());
            prop_assert!(t >= now());
            let recent = starts.iter().filter(|s| **s > t - Duration::hours(24)).count();
            prop_assert!(recent < usize::from(cap));
        }
    }
}
