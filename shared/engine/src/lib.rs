//! The dispatch engine: what happens each minute for a campaign (the [`tick`]), what happens
//! to each queued lead ([`dial`]), and what happens when a provider reports a call
//! ([`events`]), and what the agent reports about a call ([`reports`]). Handlers depend only
//! on ports, so the same code runs in Lambda, in the local
//! runner, and in tests that inject crashes between every pair of steps.
//!
//! How the promises are kept:
//! - **Never double-dial.** Only the holder of a lead's current lease can move it to Calling,
//!   by a write conditional on the lead's version; a provider call happens only after that
//!   write. A redelivered message finds the version moved and stops. A call whose creation
//!   answer was lost is looked up before anything else happens to that attempt.
//! - **Never outside the window / never a DNC number.** Screened by the tick, screened again by
//!   the dialer, and the DNC check is a condition of the very write that starts the call.
//! - **Pacing.** The concurrency slot, the rolling-hour budget and the provider's per-second
//!   token are conditions of that same write; the tick's budget only avoids wasted leases.
//! - **No lead stuck.** Every non-final lead is in the due index with a deadline; the tick acts
//!   on what is past due (lapsed leases, overdue calls, campaigns that ended).
//! - **Counters tell the truth.** Every transition moves the counters in the same transaction.

pub mod call_flow;
mod caller;
pub mod caller_health;
mod contact_caps;
mod cps_share;
pub mod dial;
pub mod erasure;
pub mod messages;
mod moves;
mod outcome;
mod pause;
pub mod provider_events;
mod registries;
pub mod reports;
pub mod results;
pub mod retention;
pub mod tick;
mod ttl_cache;
pub mod webhooks;

pub use outcome::Applied;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::config::CampaignConfig;
use domain::ids::{AgentId, CampaignRef, TenantId};
use ports::queue::MessageQueue;
use ports::schedules::Schedules;
use ports::store::{AgentRecord, CampaignRecord, StoreError, WriteError};
use ports::store::{Agents, Campaigns};
use ports::voice::VoiceProvider;
use ports::{Clock, Faults, InjectedCrash};
use ttl_cache::TtlCache;

/// The call token key of local runs and tests (never of a deployment).
pub const LOCAL_CALL_TOKEN_KEY: &str = "local-call-token-key-not-for-deployments";

/// Tunables, with defaults suited to Lambda.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base of callback URLs: `{base}/v1/call-events/{provider}/{tenant}/{campaign}/{lead}/{attempt}`.
    pub provider_base_url: String,
    /// How long a lease outlives the lead's planned start before it lapses.
    pub lease_grace: chrono::Duration,
    /// Overdue calls reconciled per tick.
    pub reconcile_batch: usize,
    /// Leads skipped per tick once a campaign has ended.
    pub drain_batch: usize,
    /// Concurrent store writes within one handler.
    pub write_concurrency: usize,
    /// How long a cached campaign (for webhooks) is trusted.
    pub campaign_cache_ttl: chrono::Duration,
    /// How long a cached agent is trusted (a changed caller id applies within this).
    pub agent_cache_ttl: chrono::Duration,
    /// Overdue calls are looked for at most this often per campaign (per warm container). A
    /// lost report then holds its concurrency slot at most this much past its deadline.
    pub reconcile_every: chrono::Duration,
    /// A call starts only if its window stays open this much longer: the decision, the claim
    /// and the provider's request take time, and the call must still land inside the window.
    /// The local runner widens it with its clock's speed (a real second is many virtual ones).
    pub call_start_margin: chrono::Duration,
    /// How far ahead a tick that dealt with every lead due may declare the due shards quiet
    /// ("nothing due in shard s before T", kept on the counters until a due change) so the
    /// ticks up to T skip them. It bounds the delays a hint can cause: a lease whose dialer died
    /// is offered again when the hint runs out, and a due change the index shows later than the
    /// tick's read of it (index lag, normally well under a second) waits for it at most this.
    pub quiet_horizon: chrono::Duration,
    /// A static cap (percent) on the part of a provider account's calls per second one tenant
    /// may use in any second, at least one call, on top of its fair share (`cps_share`). 100
    /// (the default): no cap beyond the fair share, so a lone tenant may use the whole account.
    pub tenant_cps_share_percent: u32,
    /// Whether each tenant dialing on a shared account holds its weighted share of the
    /// account's seconds (`cps_share`). Always on in a deployment; the noisy-neighbour
    /// benchmark turns it off to measure what the shares are worth.
    pub fair_cps_shares: bool,
    /// How long a dialer's mark that its tenant is dialing on an account lasts: a tenant that
    /// stops dialing keeps its share of the account's seconds this long at most.
    pub dialing_mark: chrono::Duration,
    /// How often a dialer re-marks its tenant and re-reads who is dialing on the account: a
    /// tenant that starts dialing gets its share within this.
    pub demand_cache_ttl: chrono::Duration,
    /// Signs and verifies the per-call tokens agents report with ([`reports`]). The default is
    /// a fixed key for local runs and tests; deployed functions always set the deployment's
    /// (`bootstrap` refuses to start without it).
    /// The deployment's lead id key: with it every claim also checks that the number was
    /// not erased (`domain::erasure::number_marker`); without it (unit tests) it does not.
    pub erased_numbers: Option<domain::ids::LeadIdKey>,
    pub call_tokens: domain::call_token::CallTokenKey,
    /// How long after a call's longest duration its agent may still report.
    pub report_grace: chrono::Duration,
}

