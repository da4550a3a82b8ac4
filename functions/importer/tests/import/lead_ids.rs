//! Lead ids: keyed with the deployment's secret for new campaigns, so a leaked id says nothing
//! of its number; plain for campaigns stored before keyed ids, so their re-imports still find
//! the leads they made.

use adapters::store::keys;
use aws_sdk_dynamodb::types::AttributeValue;
use domain::ids::{LeadId, LeadIdKey, LeadIdScheme};
use domain::phone::E164;
use ports::store::{Campaigns, Leads};

use crate::support::*;

const CSV: &[u8] = b"phone\n+14155550123\n";

fn number() -> E164 {
    E164::parse_strict("+14155550123").unwrap()
}

#[tokio::test]
async fn a_new_campaign_gets_keyed_lead_ids() {
    let world = World::new("keyed-ids").await;
    let c = world.campaign("t1", "c").await;
    let stored = world.store.get_campaign(&c).await.unwrap().unwrap();
    assert_eq!(stored.lead_ids, LeadIdScheme::Keyed);
    let importer = world.default_importer();
    world.import(&importer, &c, "one.csv", CSV).await;

    let leads = world.store.all_leads(&c).await.unwrap();
    let key = LeadIdKey::new("importer-tests-lead-id-key").unwrap();
    assert_eq!(leads.len(), 1);
    assert_eq!(leads[0].id, LeadId::keyed(&key, &c.campaign, &number()));
    assert_ne!(leads[0].id, LeadId::derive(&c.campaign, &number()));

    // A re-import finds the same lead.
    let (_, again) = world.import(&importer, &c, "again.csv", CSV).await;
    assert_eq!(again.rejected.get("duplicate_in_campaign"), Some(&1));
}

#[tokio::test]
async fn a_campaign_stored_before_keyed_ids_keeps_plain_ones_and_finds_its_leads() {
    let world = World::new("plain-ids").await;
    let c = world.campaign("t1", "c").await;
    // As the store kept campaigns before: no `lead_ids` attribute.
    world
        .store
        .client()
        .update_item()
        .table_name(world.store.table())
        .key(keys::PK, AttributeValue::S(keys::tenant_pk(&c.tenant)))
        .key(keys::SK, AttributeValue::S(keys::campaign_sk(&c.campaign)))
        .update_expression("REMOVE lead_ids")
        .send()
        .await
        .unwrap();
    let stored = world.store.get_campaign(&c).await.unwrap().unwrap();
    assert_eq!(stored.lead_ids, LeadIdScheme::Plain);

    let importer = world.default_importer();
    world.import(&importer, &c, "one.csv", CSV).await;
    let (_, again) = world.import(&importer, &c, "again.csv", CSV).await;

    let leads = world.store.all_leads(&c).await.unwrap();
    assert_eq!(leads.len(), 1, "one lead for one number, never two");
    assert_eq!(leads[0].id, LeadId::derive(&c.campaign, &number()));
    assert_eq!(again.rejected.get("duplicate_in_campaign"), Some(&1));
}
