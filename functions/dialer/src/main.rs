use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use bootstrap::wiring::{AppConfig, build_engine, init_tracing, public_base_url};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    ports::metrics::install(adapters::emf::StdoutEmf { service: "dialer" });
    let config = AppConfig::from_env()?;
    let sdk = adapters::aws::load_config().await;
    // The secrets at once: init waits for one round trip to Secrets Manager, not three.
    let lead_id_secret = bootstrap::wiring::required_var("LEAD_ID_SECRET_ARN")?;
    let (providers, call_tokens, lead_ids) = tokio::join!(
        bootstrap::providers::from_env(&sdk),
        bootstrap::lead_ids::call_token_key(&sdk),
        bootstrap::lead_ids::key(&sdk, &lead_id_secret)
    );
    let (providers, call_tokens, lead_ids) = (providers?, call_tokens?, lead_ids?);
    let provider_base_url = public_base_url()?;
    let share = std::env::var("TENANT_CPS_SHARE_PERCENT").map_or(Ok(100), |v| v.parse())?;
    let engine = Arc::new(
        build_engine(&config, &sdk, providers)
            .with_provider_base_url(&provider_base_url)
            .with_tenant_cps_share(share)
            .with_call_token_key(call_tokens)
            .with_erased_numbers(lead_ids),
    );
    // Records that must wait are sent again, delayed, on the dial queue.
    let queue = Arc::new(adapters::queue::SqsQueue::new(
        aws_sdk_sqs::Client::new(&sdk),
        config.dial_queue_url.clone(),
    ));
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let (engine, queue) = (engine.clone(), queue.clone());
        async move {
            Ok::<_, lambda_runtime::Error>(
                dialer::handle_batch(&engine, queue.as_ref(), event.payload, 1.0).await,
            )
        }
    }))
    .await
}
