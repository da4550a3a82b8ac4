//! Agent reports never make a lead too big to dial: a lead whose every past attempt carries
//! the largest report the report API accepts (as many result fields as it takes, each as long
//! and as costly to encode as it takes) keeps a lead item under one write unit, goes through
//! the dial queue (SQS, 256 KiB a message) without its past reports, and is called; the
//! records stay, items of their own.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;
use domain::call_report::{AgentReport, MAX_RESULT_FIELDS, MAX_RESULT_VALUE};
use domain::ids::LeadRef;
use domain::lead::CounterDelta;
use domain::lead::{AttemptRecord, LeadState};
use domain::retry::Outcome;
use ports::store::{AttemptRecords, Guards, LeadWrite, Leads, RecordsWanted};
use system_tests::World;
use system_tests::world::{WorldConfig, contacts_in};

use crate::scenarios::{all_week, spec, utc};

/// The most a lead can have tried before its last attempt: the first call, five retries,
/// three callbacks and two agent misses.
const PAST_ATTEMPTS: u8 = 11;

/// The largest report the API's own checks accept, built greedily: each field as long as a
/// merge still accepts, in characters JSON escapes to six bytes each.
fn largest_accepted_report() -> AgentReport {
    let mut report = AgentReport::default();
    for i in 0..MAX_RESULT_FIELDS {
        let mut length = MAX_RESULT_VALUE;
        while length > 0 {
            let mut field = AgentReport::default();
            field
                .results
                .insert(format!("field_{i:02}"), "\u{1}".repeat(length));
            if report.merge(&field).is_ok() {
                break;
            }
            length /= 2;
        }
    }
    report
}

/// A lead's state after [`PAST_ATTEMPTS`] callbacks, each with the largest report.
fn full_attempts(start: chrono::DateTime<chrono::Utc>) -> LeadState {
    let report = largest_accepted_report();
    let mut state = LeadState::new(start);
    for attempt in 1..=PAST_ATTEMPTS {
        let at = start - Duration::days(i64::from(PAST_ATTEMPTS - attempt) + 1);
        state.log.push(AttemptRecord {
            attempt,
            started_at: at,
            ended_at: at + Duration::minutes(3),
            outcome: Outcome::CallbackRequested,
            duration_seconds: 180,
            provider_call_id: Some(format!("CA{attempt:032}")),
            disposition: None,
            report: report.clone(),
            answered_by: None,
            fields_left_out: vec![],
            transferred: false,
            clearance: None,
        });
    }
    state
}

