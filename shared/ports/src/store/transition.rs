//! One lead transition with the counter changes and guards written atomically with it.

use chrono::{DateTime, Utc};
use domain::ids::{LeadRef, TenantId};
use domain::lead::{CounterDelta, LeadState};
use domain::phone::E164;
use domain::status::CampaignStatus;

/// One transition of one lead, with the counter changes and guards written with it.
#[derive(Debug)]
pub struct LeadWrite<'a> {
    pub lead: &'a LeadRef,
    /// The version the transition was computed from; the write is refused if it moved.
    pub expected_version: u64,
    /// The new state.
    pub state: &'a LeadState,
    /// Counter changes, applied atomically with the lead.
    pub counters: &'a CounterDelta,
    /// Further conditions and items of the same transaction.
    pub guards: Guards,
}

/// Extra conditions and items written atomically with a lead transition.
#[derive(Debug, Clone, Default)]
pub struct Guards {
    /// The campaign must be in this status.
    pub campaign_status: Option<CampaignStatus>,
    /// This number must not be on the tenant's Do-Not-Call list.
    pub not_on_dnc: Option<E164>,
    /// Take a concurrency slot and a rolling-hour start.
    pub pacing: Option<PacingGuard>,
    /// Take a provider calls-per-second token.
    pub provider_rate: Option<CpsGuard>,
    /// Add this number to the tenant's Do-Not-Call list (an opt-out).
    pub add_to_dnc: Option<E164>,
    /// Hourly analytics counters to move.
    pub hourly: Option<HourlyIncrement>,
}

/// Limits checked (and counted) when a call starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacingGuard {
    /// In-flight calls must be below this.
    pub max_concurrent: u32,
    /// Starts in the rolling hour must be below this.
    pub calls_per_hour: u32,
    /// The epoch minute of the start (its rolling-hour bucket).
    pub epoch_minute: i64,
}

/// A provider account's per-second start budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpsGuard {
    /// The provider account.
    pub account: String,
    /// The epoch second of the start.
    pub epoch_second: i64,
    /// Starts per second allowed on the account.
    pub limit: u32,
    /// The tenant whose call starts, and its own starts per second on the account (a share of
    /// `limit`, so one tenant cannot take a shared account's every second).
    pub tenant: Option<(TenantId, u32)>,
}

/// Hourly analytics changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourlyIncrement {
    /// Start of the hour (UTC).
    pub hour: DateTime<Utc>,
    /// Calls started.
    pub started: i64,
    /// Calls connected.
    pub connected: i64,
    pub talk_seconds: i64,
}
