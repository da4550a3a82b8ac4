//! An import whose messages reach the dead-letter queue is given up where the user sees it:
//! `failed` with a reason, rows imported before kept; a finished import is left alone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::SqsEvent;
use importer::ImportSettings;
use importer::dead_letter::GAVE_UP;
use importer::event::Continuation;
use ports::NoFaults;
use ports::store::ImportStatus;

use crate::support::*;

const IMPORTS_DLQ: &str = "arn:aws:sqs:us-east-1:123456789012:campaigns-imports-dlq";

fn rows(count: u32) -> Vec<u8> {
    let mut f = String::from("phone\n");
    for i in 0..count {
        f.push_str(&format!("+1415300{i:04}\n"));
    }
    f.into_bytes()
}

fn event(body: String, source_arn: &str) -> SqsEvent {
    serde_json::from_value(serde_json::json!({ "Records": [{
        "messageId": "m1", "receiptHandle": "r1", "body": body,
        "eventSource": "aws:sqs", "eventSourceARN": source_arn,
        "awsRegion": "us-east-1", "attributes": {}, "messageAttributes": {}
    }]}))
    .unwrap()
}

fn settings() -> ImportSettings {
    ImportSettings {
        chunk_rows: 20,
        dead_letter_queue_arn: Some(IMPORTS_DLQ.to_owned()),
        ..ImportSettings::default()
    }
}

#[tokio::test]
async fn a_dead_lettered_import_is_marked_failed_and_keeps_what_it_imported() {
    let world = World::new("import-dlq").await;
    let c = world.campaign("t1", "c").await;
    let key = World::key(&c, "list.csv");
    world.upload(&key, &rows(60)).await;
    let crashing = world.importer(
        settings(),
        Arc::new(CrashOnce::new("import.after_commit", 1)),
    );
    assert!(world.run(&crashing, &key, 0).await.is_err());
    let stuck = world.record(&c, &key).await;
    assert_eq!(stuck.status, ImportStatus::Processing);

    let importer = world.importer(settings(), Arc::new(NoFaults));
    let body = serde_json::to_string(&Continuation::new(&c, &stuck.id)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    let response = importer::handle_batch(&importer, event(body, IMPORTS_DLQ), deadline).await;

    assert!(
        response.batch_item_failures.is_empty(),
        "the dead letter is consumed"
    );
    let record = world.record(&c, &key).await;
    assert_eq!(record.status, ImportStatus::Failed);
    assert_eq!(record.refusal.as_deref(), Some(GAVE_UP));
    assert_eq!(record.imported, 20, "rows imported before stay");
    assert_eq!(
        world.phones(&c).await.len(),
        20,
        "and nothing more was read"
    );
}

#[tokio::test]
async fn a_dead_letter_for_a_finished_import_changes_nothing() {
    let world = World::new("import-dlq-done").await;
    let c = world.campaign("t1", "c").await;
    let importer = world.importer(settings(), Arc::new(NoFaults));
    let (_, done) = world.import(&importer, &c, "done.csv", &rows(5)).await;
    assert_eq!(done.status, ImportStatus::Completed);

    let body = serde_json::to_string(&Continuation::new(&c, &done.id)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    importer::handle_batch(&importer, event(body, IMPORTS_DLQ), deadline).await;

    let after = world.record(&c, &World::key(&c, "done.csv")).await;
    assert_eq!(after, done);
}
