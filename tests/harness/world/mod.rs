//! Building a world (emulator resources, tenant, agent, campaign, leads) and running it.

mod damage;
mod doubles;
mod erasure;
mod hooks;
mod run;
mod seed;
mod tool_calls;

pub use damage::{DAMAGED_STATE, Damage};

pub use hooks::DeliveryStats;

use doubles::{CopyingQueue, RecordingSchedules};

use std::collections::BTreeMap;
use std::sync::Arc;

use adapters::queue::SqsQueue;
use adapters::request_count::RequestCounter;
use adapters::store::DynamoStore;
use adapters::voice::http_agent::{HttpAgent, HttpAgentConfig};
use adapters::voice::simulator::{FaultMix, OutcomeMix, Simulator, SimulatorConfig};
use adapters::voice::twilio::{Twilio, TwilioConfig};
use ports::store::{Campaigns, Leads};
use ports::voice::CallReference;
use ports::{Clock, ManualClock};

use crate::fake_providers::ProviderKind;
use adapters::voice::retell::{Retell, RetellConfig};
use adapters::voice::vapi::{Vapi, VapiConfig};
use chrono::{DateTime, Duration, Utc};
use domain::config::{CampaignConfig, CampaignSpec};
use domain::ids::CampaignRef;
use domain::lead::{Contact, Lead};
use domain::phone::E164;
use domain::status::CampaignStatus;
use emulator::TestEnv;
use engine::{Engine, Providers, Settings};

use crate::crash::CrashPlan;

/// What to build and how hard to push it.
#[derive(Debug, Clone)]
pub struct WorldConfig {
    /// Names the emulator resources.
    pub label: String,
    /// Seeds the network and the crash plan.
    pub seed: u64,
    pub campaign: CampaignSpec,
    /// Who to call.
    pub contacts: Vec<Contact>,
    /// When the campaign starts (virtual).
    pub start: DateTime<Utc>,
    /// The network's faults.
    pub faults: FaultMix,
    /// Probability of a crash at each crash point.
    pub crash_probability: f64,
    /// Copies of every queue message.
    pub copies: usize,
    /// Dialers working at once.
    pub dialers: usize,
    /// Fire every tick twice, concurrently.
    pub duplicate_ticks: bool,
    /// The provider account's calls per second.
    pub calls_per_second: u32,
    /// The provider account's lines (simultaneous calls over every campaign), when it caps them.
    pub account_lines: Option<u32>,
    /// Numbers put on the DNC list at an offset from the start.
    pub dnc_additions: Vec<(Duration, E164)>,
    /// Those numbers are erased instead, then imported again (see `erasure.rs`).
    pub erase_dnc_additions: bool,
    /// Give up after this much virtual time.
    pub max_virtual: Duration,
    /// Seed leads with batch writes instead of conditional puts (large benchmark campaigns).
    pub bulk_seed: bool,
    /// Which adapter the engine calls the network through.
    pub provider: ProviderKind,
    /// Steps that take this much virtual time (see [`CrashPlan::stalling`]).
    pub stalls: Vec<(&'static str, Duration)>,
    /// How the simulated calls end.
    pub outcomes: OutcomeMix,
    /// The engine's quiet-hint horizon (see [`Settings::quiet_horizon`]).
    pub quiet_horizon: Duration,
    /// The provider API the adapter talks to, when a test runs its own fake (else one backed
    /// by the simulated network is started).
    pub provider_base: Option<String>,
    /// More campaigns of the same tenant and agent, run at the same time (`campaign-2`, ...):
    /// their leads may share numbers with the first's.
    pub siblings: Vec<(CampaignSpec, Vec<Contact>)>,
    /// Campaigns of other tenants (`tenant-2`, ...; each with its own agent, on the same
    /// provider account), run at the same time; in [`World::siblings`] after the first
    /// tenant's.
    pub other_tenants: Vec<(CampaignSpec, Vec<Contact>)>,
    /// End the run this much virtual time after a guardrail pauses a campaign (calls in flight
    /// settle meanwhile); `None`: run on (a paused campaign never drains).
    pub stop_after_pause: Option<Duration>,
    /// Record outbound webhook events (an outbox on the template's webhook queue); deliver
    /// them after the run with [`World::deliver_outbound_webhooks`].
    pub webhook_outbox: bool,
    /// Lead items of the first campaign to damage, in Draft or during the run.
    pub damage: Vec<Damage>,
    /// When the network's agent or account is down.
    pub outages: adapters::voice::simulator::Outages,
    /// A person resumes the first campaign this long after it paused (a guardrail, an account
    /// problem), as the API's resume does; `None`: it stays paused.
    pub resume_after_pause: Option<Duration>,
    /// The agent's caller pool beside its default number (each registered for the tenant),
    /// and each number's limits: by default as high as they go, so that worlds measuring
    /// something else are not paced by them.
    pub caller_pool: Vec<E164>,
    pub caller_limits: domain::caller_limits::CallerLimits,
    pub caller_health: domain::caller_health::HealthRule,
    /// Who picks up, by caller number (the simulator's answer model).
    pub answers: adapters::voice::simulator::AnswerModel,
    /// Whether the simulated agent reports its disclosures (off by default: one report more
    /// per answered call, for worlds that do not judge them), and the share it forgets.
    pub reports_disclosures: bool,
    pub disclosures_forgotten: f64,
}

impl WorldConfig {
    /// A well-behaved world: no faults, one copy, one dialer.
    pub fn calm(
        label: &str,
        campaign: CampaignSpec,
        contacts: Vec<Contact>,
        start: DateTime<Utc>,
    ) -> Self {
        Self {
            label: label.into(),
            seed: 1,
            campaign,
            contacts,
            start,
            faults: FaultMix::default(),
            crash_probability: 0.0,
            copies: 1,
            dialers: 1,
            duplicate_ticks: false,
            calls_per_second: 5,
            account_lines: None,
            dnc_additions: Vec::new(),
            erase_dnc_additions: false,
            max_virtual: Duration::days(14),
            bulk_seed: false,
            provider: ProviderKind::Simulator,
            stalls: Vec::new(),
            outcomes: OutcomeMix::default(),
            quiet_horizon: Settings::new("").quiet_horizon,
            provider_base: None,
            siblings: Vec::new(),
            other_tenants: Vec::new(),
            stop_after_pause: None,
            webhook_outbox: false,
            damage: Vec::new(),
            outages: Default::default(),
            resume_after_pause: None,
            caller_pool: Vec::new(),
            caller_limits: domain::caller_limits::CallerLimits {
                per_hour: domain::caller_limits::MAX_PER_HOUR,
                per_day: domain::caller_limits::MAX_PER_DAY,
            },
            answers: Default::default(),
            caller_health: Default::default(),
            reports_disclosures: false,
            disclosures_forgotten: 0.0,
        }
    }

