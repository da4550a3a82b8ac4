use proptest::prelude::*;

use super::*;
use crate::retry::RetryableOutcome;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-10T15:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn policy() -> RetryPolicy {
    RetryPolicy::new(
        2,
        Duration::hours(1),
        [RetryableOutcome::NoAnswer, RetryableOutcome::Busy],
    )
    .unwrap()
}

fn calling() -> LeadState {
    let mut lead = LeadState::new(t0());
    lead.lease("tok".into(), t0(), t0() + Duration::minutes(3))
        .unwrap();
    lead.start_call("tok", "sim", t0(), t0() + Duration::minutes(15))
        .unwrap();
    lead
}

#[test]
fn a_lead_goes_from_pending_through_a_lease_and_a_call_to_completed() {
    let mut lead = LeadState::new(t0());
    assert_eq!(lead.due(), Some((DueKind::Dial, t0())));
    lead.lease("tok".into(), t0(), t0() + Duration::minutes(3))
        .unwrap();
    assert_eq!(
        lead.status,
        LeadStatus::Pending,
        "a lease is internal; the status stays public"
    );
    assert_eq!(
        lead.due(),
        Some((DueKind::Dial, t0() + Duration::minutes(3)))
    );
    let attempt = lead
        .start_call("tok", "sim", t0(), t0() + Duration::minutes(15))
        .unwrap();
    assert_eq!((attempt, lead.status), (1, LeadStatus::Calling));
    assert_eq!(
        lead.due(),
        Some((DueKind::CallDeadline, t0() + Duration::minutes(15)))
    );
    let report = AttemptReport::of(Outcome::Completed);
    let details = AttemptDetails {
        duration_seconds: 42,
        ..Default::default()
    };
    let record = lead
        .finish_attempt(
            1,
            &report,
            details,
            &policy(),
            true,
            t0() + Duration::minutes(2),
        )
        .unwrap();
    assert_eq!(record.duration_seconds, 42);
    assert_eq!(lead.status, LeadStatus::Completed);
    assert_eq!(lead.due(), None);
    assert_eq!(lead.version, 4);
}

#[test]
fn only_the_lease_holder_can_start_the_call() {
    let mut lead = LeadState::new(t0());
    lead.lease("first".into(), t0(), t0() + Duration::minutes(3))
        .unwrap();
    let err = lead
        .clone()
        .start_call("someone-else", "sim", t0(), t0())
        .unwrap_err();
    assert_eq!(err.to_string(), "cannot start a call for a pending lead");
    // After the lease lapses, a new lease replaces the token.
    let later = t0() + Duration::minutes(4);
    lead.lease("second".into(), later, later + Duration::minutes(3))
        .unwrap();
    assert!(
        lead.clone()
            .start_call("first", "sim", later, later)
            .is_err()
    );
    assert!(lead.start_call("second", "sim", later, later).is_ok());
}

#[test]
fn a_lead_that_is_not_due_cannot_be_leased() {
    let mut lead = LeadState::new(t0() + Duration::hours(1));
    assert!(lead.lease("t".into(), t0(), t0()).is_err());
    let mut leased = LeadState::new(t0());
    leased
        .lease("t".into(), t0(), t0() + Duration::minutes(3))
        .unwrap();
    assert!(
        leased
            .lease("u".into(), t0() + Duration::minutes(1), t0())
            .is_err(),
        "lease still held"
    );
}

#[test]
fn an_outcome_for_another_attempt_is_refused() {
    let mut lead = calling();
    let report = AttemptReport::of(Outcome::Completed);
    assert!(
        lead.finish_attempt(2, &report, AttemptDetails::default(), &policy(), true, t0())
            .is_err()
    );
    assert!(
        lead.finish_attempt(1, &report, AttemptDetails::default(), &policy(), true, t0())
            .is_ok()
    );
    // A duplicate of the same outcome is refused too: it was applied once.
    assert!(
        lead.finish_attempt(1, &report, AttemptDetails::default(), &policy(), true, t0())
            .is_err()
    );
}

#[test]
fn a_retried_outcome_schedules_the_lead_and_spends_a_retry() {
    let mut lead = calling();
    let report = AttemptReport::of(Outcome::NoAnswer);
    lead.finish_attempt(1, &report, AttemptDetails::default(), &policy(), true, t0())
        .unwrap();
    assert_eq!(lead.status, LeadStatus::Scheduled);
    assert_eq!(lead.retries_used, 1);
    assert_eq!(lead.due(), Some((DueKind::Dial, t0() + Duration::hours(1))));
}

#[test]
fn a_retry_after_the_campaign_ended_skips_the_lead_instead() {
    let mut lead = calling();
    let report = AttemptReport::of(Outcome::Busy);
    lead.finish_attempt(
        1,
        &report,
        AttemptDetails::default(),
        &policy(),
        false,
        t0(),
    )
    .unwrap();
    assert_eq!(lead.status, LeadStatus::Skipped);
    assert_eq!(lead.skip_reason, Some(SkipReason::CampaignEnded));
}

#[test]
fn a_released_call_does_not_count_as_an_attempt() {
    let mut lead = calling();
    lead.release_call(1, t0() + Duration::minutes(1)).unwrap();
    assert_eq!((lead.status, lead.attempts), (LeadStatus::Pending, 0));
    assert!(lead.recent_starts.is_empty());
    assert_eq!(
        lead.due(),
        Some((DueKind::Dial, t0() + Duration::minutes(1)))
    );
}