impl Settings {
    /// The calls per second one tenant may start on an account allowing `account_cps`.
    pub fn tenant_calls_per_second(&self, account_cps: u32) -> u32 {
        (account_cps.saturating_mul(self.tenant_cps_share_percent) / 100).max(1)
    }

    /// Defaults with the provider routes' public base URL.
    pub fn new(provider_base_url: impl Into<String>) -> Self {
        Self {
            provider_base_url: provider_base_url.into().trim_end_matches('/').to_owned(),
            lease_grace: chrono::Duration::minutes(2),
            reconcile_batch: 100,
            drain_batch: 500,
            write_concurrency: 16,
            campaign_cache_ttl: chrono::Duration::seconds(30),
            agent_cache_ttl: chrono::Duration::minutes(5),
            reconcile_every: chrono::Duration::minutes(2),
            call_start_margin: chrono::Duration::seconds(60),
            quiet_horizon: chrono::Duration::minutes(5),
            tenant_cps_share_percent: 100,
            fair_cps_shares: true,
            dialing_mark: chrono::Duration::seconds(30),
            demand_cache_ttl: chrono::Duration::seconds(5),
            erased_numbers: None,
            call_tokens: domain::call_token::CallTokenKey::new(LOCAL_CALL_TOKEN_KEY)
                .expect("the local key is long enough"),
            report_grace: chrono::Duration::minutes(30),
        }
    }
}

/// The voice providers by name (`simulator`, `twilio`, `http`, `retell`, `vapi`), and how many
/// simultaneous calls the accounts that cap them allow.
#[derive(Clone, Default)]
pub struct Providers {
    by_name: HashMap<String, Arc<dyn VoiceProvider>>,
    account_lines: HashMap<String, u32>,
}

impl Providers {
    /// Registers a provider under a name.
    pub fn with(mut self, name: &str, provider: Arc<dyn VoiceProvider>) -> Self {
        self.by_name.insert(name.to_owned(), provider);
        self
    }

    /// Caps the simultaneous calls on the account of the provider `name` (hosted agent
    /// platforms sell lines, not starts): a call past the cap waits at its claim for a line.
    pub fn with_account_lines(mut self, name: &str, lines: u32) -> Self {
        self.account_lines.insert(name.to_owned(), lines);
        self
    }

    /// A provider by name.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn VoiceProvider>> {
        self.by_name.get(name)
    }

    /// The simultaneous calls the account of the provider `name` allows, if it caps them.
    pub fn account_lines(&self, name: &str) -> Option<u32> {
        self.account_lines.get(name).copied()
    }
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries((self.by_name.keys()).map(|name| (name, self.account_lines.get(name))))
            .finish()
    }
}

/// Everything the handlers use.
pub struct Engine<S> {
    pub store: Arc<S>,
    /// The dial queue.
    pub queue: Arc<dyn MessageQueue>,
    /// Voice providers.
    pub providers: Providers,
    /// Campaign tick schedules.
    pub schedules: Arc<dyn Schedules>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Crash injection (none in production).
    pub faults: Arc<dyn Faults>,
    /// Tunables.
    pub settings: Settings,
    /// The results queue: a campaign that finishes gets its counters reconciled there. None in
    /// handlers that never finish a campaign, and in tests that do not look.
    pub results: Option<Arc<dyn MessageQueue>>,
    cache: CampaignCache,
    agents: TtlCache<(TenantId, AgentId), AgentRecord>,
    tenants: TtlCache<TenantId, contact_caps::TenantTerms>,
    /// When this container last marked each tenant as dialing on an account.
    marks: TtlCache<(String, TenantId), ()>,
    /// The tenants dialing on each account, as last read.
    demand: TtlCache<String, Vec<(TenantId, u32)>>,
    /// Outbound webhooks (none: this engine records no events).
    hooks: Option<Arc<webhooks::Outbox>>,
    /// When this container last reconciled each campaign's overdue calls.
    reconciled: Throttle,
    /// When this container last asked for each campaign's counters to be repaired (see
    /// [`tick`]'s set-aside step).
    repairs_asked: Throttle,
}

