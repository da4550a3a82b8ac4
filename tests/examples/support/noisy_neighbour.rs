//! The noisy neighbour, end to end on the local runner. One tenant does its worst at once: a
//! huge campaign that alone wants more of the provider account's seconds than there are, five
//! webhook endpoints that accept connections and never answer, and a flood of API requests.
//! Beside it, two ordinary tenants run small campaigns, each with a webhook receiver and a
//! console polling its progress. What the ordinary tenants feel is measured: how long their
//! webhook events took to arrive, how long their calls waited past their plan, and how the
//! API answered them.
//!
//! Shared by the CI test (`tests/e2e/noisy_neighbour.rs`, small) and the benchmark
//! (`./infra/bench.sh noisy-neighbour`, large, with and without isolation).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use adapters::table_access::TableAccessLog;
use adapters::voice::simulator::{OutcomeMix, SimulatorConfig};
use anyhow::{Context, bail};
use campaigns_cli::{ApiClient, ClientError};
use chrono::{DateTime, Utc};
use domain::ids::{CampaignId, CampaignRef, TenantId};
use domain::status::CampaignStatus;
use domain::webhooks::DeliveryStatus;
use local_runner::measure::Isolation;
use local_runner::{Runner, RunnerConfig};
use ports::Clock;
use ports::store::{Campaigns, Leads, WebhookDeliveries};
use serde_json::{Value, json};
use system_tests::flood::Flood;
use system_tests::webhook_receiver::{Behaviour, Receiver, black_hole};

/// The noisy tenant's endpoints that never answer.
pub const DEAD_ENDPOINTS: usize = 5;
/// Virtual seconds per real second.
pub const SPEED: f64 = 3.0;
/// The shared provider account's calls per second.
pub const ACCOUNT_CPS: u32 = 2;
/// API requests each tenant may make per (virtual) second.
pub const TENANT_REQUESTS_PER_SECOND: u32 = 5;
/// The noisy tenant and the two ordinary ones.
pub const NOISY: &str = "noisy";
pub const ORDINARY: [&str; 2] = ["ordinary-a", "ordinary-b"];
/// Tasks sending the noisy tenant's flood of API requests, each at most one request every
/// [`FLOOD_GAP`]: twice the tenant's limit, and what the local emulator (one process for every
/// tenant's table work, unlike DynamoDB's partitions) can take beside the run.
const FLOOD_TASKS: usize = 4;
const FLOOD_GAP: Duration = Duration::from_millis(133);

/// How big the run is.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub noisy_leads: usize,
    pub ordinary_leads: usize,
}

/// What one tenant saw.
#[derive(Debug, Clone, Default)]
pub struct TenantFigures {
    pub leads: usize,
    /// Calls the network placed for the tenant.
    pub calls: usize,
    /// Its dial messages handed to the dialers (each try of a waiting one counted).
    pub dial_tries: u64,
    /// Each call's start past its plan, virtual milliseconds.
    pub start_waits_ms: Vec<i64>,
    /// When half its calls had started, and when the last did.
    pub call_at_p50: Option<DateTime<Utc>>,
    pub last_call_at: Option<DateTime<Utc>>,
    /// Virtual seconds from the first launch to its campaign's completion (as recorded on the
    /// campaign), and from its last call's end to that completion.
    pub completed_after_s: i64,
    pub completion_lag_s: Option<i64>,
    /// `call.completed` events recorded for the tenant's endpoint(s).
    pub events: usize,
    /// Each delivered event's delay from being recorded to reaching the receiver, virtual
    /// milliseconds.
    pub webhook_delays_ms: Vec<i64>,
    /// Deliveries made on their first try.
    pub first_try_deliveries: usize,
    /// The tries of the deliveries that took more than one.
    pub retried: Vec<String>,
    /// The console's progress requests: answered, of them 429, real latencies.
    pub api_answers: u64,
    pub api_limited: u64,
    pub api_latencies_ms: Vec<i64>,
}

