//! One lead transition with the counter changes and guards written atomically with it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::ids::{CampaignRef, LeadId, LeadRef, TenantId};
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
    /// No number of the tenant's with this marker may have been erased (see
    /// [`domain::erasure::number_marker`]): set when the dialer holds the key.
    pub not_erased: Option<String>,
    /// This number must not be in the tenant's extracts of this registry (a telemarketing call
    /// to a number in the registry's country, see [`domain::registry::check`]).
    pub not_on_registry: Option<(domain::registry::Registry, E164)>,
    /// Take a concurrency slot and a rolling-hour start.
    pub pacing: Option<PacingGuard>,
    /// Take a provider calls-per-second token.
    pub provider_rate: Option<CpsGuard>,
    /// The provider account's simultaneous calls: the starting call's line (the account its
    /// `account_slot` names, see [`domain::lead::ActiveCall::account_slot`]) is refused when
    /// this many are live. Lines are given back by whatever transition ends the call.
    pub account_lines: Option<u32>,
    /// Count the call on its caller number's ledger for the hour and day, refused when the
    /// number is at either limit.
    pub caller_use: Option<CallerUseGuard>,
    /// Take a call that was never placed off its caller number's ledger (its limits unused).
    pub caller_unuse: Option<CallerUseGuard>,
    /// Add a call's outcome to its caller number's day (health figures).
    pub caller_outcome: Option<CallerOutcome>,
    /// Add this number to the tenant's Do-Not-Call list (an opt-out).
    pub add_to_dnc: Option<E164>,
    /// Hourly analytics counters to move.
    pub hourly: Option<HourlyIncrement>,
    /// Add this call to the number's ledger, on the condition that the ledger is the one the
    /// frequency caps were counted on.
    pub record_number_call: Option<NumberCallGuard>,
    /// Take this call off the number's ledger (a claim given back before the call was placed).
    pub forget_number_call: Option<NumberCallRelease>,
    /// Outbound webhook events this transition makes true, recorded in its outbox.
    pub events: Vec<domain::webhooks::Event>,
}

/// The tenant's calls to one number, over all its campaigns: call key (`campaign/lead/attempt`)
/// to start, those young enough to count for a cap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberCalls {
    /// Moves with every call added; 0 = no ledger yet.
    pub version: u64,
    pub calls: BTreeMap<String, DateTime<Utc>>,
}

impl NumberCalls {
    /// The starts, any order.
    pub fn starts(&self) -> Vec<DateTime<Utc>> {
        self.calls.values().copied().collect()
    }

    /// The key of a call in a ledger.
    pub fn key(campaign: &CampaignRef, lead: &LeadId, attempt: u8) -> String {
        format!("{}/{lead}/{attempt}", campaign.campaign)
    }
}

/// A call taken off a number's ledger: its call was never placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberCallRelease {
    pub number: E164,
    /// The call's key (see [`NumberCalls::key`]).
    pub key: String,
    /// When the call was claimed.
    pub started_at: DateTime<Utc>,
}

/// A call added to a number's ledger in a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberCallGuard {
    pub number: E164,
    /// The ledger's version the caps were counted on.
    pub expected_version: u64,
    /// The call's key and start.
    pub key: String,
    pub at: DateTime<Utc>,
    /// Calls too old to count any more, dropped in the same write.
    pub forget: Vec<String>,
}

/// A call counted on the tenant's ledger for one caller number (see
/// [`domain::caller_limits`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerUseGuard {
    /// The number the call goes out from.
    pub number: E164,
    /// When the call starts (its UTC hour and day are counted).
    pub at: DateTime<Utc>,
    /// The limits the count must stay within.
    pub limits: domain::caller_limits::CallerLimits,
}

/// How a call from a caller number went, added to the number's day (the day of its start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerOutcome {
    pub number: E164,
    pub started_at: DateTime<Utc>,
    /// A person picked up (`domain::caller_health::answered`).
    pub answered: bool,
    pub talk_seconds: u32,
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
    /// Calls a person answered, and of those the abandoned ones (no agent came on).
    pub answered: i64,
    pub abandoned: i64,
}

impl HourlyIncrement {
    /// Nothing moved yet in the hour starting at `hour` (fill what moves).
    pub fn at(hour: DateTime<Utc>) -> Self {
        Self {
            hour,
            started: 0,
            connected: 0,
            talk_seconds: 0,
            answered: 0,
            abandoned: 0,
        }
    }
}