/// The lead's item as stored.
async fn lead_item(world: &World, lead: &LeadRef) -> HashMap<String, AttributeValue> {
    let (pk, sk) = adapters::store::keys::lead_key(lead);
    (world.store.client().get_item())
        .table_name(world.store.table())
        .key(adapters::store::keys::PK, AttributeValue::S(pk))
        .key(adapters::store::keys::SK, AttributeValue::S(sk))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lead_whose_every_attempt_carries_the_largest_report_is_still_dialed() {
    let campaign = spec(serde_json::json!({
        "name": "Full reports",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "retry": { "max_retries": 5, "delay_minutes": 20, "retry_on": ["no_answer"] }
    }));
    let start = utc("2026-06-10T15:00:00Z");
    let config = WorldConfig::calm("full-reports", campaign, contacts_in(&["212"], 1), start);
    let mut world = World::build(config).await.unwrap();
    let lead = world.leads().await.unwrap().remove(0);

    let mut state = full_attempts(start);
    state.attempts = PAST_ATTEMPTS;
    let reference = LeadRef {
        campaign: world.campaign.clone(),
        lead: lead.id.clone(),
    };
    // The records go in as the attempts' ends wrote them: through a transition.
    state.version = lead.state.version + 1;
    let write = LeadWrite {
        lead: &reference,
        expected_version: lead.state.version,
        state: &state,
        counters: &CounterDelta::default(),
        guards: Guards::default(),
    };
    world.store.write_transition(write).await.unwrap();

    // The lead item keeps only what dialing needs: under one write unit, whatever was reported.
    let item = lead_item(&world, &reference).await;
    // Names and strings at their length, a number at its most (DynamoDB bills fewer bytes).
    let size: usize = (item.iter())
        .map(|(k, v)| k.len() + v.as_s().map_or(21, String::len))
        .sum();
    assert!(size < 1024, "the lead item is {size} bytes: {item:?}");
    let stored = world.store.get_lead(&reference).await.unwrap().unwrap();
    assert!(stored.state.log.is_empty(), "the dial path reads no record");
    // Every record is kept, an item of its own, for the lead's page and the exports.
    let mut shown = vec![stored];
    (world.store)
        .attach_records(&world.campaign, &mut shown, RecordsWanted::All)
        .await
        .unwrap();
    assert_eq!(shown[0].state.log, state.log);
    // A page listed to be screened (launch, the dry run) reads no record; every lead with its
    // history (exports, reconciliation) does.
    let (page, _) = (world
        .store
        .list_leads(&world.campaign, None, None, 10)
        .await)
        .unwrap();
    assert!(page.iter().all(|l| l.state.log.is_empty()), "{page:?}");
    let all = world.store.all_leads(&world.campaign).await.unwrap();
    let listed = all.iter().find(|l| l.id == lead.id).unwrap();
    assert_eq!(listed.state.log, state.log);

    let run = world.run().await.unwrap();
    let calls = world.simulator.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.reference.lead == lead.id && c.reference.attempt == PAST_ATTEMPTS + 1),
        "the lead was dialed through the queue: {calls:?}"
    );
    // The dial message carried the lead without its past reports (each is up to 4 KiB).
    assert!(
        run.largest_dial_message < 8 * 1024,
        "the largest dial message was {} bytes",
        run.largest_dial_message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lead_stored_with_its_records_inside_moves_them_to_items_of_their_own_when_next_written()
{
    let campaign = spec(serde_json::json!({
        "name": "Records inside",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "retry": { "max_retries": 0, "delay_minutes": 20, "retry_on": [] }
    }));
    let start = utc("2026-06-10T15:00:00Z");
    let config = WorldConfig::calm("records-inside", campaign, contacts_in(&["212"], 1), start);
    let mut world = World::build(config).await.unwrap();
    let lead = world.leads().await.unwrap().remove(0);
    let reference = LeadRef {
        campaign: world.campaign.clone(),
        lead: lead.id.clone(),
    };
    // As the store wrote a lead before records were items: the log inside the state document.
    let mut past = AttemptRecord {
        attempt: 1,
        started_at: start - Duration::days(1),
        ended_at: start - Duration::days(1) + Duration::minutes(1),
        outcome: Outcome::NoAnswer,
        duration_seconds: 0,
        provider_call_id: Some("CA1".into()),
        disposition: None,
        report: AgentReport::default(),
        answered_by: None,
        fields_left_out: vec![],
        transferred: false,
        clearance: None,
    };
    past.report
        .results
        .insert("note".into(), "called before".into());
    let mut state = serde_json::to_value(&lead.state).unwrap();
    state["attempts"] = 1.into();
    state["retries_used"] = 1.into();
    state["log"] = serde_json::json!([past]);
    let (pk, sk) = adapters::store::keys::lead_key(&reference);
    (world.store.client().update_item())
        .table_name(world.store.table())
        .key(adapters::store::keys::PK, AttributeValue::S(pk))
        .key(adapters::store::keys::SK, AttributeValue::S(sk))
        .update_expression("SET #state = :state")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":state", AttributeValue::S(state.to_string()))
        .send()
        .await
        .unwrap();
    let read = world.store.get_lead(&reference).await.unwrap().unwrap();
    assert_eq!(
        read.state.log,
        vec![past.clone()],
        "the old form still reads"
    );

    world.run().await.unwrap();
    let item = lead_item(&world, &reference).await;
    let stored_state = item["state"].as_s().unwrap();
    assert!(!stored_state.contains("\"log\""), "{stored_state}");
    // A page of leads comes with their records.
    let shown = world.leads().await.unwrap();
    let log = &shown[0].state.log;
    assert_eq!(log.first(), Some(&past), "the old record was kept: {log:?}");
    assert_eq!(log.len(), 2, "and the new attempt's beside it: {log:?}");
}
