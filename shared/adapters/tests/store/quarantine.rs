//! Items that no longer decode are set aside once and block nothing.

use adapters::store::keys;
use aws_sdk_dynamodb::types::AttributeValue;
use domain::lead::DueKind;
use ports::store::{Agents, Counters, DueLeads, Leads, Quarantine};
use ports::store::{DueBatch, DueRead, QuarantineOwner};

use crate::support::*;

/// Overwrites one attribute of an item, as a bad migration would.
pub(crate) async fn overwrite(f: &Fixture, pk: String, sk: String, attr: &str, value: &str) {
    f.store
        .client()
        .update_item()
        .table_name(f.store.table())
        .key(keys::PK, AttributeValue::S(pk))
        .key(keys::SK, AttributeValue::S(sk))
        .update_expression("SET #a = :v")
        .expression_attribute_names("#a", attr)
        .expression_attribute_values(":v", AttributeValue::S(value.into()))
        .send()
        .await
        .unwrap();
}

async fn due_now(f: &Fixture) -> Vec<domain::lead::Lead> {
    let read = DueRead {
        kind: DueKind::Dial,
        due_by: t0() + minutes(1),
        look_until: t0() + minutes(1),
        batch: DueBatch::up_to(10),
        first_shard: 0,
        skip: &[],
    };
    f.store.scan_due(&f.campaign, read).await.unwrap().due
}

#[tokio::test]
async fn a_lead_that_does_not_decode_leaves_the_due_index_once_and_is_listed_with_its_key() {
    let f = fixture("quarantine-lead").await;
    let leads: Vec<_> = (1..=3).map(|n| lead(&f.campaign, n, t0())).collect();
    for l in &leads {
        insert(&f, l).await;
    }
    let (pk, sk) = keys::lead_key(&reference(&f.campaign, &leads[1]));
    overwrite(&f, pk, sk.clone(), "state", "{not json").await;

    // The tick's read gets the other two, and again on the next read: no error either time.
    for _ in 0..2 {
        let due = due_now(&f).await;
        assert_eq!(due.len(), 2);
        assert!(due.iter().all(|l| l.id != leads[1].id));
    }
    // The dialer's read sees nothing to call; lists skip it.
    let read = f
        .store
        .get_lead(&reference(&f.campaign, &leads[1]))
        .await
        .unwrap();
    assert!(read.is_none());
    assert_eq!(f.store.all_leads(&f.campaign).await.unwrap().len(), 2);

    // Recorded once, with its key; counted once on the counters.
    let listed = f
        .store
        .quarantined(QuarantineOwner::Campaign(&f.campaign))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].kind, "lead");
    assert!(listed[0].key.ends_with(&sk), "{listed:?}");
    assert_eq!(f.store.counters(&f.campaign).await.unwrap().quarantined, 1);
}

#[tokio::test]
async fn an_agent_that_does_not_decode_is_left_out_of_the_list_and_reported_for_its_tenant() {
    let f = fixture("quarantine-agent").await;
    let tenant = f.campaign.tenant.clone();
    for name in ["a1", "a2"] {
        let record = ports::store::AgentRecord {
            tenant: tenant.clone(),
            id: domain::ids::AgentId::parse(name).unwrap(),
            spec: serde_json::from_value(serde_json::json!({
                "name": name, "mode": "outbound", "provider": "simulator",
                "caller_number": "+14155550199", "provider_agent_ref": "ava"
            }))
            .unwrap(),
            version: 1,
            created_at: t0(),
            updated_at: t0(),
        };
        f.store.put_agent(&record, None).await.unwrap();
    }
    let a2 = domain::ids::AgentId::parse("a2").unwrap();
    overwrite(
        &f,
        keys::tenant_pk(&tenant),
        keys::agent_sk(&a2),
        "spec",
        "garbage",
    )
    .await;

    for _ in 0..2 {
        let agents = f.store.list_agents(&tenant).await.unwrap();
        assert_eq!(agents.len(), 1);
    }
    let listed = f
        .store
        .quarantined(QuarantineOwner::Tenant(&tenant))
        .await
        .unwrap();
    assert_eq!(
        listed.len(),
        1,
        "set aside once however often met: {listed:?}"
    );
    assert_eq!(listed[0].kind, "agent");
}