    /// Everything that can go wrong, going wrong.
    pub fn hostile(mut self) -> Self {
        self.faults = FaultMix::hostile();
        self.crash_probability = 0.02;
        self.copies = 3;
        self.dialers = 4;
        self.duplicate_ticks = true;
        self
    }
}

/// The world's webhook outbox: jobs on the emulator's queue, visible at once (delays are the
/// virtual clock's; see [`World::deliver_outbound_webhooks`]).
fn outbox(
    store: &Arc<DynamoStore>,
    sqs: &aws_sdk_sqs::Client,
    url: &str,
) -> Arc<engine::webhooks::Outbox> {
    let queue = SqsQueue::new(sqs.clone(), url).with_delay_scale(0.0);
    Arc::new(engine::webhooks::Outbox::new(
        store.clone(),
        Arc::new(queue),
        Duration::seconds(30),
    ))
}

/// A contact for `number`, with optional explicit zone.
pub fn contact(number: &str) -> Contact {
    Contact::new(E164::parse_strict(number).expect("test numbers are E.164"))
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RunStats {
    /// Ticks run.
    pub ticks: u64,
    /// Ticks that crashed (injected).
    pub crashed_ticks: u64,
    /// Ticks that skipped the due index on a quiet hint.
    pub quiet_ticks: u64,
    /// Leads ticks found due but outside their window, and moved to its next opening.
    pub deferred_by_ticks: u64,
    /// Dial messages handled (every copy counts).
    pub dial_deliveries: u64,
    /// Webhook deliveries handled.
    pub provider_event_deliveries: u64,
    /// Twilio call-flow requests (the redirect after the agent's stream), and their transfers.
    pub call_flows: u64,
    pub transfers: u64,
    /// Agent reports (agent report API) handled, and those that recorded something new.
    pub agent_reports: u64,
    pub agent_reports_recorded: u64,
    /// Create-call requests the network received.
    pub create_requests: u64,
    pub calls_placed: u64,
    /// Whether the campaign drained and its schedule was deleted.
    pub finished: bool,
    /// Guardrails that paused a campaign, and when.
    pub guardrail_trips: Vec<(domain::guardrails::Guardrail, DateTime<Utc>)>,
    /// Pauses of the first campaign a person resumed (see [`WorldConfig::resume_after_pause`]),
    /// by their reason's guardrail, and when resumed.
    pub resumed: Vec<(domain::guardrails::Guardrail, DateTime<Utc>)>,
    /// Virtual time from start to the end of the run.
    pub virtual_elapsed: Duration,
    /// Dial messages per outcome description.
    pub dial_outcomes: BTreeMap<String, u64>,
    /// Per tenant, each call's start after its planned start (virtual ms): its wait for CPS.
    pub start_waits: BTreeMap<String, Vec<i64>>,
    /// The largest dial message the queue carried, in bytes (SQS takes at most 256 KiB).
    pub largest_dial_message: usize,
    /// AWS requests per phase: `tick`, `dial`, `webhook` (the engine's own), and `poll`
    /// (SQS receive and delete: the Lambda event source's work).
    pub requests: BTreeMap<&'static str, PhaseRequests>,
}

/// AWS requests of one phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhaseRequests {
    /// DynamoDB write requests.
    pub dynamodb_writes: u64,
    /// DynamoDB read requests.
    pub dynamodb_reads: u64,
    /// SQS requests.
    pub sqs: u64,
}

impl PhaseRequests {
    fn of(counter: &RequestCounter) -> Self {
        Self {
            dynamodb_writes: counter.dynamodb_writes(),
            dynamodb_reads: counter.dynamodb_reads(),
            sqs: counter.count(
                "sqs",
                &[
                    "SendMessageBatch",
                    "SendMessage",
                    "ReceiveMessage",
                    "DeleteMessage",
                    "ChangeMessageVisibility",
                ],
            ),
        }
    }

