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

impl<S: Tenants + Leads> Engine<S> {
    /// The tenant's caps (the defaults for a tenant without a record), cached for the campaign
    /// cache's TTL: a change reaches running dialers within it.
    pub(crate) async fn tenant_caps(&self, tenant: &TenantId) -> Result<ContactCaps, EngineError> {
        let now = self.clock.now();
        if let Some(caps) = self
            .caps
            .fresh(tenant, now, self.settings.campaign_cache_ttl)
        {
            return Ok(caps);
        }
        let caps = (self.store.get_tenant(tenant).await?)
            .map(|t| t.contact_caps)
            .unwrap_or_default();
        self.caps.put(tenant.clone(), now, caps);
        Ok(caps)
    }

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
            self.tenant_caps(tenant),
            self.store.number_calls(tenant, number)
        );
        let (caps, ledger) = (caps?, ledger?);
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
