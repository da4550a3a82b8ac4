use domain::lead::{CounterDelta, DueKind, Lead};
use domain::status::LeadStatus;
use ports::store::{DueBatch, DueRead, Guards, InsertOutcome, LeadWrite};
use ports::store::{DueLeads, Leads};
use ports::store::{Refusal, WriteError};

use crate::support::*;

async fn write(
    f: &Fixture,
    lead: &domain::lead::Lead,
    before: u64,
    state: &domain::lead::LeadState,
) -> Result<(), WriteError> {
    let key = reference(&f.campaign, lead);
    let delta = CounterDelta::default();
    f.store
        .write_transition(LeadWrite {
            lead: &key,
            expected_version: before,
            state,
            counters: &delta,
            guards: Guards::default(),
        })
        .await
}

#[tokio::test]
async fn a_stale_writers_conditional_transition_is_refused() {
    let f = fixture("stale").await;
    let lead = lead(&f.campaign, 1, t0());
    insert(&f, &lead).await;

    // Two writers read version 1 and compute different transitions.
    let mut leased = lead.state.clone();
    leased
        .lease("tick-a".into(), t0(), t0() + minutes(3))
        .unwrap();
    let mut deferred = lead.state.clone();
    deferred.defer(t0() + minutes(60)).unwrap();

    write(&f, &lead, 1, &leased).await.unwrap();
    let refused = write(&f, &lead, 1, &deferred).await;
    assert!(
        matches!(refused, Err(WriteError::Refused(Refusal::Stale))),
        "{refused:?}"
    );

    let stored = f
        .store
        .get_lead(&reference(&f.campaign, &lead))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.state, leased, "the first writer's state stands");
}

#[tokio::test]
async fn of_many_concurrent_claimers_of_one_lead_exactly_one_wins() {
    let f = fixture("claim").await;
    let lead = lead(&f.campaign, 2, t0());
    insert(&f, &lead).await;

    let attempts = (0..8).map(|i| {
        let mut state = lead.state.clone();
        state
            .lease(format!("tick-{i}"), t0(), t0() + minutes(3))
            .unwrap();
        let f = &f;
        let lead = &lead;
        async move { write(f, lead, 1, &state).await.map(|()| state) }
    });
    let results = futures::future::join_all(attempts).await;
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for loser in results.iter().filter(|r| r.is_err()) {
        assert!(matches!(loser, Err(WriteError::Refused(Refusal::Stale))));
    }
    let stored = f
        .store
        .get_lead(&reference(&f.campaign, &lead))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&stored.state, winners[0]);
}

#[tokio::test]
async fn putting_a_lead_that_exists_does_not_overwrite_it() {
    let f = fixture("dedupe").await;
    let original = lead(&f.campaign, 3, t0());
    assert_eq!(
        f.store
            .insert_leads(&f.campaign, std::slice::from_ref(&original), 1)
            .await
            .unwrap()
            .remove(0),
        InsertOutcome::Inserted
    );

    // The lead makes progress...
    let mut calling = original.state.clone();
    calling.lease("t".into(), t0(), t0() + minutes(3)).unwrap();
    write(&f, &original, 1, &calling).await.unwrap();
    let before = calling.version;
    calling
        .start_call("t", "sim", t0(), t0() + minutes(15))
        .unwrap();
    write(&f, &original, before, &calling).await.unwrap();

    // ...then the same number is imported again, from another file.
    let mut again = lead(&f.campaign, 3, t0());
    again.source.import_id = domain::ids::ImportId::parse("imp-2").unwrap();
    again.contact.name = Some("Someone else".into());
    let outcome = f
        .store
        .insert_leads(&f.campaign, std::slice::from_ref(&again), 1)
        .await
        .unwrap();
    assert_eq!(
        outcome[0],
        InsertOutcome::Exists {
            source: original.source.clone()
        }
    );

    let stored = f
        .store
        .get_lead(&reference(&f.campaign, &original))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.state.status, LeadStatus::Calling);
    assert_eq!(stored.state.attempts, 1);
    assert_eq!(stored.contact.name.as_deref(), Some("Lead 3"));
}

/// The leads due at `t0()` from the due index, looking ahead to `look_until`.
async fn scan(
    f: &Fixture,
    look_until: chrono::DateTime<chrono::Utc>,
    batch: DueBatch,
    first_shard: u8,
    skip: &[bool],
) -> ports::store::DueScan {
    let read = DueRead {
        kind: DueKind::Dial,
        due_by: t0(),
        look_until,
        batch,
        first_shard,
        skip,
    };
    f.store.scan_due(&f.campaign, read).await.unwrap()
}

