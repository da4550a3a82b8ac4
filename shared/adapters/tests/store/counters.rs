use domain::ids::LeadRef;
use domain::lead::{AttemptDetails, CounterDelta, Lead, LeadState};
use domain::retry::{AttemptReport, Outcome, RetryPolicy, RetryableOutcome};
use domain::status::{CampaignStatus, LeadStatus};
use ports::store::{Counters, Leads};
use ports::store::{Guards, LeadWrite, PacingGuard, Refusal, WriteError};

use crate::support::*;

/// Leases and starts a call on `lead` with the counters it moves; returns the calling state.
pub async fn lease_and_start(
    f: &Fixture,
    lead: &Lead,
    guards: Guards,
) -> Result<LeadState, WriteError> {
    let key = reference(&f.campaign, lead);
    let mut leased = lead.state.clone();
    leased.lease("tok".into(), t0(), t0() + minutes(3)).unwrap();
    let none = CounterDelta::default();
    f.store
        .write_transition(LeadWrite {
            lead: &key,
            expected_version: lead.state.version,
            state: &leased,
            counters: &none,
            guards: Guards::default(),
        })
        .await?;
    let mut calling = leased.clone();
    calling
        .start_call("tok", "sim", t0(), t0() + minutes(15))
        .unwrap();
    let delta = CounterDelta::between(&leased, &calling, None);
    f.store
        .write_transition(LeadWrite {
            lead: &key,
            expected_version: leased.version,
            state: &calling,
            counters: &delta,
            guards,
        })
        .await?;
    Ok(calling)
}

fn pacing(max_concurrent: u32, calls_per_hour: u32) -> Guards {
    Guards {
        pacing: Some(PacingGuard {
            max_concurrent,
            calls_per_hour,
            epoch_minute: t0().timestamp() / 60,
        }),
        ..Guards::default()
    }
}

/// The call `calling` ended completed after 95 seconds, with no retries: the lead's new
/// state and the counters it moves.
fn completed_after_95_seconds(calling: &LeadState) -> (LeadState, CounterDelta) {
    let mut done = calling.clone();
    let policy = RetryPolicy::new(0, chrono::Duration::hours(1), []).unwrap();
    let details = AttemptDetails {
        duration_seconds: 95,
        ..Default::default()
    };
    let record = done
        .finish_attempt(
            1,
            &AttemptReport::of(Outcome::Completed),
            details,
            &policy,
            true,
            t0() + minutes(2),
        )
        .unwrap();
    let delta = CounterDelta::between(calling, &done, Some(&record));
    (done, delta)
}

/// Writes the outcome: `calling` becomes `done`, moving `delta`.
async fn write_outcome(
    f: &Fixture,
    key: &LeadRef,
    calling: &LeadState,
    done: &LeadState,
    delta: &CounterDelta,
) -> Result<(), WriteError> {
    f.store
        .write_transition(LeadWrite {
            lead: key,
            expected_version: calling.version,
            state: done,
            counters: delta,
            guards: Guards::default(),
        })
        .await
}

