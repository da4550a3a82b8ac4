//! Outbound webhooks in the hostile world: every finished call is recorded as exactly one
//! `call.completed` event in the write that finished it (whatever the duplicates, crashes and
//! provider faults), every opt-out as one `lead.opted_out`, the campaign's completion as a
//! `campaign.status_changed`; then all of them reach a receiver that fails, stalls and so gets
//! some twice — signed, each at least once, a lead's events in sequence order.

use std::collections::{BTreeMap, BTreeSet};

use domain::retry::Outcome;
use domain::webhooks::signature::{HEADER, verify};
use domain::webhooks::{DeliveryStatus, EndpointSpec, Event, EventType};
use ports::Clock;
use ports::store::{EndpointRecord, WebhookDeliveries, WebhookEndpoints, WebhookEvents};
use system_tests::promises;
use system_tests::webhook_receiver::{Behaviour, Receiver};
use system_tests::world::contacts_in;
use system_tests::{World, WorldConfig};

use crate::scenarios::{all_week, spec, utc};

const SECRET: &str = "whsec_world-test-secret";

fn campaign() -> domain::config::CampaignSpec {
    spec(serde_json::json!({
        "name": "Told",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "pacing": { "max_concurrent_calls": 6, "calls_per_hour": 300 },
        "retry": { "max_retries": 1, "delay_minutes": 10, "retry_on": ["no_answer", "busy"] },
        "call_handling": { "max_call_seconds": 300 }
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_call_is_recorded_once_and_reaches_a_failing_stalling_receiver_at_least_once() {
    let receiver = Receiver::start(Behaviour {
        fail_every: 5,
        stall_every: 7,
        stall: std::time::Duration::from_millis(1500),
    })
    .await;
    let contacts = contacts_in(&["212", "312"], 40);
    let mut config =
        WorldConfig::calm("hooks", campaign(), contacts, utc("2026-06-10T14:00:00Z")).hostile();
    config.webhook_outbox = true;
    let mut world = World::build(config).await.unwrap();
    register(&world, &receiver.url).await;

    let stats = world.run().await.expect("the run completes");
    assert!(stats.finished, "{stats:?}");
    let findings = promises::check(&world, true).await.unwrap();
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    let events = recorded_exactly_once(&world).await;

    let delivery = world
        .deliver_outbound_webhooks(std::time::Duration::from_millis(800), 240)
        .await
        .unwrap();
    println!("delivery: {delivery:?}");
    each_arrived_signed_and_in_order(&world, &receiver, &events);
    logged_with_their_failures(&world).await;
}

/// The receiver's endpoint, as the API registers it.
async fn register(world: &World, url: &str) {
    world
        .store
        .create_endpoint(&EndpointRecord {
            tenant: world.campaign.tenant.clone(),
            id: "we_test".into(),
            spec: EndpointSpec {
                url: url.to_owned(),
                events: vec![
                    EventType::CallCompleted,
                    EventType::LeadOptedOut,
                    EventType::CampaignStatusChanged,
                ],
                description: None,
                enabled: true,
            },
            secret: SECRET.into(),
            previous_secret: None,
            circuit_open_until: None,
            created_at: world.clock.now(),
            updated_at: world.clock.now(),
        })
        .await
        .unwrap();
}

/// One `call.completed` per finished attempt, one `lead.opted_out` per opt-out, the completion:
/// recorded in the writes that made them true. Returns the events.
async fn recorded_exactly_once(world: &World) -> Vec<Event> {
    let tenant = &world.campaign.tenant;
    let events: Vec<Event> = (world.store.recent_events(tenant, 10_000).await.unwrap())
        .into_iter()
        .map(|(event, _)| event)
        .collect();
    let leads = world.leads().await.unwrap();
    let finished: BTreeSet<(String, u8)> = leads
        .iter()
        .flat_map(|l| l.state.log.iter().map(|r| (l.id.to_string(), r.attempt)))
        .collect();
    let told: Vec<(String, u8)> = events
        .iter()
        .filter(|e| e.kind == EventType::CallCompleted)
        .map(|e| {
            (
                e.lead_id.clone().unwrap(),
                e.data["attempt"].as_u64().unwrap() as u8,
            )
        })
        .collect();
    assert_eq!(told.len(), finished.len(), "one event per finished attempt");
    assert_eq!(told.iter().cloned().collect::<BTreeSet<_>>(), finished);
    let opted_out = leads
        .iter()
        .filter(|l| l.state.log.iter().any(|r| r.outcome == Outcome::OptedOut))
        .count();
    let opt_out_events = events
        .iter()
        .filter(|e| e.kind == EventType::LeadOptedOut)
        .count();
    assert_eq!(opt_out_events, opted_out);
    assert!(
        events
            .iter()
            .any(|e| e.kind == EventType::CampaignStatusChanged && e.data["to"] == "completed"),
        "the completion is told"
    );
    events
}

/// Every recorded event arrived (some twice: the stalls), signed with the endpoint's secret; a
/// lead's later calls carry larger sequence numbers.
fn each_arrived_signed_and_in_order(world: &World, receiver: &Receiver, events: &[Event]) {
    let received = receiver.received();
    let now = world.clock.now();
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_lead: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    for request in &received {
        let header = &request.headers[&HEADER.to_ascii_lowercase()];
        verify(
            SECRET,
            header,
            &request.body,
            now,
            chrono::Duration::days(1),
        )
        .expect("every request is signed with the endpoint's secret");
        let event: Event = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(request.headers["campaigns-event-id"], event.id);
        if let (Some(lead), Some(seq), EventType::CallCompleted) =
            (&event.lead_id, event.sequence, event.kind)
        {
            let attempt = event.data["attempt"].as_u64().unwrap();
            by_lead
                .entry(lead.clone())
                .or_default()
                .push((attempt, seq));
        }
        *ids.entry(event.id).or_default() += 1;
    }
    let recorded: BTreeSet<String> = events.iter().map(|e| e.id.clone()).collect();
    assert_eq!(
        ids.keys().cloned().collect::<BTreeSet<_>>(),
        recorded,
        "every recorded event arrived, and nothing else"
    );
    let twice = ids.values().filter(|n| **n > 1).count();
    println!(
        "events recorded: {}, requests received: {}, events received more than once: {twice}",
        recorded.len(),
        received.len()
    );
    assert!(twice > 0, "the stalls made some arrive twice");
    // Events of one write (a call's end and its opt-out) share the lead's sequence number.
    for (lead, mut calls) in by_lead {
        calls.sort();
        calls.dedup();
        assert!(
            calls.windows(2).all(|w| w[0].1 < w[1].1),
            "{lead}: (attempt, sequence) {calls:?}"
        );
    }
}

/// The endpoint's log: every delivery delivered, with the 500s and timeouts on the way.
async fn logged_with_their_failures(world: &World) {
    let tenant = &world.campaign.tenant;
    let log = world
        .store
        .deliveries(tenant, "we_test", 1000)
        .await
        .unwrap();
    assert!(
        log.iter().all(|d| d.status == DeliveryStatus::Delivered),
        "{log:#?}"
    );
    let codes: BTreeSet<Option<u16>> = log
        .iter()
        .flat_map(|d| d.attempts.iter().map(|a| a.status_code))
        .collect();
    assert!(
        codes.contains(&Some(500)) && codes.contains(&None) && codes.contains(&Some(200)),
        "{codes:?}"
    );
}