impl<S> Engine<S> {
    /// Assembles an engine.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<S>,
        queue: Arc<dyn MessageQueue>,
        providers: Providers,
        schedules: Arc<dyn Schedules>,
        clock: Arc<dyn Clock>,
        faults: Arc<dyn Faults>,
        settings: Settings,
    ) -> Self {
        Self {
            store,
            queue,
            providers,
            schedules,
            clock,
            faults,
            settings,
            results: None,
            cache: CampaignCache::default(),
            agents: TtlCache::default(),
            tenants: TtlCache::default(),
            marks: TtlCache::default(),
            demand: TtlCache::default(),
            hooks: None,
            reconciled: Throttle::default(),
            repairs_asked: Throttle::default(),
        }
    }

    /// With the public base URL of the provider routes (callback URLs are built on it).
    pub fn with_provider_base_url(mut self, url: &str) -> Self {
        self.settings.provider_base_url = url.trim_end_matches('/').to_owned();
        self
    }

    /// With each tenant limited to `percent` of an account's calls per second.
    pub fn with_tenant_cps_share(mut self, percent: u32) -> Self {
        self.settings.tenant_cps_share_percent = percent.clamp(1, 100);
        self
    }

    /// With the deployment's key for call tokens.
    pub fn with_call_token_key(mut self, key: domain::call_token::CallTokenKey) -> Self {
        self.settings.call_tokens = key;
        self
    }

    /// With the deployment's lead id key: claims refuse erased numbers.
    pub fn with_erased_numbers(mut self, key: domain::ids::LeadIdKey) -> Self {
        self.settings.erased_numbers = Some(key);
        self
    }

    /// Recording outbound webhook events (see [`webhooks`]).
    pub fn with_webhooks(mut self, outbox: Arc<webhooks::Outbox>) -> Self {
        self.hooks = Some(outbox);
        self
    }

    /// With a results queue (see [`Engine::results`]).
    pub fn with_results_queue(mut self, queue: Arc<dyn MessageQueue>) -> Self {
        self.results = Some(queue);
        self
    }

    fn crash_point(&self, point: &'static str) -> Result<(), EngineError> {
        self.faults.crash_point(point).map_err(EngineError::Crash)
    }

    fn provider(&self, name: &str) -> Result<&Arc<dyn VoiceProvider>, EngineError> {
        self.providers
            .get(name)
            .ok_or_else(|| EngineError::UnknownProvider(name.to_owned()))
    }
}

