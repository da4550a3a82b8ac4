use adapters::store::{Guards, LeadWrite, PacingGuard, Refusal, WriteError};
use domain::lead::{AttemptDetails, CounterDelta, Lead, LeadState};
use domain::retry::{AttemptReport, Outcome, RetryPolicy};
use domain::status::{CampaignStatus, LeadStatus};

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

#[tokio::test]
async fn counters_move_atomically_with_the_leads_that_move_them() {
    let f = fixture("counters").await;
    let leads: Vec<Lead> = (0..3).map(|i| lead(&f.campaign, i, t0())).collect();
    for l in &leads {
        f.store.insert_lead(&f.campaign, l).await.unwrap();
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
    let delta = CounterDelta::between(&calling, &done, Some(&record));
    f.store
        .write_transition(LeadWrite {
            lead: &key,
            expected_version: calling.version,
            state: &done,
            counters: &delta,
            guards: Guards::default(),
        })
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
    let again = f
        .store
        .write_transition(LeadWrite {
            lead: &key,
            expected_version: calling.version,
            state: &done,
            counters: &delta,
            guards: Guards::default(),
        })
        .await;
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
    f.store.insert_lead(&f.campaign, &l).await.unwrap();
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