/// What the run measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub tenants: BTreeMap<String, TenantFigures>,
    /// The noisy tenant's flood: requests sent, answered 429.
    pub flood_sent: u64,
    pub flood_limited: u64,
    /// Connections the dead endpoints accepted (each a delivery tried).
    pub dead_connections: u64,
    /// From the first launch to the end, virtual and real seconds.
    pub virtual_seconds: i64,
    pub real_seconds: f64,
}

impl Report {
    /// A line per tenant: calls, waits past plan and webhook delays (virtual seconds, p50 /
    /// p95 / max), console answers / 429s / p99 latency; then the noisy tenant's flood.
    pub fn summary(&self) -> String {
        let s = |v: &[i64]| {
            let q = |p| quantile(v, p) as f64 / 1000.0;
            format!("{:.1}/{:.1}/{:.1}", q(0.5), q(0.95), q(1.0))
        };
        let mut lines: Vec<String> = (self.tenants.iter())
            .map(|(id, t)| {
                format!(
                    "{id}: {}/{} called ({} dial tries, completed after {} s, {:?} s after its last call ended), waits {} s, webhooks {} of {} in {} s, console {}/{} 429, p99 {} ms",
                    t.calls, t.leads, t.dial_tries, t.completed_after_s, t.completion_lag_s, s(&t.start_waits_ms), t.webhook_delays_ms.len(), t.events,
                    s(&t.webhook_delays_ms), t.api_answers, t.api_limited, quantile(&t.api_latencies_ms, 0.99)
                )
            })
            .collect();
        lines.push(format!(
            "flood {} sent, {} answered 429; dead-endpoint tries {}; {} virtual s in {:.0} real s",
            self.flood_sent,
            self.flood_limited,
            self.dead_connections,
            self.virtual_seconds,
            self.real_seconds
        ));
        lines.join("\n")
    }
}

/// The runner for the run: an account of [`ACCOUNT_CPS`], a per-tenant request limit, four
/// dialers, short calls, a calm network (the faults are the other worlds' business).
pub fn runner_config(
    prefix: String,
    isolation: Isolation,
    table_access: Option<TableAccessLog>,
) -> RunnerConfig {
    let mut simulator = SimulatorConfig::new(29, "noisy-neighbour-secret");
    simulator.account.calls_per_second = ACCOUNT_CPS;
    simulator.outcomes = OutcomeMix {
        completed: 0.5,
        no_answer: 0.3,
        busy: 0.1,
        voicemail: 0.1,
        failed: 0.0,
        opted_out: 0.0,
        callback: 0.0,
    };
    RunnerConfig {
        port: 0,
        speed: SPEED,
        start_at: "2026-06-08T14:00:00Z".parse().expect("a time"), // Monday 10:00 New York
        simulator,
        dialers: 4,
        prefix,
        tenant_requests_per_second: Some(TENANT_REQUESTS_PER_SECOND),
        table_access,
        provider: Default::default(),
        isolation,
    }
}

/// One tenant's part: its API client, campaign, endpoints.
struct Tenant {
    id: String,
    key: String,
    api: ApiClient,
    campaign: String,
    endpoints: Vec<String>,
    leads: usize,
    /// An ordinary tenant's receiver.
    receiver: Option<Receiver>,
}

/// Runs the scenario on `runner` (started from [`runner_config`]) and measures it.
pub async fn run(runner: &Runner, size: Size) -> anyhow::Result<Report> {
    let (dead_url, dead_connections) = black_hole().await;
    let tenants = tenants(runner, size, &dead_url).await?;
    measured(runner, tenants, dead_connections).await
}

