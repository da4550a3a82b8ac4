use domain::status::{CampaignStatus, LeadStatus};
use ports::store::CampaignStatuses;
use ports::store::{Counters, DoNotCall, Leads};
use ports::store::{CpsGuard, Guards, PacingGuard, Refusal, WriteError};

use crate::counters::lease_and_start;
use crate::support::*;

fn pacing(max_concurrent: u32, calls_per_hour: u32) -> Option<PacingGuard> {
    Some(PacingGuard {
        max_concurrent,
        calls_per_hour,
        epoch_minute: t0().timestamp() / 60,
    })
}

#[tokio::test]
async fn a_call_beyond_the_concurrency_limit_is_refused() {
    let f = fixture("concurrency").await;
    let mut results = Vec::new();
    for i in 0..3 {
        let l = lead(&f.campaign, i, t0());
        insert(&f, &l).await;
        results.push(
            lease_and_start(
                &f,
                &l,
                Guards {
                    pacing: pacing(2, 100),
                    ..Guards::default()
                },
            )
            .await,
        );
    }
    assert!(results[0].is_ok() && results[1].is_ok());
    assert!(
        matches!(results[2], Err(WriteError::Refused(Refusal::Pacing))),
        "{:?}",
        results[2]
    );
    let counters = f.store.counters(&f.campaign).await.unwrap();
    assert_eq!(counters.in_flight, 2);
    assert_eq!(counters.count(LeadStatus::Calling), 2);
    // The refused transaction changed none of its items: the third lead keeps its lease.
    let third = lead(&f.campaign, 2, t0());
    let stored = f
        .store
        .get_lead(&reference(&f.campaign, &third))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.state.status, LeadStatus::Pending);
    assert!(stored.state.lease.is_some() && stored.state.call.is_none());
    assert_eq!(stored.state.attempts, 0);
}

#[tokio::test]
async fn a_call_beyond_the_hourly_cap_is_refused() {
    let f = fixture("hourly").await;
    let mut outcomes = Vec::new();
    for i in 0..3 {
        let l = lead(&f.campaign, i, t0());
        insert(&f, &l).await;
        outcomes.push(
            lease_and_start(
                &f,
                &l,
                Guards {
                    pacing: pacing(50, 2),
                    ..Guards::default()
                },
            )
            .await
            .is_ok(),
        );
    }
    assert_eq!(outcomes, vec![true, true, false]);
    assert_eq!(f.store.counters(&f.campaign).await.unwrap().hour_starts, 2);
}

#[tokio::test]
async fn concurrent_starts_never_overfill_the_concurrency_limit() {
    let f = fixture("race").await;
    let leads: Vec<_> = (0..10).map(|i| lead(&f.campaign, i, t0())).collect();
    for l in &leads {
        insert(&f, l).await;
    }
    let starts = leads.iter().map(|l| {
        lease_and_start(
            &f,
            l,
            Guards {
                pacing: pacing(3, 1000),
                ..Guards::default()
            },
        )
    });
    let results = futures::future::join_all(starts).await;
    let started = results.iter().filter(|r| r.is_ok()).count();
    // Conflicting transactions may be refused as conflicts; never more than the limit start.
    assert!((1..=3).contains(&started), "{started}");
    let counters = f.store.counters(&f.campaign).await.unwrap();
    assert_eq!(counters.in_flight, started as i64);
    assert_eq!(counters.count(LeadStatus::Calling), started as i64);
}

#[tokio::test]
async fn a_number_on_the_dnc_list_cannot_be_moved_to_calling() {
    let f = fixture("dnc").await;
    let l = lead(&f.campaign, 5, t0());
    insert(&f, &l).await;
    f.store
        .add_dnc(&f.campaign.tenant, &l.contact.phone, "api", t0())
        .await
        .unwrap();
    let guards = Guards {
        not_on_dnc: Some(l.contact.phone.clone()),
        ..Guards::default()
    };
    let result = lease_and_start(&f, &l, guards).await;
    assert!(
        matches!(result, Err(WriteError::Refused(Refusal::DoNotCall))),
        "{result:?}"
    );

    // Removed from the list (recorded: who and when), it may be called.
    let removed = f
        .store
        .remove_dnc(&f.campaign.tenant, &l.contact.phone, "key-1", t0())
        .await
        .unwrap()
        .expect("it was on the list");
    assert_eq!(
        (removed.removed_by.as_str(), removed.removed_at),
        ("key-1", t0())
    );
    assert_eq!(
        f.store.dnc_removals(&f.campaign.tenant, 10).await.unwrap(),
        vec![removed],
        "the removal is on record"
    );
    let again = f
        .store
        .remove_dnc(&f.campaign.tenant, &l.contact.phone, "key-1", t0())
        .await
        .unwrap();
    assert_eq!(again, None, "removing it again records nothing");
    assert!(
        !ports::store::is_dnc(&f.store, &f.campaign.tenant, &l.contact.phone)
            .await
            .unwrap()
    );
    let stored = f
        .store
        .get_lead(&reference(&f.campaign, &l))
        .await
        .unwrap()
        .unwrap();
    let guards = Guards {
        not_on_dnc: Some(l.contact.phone.clone()),
        ..Guards::default()
    };
    assert!(lease_and_start_from(&f, stored, guards).await.is_ok());
}

async fn lease_and_start_from(
    f: &Fixture,
    lead: domain::lead::Lead,
    guards: Guards,
) -> Result<(), WriteError> {
    // The lead already holds a lease from the refused attempt ("tok"); start with it.
    let key = reference(&f.campaign, &lead);
    let mut calling = lead.state.clone();
    calling
        .start_call("tok", "sim", t0(), t0() + minutes(15))
        .unwrap();
    let delta = domain::lead::CounterDelta::between(&lead.state, &calling, None);
    f.store
        .write_transition(ports::store::LeadWrite {
            lead: &key,
            expected_version: lead.state.version,
            state: &calling,
            counters: &delta,
            guards,
        })
        .await
}

