//! Lambda wiring: each function's handler fed the event JSON its trigger sends (Scheduler
//! input, SQS batch, API Gateway HTTP API v2), against the local AWS emulator.

mod architecture;
mod dead_letters;
mod infrastructure;
mod template;

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{DateTime, Duration, Utc};
use domain::config::CampaignSpec;
use domain::status::LeadStatus;
use http_body_util::BodyExt;
use ports::Clock;
use ports::store::Counters;
use system_tests::World;
use system_tests::world::{WorldConfig, contacts_in};
use tower::ServiceExt;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub(crate) async fn world(label: &str, leads: usize) -> World {
    let spec: CampaignSpec = serde_json::from_value(serde_json::json!({
        "name": "Wiring", "agent_id": "agent-1",
        "pacing": { "max_concurrent_calls": 10, "calls_per_hour": 100 }
    }))
    .unwrap();
    // Wednesday 10:00 in New York.
    let config = WorldConfig::calm(
        label,
        spec,
        contacts_in(&["212"], leads),
        utc("2026-06-10T14:00:00Z"),
    );
    World::build(config).await.unwrap()
}

/// How many messages wait on the queue `url`, delayed (as SQS counts them).
async fn delayed_messages(sqs: &aws_sdk_sqs::Client, url: &str) -> Option<String> {
    let name = aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesDelayed;
    let out = (sqs.get_queue_attributes().queue_url(url))
        .attribute_names(name.clone())
        .send()
        .await
        .unwrap();
    out.attributes().and_then(|a| a.get(&name).cloned())
}

/// Runs the tick as EventBridge Scheduler invokes it (the recorded scheduler input).
async fn scheduled_tick(world: &World) -> engine::tick::TickReport {
    tick::handle(
        &world.engine,
        serde_json::from_str(include_str!("../fixtures/scheduler-tick-input.json")).unwrap(),
    )
    .await
    .unwrap()
}

/// Receives every visible dial message as a Lambda SQS event.
async fn sqs_event(world: &World) -> SqsEvent {
    let url = world.env.resources.name("DialQueue").unwrap();
    let sqs = aws_sdk_sqs::Client::new(&world.env.config);
    let template: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/sqs-event.json")).unwrap();
    let mut records = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for m in messages {
            let mut record = template["Records"][0].clone();
            record["messageId"] = m.message_id.unwrap().into();
            record["receiptHandle"] = m.receipt_handle.unwrap().into();
            record["body"] = m.body.unwrap().into();
            records.push(record);
        }
    }
    serde_json::from_value(serde_json::json!({ "Records": records })).unwrap()
}

#[tokio::test]
async fn a_scheduler_event_runs_the_tick_and_an_sqs_batch_runs_the_dialers() {
    let world = world("wiring", 4).await;
    let report = scheduled_tick(&world).await;
    assert_eq!(report.enqueued, 4, "{report:?}");

    let mut event = sqs_event(&world).await;
    assert_eq!(event.records.len(), 4);
    // One malformed record rides along: it is reported as failed, the rest succeed.
    let mut bad = event.records[0].clone();
    bad.message_id = Some("poison".into());
    bad.body = Some("{not json".into());
    event.records.push(bad);
    // Past every planned start.
    world.clock.set(world.clock.now() + Duration::seconds(61));
    let sqs = aws_sdk_sqs::Client::new(&world.env.config);
    let url = world.env.resources.name("DialQueue").unwrap();
    let response = dialer::handle_batch(
        &world.engine,
        &adapters::queue::SqsQueue::new(sqs.clone(), url),
        event,
        1.0,
    )
    .await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, vec!["poison"]);
    assert_eq!(world.simulator.calls().len(), 4);
}

#[tokio::test]
async fn a_record_that_arrives_before_its_planned_start_is_sent_again_delayed_not_failed() {
    let world = world("early", 3).await;
    scheduled_tick(&world).await;
    let event = sqs_event(&world).await;
    let sqs = aws_sdk_sqs::Client::new(&world.env.config);
    let url = world.env.resources.name("DialQueue").unwrap();
    // At the tick's instant only the first lead (offset 0 s) may start; the others wait:
    // sent again, delayed, as new messages, so the wait never counts toward the DLQ.
    let response = dialer::handle_batch(
        &world.engine,
        &adapters::queue::SqsQueue::new(sqs.clone(), url),
        event,
        1.0,
    )
    .await;
    assert!(
        response.batch_item_failures.is_empty(),
        "a normal wait is not a failure: {:?}",
        response.batch_item_failures
    );
    assert_eq!(world.simulator.calls().len(), 1);
    let delayed = delayed_messages(&sqs, url).await;
    assert_eq!(
        delayed.as_deref(),
        Some("2"),
        "the two waiting leads are back on the queue, delayed"
    );
}

