//! One tenant's dead endpoints cost only that tenant: beside a tenant whose five endpoints
//! accept connections and never answer, another tenant's events reach its receiver on the
//! first pass of the worker, and the dead endpoints are tried only until their circuits open.

use std::sync::atomic::{AtomicU64, Ordering};

use domain::ids::TenantId;
use domain::plan::Plan;
use domain::webhooks::{DeliveryStatus, EndpointSpec, Event, EventType};
use engine::webhooks::guard::OPEN_AFTER;
use ports::Clock;
use ports::store::{
    EndpointRecord, TenantRecord, Tenants, WebhookDeliveries, WebhookEndpoints, WebhookEvents,
};
use system_tests::World;
use system_tests::webhook_receiver::{Behaviour, Receiver, black_hole};
use system_tests::world::{DeliveryStats, WorldConfig, contacts_in};

use crate::scenarios::{all_week, spec, utc};

const DEAD_ENDPOINTS: usize = 5;
const NOISY_EVENTS: usize = 20;
const QUIET_EVENTS: usize = 6;

async fn endpoint(world: &World, tenant: &TenantId, id: String, url: &str) {
    let now = world.clock.now();
    let record = EndpointRecord {
        tenant: tenant.clone(),
        id,
        spec: EndpointSpec {
            url: url.to_owned(),
            events: vec![EventType::CallCompleted],
            description: None,
            enabled: true,
        },
        secret: "whsec_isolation".into(),
        previous_secret: None,
        circuit_open_until: None,
        created_at: now,
        updated_at: now,
    };
    world.store.create_endpoint(&record).await.unwrap();
}

