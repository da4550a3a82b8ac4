//! Building a world (emulator resources, tenant, agent, campaign, leads) and running it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use adapters::metrics::RequestCounter;
use adapters::ports::{Clock, ManualClock};
use adapters::queue::{MessageQueue, Outgoing, QueueError, SqsQueue};
use adapters::schedules::{ScheduleError, Schedules};
use adapters::store::{AgentRecord, DueBatch, DynamoStore, NewCampaign, TenantRecord};
use adapters::voice::CallReference;
use adapters::voice::http_agent::{HttpAgent, HttpAgentConfig};
use adapters::voice::simulator::{FaultMix, OutcomeMix, Simulator, SimulatorConfig};
use adapters::voice::twilio::{Twilio, TwilioConfig};

use crate::fake_providers::ProviderKind;
use async_trait::async_trait;
use chrono::{DateTime, Duration, DurationRound, Utc};
use domain::agent::{AgentMode, AgentSpec};
use domain::config::{CampaignConfig, CampaignSpec};
use domain::ids::{AgentId, CampaignId, CampaignRef, ImportId, LeadId, TenantId};
use domain::lead::{Contact, DueKind, ImportSource, Lead, LeadState};
use domain::phone::E164;
use domain::plan::Plan;
use domain::status::CampaignStatus;
use engine::dial::DialOutcome;
use engine::messages::DialMessage;
use engine::{Engine, Providers, Settings};
use futures::StreamExt;
use local_aws::TestEnv;

use crate::crash::CrashPlan;