/// The three tenants with their agents, endpoints (the noisy one's at `dead_url`) and imported
/// campaigns, not launched.
async fn tenants(runner: &Runner, size: Size, dead_url: &str) -> anyhow::Result<Vec<Tenant>> {
    let mut tenants = Vec::new();
    for (i, id) in std::iter::once(NOISY).chain(ORDINARY).enumerate() {
        let key = local_runner::demo::demo_tenant(runner, id).await?;
        let api = ApiClient::new(&runner.base_url, &key);
        let receiver = if id == NOISY {
            None
        } else {
            Some(
                Receiver::start(Behaviour {
                    fail_every: 0,
                    stall_every: 0,
                    stall: Duration::ZERO,
                })
                .await,
            )
        };
        let urls: Vec<String> = match &receiver {
            None => (0..DEAD_ENDPOINTS)
                .map(|e| format!("{dead_url}{e}"))
                .collect(),
            Some(r) => vec![r.url.clone()],
        };
        let leads = if id == NOISY {
            size.noisy_leads
        } else {
            size.ordinary_leads
        };
        let (campaign, endpoints) = prepare(&api, &urls, i, leads).await?;
        tenants.push(Tenant {
            id: id.to_owned(),
            key,
            api,
            campaign,
            endpoints,
            leads,
            receiver,
        });
    }
    Ok(tenants)
}

/// Runs the scenario over the prepared tenants.
async fn measured(
    runner: &Runner,
    tenants: Vec<Tenant>,
    dead_connections: Arc<AtomicU64>,
) -> anyhow::Result<Report> {
    let consoles: Vec<Console> = (tenants[1..].iter())
        .map(|t| Console::start(&runner.base_url, t))
        .collect();
    let (started, real_start) = (runner.clock.now(), Instant::now());
    launch(&tenants[0]).await?;
    // Its flood starts with its campaign (its own launch would be refused by its own limit).
    let flood = Flood::start(&runner.base_url, &tenants[0].key, FLOOD_TASKS, FLOOD_GAP);
    // The huge campaign takes the account first; the ordinary tenants come to it busy.
    wait_until(
        "the noisy tenant's first call",
        Duration::from_secs(60),
        || (runner.simulator.calls().iter()).any(|c| c.reference.campaign.tenant.as_str() == NOISY),
    )
    .await?;
    for tenant in &tenants[1..] {
        launch(tenant).await?;
    }
    let mut completed_after = Vec::new();
    for tenant in &tenants {
        completed(runner, tenant).await?;
        completed_after.push((runner.clock.now() - started).num_seconds());
    }
    let ended = runner.clock.now();
    let mut report = Report {
        virtual_seconds: (ended - started).num_seconds(),
        real_seconds: real_start.elapsed().as_secs_f64(),
        ..Report::default()
    };
    for tenant in &tenants[1..] {
        // Every call's event reaches the receiver (the run ends when they have).
        let (calls, receiver) = (tenant_calls(runner, &tenant.id), &tenant.receiver);
        wait_until("the ordinary events", Duration::from_secs(900), || {
            receiver
                .as_ref()
                .is_some_and(|r| r.received().len() >= calls)
        })
        .await?;
    }
    (report.flood_sent, report.flood_limited) = flood.stop().await;
    let answers: Vec<ConsoleFigures> =
        futures::future::join_all(consoles.into_iter().map(Console::stop)).await;
    for ((tenant, console), after) in tenants
        .iter()
        .zip(std::iter::once(None).chain(answers.into_iter().map(Some)))
        .zip(completed_after)
    {
        let (mut figures, completed_at) = figures(runner, tenant).await?;
        figures.completed_after_s = completed_at.map_or(after, |at| (at - started).num_seconds());
        if let Some(c) = console {
            (
                figures.api_answers,
                figures.api_limited,
                figures.api_latencies_ms,
            ) = (c.answers, c.limited, c.latencies_ms);
        }
        report.tenants.insert(tenant.id.clone(), figures);
    }
    report.dead_connections = dead_connections.load(Ordering::SeqCst);
    Ok(report)
}

/// The calls the network placed for `tenant`.
fn tenant_calls(runner: &Runner, tenant: &str) -> usize {
    (runner.simulator.calls().iter())
        .filter(|c| c.reference.campaign.tenant.as_str() == tenant)
        .count()
}

