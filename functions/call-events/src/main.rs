use std::sync::Arc;

use bootstrap::wiring::{AppConfig, build_engine, init_tracing};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    init_tracing();
    adapters::emf::install(adapters::emf::StdoutEmf {
        service: "call-events",
    });
    let config = AppConfig::from_env()?;
    let sdk = adapters::aws::load_config().await;
    let providers = bootstrap::providers::from_env(&sdk).await?;
    let call_tokens = bootstrap::lead_ids::call_token_key(&sdk).await?;
    let engine = Arc::new(build_engine(&config, &sdk, providers).with_call_token_key(call_tokens));
    lambda_http::run(call_events::router(engine)).await
}
