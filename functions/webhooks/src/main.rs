use std::sync::Arc;

use adapters::store::DynamoStore;
use adapters::webhook_sender::HttpWebhookSender;
use bootstrap::wiring::{init_tracing, required_var};
use engine::webhooks::Deliveries;
use lambda_runtime::{LambdaEvent, service_fn};
use ports::SystemClock;
use webhooks::Invocation;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    ports::metrics::install(adapters::emf::StdoutEmf {
        service: "webhooks",
    });
    let sdk = adapters::aws::load_config().await;
    let deliveries = Arc::new(Deliveries {
        store: Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            required_var("TABLE_NAME")?,
        )),
        queue: Arc::new(adapters::queue::SqsQueue::new(
            aws_sdk_sqs::Client::new(&sdk),
            required_var("WEBHOOK_QUEUE_URL")?,
        )),
        sender: Arc::new(HttpWebhookSender::new(false)?),
        clock: Arc::new(SystemClock),
        guards: Default::default(),
    });
    lambda_runtime::run(service_fn(|event: LambdaEvent<Invocation>| {
        let deliveries = deliveries.clone();
        async move {
            webhooks::handle(&deliveries, event.payload)
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
