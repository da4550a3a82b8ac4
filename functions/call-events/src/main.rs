use std::sync::Arc;

use bootstrap::wiring::{AppConfig, build_engine, init_tracing};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init_tracing();
    ports::metrics::install(adapters::emf::StdoutEmf {
        service: "call-events",
    });
    let config = AppConfig::from_env()?;
    let sdk = adapters::aws::load_config().await;
    // Both secrets at once: init waits for one round trip to Secrets Manager, not two.
    let (providers, call_tokens) = tokio::join!(
        bootstrap::providers::from_env(&sdk),
        bootstrap::lead_ids::call_token_key(&sdk)
    );
    let (providers, call_tokens) = (providers?, call_tokens?);
    let engine = Arc::new(build_engine(&config, &sdk, providers).with_call_token_key(call_tokens));
    lambda_http::run(call_events::router(engine)).await
}
