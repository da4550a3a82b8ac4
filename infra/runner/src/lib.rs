//! The whole system on one machine. One process hosts every function's handler over the local
//! AWS emulator: the API and the provider routes (call events, call flows, agent reports) on a localhost port, the importer fed by
//! the bucket's notification queue, ticks fired from the **schedules stored in the emulator**
//! (this runner plays EventBridge Scheduler: launch -> schedule -> tick is the real path),
//! dialer workers long-polling the dial queue, and the simulated phone network sending its
//! provider events back over HTTP, signed. A virtual clock runs `speed` times faster than real time so
//! a day of calling takes minutes; queue delays are scaled to match.

pub mod demo;
mod hooks;
pub mod measure;
mod network;
pub use network::RefusedEvents;
mod scheduler;
mod sources;

use std::sync::Arc;
use std::time::Duration;

use adapters::blobs::S3Blobs;
use adapters::queue::SqsQueue;
use adapters::schedules::EventBridgeSchedules;
use adapters::store::DynamoStore;
use adapters::table_access::{CALLER, TableAccessLog};
use adapters::voice::simulator::{Simulator, SimulatorConfig};
use anyhow::Context;
use aws_config::SdkConfig;
use bootstrap::wiring::{AppConfig, build_engine_on};
use chrono::{DateTime, Utc};
use emulator::{Provisioned, ResourceSpecs};
use engine::{Engine, Providers};
use ports::queue::MessageQueue;
use ports::{NoFaults, ScaledClock};
use tokio::task::JoinSet;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Port for the API and the provider routes (0: any free port).
    pub port: u16,
    /// Virtual seconds per real second.
    pub speed: f64,
    /// Where the virtual clock starts.
    pub start_at: DateTime<Utc>,
    /// The simulated network.
    pub simulator: SimulatorConfig,
    /// Dialer workers.
    pub dialers: usize,
    /// Name prefix of the emulator resources.
    pub prefix: String,
    /// API requests one tenant may make per second (`None`: no practical limit, for one local
    /// user and the contract test's bursts; the deployment's limit is a template parameter).
    pub tenant_requests_per_second: Option<u32>,
    /// Where to record each function's table accesses (tests check them against the
    /// template's policies); `None` records nothing.
    pub table_access: Option<TableAccessLog>,
    /// Which provider the demo's agent uses: the simulator itself, or a real adapter against
    /// a local fake of its platform (the simulated network still decides each call's fate).
    pub provider: LocalProvider,
    /// The protections between tenants: on, but for the noisy-neighbour benchmark's run
    /// without them.
    pub isolation: measure::Isolation,
}

/// The voice provider of a local run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LocalProvider {
    /// The simulated network, called directly.
    #[default]
    Simulator,
    /// The Retell adapter over HTTP against a fake Retell AI (`tests/harness`), as in production
    /// apart from the base URL.
    Retell,
    /// The Vapi adapter over HTTP against a fake Vapi (`tests/harness`), likewise.
    Vapi,
}

impl LocalProvider {
    /// The provider's name, as an agent's `provider`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Simulator => "simulator",
            Self::Retell => "retell",
            Self::Vapi => "vapi",
        }
    }
}

/// The providers of a local run: the simulator always, and the chosen platform's adapter
/// pointed at its fake, with the accounts' lines as in the cloud (`PROVIDER_CONCURRENT_CALLS`,
/// else its defaults).
async fn local_providers(
    provider: LocalProvider,
    simulator: &Arc<Simulator>,
) -> anyhow::Result<Providers> {
    use bootstrap::providers::{ProviderFigures, with_account_lines};
    let providers = platform_providers(provider, simulator).await?;
    let lines = ProviderFigures::account_lines_from_env()?;
    Ok(with_account_lines(providers, &lines))
}

