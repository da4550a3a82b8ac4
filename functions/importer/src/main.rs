use std::sync::Arc;

use adapters::store::DynamoStore;
use aws_lambda_events::event::sqs::SqsEvent;
use bootstrap::wiring::{init_tracing, required_var};
use importer::{ImportSettings, Importer};
use lambda_runtime::{LambdaEvent, service_fn};
use ports::{NoFaults, SystemClock};

/// mimalloc: the import pipeline allocates a few dozen small objects per row (the SDK's item
/// maps); mimalloc makes that markedly cheaper than the system allocator (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    ports::metrics::install(adapters::emf::StdoutEmf {
        service: "importer",
    });
    let sdk = adapters::aws::load_config().await;
    let mut settings = ImportSettings::default();
    if let Ok(v) = std::env::var("IMPORT_MAX_FILE_BYTES") {
        settings.max_file_bytes = v.parse()?;
    }
    settings.dead_letter_queue_arn = std::env::var("IMPORT_DEAD_LETTER_QUEUE_ARN").ok();
    let importer = Arc::new(Importer {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            required_var("TABLE_NAME")?,
        )),
        blobs: Arc::new(adapters::blobs::S3Blobs::new(
            adapters::aws::s3_client(&sdk),
            required_var("DATA_BUCKET")?,
        )),
        continuations: Arc::new(adapters::queue::SqsQueue::new(
            aws_sdk_sqs::Client::new(&sdk),
            required_var("IMPORT_QUEUE_URL")?,
        )),
        clock: Arc::new(SystemClock),
        faults: Arc::new(NoFaults),
        lead_id_key: bootstrap::lead_ids::key(&sdk, &required_var("LEAD_ID_SECRET_ARN")?).await?,
        settings,
    });
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let importer = importer.clone();
        async move {
            let deadline = std::time::Instant::now()
                + event
                    .context
                    .deadline()
                    .duration_since(std::time::SystemTime::now())
                    .unwrap_or_default();
            Ok::<_, lambda_runtime::Error>(
                importer::handle_batch(&importer, event.payload, deadline).await,
            )
        }
    }))
    .await
}
