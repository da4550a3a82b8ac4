use std::sync::Arc;

use bootstrap::wiring::{AppConfig, build_engine, init_tracing};
use lambda_runtime::{LambdaEvent, service_fn};
use ports::schedules::TickInput;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    ports::metrics::install(adapters::emf::StdoutEmf { service: "tick" });
    let config = AppConfig::from_env()?;
    let sdk = adapters::aws::load_config().await;
    // The tick places no call: it paces by the accounts' figures and holds no credentials.
    let providers = bootstrap::providers::pacing_from_env()?;
    let results_queue = bootstrap::wiring::required_var("RESULTS_QUEUE_URL")?;
    let engine = Arc::new(
        build_engine(&config, &sdk, providers).with_results_queue(Arc::new(
            adapters::queue::SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), results_queue),
        )),
    );
    lambda_runtime::run(service_fn(|event: LambdaEvent<TickInput>| {
        let engine = engine.clone();
        async move {
            tick::handle(&engine, event.payload)
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
