//! A provider account's lines (its simultaneous calls), shared by every tenant and campaign on
//! it: taken by the claim, given back by whatever write ends the call, set-aside leads included.

use adapters::store::keys;
use aws_sdk_dynamodb::types::AttributeValue;
use domain::ids::{CampaignId, CampaignRef, TenantId};
use domain::lead::{CounterDelta, Lead, LeadState};
use ports::store::{Counters, Guards, LeadWrite, Leads, Quarantine, Refusal};
use ports::store::{QuarantineOwner, WriteError};

use crate::support::*;

const ACCOUNT: &str = "vapi:acct-1";

/// Leases `lead` and starts its call on the account, whose `lines` are its simultaneous calls.
async fn start_on_account(
    f: &Fixture,
    campaign: &CampaignRef,
    lead: &Lead,
    lines: u32,
) -> Result<LeadState, WriteError> {
    let key = reference(campaign, lead);
    let mut leased = lead.state.clone();
    leased.lease("tok".into(), t0(), t0() + minutes(3)).unwrap();
    write(f, &key, &lead.state, &leased, Guards::default()).await?;
    let mut calling = leased.clone();
    calling
        .start_call("tok", "vapi", t0(), t0() + minutes(15))
        .unwrap();
    calling.call.as_mut().unwrap().account_slot = Some(ACCOUNT.into());
    let guards = Guards {
        account_lines: Some(lines),
        ..Guards::default()
    };
    write(f, &key, &leased, &calling, guards).await?;
    Ok(calling)
}

async fn write(
    f: &Fixture,
    key: &domain::ids::LeadRef,
    from: &LeadState,
    to: &LeadState,
    guards: Guards,
) -> Result<(), WriteError> {
    let delta = CounterDelta::between(from, to, None);
    f.store
        .write_transition(LeadWrite {
            lead: key,
            expected_version: from.version,
            state: to,
            counters: &delta,
            guards,
        })
        .await
}

/// The account's lines in use, as stored.
async fn lines_in_use(f: &Fixture) -> i64 {
    let item = f
        .store
        .client()
        .get_item()
        .table_name(f.store.table())
        .key(keys::PK, AttributeValue::S(keys::account_lines_pk(ACCOUNT)))
        .key(keys::SK, AttributeValue::S(keys::ACCOUNT_LINES_SK.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    (item.item())
        .and_then(|i| i.get("n"))
        .and_then(|n| n.as_n().ok())
        .map_or(0, |n| n.parse().unwrap())
}

/// Another tenant's Draft campaign on the same table, with one lead in it.
async fn other_tenants_lead(f: &Fixture) -> (CampaignRef, Lead) {
    let campaign = CampaignRef {
        tenant: TenantId::parse("tenant-b").unwrap(),
        campaign: CampaignId::parse("camp-b").unwrap(),
    };
    tenant_with_campaign(&f.store, &campaign).await;
    let l = lead(&campaign, 40, t0());
    f.store
        .insert_leads(&campaign, std::slice::from_ref(&l), 1)
        .await
        .unwrap();
    (campaign, l)
}

#[tokio::test]
async fn the_accounts_lines_are_shared_by_every_tenant_and_freed_when_a_call_ends() {
    let f = fixture("account-lines").await;
    let (mine, theirs) = (lead(&f.campaign, 1, t0()), lead(&f.campaign, 2, t0()));
    insert(&f, &mine).await;
    insert(&f, &theirs).await;
    let first = start_on_account(&f, &f.campaign, &mine, 2).await.unwrap();
    start_on_account(&f, &f.campaign, &theirs, 2).await.unwrap();
    assert_eq!(lines_in_use(&f).await, 2);

    // Another tenant's campaign, with its own pacing room, finds no line free.
    let (campaign_b, lead_b) = other_tenants_lead(&f).await;
    let refused = start_on_account(&f, &campaign_b, &lead_b, 2).await;
    assert!(
        matches!(refused, Err(WriteError::Refused(Refusal::AccountLines))),
        "{refused:?}"
    );
    let stored = (f.store.get_lead(&reference(&campaign_b, &lead_b)).await)
        .unwrap()
        .unwrap();
    assert_eq!(stored.state.attempts, 0, "a refused line spends no attempt");
    assert_eq!(f.store.counters(&campaign_b).await.unwrap().in_flight, 0);

    // The first call given back before it was placed frees its line for the other tenant.
    let mut released = first.clone();
    released.release_call(1, t0() + minutes(1)).unwrap();
    let key = reference(&f.campaign, &mine);
    write(&f, &key, &first, &released, Guards::default())
        .await
        .unwrap();
    assert_eq!(lines_in_use(&f).await, 1);
    // The stored lead still holds the refused claim's lease: its claim, tried again, wins.
    let stored_lead = Lead {
        state: stored.state.clone(),
        ..lead_b.clone()
    };
    let key_b = reference(&campaign_b, &lead_b);
    let mut calling = stored_lead.state.clone();
    calling
        .start_call("tok", "vapi", t0(), t0() + minutes(15))
        .unwrap();
    calling.call.as_mut().unwrap().account_slot = Some(ACCOUNT.into());
    let guards = Guards {
        account_lines: Some(2),
        ..Guards::default()
    };
    write(&f, &key_b, &stored_lead.state, &calling, guards)
        .await
        .unwrap();
    assert_eq!(lines_in_use(&f).await, 2);
}

#[tokio::test]
async fn a_live_call_set_aside_with_damaged_data_gives_its_line_back() {
    let f = fixture("account-lines-quarantine").await;
    let l = lead(&f.campaign, 3, t0());
    insert(&f, &l).await;
    start_on_account(&f, &f.campaign, &l, 5).await.unwrap();
    assert_eq!(lines_in_use(&f).await, 1);
    // A bad migration rewrites the lead's state: its item no longer decodes.
    let (pk, sk) = keys::lead_key(&reference(&f.campaign, &l));
    crate::quarantine::overwrite(&f, pk, sk, "state", "{not json").await;
    // Reading it sets it aside.
    assert!(
        (f.store.get_lead(&reference(&f.campaign, &l)).await)
            .unwrap()
            .is_none()
    );
    let listed = (f.store)
        .quarantined(QuarantineOwner::Campaign(&f.campaign))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(f.store.counters(&f.campaign).await.unwrap().in_flight, 0);
    assert_eq!(
        lines_in_use(&f).await,
        0,
        "the account's line is free again"
    );
}