/// Overwrites a lead's data attributes as a bad migration would: `status` with `status`, and
/// `state` with a document that is not a lead's state.
async fn migrate_badly(f: &Fixture, lead: &domain::lead::Lead, status: &str) {
    let (pk, sk) = keys::lead_key(&reference(&f.campaign, lead));
    overwrite(f, pk.clone(), sk.clone(), "status", status).await;
    overwrite(f, pk, sk, "state", r#"{"migrated":true}"#).await;
}

#[tokio::test]
async fn a_lead_whose_status_and_state_were_overwritten_leaves_the_count_it_was_in() {
    use domain::status::LeadStatus;
    let f = fixture("quarantine-counts").await;
    let leads: Vec<_> = (1..=4).map(|n| lead(&f.campaign, n, t0())).collect();
    for l in &leads {
        insert(&f, l).await;
    }
    f.store.add_imported(&f.campaign, 4).await.unwrap();
    let guards = ports::store::Guards::default();
    crate::counters::lease_and_start(&f, &leads[2], guards.clone())
        .await
        .unwrap();
    crate::counters::lease_and_start(&f, &leads[3], guards)
        .await
        .unwrap();
    let before = f.store.counters(&f.campaign).await.unwrap();
    assert_eq!(before.count(LeadStatus::Pending), 2);
    assert_eq!(
        (before.count(LeadStatus::Calling), before.in_flight),
        (2, 2)
    );

    // A pending lead whose status now lies ("completed"), a calling one whose status is no
    // status at all.
    migrate_badly(&f, &leads[0], "completed").await;
    migrate_badly(&f, &leads[2], "migrated").await;
    for l in [&leads[0], &leads[2]] {
        assert!(
            f.store
                .get_lead(&reference(&f.campaign, l))
                .await
                .unwrap()
                .is_none()
        );
    }

    let after = f.store.counters(&f.campaign).await.unwrap();
    assert_eq!(after.quarantined, 2);
    assert_eq!(
        after.count(LeadStatus::Pending),
        1,
        "the pending lead left pending"
    );
    assert_eq!(
        after.count(LeadStatus::Completed),
        0,
        "not taken from a status it never had"
    );
    assert_eq!(
        after.count(LeadStatus::Calling),
        1,
        "the calling lead left calling"
    );
    assert_eq!(after.in_flight, 1, "and gave its slot back");
    assert_eq!(after.total(), 2, "only the readable leads are counted");
}

#[tokio::test]
async fn a_campaign_whose_stored_spec_breaks_the_rules_is_parsed_once_and_set_aside() {
    use ports::store::Campaigns;
    let f = fixture("quarantine-campaign").await;
    // Read back, the configuration is the validated one (parsed on read, once).
    let record = f.store.get_campaign(&f.campaign).await.unwrap().unwrap();
    assert_eq!(record.config.name, "Test");
    // A manual edit leaves JSON of the right shape with a value the rules refuse.
    let (pk, sk) = (
        keys::tenant_pk(&f.campaign.tenant),
        keys::campaign_sk(&f.campaign.campaign),
    );
    f.store
        .client()
        .update_item()
        .table_name(f.store.table())
        .key(keys::PK, AttributeValue::S(pk))
        .key(keys::SK, AttributeValue::S(sk))
        .update_expression("SET #spec.#pacing = :pacing")
        .expression_attribute_names("#spec", "spec")
        .expression_attribute_names("#pacing", "pacing")
        .expression_attribute_values(
            ":pacing",
            AttributeValue::M(std::collections::HashMap::from([(
                "max_concurrent_calls".to_owned(),
                AttributeValue::N("0".into()),
            )])),
        )
        .send()
        .await
        .unwrap();
    let (listed, _) = (f.store)
        .list_campaigns(&f.campaign.tenant, None, None, 10)
        .await
        .unwrap();
    assert!(listed.is_empty(), "not listed: {listed:?}");
    let set_aside = (f.store)
        .quarantined(QuarantineOwner::Tenant(&f.campaign.tenant))
        .await
        .unwrap();
    assert_eq!(set_aside.len(), 1, "{set_aside:?}");
    assert!(
        set_aside[0].reason.contains("max_concurrent_calls"),
        "{set_aside:?}"
    );
    assert!(
        f.store.get_campaign(&f.campaign).await.is_err(),
        "a read of it says so"
    );
}
