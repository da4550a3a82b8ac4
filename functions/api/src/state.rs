//! What handlers share: the store, the schedules, the bucket, the clock and settings.

use std::sync::Arc;
use std::time::Duration;

use ports::Clock;
use ports::blobs::Blobs;
use ports::queue::MessageQueue;
use ports::schedules::Schedules;
use ports::store::{
    Agents, CallerNumbers, CampaignStatuses, Campaigns, Counters, DoNotCall, Erasures, Exports,
    Imports, Leads, Quarantine, RateLimits, Registries, Reports, TenantPolicies, Tenants, Webhooks,
};

/// Every repository the API's handlers use.
pub trait ApiStore:
    Tenants
    + Agents
    + Campaigns
    + CampaignStatuses
    + Counters
    + Leads
    + Imports
    + DoNotCall
    + TenantPolicies
    + CallerNumbers
    + Registries
    + RateLimits
    + Exports
    + Reports
    + Quarantine
    + Webhooks
    + Erasures
{
}

impl<T> ApiStore for T where
    T: Tenants
        + Agents
        + Campaigns
        + CampaignStatuses
        + Counters
        + Leads
        + Imports
        + DoNotCall
        + TenantPolicies
        + CallerNumbers
        + Registries
        + RateLimits
        + Exports
        + Reports
        + Quarantine
        + Webhooks
        + Erasures
{
}

/// Tunables.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// How long an upload URL stays valid.
    pub upload_url_ttl: Duration,
    /// How long a report or export URL stays valid.
    pub download_url_ttl: Duration,
    /// Most leads a dry run samples.
    pub dry_run_max_sample: usize,
    /// Largest CSV an upload URL accepts (bytes): the importer's limit, signed into the URL.
    pub max_upload_bytes: u64,
    /// Requests a tenant may make per second, over all its keys; more answer 429.
    pub tenant_requests_per_second: u32,
    /// Webhook endpoints may be plain `http` and on this machine (a local run only).
    pub local_webhook_targets: bool,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            upload_url_ttl: Duration::from_secs(15 * 60),
            download_url_ttl: Duration::from_secs(60 * 60),
            dry_run_max_sample: 200,
            max_upload_bytes: 512 * 1024 * 1024,
            tenant_requests_per_second: 20,
            local_webhook_targets: false,
        }
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The store, as the repositories the handlers use (the DynamoDB adapter in Lambda and
    /// the local runner; anything that implements them in a test).
    pub store: Arc<dyn ApiStore>,
    /// Campaign tick schedules.
    pub schedules: Arc<dyn Schedules>,
    /// The data bucket.
    pub blobs: Arc<dyn Blobs>,
    /// The results queue (exports, reconciliations).
    pub results: Arc<dyn MessageQueue>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Tunables.
    pub settings: ApiSettings,
    /// Runs a launched or resumed campaign's first tick at once (none: wait for the schedule).
    pub tick_now: Option<Arc<dyn crate::tick_now::TickNow>>,
    /// The webhook queue (none: this deployment records and delivers no webhook events).
    pub webhooks: Option<Arc<dyn MessageQueue>>,
}