#[tokio::test]
async fn counters_move_atomically_with_the_leads_that_move_them() {
    let f = fixture("counters").await;
    let leads: Vec<Lead> = (0..3).map(|i| lead(&f.campaign, i, t0())).collect();
    for l in &leads {
        insert(&f, l).await;
    }
    f.store.add_imported(&f.campaign, 3).await.unwrap();

    let calling = lease_and_start(&f, &leads[0], pacing(10, 100))
        .await
        .unwrap();
    let c = f.store.counters(&f.campaign).await.unwrap();
    assert_eq!(
        (c.count(LeadStatus::Pending), c.count(LeadStatus::Calling)),
        (2, 1)
    );
    assert_eq!((c.in_flight, c.attempts, c.hour_starts), (1, 1, 1));

    // The outcome: the lead completes, the slot is released, the outcome is counted.
    let key = reference(&f.campaign, &leads[0]);
    let (done, delta) = completed_after_95_seconds(&calling);
    write_outcome(&f, &key, &calling, &done, &delta)
        .await
        .unwrap();
    let c = f.store.counters(&f.campaign).await.unwrap();
    assert_eq!(
        (
            c.count(LeadStatus::Calling),
            c.count(LeadStatus::Completed),
            c.in_flight
        ),
        (0, 1, 0)
    );
    assert_eq!(c.outcomes.get(&Outcome::Completed), Some(&1));
    assert_eq!(c.talk_seconds, 95);
    assert_eq!(c.total(), 3);

    // A refused write moves no counter: the same outcome again (stale version).
    let again = write_outcome(&f, &key, &calling, &done, &delta).await;
    assert!(matches!(again, Err(WriteError::Refused(Refusal::Stale))));
    assert_eq!(f.store.counters(&f.campaign).await.unwrap(), c);

    // A refused guard moves neither the lead nor the counters.
    let guarded = Guards {
        campaign_status: Some(CampaignStatus::Active),
        ..pacing(10, 100)
    };
    let refused = lease_and_start(&f, &leads[1], guarded).await;
    assert!(
        matches!(refused, Err(WriteError::Refused(Refusal::CampaignStatus))),
        "{refused:?}"
    );
    assert_eq!(f.store.counters(&f.campaign).await.unwrap(), c);
    let stored = f
        .store
        .get_lead(&reference(&f.campaign, &leads[1]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.state.status, LeadStatus::Pending);
    assert_eq!(stored.state.attempts, 0);
}

#[tokio::test]
async fn the_rolling_hour_forgets_a_minute_only_once_it_is_wholly_an_hour_old() {
    let f = fixture("roll").await;
    let l = lead(&f.campaign, 9, t0());
    insert(&f, &l).await;
    lease_and_start(&f, &l, pacing(10, 100)).await.unwrap();
    let counters = f.store.counters(&f.campaign).await.unwrap();
    assert_eq!(counters.hour_starts, 1);
    let start_minute = t0().timestamp() / 60;
    assert_eq!(counters.minute_starts.get(&start_minute), Some(&1));

    // 60 minutes later the start (somewhere in its minute) may still be within the hour.
    let kept = f
        .store
        .roll_hour_window(&f.campaign, &counters, t0() + minutes(60))
        .await
        .unwrap();
    assert_eq!(kept, 0);
    assert_eq!(f.store.counters(&f.campaign).await.unwrap().hour_starts, 1);

    let dropped = f
        .store
        .roll_hour_window(&f.campaign, &counters, t0() + minutes(61))
        .await
        .unwrap();
    assert_eq!(dropped, 1);
    let after = f.store.counters(&f.campaign).await.unwrap();
    assert_eq!(after.hour_starts, 0);
    assert!(after.minute_starts.is_empty());

    // A second roller working from the same (stale) read changes nothing.
    let second = f
        .store
        .roll_hour_window(&f.campaign, &counters, t0() + minutes(61))
        .await;
    assert!(matches!(
        second,
        Err(WriteError::Refused(Refusal::Conflict))
    ));
    assert_eq!(f.store.counters(&f.campaign).await.unwrap().hour_starts, 0);
}

/// Writes `next` over `from` with the counters it moves.
async fn transition(f: &Fixture, lead: &Lead, from: &LeadState, next: &LeadState) {
    let delta = CounterDelta::between(from, next, None);
    f.store
        .write_transition(LeadWrite {
            lead: &reference(&f.campaign, lead),
            expected_version: from.version,
            state: next,
            counters: &delta,
            guards: Guards::default(),
        })
        .await
        .unwrap();
}

async fn changes(f: &Fixture) -> i64 {
    f.store.counters(&f.campaign).await.unwrap().due_changes
}

#[tokio::test]
async fn only_writes_that_can_make_a_lead_due_sooner_count_as_due_changes() {
    let f = fixture("due-changes").await;
    let leads: Vec<Lead> = (0..2).map(|i| lead(&f.campaign, i, t0())).collect();
    for l in &leads {
        insert(&f, l).await;
    }
    assert_eq!(changes(&f).await, 0);
    // New leads are a due change (counted once the import commits them).
    f.store.add_imported(&f.campaign, 2).await.unwrap();
    assert_eq!(changes(&f).await, 1);

    // A lease and a call start only take leads off the index's "due now": no change.
    let calling = lease_and_start(&f, &leads[0], pacing(10, 100))
        .await
        .unwrap();
    assert_eq!(changes(&f).await, 1);
    // A deferral moves a lead later: no change.
    let mut later = leads[1].state.clone();
    later.defer(t0() + minutes(30)).unwrap();
    transition(&f, &leads[1], &leads[1].state, &later).await;
    assert_eq!(changes(&f).await, 1);

    // The call ends in a retry: the lead is due again, possibly before any hint ran out.
    let policy = RetryPolicy::new(
        2,
        chrono::Duration::minutes(1),
        [RetryableOutcome::NoAnswer],
    )
    .unwrap();
    let mut retry = calling.clone();
    retry
        .finish_attempt(
            1,
            &AttemptReport::of(Outcome::NoAnswer),
            AttemptDetails::default(),
            &policy,
            true,
            t0() + minutes(1),
        )
        .unwrap();
    assert_eq!(retry.status, LeadStatus::Scheduled);
    transition(&f, &leads[0], &calling, &retry).await;
    assert_eq!(changes(&f).await, 2);

    // A call that ends for good puts nothing on the index: no change.
    let mut leased = retry.clone();
    leased
        .lease("tok2".into(), t0() + minutes(2), t0() + minutes(5))
        .unwrap();
    transition(&f, &leads[0], &retry, &leased).await;
    let mut again = leased.clone();
    again
        .start_call("tok2", "sim", t0() + minutes(2), t0() + minutes(20))
        .unwrap();
    transition(&f, &leads[0], &leased, &again).await;
    let mut done = again.clone();
    done.finish_attempt(
        2,
        &AttemptReport::of(Outcome::Completed),
        AttemptDetails::default(),
        &policy,
        true,
        t0() + minutes(3),
    )
    .unwrap();
    transition(&f, &leads[0], &again, &done).await;
    assert_eq!(done.status, LeadStatus::Completed);
    assert_eq!(changes(&f).await, 2);
}

#[tokio::test]
async fn a_quiet_hint_holds_until_it_runs_out_or_a_due_change_comes() {
    let f = fixture("quiet-hint").await;
    let l = lead(&f.campaign, 1, t0());
    insert(&f, &l).await;
    f.store.add_imported(&f.campaign, 1).await.unwrap();
    let horizon = minutes(5);
    let read = f.store.counters(&f.campaign).await.unwrap();
    assert!(!read.quiet_at(t0(), horizon), "no hint yet");

    f.store
        .leave_quiet_hint(&f.campaign, &[t0() + minutes(4); 4], read.due_changes)
        .await
        .unwrap();
    let hinted = f.store.counters(&f.campaign).await.unwrap();
    assert!(hinted.quiet_at(t0(), horizon));
    assert!(hinted.quiet_at(t0() + minutes(3), horizon));
    // Per shard: a shard whose next lead is due sooner is not quiet while the others are.
    let mut until = [t0() + minutes(4); 4];
    until[2] = t0() + minutes(1);
    f.store
        .leave_quiet_hint(&f.campaign, &until, read.due_changes)
        .await
        .unwrap();
    let partly = f.store.counters(&f.campaign).await.unwrap();
    assert_eq!(
        partly.quiet_shards(t0() + minutes(2), horizon),
        vec![true, true, false, true]
    );
    assert!(!partly.quiet_at(t0() + minutes(2), horizon));
    f.store
        .leave_quiet_hint(&f.campaign, &[t0() + minutes(4); 4], read.due_changes)
        .await
        .unwrap();
    assert!(!hinted.quiet_at(t0() + minutes(4), horizon), "ran out");
    // A hint reaching past the horizon (a clock far ahead wrote it) is not trusted.
    assert!(!hinted.quiet_at(t0() - minutes(2), horizon));
    // The other counters are untouched by it.
    assert_eq!(hinted.tally(), read.tally());

    // A due change (here: the lead called and given back) lifts it at once.
    let calling = lease_and_start(&f, &l, pacing(10, 100)).await.unwrap();
    assert!(
        f.store
            .counters(&f.campaign)
            .await
            .unwrap()
            .quiet_at(t0(), horizon)
    );
    let mut back = calling.clone();
    back.release_call(1, t0() + minutes(1)).unwrap();
    transition(&f, &l, &calling, &back).await;
    let after = f.store.counters(&f.campaign).await.unwrap();
    assert!(!after.quiet_at(t0(), horizon));

    // A hint left from a read taken before that change never holds.
    f.store
        .leave_quiet_hint(&f.campaign, &[t0() + minutes(4); 4], read.due_changes)
        .await
        .unwrap();
    assert!(
        !f.store
            .counters(&f.campaign)
            .await
            .unwrap()
            .quiet_at(t0(), horizon)
    );
}