/// What to build and how hard to push it.
#[derive(Debug, Clone)]
pub struct WorldConfig {
    /// Names the emulator resources.
    pub label: String,
    /// Seeds the network and the crash plan.
    pub seed: u64,
    /// The campaign.
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
    /// Numbers put on the DNC list at an offset from the start.
    pub dnc_additions: Vec<(Duration, E164)>,
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
            dnc_additions: Vec::new(),
            max_virtual: Duration::days(14),
            bulk_seed: false,
            provider: ProviderKind::Simulator,
            stalls: Vec::new(),
            outcomes: OutcomeMix::default(),
            quiet_horizon: Settings::new("").quiet_horizon,
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

/// A contact for `number`, with optional explicit zone.
pub fn contact(number: &str) -> Contact {
    Contact {
        phone: E164::parse_strict(number).expect("test numbers are E.164"),
        name: None,
        email: None,
        company: None,
        timezone: None,
        state: None,
        consent: None,
        custom: BTreeMap::new(),
    }
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
    pub webhook_deliveries: u64,
    /// Create-call requests the network received.
    pub create_requests: u64,
    /// Calls placed.
    pub calls_placed: u64,
    /// Whether the campaign drained and its schedule was deleted.
    pub finished: bool,
    /// Virtual time from start to the end of the run.
    pub virtual_elapsed: Duration,
    /// Dial messages per outcome description.
    pub dial_outcomes: BTreeMap<String, u64>,
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

/// Multiplies every message (SQS delivers at least once; here always several times) and sends
/// them without delay: the harness keeps each message's delay in virtual time instead.
struct CopyingQueue {
    inner: SqsQueue,
    copies: usize,
}

#[async_trait]
impl MessageQueue for CopyingQueue {
    async fn send(&self, messages: Vec<Outgoing>) -> Result<(), QueueError> {
        let copies = messages
            .into_iter()
            .flat_map(|m| {
                std::iter::repeat_n(
                    Outgoing {
                        body: m.body,
                        delay: StdDuration::ZERO,
                    },
                    self.copies,
                )
            })
            .collect();
        self.inner.send(copies).await
    }
}

/// Records schedule deletions (the runner's view of the Scheduler).
#[derive(Default)]
struct RecordingSchedules(std::sync::Mutex<Vec<CampaignRef>>);

#[async_trait]
impl Schedules for RecordingSchedules {
    async fn create(
        &self,
        _: &CampaignRef,
        _: Option<DateTime<Utc>>,
        _: Option<DateTime<Utc>>,
    ) -> Result<(), ScheduleError> {
        Ok(())
    }
    async fn set_enabled(&self, _: &CampaignRef, _: bool) -> Result<(), ScheduleError> {
        Ok(())
    }
    async fn delete(&self, campaign: &CampaignRef) -> Result<(), ScheduleError> {
        self.0.lock().unwrap().push(campaign.clone());
        Ok(())
    }
}

/// A message waiting for its virtual delivery time.
struct Pending {
    at: DateTime<Utc>,
    body: String,
    receipt: String,
}

/// A webhook waiting for (re)delivery.
struct PendingWebhook {
    at: DateTime<Utc>,
    url: String,
    body: Vec<u8>,
    tries: u32,
}

/// A built world.
pub struct World {
    /// The emulator resources.
    pub env: TestEnv,
    /// The store.
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
    /// The campaign.
    pub campaign: CampaignRef,
    /// Its configuration.
    pub config: CampaignConfig,
    /// Numbers put on the DNC list, and when.
    pub dnc_added: Vec<(E164, DateTime<Utc>)>,
    settings: WorldConfig,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    schedules: Arc<RecordingSchedules>,
    pending: Vec<Pending>,
    webhooks: Vec<PendingWebhook>,
}

/// The simulator's webhook secret in tests.
pub const WEBHOOK_SECRET: &str = "simulator-test-secret";

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
        let mut sim_config = SimulatorConfig::new(settings.seed, WEBHOOK_SECRET);
        sim_config.faults = settings.faults.clone();
        sim_config.outcomes = settings.outcomes.clone();
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
        let providers = match settings.provider {
            ProviderKind::Simulator => Providers::default().with("simulator", simulator.clone()),
            kind => {
                let base = crate::fake_providers::start(kind, simulator.clone()).await?;
                let timeout = std::time::Duration::from_secs(5);
                let adapter: Arc<dyn adapters::voice::VoiceProvider> = match kind {
                    ProviderKind::Twilio => Arc::new(Twilio::new(
                        TwilioConfig {
                            account_sid: crate::fake_providers::TWILIO_SID.into(),
                            auth_token: crate::fake_providers::TWILIO_TOKEN.into(),
                            api_base: base,
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
        };
        let mut engine_settings = Settings::new("http://engine.test");
        engine_settings.quiet_horizon = settings.quiet_horizon;
        let engine = Arc::new(Engine::new(
            store.clone(),
            queue,
            providers,
            schedules.clone(),
            Arc::new(clock.clone()),
            crashes.clone(),
            engine_settings,
        ));

        let tenant = TenantId::parse("tenant-1")?;
        let now = settings.start;
        store
            .create_tenant(&TenantRecord::new(
                tenant.clone(),
                "Test tenant",
                Plan::Enterprise,
                now,
            ))
            .await?;
        let agent_id = AgentId::parse(settings.campaign.agent_id.clone())?;
        let agent = AgentRecord {
            tenant: tenant.clone(),
            id: agent_id,
            spec: AgentSpec {
                name: "Ava".into(),
                mode: AgentMode::Outbound,
                provider: settings.provider.name().into(),
                caller_number: "+14155552671".into(),
                provider_agent_ref: "ava".into(),
                voicemail_message: Some("Hi, this is Ava.".into()),
            },
            version: 1,
            created_at: now,
            updated_at: now,
        };
        store.put_agent(&agent, None).await?;
        let campaign = CampaignRef {
            tenant: tenant.clone(),
            campaign: CampaignId::parse("campaign-1")?,
        };
        let config = CampaignConfig::parse(settings.campaign.clone())?;
        store
            .create_campaign(NewCampaign {
                campaign: campaign.clone(),
                spec: config.spec().clone(),
                now,
            })
            .await?;
        let import = ImportId::parse("seed")?;
        let inserts = settings.contacts.iter().enumerate().map(|(i, contact)| {
            let lead = Lead {
                id: LeadId::derive(&campaign.campaign, &contact.phone),
                contact: contact.clone(),
                source: ImportSource {
                    import_id: import.clone(),
                    line: i as u64 + 2,
                },
                state: LeadState::new(now),
            };
            let store = store.clone();
            let campaign = campaign.clone();
            async move { store.insert_lead(&campaign, &lead).await }
        });
        let mut inserted = 0;
        for result in futures::stream::iter(inserts)
            .buffer_unordered(8)
            .collect::<Vec<_>>()
            .await
        {
            if result? == adapters::store::InsertOutcome::Inserted {
                inserted += 1;
            }
        }
        store.add_imported(&campaign, inserted).await?;
        let launched = if config.starts_at.is_some_and(|s| s > now) {
            CampaignStatus::Scheduled
        } else {
            CampaignStatus::Active
        };
        store
            .set_campaign_status(&campaign, CampaignStatus::Draft, launched, now)
            .await?;
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
            dnc_added: Vec::new(),
            settings,
            sqs,
            queue_url,
            schedules,
            pending: Vec::new(),
            webhooks: Vec::new(),
        })
    }

    /// Runs the campaign until it drains (its schedule is deleted) or the time limit.
    pub async fn run(&mut self) -> anyhow::Result<RunStats> {
        let start = self.clock.now();
        let mut stats = RunStats::default();
        let mut next_tick = start;
        let mut dnc_plan: Vec<(DateTime<Utc>, E164)> = self
            .settings
            .dnc_additions
            .iter()
            .map(|(offset, n)| (start + *offset, n.clone()))
            .collect();
        dnc_plan.sort();
        loop {
            let now = self.clock.now();
            if now - start > self.settings.max_virtual {
                break;
            }
            // DNC additions happen before anything else at their instant.
            while dnc_plan.first().is_some_and(|(at, _)| *at <= now) {
                let (at, number) = dnc_plan.remove(0);
                self.store
                    .add_dnc(&self.campaign.tenant, &number, "api", at)
                    .await?;
                self.dnc_added.push((number, at));
            }
            if now >= next_tick {
                let before = PhaseRequests::of(&self.requests);
                let finished = self.tick(&mut stats).await?;
                stats
                    .requests
                    .entry("tick")
                    .or_default()
                    .add_since(before, PhaseRequests::of(&self.requests));
                if finished {
                    stats.finished = true;
                    break;
                }
                let before = PhaseRequests::of(&self.requests);
                self.receive().await?;
                stats
                    .requests
                    .entry("poll")
                    .or_default()
                    .add_since(before, PhaseRequests::of(&self.requests));
                next_tick += Duration::minutes(1);
            }
            self.deliver_dials(&mut stats).await?;
            let before = PhaseRequests::of(&self.requests);
            self.deliver_webhooks(&mut stats).await?;
            stats
                .requests
                .entry("webhook")
                .or_default()
                .add_since(before, PhaseRequests::of(&self.requests));

            // Jump to the next event.
            let mut next = next_tick;
            if let Some(p) = self.pending.iter().map(|p| p.at).min() {
                next = next.min(p);
            }
            if let Some(w) = self.webhooks.iter().map(|w| w.at).min() {
                next = next.min(w);
            }
            if let Some(at) = self.simulator.next_delivery() {
                next = next.min(at);
            }
            if let Some((at, _)) = dnc_plan.first() {
                next = next.min(*at);
            }
            // Nothing in motion: skip the idle minutes to the next due lead (ticks in between
            // would find nothing to do).
            let idle = next == next_tick
                && self.pending.is_empty()
                && self.webhooks.is_empty()
                && self.simulator.next_delivery().is_none();
            if idle && let Some(due) = self.next_due().await? {
                let due_minute = due.duration_trunc(Duration::minutes(1)).unwrap_or(due);
                if due_minute > next_tick {
                    next_tick = due_minute;
                    next = due_minute;
                    if let Some((at, _)) = dnc_plan.first() {
                        next = next.min(*at);
                    }
                }
            }
            self.clock.set(next.max(now));
        }
        stats.create_requests = self.simulator.create_requests();
        stats.calls_placed = self.simulator.calls().len() as u64;
        stats.virtual_elapsed = self.clock.now() - start;
        Ok(stats)
    }

    /// Runs a tick (twice at once when asked); true once the campaign's schedule is deleted.
    async fn tick(&self, stats: &mut RunStats) -> anyhow::Result<bool> {
        let runs = if self.settings.duplicate_ticks { 2 } else { 1 };
        let ticks = (0..runs).map(|_| self.engine.tick(&self.campaign));
        for result in futures::future::join_all(ticks).await {
            stats.ticks += 1;
            match result {
                Ok(report) => {
                    stats.quiet_ticks += u64::from(report.quiet);
                    stats.deferred_by_ticks += report.deferred as u64;
                }
                Err(engine::EngineError::Crash(_)) => stats.crashed_ticks += 1,
                Err(err) => return Err(err.into()),
            }
        }
        Ok(!self.schedules.0.lock().unwrap().is_empty())
    }

    /// Takes every visible message off the queue into the virtual-delay buffer.
    async fn receive(&mut self) -> anyhow::Result<()> {
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await?;
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return Ok(());
            }
            for m in messages {
                let body = m.body.unwrap_or_default();
                let message: DialMessage = serde_json::from_str(&body)?;
                self.pending.push(Pending {
                    at: message.not_before,
                    body,
                    receipt: m.receipt_handle.unwrap_or_default(),
                });
            }
        }
    }

    /// Hands every message due now to the dialers, `dialers` at a time.
    async fn deliver_dials(&mut self, stats: &mut RunStats) -> anyhow::Result<()> {
        let now = self.clock.now();
        let (due, later): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| p.at <= now);
        self.pending = later;
        let engine = &self.engine;
        let work = due.into_iter().map(|p| async move {
            let message: DialMessage =
                serde_json::from_str(&p.body).expect("bodies were parsed on receipt");
            (p, engine.dial(&message).await)
        });
        let before = PhaseRequests::of(&self.requests);
        let results: Vec<_> = futures::stream::iter(work)
            .buffer_unordered(self.settings.dialers.max(1))
            .collect()
            .await;
        stats
            .requests
            .entry("dial")
            .or_default()
            .add_since(before, PhaseRequests::of(&self.requests));
        let before = PhaseRequests::of(&self.requests);
        for (p, result) in results {
            stats.dial_deliveries += 1;
            match result {
                Ok(DialOutcome::Done(what)) => {
                    *stats.dial_outcomes.entry(what.to_owned()).or_default() += 1;
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(&p.receipt)
                        .send()
                        .await?;
                }
                Ok(DialOutcome::Later(delay)) => {
                    *stats.dial_outcomes.entry("later".into()).or_default() += 1;
                    let at = now + Duration::from_std(delay).unwrap_or_default();
                    self.pending.push(Pending { at, ..p });
                }
                // The message was not deleted: SQS makes it visible again after the timeout.
                Err(engine::EngineError::Crash(_)) => {
                    *stats.dial_outcomes.entry("crashed".into()).or_default() += 1;
                    self.pending.push(Pending {
                        at: now + Duration::seconds(30),
                        ..p
                    });
                }
                Err(err) => return Err(err.into()),
            }
        }
        stats
            .requests
            .entry("poll")
            .or_default()
            .add_since(before, PhaseRequests::of(&self.requests));
        Ok(())
    }