/// [`local_providers`] before the accounts' lines.
async fn platform_providers(
    provider: LocalProvider,
    simulator: &Arc<Simulator>,
) -> anyhow::Result<Providers> {
    use system_tests::fake_providers::{self, ProviderKind};
    let providers = Providers::default().with("simulator", simulator.clone());
    Ok(match provider {
        LocalProvider::Simulator => providers,
        LocalProvider::Retell => {
            let base = fake_providers::start(ProviderKind::Retell, simulator.clone()).await?;
            let config = adapters::voice::retell::RetellConfig {
                api_key: fake_providers::retell::RETELL_KEY.into(),
                api_base: base,
                calls_per_second: 10,
            };
            let timeout = bootstrap::providers::REQUEST_TIMEOUT;
            let retell = adapters::voice::retell::Retell::new(config, timeout);
            providers.with("retell", Arc::new(retell))
        }
        LocalProvider::Vapi => {
            let base = fake_providers::start(ProviderKind::Vapi, simulator.clone()).await?;
            let config = adapters::voice::vapi::VapiConfig {
                api_key: fake_providers::vapi::VAPI_KEY.into(),
                api_base: base,
                phone_number_ids: system_tests::world::fake_vapi_numbers(),
                calls_per_second: 10,
            };
            let timeout = bootstrap::providers::REQUEST_TIMEOUT;
            let vapi = adapters::voice::vapi::Vapi::new(config, timeout);
            providers.with("vapi", Arc::new(vapi))
        }
    })
}

/// A running system.
pub struct Runner {
    /// `http://127.0.0.1:{port}`.
    pub base_url: String,
    /// The virtual clock.
    pub clock: Arc<ScaledClock>,
    /// The simulated phone network.
    pub simulator: Arc<Simulator>,
    pub store: Arc<DynamoStore>,
    /// The emulator resources.
    pub resources: Provisioned,
    /// SDK configuration for the emulator.
    pub sdk: SdkConfig,
    /// The engine the handlers share.
    pub engine: Arc<Engine<DynamoStore>>,
    /// The demo agent's provider.
    pub provider: LocalProvider,
    /// The network's provider events our routes answered with anything but a 2xx (or never answered).
    pub refused_provider_events: network::RefusedEvents,
    /// When the dialers were told each lead's call should start.
    pub planned_starts: measure::PlannedStarts,
    tasks: JoinSet<()>,
    stop: tokio::sync::watch::Sender<bool>,
}

/// The API's state: the engine's table and clock, launch's first tick run in the request.
fn api_state(
    config: &RunnerConfig,
    engine: &Arc<Engine<DynamoStore>>,
    schedules: Arc<EventBridgeSchedules>,
    blobs: Arc<S3Blobs>,
    results: Arc<dyn MessageQueue>,
    webhooks: Arc<SqsQueue>,
) -> api::AppState {
    api::AppState {
        store: engine.store.clone(),
        schedules,
        blobs,
        results,
        clock: engine.clock.clone(),
        settings: local_api_settings(config),
        tick_now: Some(engine.clone()),
        webhooks: Some(webhooks),
    }
}

/// One local user and the contract test's bursts on a sped-up clock: the per-tenant request
/// limit is the deployment's concern (tested in the API's own tests), unless a test sets one.
fn local_api_settings(config: &RunnerConfig) -> api::ApiSettings {
    let limit = match config.isolation {
        measure::Isolation::On => config.tenant_requests_per_second,
        measure::Isolation::Off => None,
    };
    api::ApiSettings {
        tenant_requests_per_second: limit.unwrap_or(10_000),
        local_webhook_targets: true,
        ..api::ApiSettings::default()
    }
}

/// The API and the provider routes on one listener (two APIs when deployed), each request
/// in its function's [`CALLER`] scope.
fn local_router(api: api::AppState, engine: &Arc<Engine<DynamoStore>>) -> axum::Router {
    let as_function = |function: &'static str| {
        axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                CALLER.scope(function, next.run(request))
            },
        )
    };
    let api = api::router(api).layer(as_function("api"));
    api.merge(call_events::router(engine.clone()).layer(as_function("call-events")))
}

