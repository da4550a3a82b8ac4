//! Outbound webhooks as stored: endpoints with their limit, the outbox and its sweep, and
//! deliveries written on the version read.

use chrono::Duration;
use domain::webhooks::{DeliveryStatus, EndpointSpec, Event, EventType, MAX_ENDPOINTS};
use ports::store::{
    EndpointRecord, Refusal, WebhookDeliveries, WebhookEndpoints, WebhookEvents, WebhookJob,
    WriteError,
};

use crate::support::*;

fn endpoint(f: &Fixture, n: usize, events: Vec<EventType>) -> EndpointRecord {
    EndpointRecord {
        tenant: f.campaign.tenant.clone(),
        id: format!("we_{n}"),
        spec: EndpointSpec {
            url: format!("https://hooks.example.com/{n}"),
            events,
            description: None,
            enabled: true,
        },
        secret: "whsec_test".into(),
        previous_secret: None,
        circuit_open_until: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn event(f: &Fixture, id: &str) -> Event {
    Event {
        id: id.into(),
        kind: EventType::CallCompleted,
        created_at: t0(),
        campaign_id: f.campaign.campaign.to_string(),
        lead_id: Some("lead-1".into()),
        sequence: Some(3),
        data: serde_json::json!({"outcome": "completed"}),
    }
}

#[tokio::test]
async fn a_tenant_registers_at_most_the_limit_of_endpoints_and_a_removal_frees_a_place() {
    let f = fixture("hook-endpoints").await;
    for n in 0..MAX_ENDPOINTS {
        f.store
            .create_endpoint(&endpoint(&f, n, vec![EventType::CallCompleted]))
            .await
            .unwrap();
    }
    let over = f
        .store
        .create_endpoint(&endpoint(&f, 99, vec![EventType::CallCompleted]))
        .await;
    assert!(matches!(over, Err(WriteError::Refused(Refusal::PlanLimit))));
    assert_eq!(
        f.store.endpoints(&f.campaign.tenant).await.unwrap().len(),
        MAX_ENDPOINTS
    );
    f.store
        .delete_endpoint(&f.campaign.tenant, "we_0")
        .await
        .unwrap();
    assert!(matches!(
        f.store.delete_endpoint(&f.campaign.tenant, "we_0").await,
        Err(WriteError::Refused(_))
    ));
    f.store
        .create_endpoint(&endpoint(&f, 99, vec![EventType::LeadOptedOut]))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_event_waits_on_the_sweep_until_fanned_out_and_its_deliveries_are_swept_when_due() {
    let f = fixture("hook-outbox").await;
    let tenant = &f.campaign.tenant;
    f.store
        .create_endpoint(&endpoint(&f, 1, vec![EventType::CallCompleted]))
        .await
        .unwrap();
    let e = event(&f, "evt_1");
    f.store.record_event(tenant, &e).await.unwrap();
    let (read, fanned) = f.store.event(tenant, "evt_1").await.unwrap().unwrap();
    assert_eq!((read, fanned), (e.clone(), false));

    // Not due before the queue's fast path had its chance; then the sweep takes it, once.
    let lease = Duration::minutes(5);
    let early = f.store.due_webhook_jobs(t0(), lease, 10).await.unwrap();
    assert!(early.is_empty(), "{early:?}");
    let later = t0() + Duration::minutes(3);
    let swept = f.store.due_webhook_jobs(later, lease, 10).await.unwrap();
    assert_eq!(
        swept,
        vec![WebhookJob::Fanout {
            tenant: tenant.clone(),
            event: "evt_1".into()
        }]
    );
    assert!(
        f.store
            .due_webhook_jobs(later, lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased: a second sweep does not take it too"
    );

    f.store
        .fan_out(tenant, &e, &["we_1".to_owned()], later)
        .await
        .unwrap();
    assert!(f.store.event(tenant, "evt_1").await.unwrap().unwrap().1);
    let delivery = f
        .store
        .delivery(tenant, "we_1", "evt_1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(delivery.status, DeliveryStatus::Pending);
    let due = f
        .store
        .due_webhook_jobs(later + Duration::minutes(10), lease, 10)
        .await
        .unwrap();
    assert_eq!(
        due,
        vec![WebhookJob::Deliver {
            tenant: tenant.clone(),
            endpoint: "we_1".into(),
            event: "evt_1".into()
        }],
        "the fanned-out event left the sweep; its delivery is on it"
    );
}

#[tokio::test]
async fn a_delivery_is_written_only_on_the_version_read_and_a_settled_one_leaves_the_sweep() {
    let f = fixture("hook-delivery").await;
    let tenant = &f.campaign.tenant;
    let e = event(&f, "evt_2");
    f.store.record_event(tenant, &e).await.unwrap();
    f.store
        .fan_out(tenant, &e, &["we_1".to_owned()], t0())
        .await
        .unwrap();
    let read = f
        .store
        .delivery(tenant, "we_1", "evt_2")
        .await
        .unwrap()
        .unwrap();
    let mut delivered = read.clone();
    delivered.status = DeliveryStatus::Delivered;
    delivered.next_at = None;
    f.store.save_delivery(&delivered).await.unwrap();
    let mut late = read.clone();
    late.failures = 1;
    assert!(
        matches!(
            f.store.save_delivery(&late).await,
            Err(WriteError::Refused(_))
        ),
        "a second worker's write on the old version is refused"
    );
    let log = f.store.deliveries(tenant, "we_1", 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, DeliveryStatus::Delivered);
    let due = f
        .store
        .due_webhook_jobs(t0() + Duration::days(1), Duration::minutes(5), 10)
        .await
        .unwrap();
    assert!(due.is_empty(), "{due:?}");
}