    fn add_since(&mut self, before: PhaseRequests, after: PhaseRequests) {
        self.dynamodb_writes += after.dynamodb_writes - before.dynamodb_writes;
        self.dynamodb_reads += after.dynamodb_reads - before.dynamodb_reads;
        self.sqs += after.sqs - before.sqs;
    }
}

/// A message waiting for its virtual delivery time.
struct Pending {
    at: DateTime<Utc>,
    body: String,
    receipt: String,
    /// When the message was planned to start (its `not_before` on first receipt).
    planned: DateTime<Utc>,
    /// Its campaign's tenant.
    tenant: String,
}

/// A webhook waiting for (re)delivery.
struct PendingEvent {
    at: DateTime<Utc>,
    url: String,
    body: Vec<u8>,
    tries: u32,
    /// An agent report's call token (reports are not provider webhooks).
    bearer: Option<String>,
}

/// A built world.
pub struct World {
    /// The emulator resources.
    pub env: TestEnv,
    pub store: Arc<DynamoStore>,
    /// The virtual clock.
    pub clock: ManualClock,
    /// The network.
    pub simulator: Arc<Simulator>,
    /// The engine under test.
    pub engine: Arc<Engine<DynamoStore>>,
    /// Crash injection.
    pub crashes: Arc<CrashPlan>,
    /// AWS requests by operation.
    pub requests: RequestCounter,
    pub campaign: CampaignRef,
    /// Its configuration.
    pub config: CampaignConfig,
    /// The sibling campaigns (see [`WorldConfig::siblings`]) and their configurations.
    pub siblings: Vec<(CampaignRef, CampaignConfig)>,
    /// Numbers put on the DNC list, and when.
    pub dnc_added: Vec<(E164, DateTime<Utc>)>,
    /// Leads of the first campaign damaged (see [`WorldConfig::damage`]), as they were just
    /// before.
    pub damaged: Vec<Lead>,
    settings: WorldConfig,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    schedules: Arc<RecordingSchedules>,
    pending: Vec<Pending>,
    provider_events: Vec<PendingEvent>,
    /// The webhook queue, when the world records webhook events.
    webhook_queue_url: Option<String>,
}

/// The simulator's webhook secret in tests.
pub const EVENT_SECRET: &str = "simulator-test-secret";

impl World {
    /// Provisions resources and creates the tenant, agent, campaign (Active) and leads.
    pub async fn build(settings: WorldConfig) -> anyhow::Result<Self> {
        let env = TestEnv::new(&settings.label).await?;
        let requests = RequestCounter::default();
        let dynamo_config = aws_sdk_dynamodb::config::Builder::from(&env.config)
            .interceptor(requests.clone())
            .build();
        let store = Arc::new(DynamoStore::new(
            aws_sdk_dynamodb::Client::from_conf(dynamo_config),
            env.table(),
        ));
        let sqs_config = aws_sdk_sqs::config::Builder::from(&env.config)
            .interceptor(requests.clone())
            .build();
        let sqs = aws_sdk_sqs::Client::from_conf(sqs_config);
        let queue_url = env.resources.name("DialQueue")?.to_owned();
        let clock = ManualClock::at(settings.start);
        let mut sim_config = SimulatorConfig::new(settings.seed, EVENT_SECRET);
        sim_config.faults = settings.faults.clone();
        sim_config.outcomes = settings.outcomes.clone();
        sim_config.outages = settings.outages.clone();
        sim_config.answers = settings.answers.clone();
        sim_config.reports_disclosures = settings.reports_disclosures;
        sim_config.disclosures_forgotten = settings.disclosures_forgotten;
        sim_config.account.calls_per_second = settings.calls_per_second;
        let simulator = Arc::new(Simulator::new(sim_config, Arc::new(clock.clone())));
        let crashes = Arc::new(
            CrashPlan::new(settings.crash_probability, settings.seed ^ 0x5eed)
                .stalling(clock.clone(), settings.stalls.clone()),
        );
        let schedules = Arc::new(RecordingSchedules::default());
        let queue = Arc::new(CopyingQueue {
            inner: SqsQueue::new(sqs.clone(), &queue_url),
            copies: settings.copies.max(1),
        });
        let providers = providers_for(&settings, &simulator, &clock).await?;
        let engine_settings = engine_settings(&settings);
        let mut engine = Engine::new(
            store.clone(),
            queue,
            providers,
            schedules.clone(),
            Arc::new(clock.clone()),
            crashes.clone(),
            engine_settings,
        );
        let webhook_queue_url = (settings.webhook_outbox)
            .then(|| env.resources.name("WebhookQueue").map(str::to_owned))
            .transpose()?;
        if let Some(url) = &webhook_queue_url {
            engine = engine.with_webhooks(outbox(&store, &sqs, url));
        }
        let engine = Arc::new(engine);

        let (campaign, config, damaged) = seed::seed_campaign(&store, &settings).await?;
        let mut siblings = seed::seed_siblings(&store, &campaign.tenant, &settings).await?;
        siblings.extend(seed::seed_other_tenants(&store, &settings).await?);
        requests.reset();
        Ok(Self {
            env,
            store,
            clock,
            simulator,
            engine,
            crashes,
            requests,
            campaign,
            config,
            siblings,
            dnc_added: Vec::new(),
            damaged,
            settings,
            sqs,
            queue_url,
            schedules,
            pending: Vec::new(),
            provider_events: Vec::new(),
            webhook_queue_url,
        })
    }

