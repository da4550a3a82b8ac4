//! Jobs whose messages reach a dead-letter queue are given up where the user can see it:
//! an export still queued or running is marked failed with a reason, never left running; so is
//! an erasure.

use aws_lambda_events::event::sqs::SqsEvent;
use domain::ids::ExportId;
use engine::results::{EXPORT_GAVE_UP, ResultsJob, new_export};
use ports::Clock;
use ports::store::{ExportStatus, Exports};

use crate::world;

const RESULTS_DLQ: &str = "arn:aws:sqs:us-east-1:123456789012:campaigns-results-dlq";

fn event(job: &ResultsJob, source_arn: &str) -> SqsEvent {
    serde_json::from_value(serde_json::json!({ "Records": [{
        "messageId": "m1", "receiptHandle": "r1",
        "body": serde_json::to_string(job).unwrap(),
        "eventSource": "aws:sqs", "eventSourceARN": source_arn,
        "awsRegion": "us-east-1", "attributes": {}, "messageAttributes": {}
    }]}))
    .unwrap()
}

/// The results worker over the world's table and bucket, `RESULTS_DLQ` its dead-letter queue,
/// without the lead id key.
fn worker(world: &system_tests::World) -> results::Worker<adapters::store::DynamoStore> {
    let bucket = std::sync::Arc::new(adapters::blobs::S3Blobs::new(
        adapters::aws::s3_client(&world.env.config),
        world.env.resources.name("DataBucket").unwrap(),
    ));
    results::Worker {
        store: world.store.clone(),
        blobs: bucket.clone(),
        reads: bucket,
        lead_key: None,
        clock: std::sync::Arc::new(world.clock.clone()),
        dead_letter_queue_arn: Some(RESULTS_DLQ.to_owned()),
    }
}

#[tokio::test]
async fn a_dead_lettered_erasure_is_marked_failed_and_a_worker_without_the_key_fails_the_job() {
    use domain::erasure::{ErasureRecord, ErasureStatus};
    use ports::store::Erasures;
    let world = world("erase-dlq", 1).await;
    let worker = worker(&world);
    let id = domain::ids::ErasureId::parse("erasure-1").unwrap();
    let tenant = world.campaign.tenant.clone();
    let record = ErasureRecord::accepted(id.clone(), tenant.clone(), world.clock.now());
    world.store.put_erasure(&record).await.unwrap();
    let number = domain::phone::E164::parse_strict("+12125550100").unwrap();
    let job = ResultsJob::Erase {
        tenant: tenant.clone(),
        erasure: id.clone(),
        number,
    };
    let queue = "arn:aws:sqs:us-east-1:123456789012:campaigns-results";
    let ran = results::handle_batch(&worker, event(&job, queue)).await;
    assert_eq!(
        ran.batch_item_failures.len(),
        1,
        "no key: the job fails, to be retried"
    );
    let given_up = results::handle_batch(&worker, event(&job, RESULTS_DLQ)).await;
    assert!(given_up.batch_item_failures.is_empty());
    let failed = world
        .store
        .get_erasure(&tenant, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.status, ErasureStatus::Failed);
    assert_eq!(
        failed.error.as_deref(),
        Some(engine::results::ERASURE_GAVE_UP)
    );
}

#[tokio::test]
async fn a_dead_lettered_export_is_marked_failed_and_a_finished_one_is_left_alone() {
    let world = world("export-dlq", 1).await;
    let worker = worker(&world);
    let now = world.clock.now();
    let running = ExportId::parse("exp-running").unwrap();
    let mut record = new_export(
        &world.campaign,
        running.clone(),
        ports::store::ExportKind::Leads,
        now,
    );
    record.status = ExportStatus::Running;
    world.store.create_export(&record).await.unwrap();
    let finished = ExportId::parse("exp-done").unwrap();
    let mut done = new_export(
        &world.campaign,
        finished.clone(),
        ports::store::ExportKind::Leads,
        now,
    );
    done.status = ExportStatus::Completed;
    world.store.create_export(&done).await.unwrap();

    for export in [&running, &finished] {
        let job = ResultsJob::Export {
            campaign: world.campaign.clone(),
            export: export.clone(),
        };
        let response = results::handle_batch(&worker, event(&job, RESULTS_DLQ)).await;
        assert!(response.batch_item_failures.is_empty());
    }

    let given_up = world
        .store
        .get_export(&world.campaign, &running)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(given_up.status, ExportStatus::Failed);
    assert_eq!(given_up.error.as_deref(), Some(EXPORT_GAVE_UP));
    assert!(given_up.finished_at.is_some());
    let left = world
        .store
        .get_export(&world.campaign, &finished)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        left.status,
        ExportStatus::Completed,
        "a finished export is not touched"
    );
}
