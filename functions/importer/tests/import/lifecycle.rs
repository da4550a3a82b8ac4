use ports::store::CampaignStatuses;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::SqsEvent;
use domain::status::CampaignStatus;
use domain::webhooks::{Event, EventType};
use importer::ImportSettings;
use importer::event::{ImportRequest, parse_message};
use importer::job::{self, Outcome};
use ports::NoFaults;
use ports::store::{ImportStatus, WebhookEvents};

use crate::support::*;

fn rows(n: u32) -> Vec<u8> {
    let mut f = String::from("phone\n");
    for i in 0..n {
        f.push_str(&format!("+1415300{i:04}\n"));
    }
    f.into_bytes()
}

async fn receive(world: &World) -> Vec<aws_sdk_sqs::types::Message> {
    let mut all = Vec::new();
    for _ in 0..20 {
        let out = world
            .sqs
            .receive_message()
            .queue_url(&world.queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let got = out.messages.unwrap_or_default();
        if got.is_empty() && !all.is_empty() {
            break;
        }
        all.extend(got);
    }
    all
}

/// A large file is imported over several invocations: each one stops when its time runs
/// short and enqueues a continuation that a fresh invocation picks up.
#[tokio::test]
async fn a_file_too_big_for_one_invocation_continues_in_fresh_ones() {
    let world = World::new("continue").await;
    let c = world.campaign("t", "c").await;
    let key = World::key(&c, "big.csv");
    world.upload(&key, &rows(200)).await;
    // Every invocation has just run out of time after its first chunk.
    let settings = ImportSettings {
        chunk_rows: 30,
        deadline_margin: Duration::from_secs(3600),
        ..ImportSettings::default()
    };
    let importer = world.importer(settings, Arc::new(NoFaults));
    let mut outcome = job::run(
        &importer,
        ImportRequest::Object {
            key: key.clone(),
            size: None,
        },
        Instant::now(),
    )
    .await
    .unwrap();
    let mut invocations = 1;
    while outcome == Outcome::Continued {
        let messages = receive(&world).await;
        let requests: Vec<ImportRequest> = messages
            .iter()
            .flat_map(|m| parse_message(m.body().unwrap_or("")))
            .collect();
        let continuation = requests
            .into_iter()
            .find(|r| matches!(r, ImportRequest::Continue { .. }))
            .expect("a continuation");
        outcome = job::run(&importer, continuation, Instant::now())
            .await
            .unwrap();
        invocations += 1;
    }
    assert_eq!(outcome, Outcome::Completed);
    assert_eq!(invocations, 7, "200 rows in chunks of 30");
    let record = world.record(&c, &key).await;
    assert_eq!((record.rows_read, record.imported), (200, 200));
}

/// The bucket's notification (configured from template.yaml) reaches the import queue, and
/// the Lambda handler imports the file from it.
#[tokio::test]
async fn a_file_dropped_in_the_bucket_is_imported_through_the_queue() {
    let world = World::new("notify").await;
    let c = world.campaign("t", "c").await;
    let key = World::key(&c, "dropped list.csv");
    world.upload(&key, &rows(3)).await;
    let records: Vec<serde_json::Value> = receive(&world)
        .await
        .into_iter()
        .map(|m| {
            serde_json::json!({
                "messageId": m.message_id().unwrap_or("m"),
                "receiptHandle": m.receipt_handle().unwrap_or("r"),
                "body": m.body().unwrap_or(""),
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:imports",
                "awsRegion": "us-east-1",
                "attributes": {}, "messageAttributes": {}
            })
        })
        .collect();
    assert!(!records.is_empty(), "the bucket notified the queue");
    let event: SqsEvent =
        serde_json::from_value(serde_json::json!({ "Records": records })).unwrap();
    let response = importer::handle_batch(
        &world.default_importer(),
        event,
        Instant::now() + Duration::from_secs(600),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    let record = world.record(&c, &key).await;
    assert_eq!(
        (record.status, record.imported),
        (ImportStatus::Completed, 3)
    );
    let told = told(&world, &c, EventType::ImportCompleted).await;
    assert_eq!(
        (&told.data["import_id"], &told.data["imported"]),
        (
            &serde_json::json!(record.id.to_string()),
            &serde_json::json!(3)
        ),
        "the completing commit records import.completed with the counts"
    );
}

/// The one webhook event of `kind` the tenant's outbox holds for campaign `c`.
async fn told(world: &World, c: &domain::ids::CampaignRef, kind: EventType) -> Event {
    let events: Vec<Event> = (world.store.recent_events(&c.tenant, 100).await.unwrap())
        .into_iter()
        .map(|(event, _)| event)
        .filter(|e| e.kind == kind && e.campaign_id == c.campaign.as_str())
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    events.into_iter().next().unwrap()
}

#[tokio::test]
async fn files_for_campaigns_that_accept_no_contacts_are_refused_whole() {
    let world = World::new("refuse").await;
    let importer = world.default_importer();
    let done = world.campaign("t", "done").await;
    world
        .store
        .set_campaign_status(&done, CampaignStatus::Draft, CampaignStatus::Active, t0())
        .await
        .unwrap();
    world
        .store
        .set_campaign_status(
            &done,
            CampaignStatus::Active,
            CampaignStatus::Completed,
            t0(),
        )
        .await
        .unwrap();
    let (outcome, record) = world.import(&importer, &done, "late.csv", &rows(5)).await;
    assert_eq!(
        outcome,
        Outcome::Refused("campaign_not_accepting_contacts".into())
    );
    assert_eq!(
        (record.status, record.rows_read),
        (ImportStatus::Rejected, 0)
    );
    assert!(world.phones(&done).await.is_empty(), "never half-imported");

    // A campaign that does not exist: the refusal is written next to the file.
    let key = "imports/t/ghost/list.csv";
    world.upload(key, &rows(1)).await;
    assert_eq!(
        world.run(&importer, key, 7).await.unwrap(),
        Outcome::Refused("campaign_not_found".into())
    );
    let refusal = world
        .s3
        .list_objects_v2()
        .bucket(&world.bucket)
        .prefix("reports/t/ghost/")
        .send()
        .await
        .unwrap();
    assert_eq!(refusal.contents().len(), 1);
}

#[tokio::test]
async fn a_file_over_the_size_limit_is_refused_whole() {
    let world = World::new("size").await;
    let c = world.campaign("t", "c").await;
    let importer = world.importer(
        ImportSettings {
            max_file_bytes: 100,
            ..ImportSettings::default()
        },
        Arc::new(NoFaults),
    );
    let (outcome, record) = world.import(&importer, &c, "big.csv", &rows(50)).await;
    assert_eq!(outcome, Outcome::Refused("file_too_large".into()));
    assert!(record.refusal.unwrap().starts_with("file_too_large"));
    assert!(world.phones(&c).await.is_empty());
    let told = told(&world, &c, EventType::ImportFailed).await;
    assert!(
        told.data["refusal"]
            .as_str()
            .unwrap()
            .starts_with("file_too_large")
    );
}