    /// Every campaign of the world: the first, then its siblings.
    pub fn campaigns(&self) -> Vec<&CampaignRef> {
        std::iter::once(&self.campaign)
            .chain(self.siblings.iter().map(|(c, _)| c))
            .collect()
    }

    /// The provider account the world's calls are placed on, and its lines when it caps them.
    pub fn account_lines(&self) -> Option<(String, u32)> {
        let lines = self.settings.account_lines?;
        let provider = self.engine.providers.get(self.settings.provider.name())?;
        let account = ports::voice::VoiceProvider::account(provider.as_ref());
        Some((account.id.clone(), lines))
    }

    /// The limits on each of the agent's caller numbers.
    pub fn caller_limits(&self) -> domain::caller_limits::CallerLimits {
        self.settings.caller_limits
    }

    /// Every lead, as stored now.
    pub async fn leads(&self) -> anyhow::Result<Vec<Lead>> {
        Ok(self.store.all_leads(&self.campaign).await?)
    }

    /// The campaign's status now.
    pub async fn status(&self) -> anyhow::Result<CampaignStatus> {
        Ok(self.record().await?.status)
    }

    /// The campaign's record now.
    pub async fn record(&self) -> anyhow::Result<ports::store::CampaignRecord> {
        (self.store.get_campaign(&self.campaign).await?)
            .ok_or_else(|| anyhow::anyhow!("campaign gone"))
    }
}

/// `{base}/v1/call-events/{provider}/{tenant}/{campaign}/{lead}/{attempt}` -> reference.
pub fn reference_from_url(url: &str) -> Option<CallReference> {
    let path = url.split("/v1/call-events/").nth(1)?;
    let path = path.split(['?', '#']).next()?;
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        [_provider, tenant, campaign, lead, attempt] => {
            CallReference::from_segments(tenant, campaign, lead, attempt)
        }
        _ => None,
    }
}

