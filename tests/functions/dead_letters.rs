//! Jobs whose messages reach a dead-letter queue are given up where the user can see it:
//! an export still queued or running is marked failed with a reason, never left running.

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

#[tokio::test]
async fn a_dead_lettered_export_is_marked_failed_and_a_finished_one_is_left_alone() {
    let world = world("export-dlq", 1).await;
    let bucket = std::sync::Arc::new(adapters::blobs::S3Blobs::new(
        adapters::aws::s3_client(&world.env.config),
        world.env.resources.name("DataBucket").unwrap(),
    ));
    let worker = results::Worker {
        store: world.store.clone(),
        blobs: bucket.clone(),
        reads: bucket,
        lead_key: None,
        clock: std::sync::Arc::new(world.clock.clone()),
        dead_letter_queue_arn: Some(RESULTS_DLQ.to_owned()),
    };
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
