//! What a telemarketing call owes the government do-not-call registries, at dial time: the
//! tenant's newest extract of the number's registry (from its cached record) must be fresh, and
//! the number is then checked against it in the claim's transaction (one key); a contact with a
//! running business relationship is exempt where the registry honours one. A call that
//! finds no fresh extract pauses its campaign, with the reason, and its lead goes back unspent.

use chrono::{DateTime, Utc};
use domain::guardrails::PauseReason;
use domain::registry::{self, Registry, RegistryCheck};
use ports::store::{AccountDemand, CampaignStatuses, Campaigns, Leads, Tenants};

use crate::dial::DialOutcome;
use crate::messages::DialMessage;
use crate::{Engine, EngineError, LoadedCampaign};

/// The claim's registry condition for a check: the number must not be in the registry.
pub(crate) fn registry_guard(
    check: &RegistryCheck,
    message: &DialMessage,
) -> Option<(Registry, domain::phone::E164)> {
    match check {
        RegistryCheck::Check { registry, .. } => {
            Some((*registry, message.lead.contact.phone.clone()))
        }
        _ => None,
    }
}

impl<S> Engine<S>
where
    S: Campaigns + CampaignStatuses + Leads + Tenants + AccountDemand,
{
    /// What the message's call owes the registries at `now`; `Err` with what became of the
    /// message when no extract may be relied on (the lead handed back, the campaign paused).
    pub(crate) async fn registry_owed(
        &self,
        message: &DialMessage,
        loaded: &LoadedCampaign,
        now: DateTime<Utc>,
    ) -> Result<Result<RegistryCheck, DialOutcome>, EngineError> {
        let purpose = loaded.config.purpose;
        // An informational campaign owes nothing: no read of the tenant at all.
        if purpose != domain::config::Purpose::Telemarketing {
            return Ok(Ok(RegistryCheck::NotNeeded));
        }
        let terms = self.tenant_terms(&message.campaign.tenant).await?;
        let check = registry::check(purpose, &message.lead.contact, &terms.registries, now);
        let RegistryCheck::NoFreshExtract { registry, newest } = &check else {
            return Ok(Ok(check));
        };
        let problem = registry::no_fresh_extract_message(*registry, newest.as_ref(), now);
        tracing::warn!(registry = registry.code(), %problem, "telemarketing call without a fresh registry extract: campaign paused");
        self.defer(&message.campaign, message.lead.clone(), now)
            .await?;
        let reason = PauseReason::stale_registry(&problem, now);
        Ok(Err(self.pause_with(message, reason, now).await?))
    }
}