#[tokio::test]
async fn a_wait_shorter_than_a_second_is_waited_in_the_invocation_not_sent_back() {
    let world = world("short-wait", 2).await;
    scheduled_tick(&world).await;
    let event = sqs_event(&world).await;
    let planned: Vec<DateTime<Utc>> = (event.records.iter())
        .map(|r| {
            let message: engine::messages::DialMessage =
                serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
            message.not_before
        })
        .collect();
    let latest = *planned.iter().max().unwrap();
    // 300 ms before the later lead's planned start; the clock reaches it 100 ms (real) in.
    world.clock.set(latest - Duration::milliseconds(300));
    let clock = world.clock.clone();
    let advance = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        clock.set(latest + Duration::milliseconds(10));
    });
    let sqs = aws_sdk_sqs::Client::new(&world.env.config);
    let url = world.env.resources.name("DialQueue").unwrap();
    let response = dialer::handle_batch(
        &world.engine,
        &adapters::queue::SqsQueue::new(sqs.clone(), url),
        event,
        1.0,
    )
    .await;
    advance.await.unwrap();
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(
        world.simulator.calls().len(),
        2,
        "both leads called in the invocation"
    );
    let delayed = delayed_messages(&sqs, url).await;
    assert_eq!(
        delayed.as_deref(),
        Some("0"),
        "nothing was sent back delayed"
    );
}

#[tokio::test]
async fn an_api_gateway_provider_event_is_verified_and_applied_through_the_router() {
    let world = world("webhook", 1).await;
    scheduled_tick(&world).await;
    let event = sqs_event(&world).await;
    let sqs = aws_sdk_sqs::Client::new(&world.env.config);
    let queue = adapters::queue::SqsQueue::new(sqs, world.env.resources.name("DialQueue").unwrap());
    dialer::handle_batch(&world.engine, &queue, event, 1.0).await;
    let call = world.simulator.calls().pop().expect("one call placed");

    // The network's report, as API Gateway hands it to the Lambda function.
    world.clock.set(call.ends_at + Duration::seconds(10));
    let deliveries = world.simulator.take_due(world.clock.now());
    let ended = deliveries
        .iter()
        .rfind(|d| String::from_utf8_lossy(&d.body).contains("\"ended\""))
        .unwrap();
    let path = ended.url.strip_prefix("http://engine.test").unwrap();
    let router = call_events::router(world.engine.clone());

    let send = |signature: String, body: Vec<u8>| {
        let mut event: serde_json::Value =
            serde_json::from_str(include_str!("../fixtures/apigw-v2-webhook.json")).unwrap();
        event["rawPath"] = path.into();
        event["requestContext"]["http"]["path"] = path.into();
        event["headers"]["x-simulator-signature"] = signature.into();
        event["body"] = String::from_utf8(body).unwrap().into();
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let _ = response.into_body().collect().await;
            status
        }
    };
    let signature = ended
        .header(adapters::voice::simulator::SIGNATURE_HEADER)
        .unwrap()
        .to_owned();
    let mut tampered = ended.body.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(
        send(signature.clone(), tampered).await,
        http::StatusCode::FORBIDDEN
    );
    assert_eq!(
        send("t=1,v1=00".into(), ended.body.clone()).await,
        http::StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(signature.clone(), ended.body.clone()).await,
        http::StatusCode::NO_CONTENT
    );
    // Delivered again: applied once, answered 204 again.
    assert_eq!(
        send(signature, ended.body.clone()).await,
        http::StatusCode::NO_CONTENT
    );

    let lead = world.leads().await.unwrap().pop().unwrap();
    assert_ne!(lead.state.status, LeadStatus::Calling);
    assert_eq!(lead.state.log.len(), 1);
    let counters = world.store.counters(&world.campaign).await.unwrap();
    assert_eq!(counters.in_flight, 0);
}