/// Records `count` events for `tenant` and queues their fan-outs, as the outbox does.
async fn events(
    world: &World,
    tenant: &TenantId,
    count: usize,
    queue: &dyn ports::queue::MessageQueue,
) {
    for i in 0..count {
        let now = world.clock.now();
        let event = Event {
            id: engine::webhooks::new_event_id(now),
            kind: EventType::CallCompleted,
            created_at: now,
            campaign_id: world.campaign.campaign.to_string(),
            lead_id: Some(format!("lead-{i}")),
            sequence: Some(1),
            data: serde_json::json!({ "n": i }),
        };
        world.store.record_event(tenant, &event).await.unwrap();
        engine::webhooks::announce_on(queue, tenant, &event).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dead_endpoints_of_one_tenant_never_hold_up_another_tenants_deliveries() {
    let campaign = spec(serde_json::json!({
        "name": "Quiet",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") }
    }));
    let mut config = WorldConfig::calm(
        "isolation",
        campaign,
        contacts_in(&["212"], 1),
        utc("2026-06-10T14:00:00Z"),
    );
    config.webhook_outbox = true;
    let world = World::build(config).await.unwrap();
    let quiet = world.campaign.tenant.clone();
    let noisy = TenantId::parse("noisy-neighbour").unwrap();
    world
        .store
        .create_tenant(&TenantRecord::new(
            noisy.clone(),
            "Noisy",
            Plan::Enterprise,
            world.clock.now(),
        ))
        .await
        .unwrap();
    let receiver = Receiver::start(Behaviour {
        fail_every: 0,
        stall_every: 0,
        stall: std::time::Duration::ZERO,
    })
    .await;
    endpoint(&world, &quiet, "we_quiet".into(), &receiver.url).await;
    let (dead, accepted) = black_hole().await;
    for i in 0..DEAD_ENDPOINTS {
        endpoint(
            &world,
            &noisy,
            format!("we_dead_{i}"),
            &format!("{dead}{i}"),
        )
        .await;
    }
    let worker = world
        .webhook_worker(std::time::Duration::from_millis(300))
        .unwrap();
    events(&world, &noisy, NOISY_EVENTS, worker.queue.as_ref()).await;
    events(&world, &quiet, QUIET_EVENTS, worker.queue.as_ref()).await;

    // One pass over the queue: every quiet delivery is made.
    let mut stats = DeliveryStats::default();
    world
        .drain_webhook_queue(&worker, &mut stats)
        .await
        .unwrap();
    let quiet_log = world
        .store
        .deliveries(&quiet, "we_quiet", 100)
        .await
        .unwrap();
    assert_eq!(quiet_log.len(), QUIET_EVENTS, "{stats:?}");
    assert!(
        quiet_log
            .iter()
            .all(|d| d.status == DeliveryStatus::Delivered),
        "{quiet_log:?}"
    );
    assert_eq!(receiver.received().len(), QUIET_EVENTS);

    only_until_their_circuits_opened(&world, &noisy, &accepted).await;
}

/// The dead endpoints were tried only until their circuits opened; their other deliveries
/// wait, each with a try that says why it was not made.
async fn only_until_their_circuits_opened(world: &World, noisy: &TenantId, accepted: &AtomicU64) {
    let tried = accepted.load(Ordering::SeqCst);
    println!("connections to the dead endpoints: {tried}");
    let bound = (DEAD_ENDPOINTS as u64) * u64::from(OPEN_AFTER + 1);
    assert!(
        tried <= bound,
        "{tried} connections to dead endpoints (at most {bound})"
    );
    let mut not_tried = 0;
    for i in 0..DEAD_ENDPOINTS {
        let log = world
            .store
            .deliveries(noisy, &format!("we_dead_{i}"), 100)
            .await
            .unwrap();
        assert_eq!(log.len(), NOISY_EVENTS);
        assert!(log.iter().all(|d| d.status == DeliveryStatus::Pending));
        not_tried += log
            .iter()
            .filter(|d| {
                d.attempts.iter().any(|a| {
                    a.error
                        .as_deref()
                        .is_some_and(|e| e.starts_with("not tried"))
                })
            })
            .count();
    }
    assert!(
        not_tried >= DEAD_ENDPOINTS * (NOISY_EVENTS - OPEN_AFTER as usize - 1),
        "deliveries behind open circuits: {not_tried}"
    );
}

/// A world with webhooks and a tenant `noisy` whose one endpoint is a black hole; the
/// connections it accepted.
async fn one_dead_endpoint(label: &str) -> (World, TenantId, std::sync::Arc<AtomicU64>) {
    let campaign = spec(serde_json::json!({
        "name": "Quiet",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") }
    }));
    let start = utc("2026-06-10T14:00:00Z");
    let mut config = WorldConfig::calm(label, campaign, contacts_in(&["212"], 1), start);
    config.webhook_outbox = true;
    let world = World::build(config).await.unwrap();
    let noisy = TenantId::parse("noisy-neighbour").unwrap();
    let record = TenantRecord::new(noisy.clone(), "Noisy", Plan::Enterprise, world.clock.now());
    world.store.create_tenant(&record).await.unwrap();
    let (dead, accepted) = black_hole().await;
    endpoint(&world, &noisy, "we_dead".into(), &dead).await;
    (world, noisy, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_circuit_one_worker_opened_is_kept_by_a_worker_that_never_tried_the_endpoint() {
    let (world, noisy, accepted) = one_dead_endpoint("isolation-shared").await;
    let timeout = std::time::Duration::from_millis(300);
    let first = world.webhook_worker(timeout).unwrap();
    events(&world, &noisy, NOISY_EVENTS, first.queue.as_ref()).await;
    let mut stats = DeliveryStats::default();
    world.drain_webhook_queue(&first, &mut stats).await.unwrap();
    let learnt = accepted.load(Ordering::SeqCst);
    assert!(
        learnt <= u64::from(OPEN_AFTER + 1),
        "{learnt} tries to open it"
    );
    let shared = (world.store.endpoints(&noisy).await.unwrap().into_iter())
        .find(|e| e.id == "we_dead")
        .and_then(|e| e.circuit_open_until);
    let until = shared.expect("the opened circuit is on the endpoint's item");
    assert!(until > world.clock.now(), "{until}");

    // A cold worker (a new Lambda container) takes the next events: it tries nothing.
    let second = world.webhook_worker(timeout).unwrap();
    events(&world, &noisy, QUIET_EVENTS, second.queue.as_ref()).await;
    world
        .drain_webhook_queue(&second, &mut stats)
        .await
        .unwrap();
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        learnt,
        "no try from the second worker: {stats:?}"
    );
    let log = world
        .store
        .deliveries(&noisy, "we_dead", 100)
        .await
        .unwrap();
    let waiting = (log.iter())
        .filter(|d| {
            (d.attempts.iter()).any(|a| {
                a.error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("not tried"))
            })
        })
        .count();
    assert!(
        waiting >= NOISY_EVENTS + QUIET_EVENTS - OPEN_AFTER as usize - 1,
        "{waiting} waiting"
    );
}
