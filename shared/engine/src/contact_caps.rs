//! The dialer's frequency check across campaigns (see `domain::contact_caps`): the tenant's
//! caps, cached like campaigns, and the number's ledger, read just before the claim. The claim
//! adds its call to the ledger on the condition of the version counted here, so the decision
//! and the write are one: a claim from another campaign in between makes this one read again.

use chrono::{DateTime, Utc};
use domain::contact_caps::{CapCounts, CapDecision, ContactCaps, decide, still_counted};
use domain::ids::TenantId;
use domain::legal::RuleSet;
use domain::window::Subdivision;
use ports::store::{Leads, NumberCallGuard, NumberCalls, Tenants};

use crate::messages::DialMessage;
use crate::{Engine, EngineError};

/// What the frequency check allows.
pub(crate) enum NumberCheck {
    /// The call may start: the ledger write for the claim, and what the clearance records.
    Clear {
        guard: NumberCallGuard,
        tenant_calls: (CapCounts, ContactCaps),
    },
    /// Not before this instant.
    Wait(DateTime<Utc>),
}

/// What the dialer needs of a tenant's record, cached like campaigns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TenantTerms {
    /// The caller ids registered for it (`None`: no record, so nothing registered).
    pub caller_numbers: std::sync::Arc<[domain::phone::E164]>,
    /// Its caps on calls per number.
    pub caps: ContactCaps,
    /// Its plan's weight on a shared provider account (`domain::fair_share`).
    pub dial_weight: u32,
    /// Its caller numbers' rests (the dialers skip a number while its rest holds).
    pub rests: std::sync::Arc<[(domain::phone::E164, domain::caller_health::NumberRest)]>,
    /// Its named caller pools (`domain::caller_pool`), by name.
    pub pools: std::sync::Arc<std::collections::BTreeMap<String, domain::caller_pool::CallerPool>>,
    /// Its newest loaded extract of each government do-not-call registry.
    pub registries: std::sync::Arc<
        std::collections::BTreeMap<domain::registry::Registry, domain::registry::RegistryExtract>,
    >,
}

impl TenantTerms {
    /// Whether `number` rests at `now`.
    pub(crate) fn resting(&self, number: &domain::phone::E164, now: DateTime<Utc>) -> bool {
        (self.rests.iter()).any(|(n, rest)| n == number && rest.holds_at(now))
    }
}

impl<S: Tenants> Engine<S> {
    /// The tenant's terms (the defaults for a tenant without a record: no caps beyond the
    /// defaults, the lightest weight), cached for the campaign cache's TTL: a change reaches
    /// running dialers within it.
    pub(crate) async fn tenant_terms(&self, tenant: &TenantId) -> Result<TenantTerms, EngineError> {
        let now = self.clock.now();
        if let Some(terms) = self
            .tenants
            .fresh(tenant, now, self.settings.campaign_cache_ttl)
        {
            return Ok(terms);
        }
        let record = self.store.get_tenant(tenant).await?;
        let terms = TenantTerms {
            caller_numbers: (record.as_ref())
                .map(|t| t.caller_numbers.clone().into())
                .unwrap_or_else(|| std::sync::Arc::from([])),
            caps: record.as_ref().map(|t| t.contact_caps).unwrap_or_default(),
            dial_weight: (record.as_ref()).map_or(1, |t| t.plan.dial_weight()),
            rests: (record.iter().flat_map(|t| t.rested.iter()))
                .filter_map(|(n, rest)| {
                    let number = domain::phone::E164::parse_strict(n).ok()?;
                    Some((number, rest.clone()))
                })
                .collect(),
            pools: std::sync::Arc::new(
                (record.as_ref())
                    .map(|t| t.caller_pools.clone())
                    .unwrap_or_default(),
            ),
            registries: std::sync::Arc::new(
                (record.as_ref())
                    .map(|t| t.registry_extracts())
                    .unwrap_or_default(),
            ),
        };
        self.tenants.put(tenant.clone(), now, terms.clone());
        Ok(terms)
    }
}

impl<S: Tenants + Leads> Engine<S> {
    /// Whether the tenant may call the message's number at `now` as attempt `attempt`.
    pub(crate) async fn check_number(
        &self,
        message: &DialMessage,
        attempt: u8,
        now: DateTime<Utc>,
    ) -> Result<NumberCheck, EngineError> {
        let tenant = &message.campaign.tenant;
        let number = &message.lead.contact.phone;
        // Two reads on the way to the claim: at once, not one after the other.
        let (caps, ledger) = futures::join!(
            self.tenant_terms(tenant),
            self.store.number_calls(tenant, number)
        );
        let (caps, ledger) = (caps?.caps, ledger?);
        let key = NumberCalls::key(&message.campaign, &message.lead.id, attempt);
        // This very call is not counted against itself (a claim retried after its write).
        let starts: Vec<DateTime<Utc>> = (ledger.calls.iter())
            .filter(|(k, _)| **k != key)
            .map(|(_, at)| *at)
            .collect();
        let location = message.lead.contact.location();
        let cap_24h = RuleSet::current()
            .max_calls_per_24h(location.subdivisions.iter().map(Subdivision::as_str));
        Ok(match decide(&starts, caps, cap_24h, &location.zones, now) {
            CapDecision::NotBefore(at) => NumberCheck::Wait(at),
            CapDecision::Allowed(counts) => NumberCheck::Clear {
                guard: NumberCallGuard {
                    number: number.clone(),
                    expected_version: ledger.version,
                    forget: (ledger.calls.iter())
                        .filter(|(k, at)| !still_counted(**at, now) && **k != key)
                        .map(|(k, _)| k.clone())
                        .collect(),
                    key,
                    at: now,
                },
                tenant_calls: (counts, caps),
            },
        })
    }
}
