//! What a local run measures of itself for the benchmarks, and the switch that turns the
//! protections between tenants off to measure what they are worth.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use domain::ids::{CampaignRef, LeadId};
use engine::messages::DialMessage;

/// The protections that keep one tenant from slowing or endangering the others.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Isolation {
    /// As deployed.
    #[default]
    On,
    /// Off, only to measure what isolation is worth (the noisy-neighbour benchmark): no fair
    /// shares of the provider account's seconds, no circuit breaker or cap in flight per
    /// webhook endpoint, no per-tenant API request limit. What is not a switch stays: the
    /// webhook sender's short timeouts, a batch's deliveries tried at once, the provider
    /// routes' API of their own.
    Off,
}

/// When each lead's latest dial message planned its call to start. With the simulated
/// network's record of when each call started, it gives how long calls waited past their plan
/// (a tenant held to less than its share of the account's seconds waits).
#[derive(Debug, Clone, Default)]
pub struct PlannedStarts {
    all: Arc<Mutex<HashMap<LeadKey, DateTime<Utc>>>>,
    /// Dial messages handed to the dialer, each try of a waiting one counted, by tenant.
    tries: Arc<Mutex<HashMap<String, u64>>>,
}

/// A lead by campaign (`tenant/campaign`) and lead id.
type LeadKey = (String, String);

impl PlannedStarts {
    /// Notes a dial message handed to the dialer and its plan (the latest plan of a lead wins:
    /// a lead handed back and leased again is planned anew).
    pub(crate) fn record(&self, body: Option<&str>) {
        let Some(message) = body.and_then(|b| serde_json::from_str::<DialMessage>(b).ok()) else {
            return;
        };
        let tenant = message.campaign.tenant.to_string();
        *(self.tries.lock().unwrap_or_else(|p| p.into_inner()))
            .entry(tenant)
            .or_default() += 1;
        let key = (message.campaign.to_string(), message.lead.id.to_string());
        let mut all = self.all.lock().unwrap_or_else(|p| p.into_inner());
        let planned = all.entry(key).or_insert(message.not_before);
        *planned = (*planned).max(message.not_before);
    }

    /// The latest planned start of `lead`'s call, if a dial message for it was handled.
    pub fn planned(&self, campaign: &CampaignRef, lead: &LeadId) -> Option<DateTime<Utc>> {
        let all = self.all.lock().unwrap_or_else(|p| p.into_inner());
        all.get(&(campaign.to_string(), lead.to_string())).copied()
    }

    /// How many times the dialers were handed `tenant`'s dial messages (a message waiting for
    /// its time or refused a second's budget is handed over again).
    pub fn tries(&self, tenant: &str) -> u64 {
        let tries = self.tries.lock().unwrap_or_else(|p| p.into_inner());
        tries.get(tenant).copied().unwrap_or(0)
    }
}