/// A numbering of test contacts: `count` numbers spread over the given area codes.
pub fn contacts_in(area_codes: &[&str], count: usize) -> Vec<Contact> {
    (0..count)
        .map(|i| {
            let npa = area_codes[i % area_codes.len()];
            contact(&format!("+1{npa}{:07}", 2_000_000 + i))
        })
        .collect()
}

/// Current time according to a clock trait object (for checks).
pub fn now_of(clock: &dyn Clock) -> DateTime<Utc> {
    clock.now()
}

/// The voice providers of a world: the simulated network itself, or a real adapter (Twilio,
/// the HTTP agent platform) talking to a fake of that provider backed by the simulator.
async fn providers_for(
    settings: &WorldConfig,
    simulator: &Arc<Simulator>,
    clock: &ManualClock,
) -> anyhow::Result<Providers> {
    let providers = adapter_for(settings, simulator, clock).await?;
    Ok(match settings.account_lines {
        Some(lines) => providers.with_account_lines(settings.provider.name(), lines),
        None => providers,
    })
}

/// [`providers_for`] before the account's lines.
async fn adapter_for(
    settings: &WorldConfig,
    simulator: &Arc<Simulator>,
    clock: &ManualClock,
) -> anyhow::Result<Providers> {
    Ok(match settings.provider {
        ProviderKind::Simulator => Providers::default().with("simulator", simulator.clone()),
        kind => {
            let base = match &settings.provider_base {
                Some(base) => base.clone(),
                None => crate::fake_providers::start(kind, simulator.clone()).await?,
            };
            let timeout = std::time::Duration::from_secs(5);
            let adapter: Arc<dyn ports::voice::VoiceProvider> = match kind {
                ProviderKind::Twilio => Arc::new(Twilio::new(
                    TwilioConfig::new(
                        crate::fake_providers::TWILIO_SID,
                        crate::fake_providers::TWILIO_TOKEN,
                        &base,
                        settings.calls_per_second,
                    ),
                    timeout,
                )),
                ProviderKind::Retell => Arc::new(Retell::new(
                    RetellConfig {
                        api_key: crate::fake_providers::retell::RETELL_KEY.into(),
                        api_base: base,
                        calls_per_second: settings.calls_per_second,
                    },
                    timeout,
                )),
                ProviderKind::Vapi => Arc::new(Vapi::new(
                    VapiConfig {
                        api_key: crate::fake_providers::vapi::VAPI_KEY.into(),
                        api_base: base,
                        phone_number_ids: fake_vapi_numbers(),
                        calls_per_second: settings.calls_per_second,
                    },
                    timeout,
                )),
                _ => Arc::new(HttpAgent::new(
                    HttpAgentConfig {
                        base_url: base,
                        api_key: "fake-key".into(),
                        signing_secret: crate::fake_providers::AGENT_SECRET.into(),
                        calls_per_second: settings.calls_per_second,
                    },
                    timeout,
                    Arc::new(clock.clone()),
                )),
            };
            Providers::default().with(kind.name(), adapter)
        }
    })
}

/// The caller numbers the worlds' agents use, each with the fake Vapi's `phoneNumberId`.
pub fn fake_vapi_numbers() -> std::collections::BTreeMap<String, String> {
    // The worlds' number, the demo's and its pool's.
    [
        "+14155552671",
        "+14155550199",
        "+12125550199",
        "+13125550199",
    ]
    .into_iter()
    .map(|n| {
        (
            n.to_owned(),
            crate::fake_providers::vapi::PHONE_NUMBER_ID.to_owned(),
        )
    })
    .collect()
}

/// Up to ten messages visible on `url` now (no long poll: the world's clock is virtual).
async fn receive_visible(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
) -> anyhow::Result<Vec<aws_sdk_sqs::types::Message>> {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(0)
        .send()
        .await?;
    Ok(out.messages.unwrap_or_default())
}

/// The engine's settings in a world: its quiet horizon, erased numbers checked.
fn engine_settings(settings: &WorldConfig) -> Settings {
    let mut engine = Settings::new("http://engine.test");
    engine.quiet_horizon = settings.quiet_horizon;
    engine.erased_numbers = Some(seed::world_lead_id_key());
    engine
}
