use std::sync::Arc;

use adapters::blobs::S3Blobs;
use adapters::store::DynamoStore;
use aws_lambda_events::event::sqs::SqsEvent;
use bootstrap::wiring::{init_tracing, required_var};
use lambda_runtime::{LambdaEvent, service_fn};
use ports::SystemClock;
use results::Worker;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    ports::metrics::install(adapters::emf::StdoutEmf { service: "results" });
    let sdk = adapters::aws::load_config().await;
    let bucket = Arc::new(S3Blobs::new(
        adapters::aws::s3_client(&sdk),
        required_var("DATA_BUCKET")?,
    ));
    let worker = Worker {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            required_var("TABLE_NAME")?,
        )),
        blobs: bucket.clone(),
        reads: bucket,
        lead_key: Some(bootstrap::lead_ids::key(&sdk, &required_var("LEAD_ID_SECRET_ARN")?).await?),
        clock: Arc::new(SystemClock),
        dead_letter_queue_arn: std::env::var("RESULTS_DEAD_LETTER_QUEUE_ARN").ok(),
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let worker = worker.clone();
        async move {
            Ok::<_, lambda_runtime::Error>(results::handle_batch(&worker, event.payload).await)
        }
    }))
    .await
}