#[test]
fn a_lead_on_a_call_cannot_be_skipped_and_a_final_lead_cannot_change() {
    let mut lead = calling();
    assert!(lead.skip(SkipReason::Manual).is_err());
    let mut done = LeadState::new(t0());
    done.skip(SkipReason::DoNotCall).unwrap();
    assert!(done.skip(SkipReason::Manual).is_err());
    assert!(done.defer(t0()).is_err());
    assert!(done.lease("t".into(), t0(), t0()).is_err());
}

#[test]
fn counter_deltas_follow_status_changes_and_the_concurrency_slot() {
    let before = LeadState::new(t0());
    let mut after = before.clone();
    after.lease("tok".into(), t0(), t0()).unwrap();
    assert!(
        CounterDelta::between(&before, &after, None).is_empty(),
        "a lease changes no counter"
    );
    let leased = after.clone();
    after.start_call("tok", "sim", t0(), t0()).unwrap();
    let delta = CounterDelta::between(&leased, &after, None);
    assert_eq!(delta.in_flight, 1);
    assert_eq!(delta.attempts_started, 1);
    assert_eq!(delta.by_status[status_index(LeadStatus::Pending)], -1);
    assert_eq!(delta.by_status[status_index(LeadStatus::Calling)], 1);
}

/// One step a lead may be asked to take, whatever its state.
#[derive(Debug, Clone)]
enum Step {
    Lease(u8),
    Start(u8),
    Defer(i64),
    Finish {
        attempt: u8,
        outcome: Outcome,
        running: bool,
    },
    Release(u8),
    Skip,
    Advance(i64),
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..3).prop_map(Step::Lease),
        (0u8..3).prop_map(Step::Start),
        (0i64..600).prop_map(Step::Defer),
        (
            1u8..4,
            proptest::sample::select(Outcome::ALL.to_vec()),
            any::<bool>()
        )
            .prop_map(|(attempt, outcome, running)| Step::Finish {
                attempt,
                outcome,
                running
            }),
        (1u8..4).prop_map(Step::Release),
        Just(Step::Skip),
        (0i64..400).prop_map(Step::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// Whatever is asked of it, in any order: a non-final lead always has a deadline, a refused
    /// step changes nothing, an accepted one bumps the version, counters add up, and the
    /// attempts stay within the policy, and a line taken on a capped account is given back with
    /// the call.
    #[test]
    fn a_lead_keeps_its_invariants_under_any_sequence_of_steps(steps in proptest::collection::vec(arb_step(), 1..60)) {
        let policy = policy();
        let mut now = t0();
        let mut lead = LeadState::new(now);
        let mut counts = [0i64; 6];
        counts[status_index(LeadStatus::Pending)] = 1;
        let mut in_flight = 0i64;
        let mut account_lines = 0i64;
        for step in steps {
            let before = lead.clone();
            let mut finished = None;
            let result = match step {
                Step::Lease(k) => lead.lease(format!("t{k}"), now, now + Duration::minutes(3)),
                // Every other start takes a line of a capped account, as the claim does.
                Step::Start(k) => lead.start_call(&format!("t{k}"), "sim", now, now + Duration::minutes(15)).map(|_| {
                    if let Some(call) = lead.call.as_mut().filter(|_| k % 2 == 1) {
                        call.account_slot = Some("account".into());
                    }
                }),
                Step::Defer(m) => lead.defer(now + Duration::minutes(m)),
                Step::Finish { attempt, outcome, running } => {
                    let report = AttemptReport { outcome, callback_at: Some(now + Duration::hours(3)), voicemail_left: false, temporary: false };
                    lead.finish_attempt(attempt, &report, AttemptDetails::default(), &policy, running, now)
                        .map(|r| finished = Some(r))
                }
                Step::Release(attempt) => lead.release_call(attempt, now + Duration::minutes(1)),
                Step::Skip => lead.skip(SkipReason::Manual),
                Step::Advance(m) => { now += Duration::minutes(m); Ok(()) }
            };
            match (&step, result) {
                (Step::Advance(_), _) => prop_assert_eq!(&lead, &before),
                (_, Ok(())) => prop_assert_eq!(lead.version, before.version + 1),
                (_, Err(_)) => prop_assert_eq!(&lead, &before, "a refused step changed the lead"),
            }
            let delta = CounterDelta::between(&before, &lead, finished.as_ref());
            for (count, change) in counts.iter_mut().zip(delta.by_status) {
                *count += change;
            }
            in_flight += delta.in_flight;
            if delta.account_slot.is_some() {
                account_lines += delta.in_flight;
            }
            prop_assert_eq!(counts[status_index(lead.status)], 1);
            prop_assert_eq!(counts.iter().sum::<i64>(), 1);
            prop_assert_eq!(in_flight, i64::from(lead.status == LeadStatus::Calling));
            let holds_line = lead.call.as_ref().is_some_and(|c| c.account_slot.is_some());
            prop_assert_eq!(account_lines, i64::from(holds_line), "the account's line follows the call");
            prop_assert_eq!(lead.due().is_some(), !lead.status.is_final(), "{:?}", lead);
            prop_assert!(u32::from(lead.attempts) <= 1 + 2 + u32::from(crate::retry::MAX_CALLBACKS));
            prop_assert_eq!(lead.log.len() + usize::from(lead.status == LeadStatus::Calling), usize::from(lead.attempts));
        }
    }
}
