//! Agent reports never make a lead too big to dial: a lead whose every past attempt carries
//! the largest report the report API accepts (as many result fields as it takes, each as long
//! and as costly to encode as it takes) still goes through the dial queue (SQS, 256 KiB a
//! message) and is called.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;
use domain::call_report::{AgentReport, MAX_RESULT_FIELDS, MAX_RESULT_VALUE};
use domain::ids::LeadRef;
use domain::lead::{AttemptRecord, LeadState};
use domain::retry::Outcome;
use ports::store::Leads;
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
    state.attempts = PAST_ATTEMPTS;
    let reference = LeadRef {
        campaign: world.campaign.clone(),
        lead: lead.id.clone(),
    };
    let (pk, sk) = adapters::store::keys::lead_key(&reference);
    world
        .store
        .client()
        .update_item()
        .table_name(world.store.table())
        .key(adapters::store::keys::PK, AttributeValue::S(pk))
        .key(adapters::store::keys::SK, AttributeValue::S(sk))
        .update_expression("SET #state = :state")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(
            ":state",
            AttributeValue::S(serde_json::to_string(&state).unwrap()),
        )
        .send()
        .await
        .unwrap();
    let stored = world.store.get_lead(&reference).await.unwrap().unwrap();
    assert_eq!(stored.state.log.len(), usize::from(PAST_ATTEMPTS));

    world.run().await.unwrap();
    let calls = world.simulator.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.reference.lead == lead.id && c.reference.attempt == PAST_ATTEMPTS + 1),
        "the lead was dialed through the queue: {calls:?}"
    );
}
