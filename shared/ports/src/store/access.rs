//! Tenants and their API keys as the store keeps them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::caller_health::NumberRest;
use domain::caller_pool::CallerPool;
use domain::ids::{ApiKeyId, TenantId};
use domain::phone::E164;
use domain::plan::Plan;
use domain::registry::{Registry, RegistryExtract};
use serde::{Deserialize, Serialize};

/// A tenant as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRecord {
    /// Id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Plan.
    pub plan: Plan,
    /// Campaigns now Scheduled, Active or Paused.
    pub live_campaigns: u32,
    /// The plan's limit on live campaigns; absent = unlimited. Kept on the item so a launch's
    /// condition can compare the two attributes atomically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_limit: Option<u32>,
    /// Caller ids the operators registered for the tenant (`admin set-caller-numbers`): its
    /// agents may call only from these, never from another tenant's number.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caller_numbers: Vec<E164>,
    /// Countries (ISO 3166-1 alpha-2) its leads and transfer numbers may be in
    /// (`admin set-countries`). Default: the home country, `US`.
    #[serde(default = "home_country_only")]
    pub allowed_countries: Vec<String>,
    /// How often the tenant may call one number over all its campaigns (`/v1/contact-caps`).
    #[serde(default)]
    pub contact_caps: domain::contact_caps::ContactCaps,
    /// Its caller numbers resting (by E.164): skipped by the dialers until the rest's end.
    /// Written one entry at a time (`CallerNumbers`), never by a whole-record write.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rested: BTreeMap<String, NumberRest>,
    /// Its named caller pools (by name), which agents and campaigns call from. Written one
    /// entry at a time (`CallerNumbers`), never by a whole-record write.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub caller_pools: BTreeMap<String, CallerPool>,
    /// Its newest loaded extract of each government do-not-call registry (by registry code).
    /// Written one entry at a time (`Registries`), never by a whole-record write.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub registries: BTreeMap<String, RegistryExtract>,
    /// How many days after a campaign ends its leads (every personal datum the table holds
    /// of its contacts) are deleted; none: kept until erased (see `domain::erasure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u16>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Where a tenant may call unless the operators allow more: its home country.
pub fn home_country_only() -> Vec<String> {
    vec!["US".to_owned()]
}

impl TenantRecord {
    /// Whether the tenant's agents may call from `number`.
    pub fn may_call_from(&self, number: &E164) -> bool {
        self.caller_numbers.contains(number)
    }

    /// Its newest loaded extract of each registry (unknown codes, from a later version, are
    /// left out).
    pub fn registry_extracts(&self) -> BTreeMap<Registry, RegistryExtract> {
        (self.registries.iter())
            .filter_map(|(code, extract)| Some((Registry::parse(code)?, extract.clone())))
            .collect()
    }

    /// The numbers resting at `now`.
    pub fn resting_at(&self, now: DateTime<Utc>) -> Vec<E164> {
        (self.rested.iter())
            .filter(|(_, rest)| rest.holds_at(now))
            .filter_map(|(number, _)| E164::parse_strict(number).ok())
            .collect()
    }

    /// Whether the tenant may call or transfer to `number` (its country is allowed).
    pub fn may_reach(&self, number: &E164) -> bool {
        number
            .region()
            .is_some_and(|r| self.allowed_countries.contains(&r.code()))
    }

    /// A new tenant with no live campaign.
    pub fn new(id: TenantId, name: impl Into<String>, plan: Plan, now: DateTime<Utc>) -> Self {
        Self {
            id,
            name: name.into(),
            plan,
            live_campaigns: 0,
            live_limit: plan.live_campaign_limit(),
            caller_numbers: Vec::new(),
            allowed_countries: home_country_only(),
            contact_caps: domain::contact_caps::ContactCaps::default(),
            rested: BTreeMap::new(),
            caller_pools: BTreeMap::new(),
            registries: BTreeMap::new(),
            retention_days: None,
            created_at: now,
        }
    }
}

/// An API key's public record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Public id (the key's first segment).
    pub id: ApiKeyId,
    /// Owner.
    pub tenant: TenantId,
    /// A label for people.
    pub label: String,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// Revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}