/// The importer on the emulator's bucket (`bucket`) and import queue (`queue`).
fn local_importer(
    store: Arc<DynamoStore>,
    bucket: (aws_sdk_s3::Client, String),
    queue: (aws_sdk_sqs::Client, String),
    clock: Arc<ScaledClock>,
) -> Arc<importer::Importer> {
    Arc::new(importer::Importer {
        store,
        blobs: Arc::new(adapters::blobs::S3Blobs::new(bucket.0, bucket.1)),
        continuations: Arc::new(adapters::queue::SqsQueue::new(queue.0, &queue.1)),
        clock,
        faults: Arc::new(NoFaults),
        lead_id_key: local_lead_id_key(),
        settings: importer::ImportSettings::default(),
    })
}

/// The results worker over the emulator's bucket.
fn local_worker(
    store: Arc<DynamoStore>,
    bucket: Arc<S3Blobs>,
    clock: Arc<ScaledClock>,
) -> results::Worker<DynamoStore> {
    results::Worker {
        store,
        blobs: bucket.clone(),
        reads: bucket,
        lead_key: Some(local_lead_id_key()),
        clock,
        dead_letter_queue_arn: None,
    }
}

/// The deployment's lead id key, locally a fixed one (the emulator's data is throwaway): the
/// importer's lead ids, the erasures' lead ids and markers, the dialers' erased-number check.
pub fn local_lead_id_key() -> domain::ids::LeadIdKey {
    domain::ids::LeadIdKey::new("local-runner-lead-id-key").expect("long enough")
}

impl Runner {
    /// Provisions the emulator's resources from template.yaml and starts every handler.
    pub async fn start(config: RunnerConfig) -> anyhow::Result<Runner> {
        let (sdk, resources) = provision(&config.prefix).await?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let clock = Arc::new(ScaledClock::new(config.start_at, config.speed));
        let simulator = Arc::new(Simulator::new(config.simulator.clone(), clock.clone()));
        let app = app_config(&resources)?;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let results_queue_url = resources.name("ResultsQueue")?.to_owned();
        let results_queue: Arc<dyn MessageQueue> =
            Arc::new(SqsQueue::new(sqs.clone(), &results_queue_url));
        let engine = local_engine(
            local_store(&sdk, &app, config.table_access.clone()),
            (&app, &sdk),
            local_providers(config.provider, &simulator).await?,
            &clock,
            results_queue.clone(),
            &base_url,
            config.isolation,
        );
        let store = engine.store.clone();
        let schedules = schedules_for(&sdk, &app);
        let (s3, bucket) = (emulator::s3_client(&sdk), resources.name("DataBucket")?);
        let bucket = bucket.to_owned();
        let api = api_state(
            &config,
            &engine,
            Arc::new(schedules.clone()),
            Arc::new(S3Blobs::new(s3.clone(), &bucket)),
            results_queue,
            Arc::new(SqsQueue::new(sqs.clone(), &app.webhook_queue_url)),
        );
        let router = local_router(api, &engine);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let refused_provider_events = network::RefusedEvents::default();
        let mut tasks = JoinSet::new();
        tasks.spawn(serve_http(listener, router, stopped.clone()));
        let loops = Loops {
            engine: engine.clone(),
            schedules,
            worker: local_worker(
                store.clone(),
                Arc::new(S3Blobs::new(s3.clone(), &bucket)),
                clock.clone(),
            ),
            importer: local_importer(
                store.clone(),
                (s3, bucket),
                (sqs.clone(), resources.name("ImportQueue")?.to_owned()),
                clock.clone(),
            ),
            simulator: simulator.clone(),
            refused_provider_events: refused_provider_events.clone(),
            deliveries: local_deliveries(&store, &sqs, &app, &clock, config.isolation)?,
            webhook_queue_url: app.webhook_queue_url.clone(),
            sqs,
            results_queue_url,
            dial_queue_url: app.dial_queue_url.clone(),
            import_queue_url: resources.name("ImportQueue")?.to_owned(),
            dialers: config.dialers.max(1),
            planned_starts: measure::PlannedStarts::default(),
            clock: clock.clone(),
        };
        let planned_starts = loops.planned_starts.clone();
        loops.spawn(&mut tasks, stopped);
        Ok(Runner {
            base_url,
            clock,
            simulator,
            store,
            resources,
            sdk,
            engine,
            provider: config.provider,
            refused_provider_events,
            planned_starts,
            tasks,
            stop,
        })
    }

