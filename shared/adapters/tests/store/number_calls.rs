//! A number's call ledger: the claim adds its call on the condition of the version counted,
//! so concurrent claims to one number (from any of the tenant's campaigns) admit one; a
//! released call comes off; calls too old to count are dropped by the next claim.

use chrono::Duration;
use domain::lead::Lead;
use domain::phone::E164;
use domain::status::LeadStatus;
use ports::store::{Guards, Leads, NumberCallGuard, NumberCallRelease, NumberCalls};
use ports::store::{Refusal, WriteError};

use crate::counters::lease_and_start;
use crate::support::*;

fn shared_number() -> E164 {
    E164::parse_strict("+12125550199").unwrap()
}

fn key_of(f: &Fixture, lead: &Lead) -> String {
    NumberCalls::key(&f.campaign, &lead.id, 1)
}

fn recording(f: &Fixture, lead: &Lead, expected_version: u64, forget: Vec<String>) -> Guards {
    Guards {
        record_number_call: Some(NumberCallGuard {
            number: shared_number(),
            expected_version,
            key: key_of(f, lead),
            at: t0(),
            forget,
        }),
        ..Guards::default()
    }
}

async fn ledger(f: &Fixture) -> NumberCalls {
    (f.store)
        .number_calls(&f.campaign.tenant, &shared_number())
        .await
        .unwrap()
}

#[tokio::test]
async fn concurrent_claims_counted_on_one_ledger_version_admit_exactly_one_call() {
    let f = fixture("ledger-race").await;
    let leads: Vec<_> = (0..8).map(|i| lead(&f.campaign, i, t0())).collect();
    for l in &leads {
        insert(&f, l).await;
    }
    let claims = leads
        .iter()
        .map(|l| lease_and_start(&f, l, recording(&f, l, 0, Vec::new())));
    let results = futures::future::join_all(claims).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    for r in results.iter().filter(|r| r.is_err()) {
        assert!(
            matches!(
                r,
                Err(WriteError::Refused(
                    Refusal::NumberCallsMoved | Refusal::Conflict
                ))
            ),
            "{r:?}"
        );
    }
    let ledger = ledger(&f).await;
    assert_eq!(ledger.version, 1);
    assert_eq!(ledger.calls.len(), 1);
    assert_eq!(ledger.starts(), vec![t0()]);
    // The losers changed nothing: none of them is on a call.
    let calling = f.store.all_leads(&f.campaign).await.unwrap();
    let on_call = calling
        .iter()
        .filter(|l| l.state.status == LeadStatus::Calling)
        .count();
    assert_eq!(on_call, 1);
}

#[tokio::test]
async fn a_claim_on_the_version_it_read_adds_its_call_and_drops_the_ones_it_names() {
    let f = fixture("ledger-next").await;
    let (first, second) = (lead(&f.campaign, 0, t0()), lead(&f.campaign, 1, t0()));
    insert(&f, &first).await;
    insert(&f, &second).await;
    lease_and_start(&f, &first, recording(&f, &first, 0, Vec::new()))
        .await
        .unwrap();
    let stale = lease_and_start(&f, &second, recording(&f, &second, 0, Vec::new())).await;
    assert!(matches!(
        stale,
        Err(WriteError::Refused(Refusal::NumberCallsMoved))
    ));
    let forget = vec![key_of(&f, &first)];
    let third = lead(&f.campaign, 2, t0());
    insert(&f, &third).await;
    lease_and_start(&f, &third, recording(&f, &third, 1, forget))
        .await
        .unwrap();
    let ledger = ledger(&f).await;
    assert_eq!(ledger.version, 2);
    assert_eq!(
        ledger.calls.keys().cloned().collect::<Vec<_>>(),
        vec![key_of(&f, &third)]
    );
}

#[tokio::test]
async fn a_released_call_leaves_the_ledger_and_a_release_without_a_ledger_still_succeeds() {
    let f = fixture("ledger-release").await;
    let (first, second) = (lead(&f.campaign, 0, t0()), lead(&f.campaign, 1, t0()));
    insert(&f, &first).await;
    insert(&f, &second).await;
    let calling = lease_and_start(&f, &first, recording(&f, &first, 0, Vec::new()))
        .await
        .unwrap();
    let release = |l: &Lead, number: E164| Guards {
        forget_number_call: Some(NumberCallRelease {
            number,
            key: key_of(&f, l),
            started_at: t0(),
        }),
        ..Guards::default()
    };
    let mut released = calling.clone();
    released
        .release_call(1, t0() + Duration::minutes(1))
        .unwrap();
    write(
        &f,
        &first,
        &calling,
        &released,
        release(&first, shared_number()),
    )
    .await
    .unwrap();
    let ledger = ledger(&f).await;
    assert!(ledger.calls.is_empty(), "{ledger:?}");
    // A number that never had a ledger (or whose ledger expired): the release goes through.
    let calling = lease_and_start(&f, &second, Guards::default())
        .await
        .unwrap();
    let mut released = calling.clone();
    released
        .release_call(1, t0() + Duration::minutes(1))
        .unwrap();
    let elsewhere = E164::parse_strict("+13055550100").unwrap();
    write(
        &f,
        &second,
        &calling,
        &released,
        release(&second, elsewhere),
    )
    .await
    .unwrap();
}

async fn write(
    f: &Fixture,
    lead: &Lead,
    from: &domain::lead::LeadState,
    to: &domain::lead::LeadState,
    guards: Guards,
) -> Result<(), WriteError> {
    let key = reference(&f.campaign, lead);
    let delta = domain::lead::CounterDelta::between(from, to, None);
    f.store
        .write_transition(ports::store::LeadWrite {
            lead: &key,
            expected_version: from.version,
            state: to,
            counters: &delta,
            guards,
        })
        .await
}