#[tokio::test]
async fn the_provider_rate_token_allows_only_the_limit_per_second() {
    let f = fixture("cps").await;
    let second = t0().timestamp();
    let mut outcomes = Vec::new();
    for i in 0..3 {
        let l = lead(&f.campaign, i, t0());
        insert(&f, &l).await;
        let guards = Guards {
            provider_rate: Some(CpsGuard {
                account: "acct".into(),
                epoch_second: second,
                limit: 2,
                tenant: None,
            }),
            ..Guards::default()
        };
        outcomes.push(lease_and_start(&f, &l, guards).await);
    }
    assert!(outcomes[0].is_ok() && outcomes[1].is_ok());
    assert!(matches!(
        outcomes[2],
        Err(WriteError::Refused(Refusal::ProviderRate))
    ));
    // The next second has a fresh budget.
    let l = lead(&f.campaign, 7, t0());
    insert(&f, &l).await;
    let guards = Guards {
        provider_rate: Some(CpsGuard {
            account: "acct".into(),
            epoch_second: second + 1,
            limit: 2,
            tenant: None,
        }),
        ..Guards::default()
    };
    assert!(lease_and_start(&f, &l, guards).await.is_ok());
}

#[tokio::test]
async fn one_tenant_takes_only_its_share_of_a_shared_accounts_second() {
    let f = fixture("cps-share").await;
    let second = t0().timestamp();
    let start = |i: u32, tenant: &str| {
        let f = &f;
        let tenant = domain::ids::TenantId::parse(tenant).unwrap();
        async move {
            let l = lead(&f.campaign, i, t0());
            insert(f, &l).await;
            let guards = Guards {
                provider_rate: Some(CpsGuard {
                    account: "shared".into(),
                    epoch_second: second,
                    limit: 4,
                    tenant: Some((tenant, 2)),
                }),
                ..Guards::default()
            };
            lease_and_start(f, &l, guards).await
        }
    };
    assert!(start(0, "busy").await.is_ok());
    assert!(start(1, "busy").await.is_ok());
    let third = start(2, "busy").await;
    assert!(
        matches!(third, Err(WriteError::Refused(Refusal::ProviderRate))),
        "the busy tenant's share is spent: {third:?}"
    );
    // The account still has room this second, and another tenant gets it.
    assert!(start(3, "quiet").await.is_ok());
    assert!(start(4, "quiet").await.is_ok());
    assert!(
        matches!(
            start(5, "third").await,
            Err(WriteError::Refused(Refusal::ProviderRate))
        ),
        "and the account's own limit still holds"
    );
}

#[tokio::test]
async fn a_call_cannot_start_unless_the_campaign_is_in_the_required_status() {
    let f = fixture("status").await;
    let l = lead(&f.campaign, 6, t0());
    insert(&f, &l).await;
    f.store
        .set_campaign_status(
            &f.campaign,
            CampaignStatus::Draft,
            CampaignStatus::Active,
            t0(),
        )
        .await
        .unwrap();
    let guards = Guards {
        campaign_status: Some(CampaignStatus::Active),
        ..Guards::default()
    };
    assert!(lease_and_start(&f, &l, guards.clone()).await.is_ok());

    f.store
        .set_campaign_status(
            &f.campaign,
            CampaignStatus::Active,
            CampaignStatus::Paused,
            t0(),
        )
        .await
        .unwrap();
    let other = lead(&f.campaign, 8, t0());
    insert(&f, &other).await;
    let refused = lease_and_start(&f, &other, guards).await;
    assert!(matches!(
        refused,
        Err(WriteError::Refused(Refusal::CampaignStatus))
    ));
    // The status change itself is conditional too.
    let stale = f
        .store
        .set_campaign_status(
            &f.campaign,
            CampaignStatus::Active,
            CampaignStatus::Paused,
            t0(),
        )
        .await;
    assert!(matches!(
        stale,
        Err(WriteError::Refused(Refusal::CampaignStatus))
    ));
}

#[tokio::test]
async fn a_tenants_dialing_mark_counts_until_it_runs_out_and_a_later_mark_replaces_it() {
    use ports::store::AccountDemand;
    let f = fixture("demand").await;
    let (a, b) = (
        domain::ids::TenantId::parse("tenant-a").unwrap(),
        domain::ids::TenantId::parse("tenant-b").unwrap(),
    );
    let s = chrono::Duration::seconds;
    f.store
        .mark_dialing("AC1", &a, 1, t0() + s(30))
        .await
        .unwrap();
    f.store
        .mark_dialing("AC1", &b, 4, t0() + s(10))
        .await
        .unwrap();
    f.store
        .mark_dialing("AC2", &b, 4, t0() + s(30))
        .await
        .unwrap();
    let mut on = f.store.dialing_on("AC1", t0()).await.unwrap();
    on.sort();
    assert_eq!(on, vec![(a.clone(), 1), (b.clone(), 4)]);
    // b's mark on AC1 ran out; its mark on another account is not this one's.
    assert_eq!(
        f.store.dialing_on("AC1", t0() + s(10)).await.unwrap(),
        vec![(a.clone(), 1)]
    );
    f.store
        .mark_dialing("AC1", &a, 2, t0() + s(60))
        .await
        .unwrap();
    assert_eq!(
        f.store.dialing_on("AC1", t0() + s(45)).await.unwrap(),
        vec![(a, 2)]
    );
    assert!(f.store.dialing_on("AC3", t0()).await.unwrap().is_empty());
}