/// A fixture with ten leads due 50 minutes before to 40 minutes after `t0`, inserted out of
/// order across shards; the leads due at `t0` as the index returns them (in due order).
async fn ten_leads_due_around_t0(label: &str) -> (Fixture, Vec<Lead>) {
    let f = fixture(label).await;
    // Leads due at -50, -40, ..., +40 minutes, inserted out of order, across shards.
    let offsets = [20, -10, -50, 40, -30, 0, -20, 10, -40, 30];
    for (i, offset) in offsets.iter().enumerate() {
        let l = lead(&f.campaign, i as u32, t0() + minutes(*offset));
        insert(&f, &l).await;
    }
    let due = f
        .store
        .due_leads(&f.campaign, DueKind::Dial, t0(), DueBatch::up_to(100), 0)
        .await
        .unwrap();
    (f, due)
}

/// The due leads' shards: the shard of the earliest, and how many due leads it holds.
fn first_shard_of(due: &[Lead]) -> (u8, usize) {
    let first_shard = due[0].id.shard(ports::store::LEAD_SHARDS);
    let in_first_shard = due
        .iter()
        .filter(|l| l.id.shard(ports::store::LEAD_SHARDS) == first_shard)
        .count();
    (first_shard, in_first_shard)
}

#[tokio::test]
async fn the_due_index_returns_only_due_leads_in_due_order() {
    let (f, due) = ten_leads_due_around_t0("due").await;
    let due_at: Vec<i64> = due
        .iter()
        .map(|l| (l.state.next_call_at.unwrap() - t0()).num_minutes())
        .collect();
    assert_eq!(due_at, vec![-50, -40, -30, -20, -10, 0]);

    // A limit takes the earliest of what it reads, still in order.
    let first_two = f
        .store
        .due_leads(&f.campaign, DueKind::Dial, t0(), DueBatch::up_to(2), 0)
        .await
        .unwrap();
    assert_eq!(first_two.len(), 2);
    assert!(first_two[0].state.next_call_at <= first_two[1].state.next_call_at);

    // Nothing is due for calls-in-progress deadlines.
    assert!(
        f.store
            .due_leads(
                &f.campaign,
                DueKind::CallDeadline,
                t0(),
                DueBatch::up_to(100),
                0
            )
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_shard_that_holds_enough_due_leads_spares_reading_the_others() {
    let (f, due) = ten_leads_due_around_t0("due-enough").await;
    // A shard that holds enough spares reading the others: with `enough` = 1, only the first
    // shard (that has any due lead) is read, and all of its due leads up to `most` come back.
    let (first_shard, in_first_shard) = first_shard_of(&due);
    let one_shard = f
        .store
        .due_leads(
            &f.campaign,
            DueKind::Dial,
            t0(),
            DueBatch {
                enough: 1,
                most: 100,
            },
            first_shard,
        )
        .await
        .unwrap();
    assert_eq!(one_shard.len(), in_first_shard);
    assert!(
        one_shard
            .iter()
            .all(|l| l.id.shard(ports::store::LEAD_SHARDS) == first_shard)
    );
    assert!(in_first_shard < due.len(), "the due leads span shards");
}

#[tokio::test]
async fn a_due_scan_looks_ahead_in_the_same_reads_and_says_whether_it_saw_everything() {
    let (f, due) = ten_leads_due_around_t0("due-scan").await;
    let (first_shard, in_first_shard) = first_shard_of(&due);
    // Looking ahead in the same reads: only due leads come back, the next later one is named,
    // and the scan says it saw every due lead.
    let ahead = scan(&f, t0() + minutes(25), DueBatch::up_to(100), 0, &[]).await;
    assert_eq!(
        ahead.due.iter().map(|l| l.id.clone()).collect::<Vec<_>>(),
        due.iter().map(|l| l.id.clone()).collect::<Vec<_>>()
    );
    assert_eq!(ahead.next_due(), Some(t0() + minutes(10)));
    assert!(ahead.complete());
    // Nothing later within the look-ahead: no next time, still complete.
    let near = scan(&f, t0() + minutes(5), DueBatch::up_to(100), 0, &[]).await;
    assert_eq!(
        (near.due.len(), near.next_due(), near.complete()),
        (6, None, true)
    );
    // A scan that stopped early (enough found, or the batch full) does not claim to be complete.
    let stopped = scan(
        &f,
        t0() + minutes(25),
        DueBatch {
            enough: 1,
            most: 100,
        },
        first_shard,
        &[],
    )
    .await;
    assert!(!stopped.complete());
    let full = scan(&f, t0() + minutes(25), DueBatch::up_to(3), 0, &[]).await;
    assert_eq!(full.due.len(), 3);
    assert!(!full.complete());
    // Shards marked to skip are not read: only the others' due leads come back.
    let skip: Vec<bool> = (0..ports::store::LEAD_SHARDS)
        .map(|s| s == first_shard)
        .collect();
    let others = scan(&f, t0() + minutes(25), DueBatch::up_to(100), 0, &skip).await;
    assert_eq!(others.due.len(), due.len() - in_first_shard);
    assert_eq!(
        others.shards[usize::from(first_shard)],
        ports::store::ShardRead::NotRead
    );
    assert!(!others.complete());
}

#[tokio::test]
async fn a_claimed_lead_leaves_the_due_index_until_its_lease_lapses_and_a_finished_one_for_good() {
    let f = fixture("lease").await;
    let l = lead(&f.campaign, 4, t0());
    insert(&f, &l).await;
    let due_now = |at| {
        let f = &f;
        async move {
            f.store
                .due_leads(&f.campaign, DueKind::Dial, at, DueBatch::up_to(10), 0)
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(due_now(t0()).await, 1);

    let mut state = l.state.clone();
    state.lease("t".into(), t0(), t0() + minutes(3)).unwrap();
    write(&f, &l, 1, &state).await.unwrap();
    assert_eq!(
        due_now(t0() + minutes(2)).await,
        0,
        "leased: not offered again"
    );
    assert_eq!(
        due_now(t0() + minutes(3)).await,
        1,
        "lease lapsed: offered again"
    );

    // On a call it is due only as a call deadline.
    let v = state.version;
    state
        .start_call("t", "sim", t0() + minutes(1), t0() + minutes(16))
        .unwrap();
    write(&f, &l, v, &state).await.unwrap();
    assert_eq!(due_now(t0() + minutes(60)).await, 0);
    let overdue = f
        .store
        .due_leads(
            &f.campaign,
            DueKind::CallDeadline,
            t0() + minutes(16),
            DueBatch::up_to(10),
            0,
        )
        .await
        .unwrap();
    assert_eq!(overdue.len(), 1);

    // Finished: gone from every part of the index.
    let v = state.version;
    let policy = domain::retry::RetryPolicy::new(0, chrono::Duration::hours(1), []).unwrap();
    state
        .finish_attempt(
            1,
            &domain::retry::AttemptReport::of(domain::retry::Outcome::Completed),
            Default::default(),
            &policy,
            true,
            t0() + minutes(5),
        )
        .unwrap();
    write(&f, &l, v, &state).await.unwrap();
    let far = t0() + minutes(100_000);
    assert_eq!(due_now(far).await, 0);
    assert!(
        f.store
            .due_leads(
                &f.campaign,
                DueKind::CallDeadline,
                far,
                DueBatch::up_to(10),
                0
            )
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_listing_by_status_reads_whole_leads_from_the_table_though_the_index_holds_only_keys() {
    let f = fixture("by-status").await;
    let leads: Vec<Lead> = (1..=3).map(|n| lead(&f.campaign, n, t0())).collect();
    for l in &leads {
        insert(&f, l).await;
    }
    let mut calling = leads[1].state.clone();
    calling.lease("t".into(), t0(), t0() + minutes(3)).unwrap();
    calling
        .start_call("t", "sim", t0(), t0() + minutes(15))
        .unwrap();
    write(&f, &leads[1], 1, &calling).await.unwrap();

    // The index entries are keys only: no lead document is paid for a second time there.
    let entries = f
        .store
        .client()
        .scan()
        .table_name(f.store.table())
        .index_name("by_status")
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    assert_eq!(entries.len(), 3);
    assert!(
        entries
            .iter()
            .all(|e| !e.contains_key("doc") && !e.contains_key("state"))
    );

    let (pending, next) = f
        .store
        .list_leads(&f.campaign, Some(LeadStatus::Pending), None, 10)
        .await
        .unwrap();
    assert!(next.is_none());
    let mut names: Vec<_> = pending.iter().map(|l| l.contact.name.clone()).collect();
    names.sort();
    assert_eq!(names, [Some("Lead 1".into()), Some("Lead 3".into())]);
    let (on_call, _) = f
        .store
        .list_leads(&f.campaign, Some(LeadStatus::Calling), None, 10)
        .await
        .unwrap();
    assert_eq!(on_call.len(), 1);
    assert_eq!(on_call[0].contact.name.as_deref(), Some("Lead 2"));
    assert_eq!(on_call[0].state.status, LeadStatus::Calling);
}
