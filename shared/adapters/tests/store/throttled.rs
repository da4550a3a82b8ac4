//! What the store does when DynamoDB keeps items unprocessed (throttling), which the emulator
//! never does: a fake DynamoDB endpoint answers every BatchWriteItem / BatchGetItem with all of
//! its items or keys unprocessed, through the official SDK.

use ports::store::{Counters, DoNotCall};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use adapters::DynamoStore;
use adapters::store::BULK_BACKOFF;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use domain::ids::TenantId;
use domain::phone::E164;
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::t0;

/// A store whose DynamoDB answers every `target` request with all of its items unprocessed
/// (under `unprocessed_field`), and a count of the requests it got.
async fn store_left_unprocessed(
    target: &'static str,
    unprocessed_field: &'static str,
) -> (DynamoStore, Arc<AtomicUsize>, MockServer) {
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    Mock::given(method("POST"))
        .and(header("x-amz-target", target))
        .respond_with(move |request: &Request| {
            seen.fetch_add(1, Ordering::SeqCst);
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/x-amz-json-1.0")
                .set_body_json(serde_json::json!({
                    "Responses": { "t": [] },
                    unprocessed_field: body["RequestItems"]
                }))
        })
        .mount(&server)
        .await;
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(server.uri())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), "t");
    (store, calls, server)
}

fn numbers() -> Vec<E164> {
    (0..3)
        .map(|i| E164::parse_strict(&format!("+1212555010{i}")).unwrap())
        .collect()
}

#[tokio::test]
async fn bulk_dnc_retries_with_backoff_and_returns_every_number_it_could_not_write() {
    let (store, calls, _server) =
        store_left_unprocessed("DynamoDB_20120810.BatchWriteItem", "UnprocessedItems").await;
    let numbers = numbers();

    let unwritten = store
        .add_dnc_many(&TenantId::parse("a").unwrap(), &numbers, "csv", t0())
        .await
        .unwrap();

    assert_eq!(
        unwritten, numbers,
        "none was written, and none is reported added"
    );
    assert_eq!(calls.load(Ordering::SeqCst), BULK_BACKOFF.len());
    assert!(
        BULK_BACKOFF.windows(2).all(|w| w[0] < w[1]),
        "the pauses grow"
    );
}

#[tokio::test]
async fn a_dnc_check_the_store_cannot_complete_fails_instead_of_clearing_the_numbers() {
    let (store, calls, _server) =
        store_left_unprocessed("DynamoDB_20120810.BatchGetItem", "UnprocessedKeys").await;

    let answer = store
        .dnc_among(&TenantId::parse("a").unwrap(), &numbers())
        .await;

    let err = answer.expect_err("an unanswered check is not \"none on the list\"");
    assert!(err.is_retryable(), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), BULK_BACKOFF.len());
}

#[tokio::test]
async fn a_campaign_read_the_store_cannot_complete_fails_instead_of_reading_as_missing() {
    let (store, _calls, _server) =
        store_left_unprocessed("DynamoDB_20120810.BatchGetItem", "UnprocessedKeys").await;
    let campaign = domain::ids::CampaignRef {
        tenant: TenantId::parse("a").unwrap(),
        campaign: domain::ids::CampaignId::parse("c1").unwrap(),
    };

    // A tick that read "no such campaign" would delete the campaign's schedule.
    let err = store
        .campaign_with_counters(&campaign)
        .await
        .expect_err("an unanswered read is not a missing campaign");
    assert!(err.is_retryable(), "{err}");
}
