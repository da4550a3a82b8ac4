use std::sync::Arc;

use adapters::blobs::S3Blobs;
use adapters::schedules::EventBridgeSchedules;
use adapters::store::DynamoStore;
use api::{ApiSettings, AppState};
use bootstrap::wiring::{AppConfig, init_tracing};
use ports::SystemClock;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init_tracing();
    ports::metrics::install(adapters::emf::StdoutEmf { service: "api" });
    let config = AppConfig::from_env()?;
    let bucket = bootstrap::wiring::required_var("DATA_BUCKET")?;
    let mut settings = ApiSettings::default();
    if let Ok(v) = std::env::var("IMPORT_MAX_FILE_BYTES") {
        settings.max_upload_bytes = v.parse()?;
    }
    if let Ok(v) = std::env::var("API_TENANT_REQUESTS_PER_SECOND") {
        settings.tenant_requests_per_second = v.parse()?;
    }
    let sdk = adapters::aws::load_config().await;
    let state = AppState {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            &config.table,
        )),
        schedules: Arc::new(EventBridgeSchedules::new(
            aws_sdk_scheduler::Client::new(&sdk),
            &config.schedule_group,
            &config.tick_function_arn,
            &config.scheduler_role_arn,
        )),
        blobs: Arc::new(S3Blobs::new(adapters::aws::s3_client(&sdk), bucket)),
        results: Arc::new(adapters::queue::SqsQueue::new(
            aws_sdk_sqs::Client::new(&sdk),
            bootstrap::wiring::required_var("RESULTS_QUEUE_URL")?,
        )),
        clock: Arc::new(SystemClock),
        settings,
        webhooks: Some(Arc::new(adapters::queue::SqsQueue::new(
            aws_sdk_sqs::Client::new(&sdk),
            &config.webhook_queue_url,
        ))),
        // The tick places no call (the dialers do); it paces what it enqueues by the accounts'
        // calls per second, so the API is given those figures and never the credentials.
        tick_now: Some(Arc::new(bootstrap::wiring::build_engine(
            &config,
            &sdk,
            bootstrap::providers::pacing_from_env()?,
        ))),
    };
    lambda_http::run(api::router(state)).await
}