/// Creates the tenant's agent, endpoints and campaign (its `leads` New York contacts, numbers
/// of its own), imports the contacts; the campaign id and the endpoint ids.
async fn prepare(
    api: &ApiClient,
    urls: &[String],
    n: usize,
    leads: usize,
) -> anyhow::Result<(String, Vec<String>)> {
    let agent = json!({
        "name": "Ava", "mode": "outbound", "provider": "simulator",
        "caller_number": "+1 415 555 0199", "provider_agent_ref": "ava",
        "caller_limits": { "per_hour": 3600, "per_day": 86400 }
    });
    let agent = patiently(|| api.post("/v1/agents", &agent)).await?;
    let mut endpoints = Vec::new();
    for url in urls {
        let body = json!({ "url": url, "events": ["call.completed"] });
        let endpoint = patiently(|| api.post("/v1/webhook-endpoints", &body)).await?;
        endpoints.push(text(&endpoint, "id")?);
    }
    let spec = json!({
        "name": format!("Campaign {n}"), "agent_id": agent["id"],
        "pacing": { "max_concurrent_calls": 1000, "calls_per_hour": 20000 },
        "retry": { "max_retries": 0 },
        "call_handling": { "max_call_seconds": 60 }
    });
    let campaign = patiently(|| api.post("/v1/campaigns", &spec)).await?;
    let id = text(&campaign, "id")?;
    // New York numbers (the window is open from the start), an area code per tenant.
    let area = ["212", "646", "917"][n % 3];
    let mut csv = String::from("phone,name\n");
    for i in 0..leads.min(10_000) {
        csv.push_str(&format!("+1{area}555{i:04},Lead {i}\n"));
    }
    let import = patiently(|| api.upload_csv(&id, csv.clone().into_bytes(), |_| {})).await?;
    let path = format!("/v1/campaigns/{id}/imports/{import}");
    let started = Instant::now();
    loop {
        let report = patiently(|| api.get(&path)).await?;
        match report["status"].as_str() {
            Some("completed") => break,
            Some("rejected" | "failed") => bail!("the import failed: {report}"),
            _ if started.elapsed() > Duration::from_secs(120) => bail!("import: {report}"),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    Ok((id, endpoints))
}

/// `request`, tried again while the tenant's own request limit refuses it (a burst of set-up
/// requests can pass a few a second).
async fn patiently<T, F, Fut>(request: F) -> anyhow::Result<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    for _ in 0..50 {
        match request().await {
            Err(ClientError::Api(p)) if p.status == 429 => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            other => return Ok(other?),
        }
    }
    bail!("refused 50 times for the tenant's request limit")
}

fn text(value: &Value, field: &str) -> anyhow::Result<String> {
    (value[field].as_str().map(str::to_owned)).with_context(|| format!("no {field} in {value}"))
}

/// Launches the tenant's campaign; tried again while its own limit refuses it.
async fn launch(tenant: &Tenant) -> anyhow::Result<()> {
    let path = format!("/v1/campaigns/{}/launch", tenant.campaign);
    let mut refused = None;
    for _ in 0..100 {
        match tenant.api.post(&path, &json!({})).await {
            Ok(_) => return Ok(()),
            Err(e) => refused = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{}'s campaign was not launched: {refused:?}", tenant.id)
}

/// Waits for the tenant's campaign to complete, read from the table (the noisy tenant's own
/// progress requests would mostly be refused by its own limit while its flood runs).
async fn completed(runner: &Runner, tenant: &Tenant) -> anyhow::Result<()> {
    let campaign = CampaignRef {
        tenant: TenantId::parse(&tenant.id)?,
        campaign: CampaignId::parse(tenant.campaign.clone())?,
    };
    let started = Instant::now();
    loop {
        let record = runner.store.get_campaign(&campaign).await?;
        if record.is_some_and(|r| r.status == CampaignStatus::Completed) {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(900) {
            bail!("{}'s campaign did not complete", tenant.id);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Polls until `done`; an error after `limit`.
async fn wait_until(
    what: &str,
    limit: Duration,
    mut done: impl FnMut() -> bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    while !done() {
        if started.elapsed() > limit {
            bail!("{what} did not happen within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// The tenant's calls, their waits past plan, its deliveries' delays.
/// The tenant's figures, and when its campaign completed.
async fn figures(
    runner: &Runner,
    tenant: &Tenant,
) -> anyhow::Result<(TenantFigures, Option<DateTime<Utc>>)> {
    let mut figures = TenantFigures {
        leads: tenant.leads,
        ..TenantFigures::default()
    };
    let mut starts = Vec::new();
    for call in runner.simulator.calls() {
        if call.reference.campaign.tenant.as_str() != tenant.id {
            continue;
        }
        figures.calls += 1;
        starts.push(call.placed_at);
        let planned =
            (runner.planned_starts).planned(&call.reference.campaign, &call.reference.lead);
        if let Some(planned) = planned {
            figures
                .start_waits_ms
                .push((call.placed_at - planned).num_milliseconds().max(0));
        }
    }
    figures.dial_tries = runner.planned_starts.tries(&tenant.id);
    starts.sort_unstable();
    figures.last_call_at = starts.last().copied();
    figures.call_at_p50 = starts.get(starts.len() / 2).copied();
    let id = TenantId::parse(&tenant.id)?;
    for endpoint in &tenant.endpoints {
        let log = runner.store.deliveries(&id, endpoint, 10_000).await?;
        figures.events += log.len();
        for d in log.iter().filter(|d| d.status == DeliveryStatus::Delivered) {
            let reached = d
                .attempts
                .iter()
                .find(|a| a.status_code.is_some_and(|c| (200..300).contains(&c)));
            figures.first_try_deliveries += usize::from(d.attempts.len() == 1);
            if d.attempts.len() > 1 {
                figures.retried.push(format!("{:?}", d.attempts));
            }
            if let Some(at) = reached.map(|a| a.at) {
                figures
                    .webhook_delays_ms
                    .push(delay_ms(d.event.created_at, at));
            }
        }
    }
    let campaign = CampaignRef {
        tenant: id,
        campaign: CampaignId::parse(tenant.campaign.clone())?,
    };
    let leads = runner.store.all_leads(&campaign).await?;
    let last_end = (leads.iter())
        .flat_map(|l| l.state.log.iter().map(|r| r.ended_at))
        .max();
    let completed_at = (runner.store.get_campaign(&campaign).await?)
        .filter(|r| r.status == CampaignStatus::Completed)
        .map(|r| r.updated_at);
    figures.completion_lag_s = completed_at
        .zip(last_end)
        .map(|(done, end)| (done - end).num_seconds());
    Ok((figures, completed_at))
}

fn delay_ms(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_milliseconds().max(0)
}

/// The `q` quantile (0..=1) of `values`; 0 when empty.
pub fn quantile(values: &[i64], q: f64) -> i64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// What an ordinary tenant's console got.
#[derive(Debug, Default)]
struct ConsoleFigures {
    answers: u64,
    limited: u64,
    latencies_ms: Vec<i64>,
}

/// An ordinary tenant's console: its campaign's progress twice a (real) second.
struct Console {
    polling: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<ConsoleFigures>,
}

impl Console {
    fn start(base_url: &str, tenant: &Tenant) -> Self {
        let polling = Arc::new(AtomicBool::new(true));
        let url = format!("{base_url}/v1/campaigns/{}/progress", tenant.campaign);
        let (key, still) = (tenant.key.clone(), polling.clone());
        let task = tokio::spawn(async move {
            let (http, mut figures) = (reqwest::Client::new(), ConsoleFigures::default());
            while still.load(Ordering::Relaxed) {
                let sent = Instant::now();
                if let Ok(response) = http.get(&url).bearer_auth(&key).send().await {
                    figures.answers += 1;
                    figures.limited += u64::from(response.status() == 429);
                    figures.latencies_ms.push(sent.elapsed().as_millis() as i64);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            figures
        });
        Self { polling, task }
    }

    async fn stop(self) -> ConsoleFigures {
        self.polling.store(false, Ordering::Relaxed);
        self.task.await.unwrap_or_default()
    }
}
