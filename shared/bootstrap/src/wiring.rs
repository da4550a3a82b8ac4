//! Configuration from the environment (read once at cold start) and the engine built from it.
//! Every variable read here is set by `template.yaml`; a missing one fails the cold start with
//! its name, never a request.

use std::sync::Arc;

use adapters::queue::SqsQueue;
use adapters::schedules::EventBridgeSchedules;
use adapters::store::DynamoStore;
use aws_config::SdkConfig;
use ports::{Clock, NoFaults, SystemClock};

use engine::{Engine, Providers, Settings};

/// A required variable is missing or empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {0} is not set")]
pub struct MissingVar(pub &'static str);

/// Every variable the engine's functions read.
pub const ENV_VARS: &[&str] = &[
    "TABLE_NAME",
    "DIAL_QUEUE_URL",
    "SCHEDULE_GROUP",
    "TICK_FUNCTION_ARN",
    "SCHEDULER_ROLE_ARN",
    "WEBHOOK_QUEUE_URL",
];

/// The public base URL of the provider routes (events, call flows, agent reports); read by the dialer only (it writes callback
/// URLs). Functions behind the HTTP API cannot be given their own API's URL in the template
/// (a circular reference), so the call-events function rebuilds it from the request's host.
pub const PROVIDER_BASE_URL: &str = "PROVIDER_BASE_URL";

/// The functions' configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    /// The DynamoDB table.
    pub table: String,
    /// The dial queue's URL.
    pub dial_queue_url: String,
    /// The Scheduler group holding campaign schedules.
    pub schedule_group: String,
    /// The tick function's ARN (schedules' target).
    pub tick_function_arn: String,
    /// The role Scheduler assumes to invoke the tick.
    pub scheduler_role_arn: String,
    /// The webhook queue: fan-out jobs for the events the engine records.
    pub webhook_queue_url: String,
}

impl AppConfig {
    /// Reads the configuration through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, MissingVar> {
        let var = |name: &'static str| {
            get(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or(MissingVar(name))
        };
        Ok(Self {
            table: var("TABLE_NAME")?,
            dial_queue_url: var("DIAL_QUEUE_URL")?,
            schedule_group: var("SCHEDULE_GROUP")?,
            tick_function_arn: var("TICK_FUNCTION_ARN")?,
            scheduler_role_arn: var("SCHEDULER_ROLE_ARN")?,
            webhook_queue_url: var("WEBHOOK_QUEUE_URL")?,
        })
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, MissingVar> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }
}

/// The engine on AWS with the system clock.
pub fn build_engine(
    config: &AppConfig,
    sdk: &SdkConfig,
    providers: Providers,
) -> Engine<DynamoStore> {
    build_engine_with(config, sdk, providers, Arc::new(SystemClock), 1.0)
}

/// The engine on AWS with another clock (the local runner's virtual clock), SQS delays scaled
/// by `delay_scale` real seconds per virtual second.
pub fn build_engine_with(
    config: &AppConfig,
    sdk: &SdkConfig,
    providers: Providers,
    clock: Arc<dyn Clock>,
    delay_scale: f64,
) -> Engine<DynamoStore> {
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::new(sdk),
        &config.table,
    ));
    build_engine_on(store, config, sdk, providers, clock, delay_scale)
}

/// The engine over a store built elsewhere (the local runner's, which records what each
/// function does to the table).
pub fn build_engine_on(
    store: Arc<DynamoStore>,
    config: &AppConfig,
    sdk: &SdkConfig,
    providers: Providers,
    clock: Arc<dyn Clock>,
    delay_scale: f64,
) -> Engine<DynamoStore> {
    let queue = SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &config.dial_queue_url)
        .with_delay_scale(delay_scale);
    let schedules = EventBridgeSchedules::new(
        aws_sdk_scheduler::Client::new(sdk),
        &config.schedule_group,
        &config.tick_function_arn,
        &config.scheduler_role_arn,
    );
    let webhook_queue = SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &config.webhook_queue_url)
        .with_delay_scale(delay_scale);
    let outbox = engine::webhooks::Outbox::new(
        store.clone(),
        Arc::new(webhook_queue),
        chrono::Duration::seconds(WEBHOOK_ENDPOINTS_TTL_SECONDS),
    );
    Engine::new(
        store,
        Arc::new(queue),
        providers,
        Arc::new(schedules),
        clock,
        Arc::new(NoFaults),
        Settings::new(""),
    )
    .with_webhooks(Arc::new(outbox))
}

/// How long a warm function remembers a tenant's webhook endpoints: a new endpoint hears of
/// calls from at most this long after it is registered.
pub const WEBHOOK_ENDPOINTS_TTL_SECONDS: i64 = 30;

/// A required variable of this process.
pub fn required_var(name: &'static str) -> Result<String, MissingVar> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or(MissingVar(name))
}

/// The public base URL of the provider routes ([`PROVIDER_BASE_URL`]): an `https://` (or, for
/// local runs, `http://`) URL of at most [`adapters::voice::MAX_PUBLIC_BASE_URL`] characters,
/// without a trailing slash. A longer one would eat the lead's fields out of Twilio's TwiML,
/// so it is refused at start rather than discovered on a call.
pub fn public_base_url() -> Result<String, BadBaseUrl> {
    let url = required_var(PROVIDER_BASE_URL).map_err(|_| BadBaseUrl("is not set".into()))?;
    let url = url.trim().trim_end_matches('/').to_owned();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(BadBaseUrl("must start with https://".into()));
    }
    if url.chars().count() > adapters::voice::MAX_PUBLIC_BASE_URL {
        return Err(BadBaseUrl(format!(
            "must be at most {} characters",
            adapters::voice::MAX_PUBLIC_BASE_URL
        )));
    }
    Ok(url)
}

/// [`PROVIDER_BASE_URL`] is missing or unusable.
#[derive(Debug, thiserror::Error)]
#[error("PROVIDER_BASE_URL {0}")]
pub struct BadBaseUrl(String);

/// JSON logs for Lambda (CloudWatch), honouring `RUST_LOG`; quiet by default in tests. Each
/// line carries its spans (`spans`: request, tick, dial, provider_event, agent_report, import,
/// results_job, webhook_job) with their tenant, campaign, lead and attempt ids, so one lead can be
/// followed with a filter on `spans[].lead` (docs/operations.md).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(true)
        .without_time()
        .try_init();
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn a_missing_variable_is_named() {
        let mut env: HashMap<&str, &str> = ENV_VARS.iter().map(|v| (*v, "x")).collect();
        assert!(AppConfig::from_lookup(|k| env.get(k).map(|v| v.to_string())).is_ok());
        env.insert("SCHEDULER_ROLE_ARN", " ");
        let err = AppConfig::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err, MissingVar("SCHEDULER_ROLE_ARN"));
    }
}