/// A handler failure: the event should be retried (the message stays on the queue, the
/// provider event answers 5xx so the provider retries, the next tick runs again).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A write failed (not a refusal the handler knows how to handle).
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] ports::queue::QueueError),
    /// The scheduler failed.
    #[error(transparent)]
    Schedule(#[from] ports::schedules::ScheduleError),
    /// The campaign's agent has a stored caller number that no longer parses (a manual edit;
    /// a campaign's own configuration is parsed once, when the store reads it).
    #[error("the agent of campaign {0} has an invalid stored caller number")]
    InvalidAgent(CampaignRef),
    /// A campaign's agent names a provider this deployment does not have.
    #[error("no voice provider named {0}")]
    UnknownProvider(String),
    /// A test injected a crash.
    #[error(transparent)]
    Crash(#[from] InjectedCrash),
}

/// A campaign's record and parsed configuration.
#[derive(Debug, Clone)]
pub struct LoadedCampaign {
    /// As stored.
    pub record: CampaignRecord,
    /// Parsed.
    pub config: Arc<CampaignConfig>,
}

/// Per campaign, when something was last done by this container: a cheap way to do a costly
/// thing at most once per period (another container may do it too; each such thing is safe to
/// repeat).
#[derive(Default)]
struct Throttle(Mutex<HashMap<CampaignRef, chrono::DateTime<chrono::Utc>>>);

impl Throttle {
    /// Whether it was not done within `every` before `now` (a clock that went back counts as
    /// not done); if so, notes that it is about to be.
    fn due(
        &self,
        campaign: &CampaignRef,
        now: chrono::DateTime<chrono::Utc>,
        every: chrono::Duration,
    ) -> bool {
        let mut last = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match last.get(campaign) {
            Some(at) if now - *at < every && now >= *at => false,
            _ => {
                last.insert(campaign.clone(), now);
                true
            }
        }
    }
}

/// Campaign configurations cached per (campaign, config version): a dialer or a provider event in a
/// warm Lambda container does not read the campaign for every lead.
#[derive(Default)]
struct CampaignCache(Mutex<HashMap<CampaignRef, (chrono::DateTime<chrono::Utc>, LoadedCampaign)>>);

impl<S> Engine<S> {
    /// Whether this container reconciled the campaign within `reconcile_every`; if not, notes
    /// that it is about to.
    pub(crate) fn reconcile_due(
        &self,
        campaign: &CampaignRef,
        now: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        self.reconciled
            .due(campaign, now, self.settings.reconcile_every)
    }

    /// Remembers a stored campaign (its configuration was parsed once, when it was read).
    pub(crate) fn remember(&self, record: CampaignRecord) -> LoadedCampaign {
        let campaign = record.reference();
        let loaded = LoadedCampaign {
            config: record.config.clone(),
            record,
        };
        let mut cache = self.cache.0.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(campaign, (self.clock.now(), loaded.clone()));
        loaded
    }
}

impl<S: Agents> Engine<S> {
    /// The agent, cached for the campaign cache's TTL.
    pub(crate) async fn agent(
        &self,
        tenant: &TenantId,
        agent: &AgentId,
    ) -> Result<Option<AgentRecord>, EngineError> {
        let key = (tenant.clone(), agent.clone());
        let ttl = self.settings.agent_cache_ttl;
        if let Some(record) = self.agents.fresh(&key, self.clock.now(), ttl) {
            return Ok(Some(record));
        }
        let record = self.store.get_agent(tenant, agent).await?;
        if let Some(record) = &record {
            self.agents.put(key, self.clock.now(), record.clone());
        }
        Ok(record)
    }
}

impl<S: Campaigns> Engine<S> {
    /// The campaign, fresh from the store.
    pub async fn load_campaign(
        &self,
        campaign: &CampaignRef,
    ) -> Result<Option<LoadedCampaign>, EngineError> {
        match self.store.get_campaign(campaign).await? {
            Some(record) => Ok(Some(self.remember(record))),
            None => Ok(None),
        }
    }

    /// The campaign from the cache when it has `version` (any version if `None`) and is younger
    /// than the cache TTL; else from the store. A dial names the configuration version its tick
    /// read: a cached Active campaign at that version is used however old the entry is, since
    /// the claim's condition on the campaign's status catches a pause or a cancel (and the
    /// lead is handed back) while anything else a dial reads is in that version.
    pub async fn cached_campaign(
        &self,
        campaign: &CampaignRef,
        version: Option<u64>,
    ) -> Result<Option<LoadedCampaign>, EngineError> {
        {
            let cache = self.cache.0.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, loaded)) = cache.get(campaign) {
                let fresh = self.clock.now() - *at < self.settings.campaign_cache_ttl;
                let right_version = version.is_none_or(|v| v == loaded.record.config_version);
                let pinned = version.is_some()
                    && loaded.record.status == domain::status::CampaignStatus::Active;
                if right_version && (fresh || pinned) {
                    return Ok(Some(loaded.clone()));
                }
            }
        }
        self.load_campaign(campaign).await
    }
}

/// Runs futures with at most `limit` at once, in order of completion.
pub(crate) async fn bounded<F, T>(limit: usize, futures: impl IntoIterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T>,
{
    use futures::StreamExt;
    futures::stream::iter(futures)
        .buffer_unordered(limit.max(1))
        .collect()
        .await
}

/// The delay of a real duration as `std::time::Duration`, never negative.
pub(crate) fn std_duration(d: chrono::Duration) -> Duration {
    d.to_std().unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::Settings;

    #[test]
    fn a_tenants_share_of_an_accounts_calls_per_second_is_at_least_one_call() {
        let mut settings = Settings::new("https://x");
        assert_eq!(
            settings.tenant_calls_per_second(10),
            10,
            "default: the whole account"
        );
        settings.tenant_cps_share_percent = 50;
        assert_eq!(settings.tenant_calls_per_second(10), 5);
        assert_eq!(settings.tenant_calls_per_second(1), 1, "never none");
        assert_eq!(settings.tenant_calls_per_second(u32::MAX), u32::MAX / 100);
    }
}
