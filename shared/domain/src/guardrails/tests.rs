use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::*;

fn at(minute: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_780_000_000 - 1_780_000_000 % 60, 0).unwrap()
        + Duration::minutes(minute)
}

fn defaults() -> Guardrails {
    GuardrailsSpec::default().parse().unwrap()
}

fn finished(finished: i64, failed: i64) -> HealthCounts {
    HealthCounts {
        attempts: finished,
        finished,
        failed,
        ..HealthCounts::default()
    }
}

#[test]
fn a_share_is_judged_only_once_its_sample_reaches_the_minimum() {
    let g = defaults();
    assert_eq!(g.judge(&finished(19, 19)), None, "19 of 19 failed: too few");
    let trip = g.judge(&finished(20, 11)).expect("11 of 20 is over 50%");
    assert_eq!(
        (trip.guardrail, trip.count, trip.sample, trip.limit_percent),
        (Guardrail::FailedAttempts, 11, 20, 50)
    );
}

#[test]
fn a_share_at_the_limit_does_not_trip_and_one_more_does() {
    let g = defaults();
    assert_eq!(g.judge(&finished(40, 20)), None, "exactly 50%");
    assert!(g.judge(&finished(40, 21)).is_some());
}

#[test]
fn each_guardrail_trips_on_its_own_share() {
    let g = defaults();
    let cases = [
        (
            HealthCounts {
                attempts: 10,
                throttled: 11,
                ..HealthCounts::default()
            },
            Guardrail::ProviderThrottling,
        ),
        (
            HealthCounts {
                attempts: 30,
                finished: 30,
                connected: 20,
                opted_out: 5,
                ..HealthCounts::default()
            },
            Guardrail::OptOuts,
        ),
        (
            HealthCounts {
                attempts: 18,
                dnc_hits: 3,
                ..HealthCounts::default()
            },
            Guardrail::DncHits,
        ),
        (
            // A failing agent also shows as failed attempts: it is named first.
            HealthCounts {
                attempts: 30,
                finished: 30,
                failed: 20,
                connected: 18,
                agent_unavailable: 3,
                ..HealthCounts::default()
            },
            Guardrail::AgentUnavailable,
        ),
    ];
    for (counts, expected) in cases {
        assert_eq!(g.judge(&counts).map(|t| t.guardrail), Some(expected));
    }
}

#[test]
fn dnc_hits_are_judged_before_failures_and_a_disabled_or_100_percent_guardrail_never_trips() {
    let both = HealthCounts {
        attempts: 40,
        finished: 40,
        failed: 40,
        dnc_hits: 40,
        ..HealthCounts::default()
    };
    assert_eq!(
        defaults().judge(&both).map(|t| t.guardrail),
        Some(Guardrail::DncHits)
    );
    let off = GuardrailsSpec {
        enabled: false,
        ..GuardrailsSpec::default()
    };
    assert_eq!(off.parse().unwrap().judge(&both), None);
    let never = GuardrailsSpec {
        max_failed_percent: 100,
        max_dnc_hit_percent: 100,
        ..GuardrailsSpec::default()
    };
    assert_eq!(never.parse().unwrap().judge(&both), None);
}

#[test]
fn out_of_range_settings_are_each_named() {
    let bad = GuardrailsSpec {
        window_minutes: 4,
        min_sample: 0,
        max_failed_percent: 0,
        max_throttled_percent: 101,
        max_opt_out_percent: 20,
        max_dnc_hit_percent: 10,
        max_agent_unavailable_percent: 0,
        max_missed_disclosure_percent: 0,
        enabled: true,
    };
    let fields: Vec<&str> = bad.parse().unwrap_err().into_iter().map(|e| e.0).collect();
    assert_eq!(
        fields,
        [
            "window_minutes",
            "min_sample",
            "max_failed_percent",
            "max_throttled_percent",
            "max_agent_unavailable_percent",
            "max_missed_disclosure_percent"
        ]
    );
}

#[test]
fn the_reason_says_what_was_counted_out_of_what_over_which_window() {
    let trip = defaults().judge(&finished(20, 12)).unwrap();
    let reason = PauseReason::of(trip, Duration::minutes(15), at(0));
    assert_eq!(
        reason.message,
        "12 of 20 finished attempts failed in the last 15 minutes (60%, limit 50%)"
    );
    assert_eq!(reason.window_minutes, 15);
}