    /// Delivers the network's webhooks due now (and retries of failed deliveries).
    async fn deliver_webhooks(&mut self, stats: &mut RunStats) -> anyhow::Result<()> {
        let now = self.clock.now();
        let mut batch: Vec<(String, Vec<u8>, u32)> = self
            .simulator
            .take_due(now)
            .into_iter()
            .map(|w| (w.url, w.body, 0))
            .collect();
        let (due, later): (Vec<PendingWebhook>, Vec<PendingWebhook>) =
            std::mem::take(&mut self.webhooks)
                .into_iter()
                .partition(|w| w.at <= now);
        self.webhooks = later;
        batch.extend(due.into_iter().map(|w| (w.url, w.body, w.tries)));
        for (url, body, tries) in batch {
            stats.webhook_deliveries += 1;
            let kind = self.settings.provider;
            let request = match kind {
                ProviderKind::Simulator => self.simulator.signed(url.clone(), body.clone(), now),
                kind => crate::fake_providers::rewrite_webhook(kind, &url, &body, now)
                    .ok_or_else(|| anyhow::anyhow!("cannot rewrite the webhook for {url}"))?,
            };
            let reference = reference_from_url(&url)
                .ok_or_else(|| anyhow::anyhow!("bad callback URL {url}"))?;
            match self
                .engine
                .handle_webhook(kind.name(), &reference, &request)
                .await
            {
                Ok(_) => {}
                // A 5xx: the provider retries a couple of times, then gives up (the tick's
                // reconciliation settles the call).
                Err(engine::EngineError::Crash(_)) if tries < 2 => {
                    self.webhooks.push(PendingWebhook {
                        at: now + Duration::seconds(30),
                        url,
                        body,
                        tries: tries + 1,
                    });
                }
                Err(engine::EngineError::Crash(_)) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
    }

    /// The earliest deadline in the due index.
    async fn next_due(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let far = self.clock.now() + Duration::days(3650);
        let mut earliest: Option<DateTime<Utc>> = None;
        for shard in 0..adapters::store::keys::LEAD_SHARDS {
            for kind in [DueKind::Dial, DueKind::CallDeadline] {
                if kind == DueKind::CallDeadline && shard > 0 {
                    continue;
                }
                let leads = self
                    .store
                    .due_leads(&self.campaign, kind, far, DueBatch::up_to(1), shard)
                    .await?;
                for lead in leads {
                    if let Some((_, at)) = lead.state.due() {
                        earliest = Some(earliest.map_or(at, |e: DateTime<Utc>| e.min(at)));
                    }
                }
            }
        }
        Ok(earliest)
    }

    /// Every lead, as stored now.
    pub async fn leads(&self) -> anyhow::Result<Vec<Lead>> {
        Ok(self.store.all_leads(&self.campaign).await?)
    }

    /// The campaign's status now.
    pub async fn status(&self) -> anyhow::Result<CampaignStatus> {
        let record = self
            .store
            .get_campaign(&self.campaign)
            .await?
            .ok_or_else(|| anyhow::anyhow!("campaign gone"))?;
        Ok(record.status)
    }
}

/// `{base}/v1/call-events/{provider}/{tenant}/{campaign}/{lead}/{attempt}` -> reference.
pub fn reference_from_url(url: &str) -> Option<CallReference> {
    let path = url.split("/v1/call-events/").nth(1)?;
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