    /// Stops every task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        self.tasks.abort_all();
    }
}

/// The loops that stand in for AWS around the functions: the results worker, the scheduler
/// firing ticks, the dialers, the importer, the webhook worker and its sweep, and the
/// simulated network delivering the provider's events.
struct Loops {
    engine: Arc<Engine<DynamoStore>>,
    schedules: EventBridgeSchedules,
    worker: results::Worker<DynamoStore>,
    importer: Arc<importer::Importer>,
    /// The import queue (polled for the importer; its continuations go there).
    import_queue_url: String,
    simulator: Arc<Simulator>,
    refused_provider_events: network::RefusedEvents,
    deliveries: Arc<engine::webhooks::Deliveries>,
    webhook_queue_url: String,
    sqs: aws_sdk_sqs::Client,
    results_queue_url: String,
    dial_queue_url: String,
    dialers: usize,
    planned_starts: measure::PlannedStarts,
    clock: Arc<ScaledClock>,
}

impl Loops {
    /// Starts every loop on `tasks`; each ends when `stopped` turns true.
    fn spawn(self, tasks: &mut JoinSet<()>, stopped: tokio::sync::watch::Receiver<bool>) {
        let results = sources::results_loop(
            self.worker,
            self.sqs.clone(),
            self.results_queue_url,
            stopped.clone(),
        );
        tasks.spawn(CALLER.scope("results", results));
        tasks.spawn(scheduler::scheduler_loop(
            self.engine.clone(),
            self.schedules,
            self.clock.clone(),
            stopped.clone(),
        ));
        for _ in 0..self.dialers {
            tasks.spawn(sources::dialer_loop(
                self.engine.clone(),
                self.sqs.clone(),
                self.dial_queue_url.clone(),
                (self.clock.clone(), self.planned_starts.clone()),
                stopped.clone(),
            ));
        }
        let webhooks = hooks::webhook_loop(
            self.deliveries.clone(),
            self.sqs.clone(),
            self.webhook_queue_url,
            stopped.clone(),
        );
        tasks.spawn(CALLER.scope("webhooks", webhooks));
        let speed = self.clock.speed();
        let sweep = hooks::sweep_loop(self.deliveries, speed, stopped.clone());
        tasks.spawn(CALLER.scope("webhooks", sweep));
        let (importer, url) = (self.importer, self.import_queue_url);
        let imports = sources::importer_loop(importer, self.sqs, url, stopped.clone());
        tasks.spawn(CALLER.scope("importer", imports));
        tasks.spawn(network::network_loop(
            self.simulator,
            self.clock,
            self.refused_provider_events,
            stopped,
        ));
    }
}

/// The campaigns' tick schedules, in the emulator's schedule group.
fn schedules_for(sdk: &SdkConfig, app: &AppConfig) -> EventBridgeSchedules {
    EventBridgeSchedules::new(
        aws_sdk_scheduler::Client::new(sdk),
        &app.schedule_group,
        &app.tick_function_arn,
        &app.scheduler_role_arn,
    )
}

/// SDK configuration for the emulator at `AWS_ENDPOINT_URL`, and the template's resources
/// created there under `prefix`.
async fn provision(prefix: &str) -> anyhow::Result<(SdkConfig, Provisioned)> {
    let endpoint = emulator::endpoint_from_env()?;
    let sdk = emulator::sdk_config(&endpoint).await;
    let specs = ResourceSpecs::from_file(&emulator::template_path())?;
    let resources = emulator::provision(&sdk, &specs, prefix)
        .await
        .context("provisioning from template.yaml")?;
    Ok((sdk, resources))
}