#[test]
fn the_first_review_of_a_run_judges_nothing_and_keeps_a_snapshot() {
    let g = defaults();
    let old = HealthSnapshot {
        at: at(-60),
        counts: finished(5, 5),
    };
    let review = g.review(&[old], finished(30, 30), at(0), Some(at(-1)));
    assert_eq!(review.window, None, "the old run's snapshot is not a base");
    assert_eq!(review.add.map(|s| s.at), Some(at(0)));
    assert_eq!(review.drop, vec![at(-60)]);
}

#[test]
fn no_snapshot_is_kept_while_nothing_changed_or_sooner_than_a_fifth_of_the_window() {
    let g = defaults();
    let s = |minute, counts| HealthSnapshot {
        at: at(minute),
        counts,
    };
    let unchanged = g.review(&[s(0, finished(1, 0))], finished(1, 0), at(10), None);
    assert_eq!(unchanged.add, None);
    let soon = g.review(&[s(0, finished(1, 0))], finished(2, 0), at(2), None);
    assert_eq!(soon.add, None, "every 3 minutes for a 15-minute window");
    let due = g.review(&[s(0, finished(1, 0))], finished(2, 0), at(3), None);
    assert_eq!(due.add.map(|s| s.at), Some(at(3)));
}

proptest! {
    /// Ticks once a minute over random traffic: every window judged counts exactly what
    /// happened since its base, a base is never younger than the window (once a run is that
    /// old) nor older than the window plus a fifth, and at most a window's worth of
    /// snapshots is ever kept.
    #[test]
    fn the_window_judged_is_the_window_asked_for_within_a_fifth(
        traffic in proptest::collection::vec(0i64..4, 30..150),
        window in 5u32..40,
    ) {
        let g = GuardrailsSpec { window_minutes: window, ..GuardrailsSpec::default() }
            .parse()
            .unwrap();
        let mut kept: Vec<HealthSnapshot> = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0;
        for (minute, calls) in traffic.iter().enumerate() {
            total += calls;
            cumulative.push(total);
            let now = at(minute as i64);
            let review = g.review(&kept, finished(total, 0), now, Some(at(0)));
            if let Some(counts) = review.window {
                // The window counts what happened after some instant between a window and a
                // window plus a fifth ago (as soon as the run is a window old; before, since
                // its first tick).
                let before = total - counts.attempts;
                let now_minute = minute as i64;
                let (lo, hi) = if now_minute >= i64::from(window) {
                    let every = g.snapshot_every().num_minutes();
                    ((now_minute - i64::from(window) - every).max(0), now_minute - i64::from(window))
                } else {
                    (0, 0)
                };
                prop_assert!(
                    (lo..=hi).any(|m| cumulative[m as usize] == before),
                    "minute {}: window counted {} calls", minute, counts.attempts
                );
            }
            kept.retain(|s| !review.drop.contains(&s.at));
            kept.extend(review.add);
            let most = g.window.num_minutes() / g.snapshot_every().num_minutes() + 2;
            prop_assert!(kept.len() as i64 <= most, "{} snapshots kept", kept.len());
        }
    }
}

#[test]
fn an_account_problem_pauses_with_what_to_fix_and_says_no_attempt_was_used() {
    let reason = PauseReason::account_problem("Twilio refused the call: error 21215", at(0));
    assert_eq!(reason.guardrail, Guardrail::AccountProblem);
    assert!(
        reason
            .message
            .starts_with("Twilio refused the call: error 21215")
    );
    assert!(reason.message.contains("no contact's attempt was used"));
    assert!(
        !Guardrail::ALL.contains(&Guardrail::AccountProblem),
        "not judged over a window"
    );
}

#[test]
fn missed_disclosures_trip_only_when_set_and_over_the_answered_calls_that_owed_them() {
    let window = HealthCounts {
        disclosures_due: 40,
        disclosures_missed: 8,
        ..HealthCounts::default()
    };
    assert_eq!(defaults().judge(&window), None, "off by default");
    let spec = GuardrailsSpec {
        max_missed_disclosure_percent: 10,
        ..GuardrailsSpec::default()
    };
    let trip = spec.parse().unwrap().judge(&window).expect("20% > 10%");
    assert_eq!(
        (trip.guardrail, trip.count, trip.sample),
        (Guardrail::MissedDisclosures, 8, 40)
    );
    let few = HealthCounts {
        disclosures_due: 10,
        disclosures_missed: 8,
        ..HealthCounts::default()
    };
    assert_eq!(
        spec.parse().unwrap().judge(&few),
        None,
        "under the minimum sample"
    );
}