/// The functions' configuration, pointing at the provisioned resources (the ARNs are
/// placeholders: the runner fires schedules itself).
fn app_config(resources: &Provisioned) -> anyhow::Result<AppConfig> {
    Ok(AppConfig {
        table: resources.name("CampaignsTable")?.to_owned(),
        dial_queue_url: resources.name("DialQueue")?.to_owned(),
        schedule_group: resources.name("TickScheduleGroup")?.to_owned(),
        tick_function_arn: "arn:aws:lambda:us-east-1:000000000000:function:local-tick".into(),
        scheduler_role_arn: "arn:aws:iam::000000000000:role/local-scheduler".into(),
        webhook_queue_url: resources.name("WebhookQueue")?.to_owned(),
    })
}

/// The table, its accesses recorded in `access` when a test asks.
fn local_store(
    sdk: &SdkConfig,
    app: &AppConfig,
    access: Option<TableAccessLog>,
) -> Arc<DynamoStore> {
    let mut dynamo = aws_sdk_dynamodb::config::Builder::from(sdk);
    if let Some(log) = access {
        dynamo = dynamo.interceptor(log);
    }
    let client = aws_sdk_dynamodb::Client::from_conf(dynamo.build());
    Arc::new(DynamoStore::new(client, &app.table))
}

/// The engine as the local runner runs it: over the emulator, its delays scaled to the
/// clock's speed, results jobs on the results queue, provider events to this runner.
fn local_engine(
    store: Arc<DynamoStore>,
    (app, sdk): (&AppConfig, &SdkConfig),
    providers: Providers,
    clock: &Arc<ScaledClock>,
    results_queue: Arc<dyn MessageQueue>,
    base_url: &str,
    isolation: measure::Isolation,
) -> Arc<Engine<DynamoStore>> {
    let speed = clock.speed();
    let mut engine = build_engine_on(store, app, sdk, providers, clock.clone(), 1.0 / speed)
        .with_results_queue(results_queue)
        .with_provider_base_url(base_url)
        .with_erased_numbers(local_lead_id_key());
    // Two real seconds from deciding to call to the network: the window must stay open that long.
    engine.settings.call_start_margin = engine
        .settings
        .call_start_margin
        .max(chrono::Duration::milliseconds((2000.0 * speed) as i64));
    // Demand marks and reads on real seconds (at 600x a virtual 5 s is a read per claim).
    let s = &mut engine.settings;
    (s.demand_cache_ttl, s.dialing_mark) = (
        s.demand_cache_ttl * speed as i32,
        s.dialing_mark * speed as i32,
    );
    s.fair_cps_shares = isolation == measure::Isolation::On;
    Arc::new(engine)
}

/// The webhook worker of a local run: retry delays in virtual time (as the dial queue's),
/// receivers on this machine allowed.
fn local_deliveries(
    store: &Arc<DynamoStore>,
    sqs: &aws_sdk_sqs::Client,
    app: &AppConfig,
    clock: &Arc<ScaledClock>,
    isolation: measure::Isolation,
) -> anyhow::Result<Arc<engine::webhooks::Deliveries>> {
    let queue =
        SqsQueue::new(sqs.clone(), &app.webhook_queue_url).with_delay_scale(1.0 / clock.speed());
    Ok(Arc::new(engine::webhooks::Deliveries {
        store: store.clone(),
        queue: Arc::new(queue),
        sender: Arc::new(adapters::webhook_sender::HttpWebhookSender::new(true)?),
        clock: clock.clone(),
        guards: match isolation {
            measure::Isolation::On => Default::default(),
            measure::Isolation::Off => engine::webhooks::guard::EndpointGuards::unguarded(),
        },
    }))
}

/// Serves the API and the provider routes (provider events, call flows, agent reports) until
/// stopped.
async fn serve_http(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
        let _ = stopped.wait_for(|s| *s).await;
    });
    if let Err(err) = serve.await {
        tracing::error!(error = %err, "the HTTP server stopped");
    }
}

async fn sleep_or_stop(stopped: &mut tokio::sync::watch::Receiver<bool>, real: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(real) => false,
        _ = stopped.wait_for(|s| *s) => true,
    }
}
