//! The dialer's choice of caller number (local presence, `domain::caller_choice`): among the
//! agent's pool, the nearest to the contact of the numbers still registered for the tenant,
//! spread by lead and attempt so a retry may go out from another number.

use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};
use domain::caller_choice::choose;
use ports::store::{AccountDemand, CampaignStatuses, Campaigns, Leads, Tenants};

use crate::dial::DialOutcome;
use crate::messages::DialMessage;
use crate::{Engine, EngineError};

impl<S> Engine<S>
where
    S: Campaigns + CampaignStatuses + Leads + Tenants + AccountDemand,
{
    /// The message with its caller number chosen, and why (`None` for an agent without a
    /// pool); when none of the agent's numbers is the tenant's any more (withdrawn since the
    /// campaign started), the lead is handed back unspent and the campaign paused: `Err`.
    pub(crate) async fn with_local_caller(
        &self,
        message: &DialMessage,
        now: DateTime<Utc>,
    ) -> Result<Result<DialMessage, DialOutcome>, EngineError> {
        let terms = self.tenant_terms(&message.campaign.tenant).await?;
        let default = &message.call.from;
        let pool: Vec<_> = std::iter::once(default.clone())
            .chain(message.call.pool.iter().cloned())
            .collect();
        let mut spread = std::collections::hash_map::DefaultHasher::new();
        (message.lead.id.as_str(), message.lead.state.attempts).hash(&mut spread);
        let free = |n: &domain::phone::E164| terms.caller_numbers.contains(n);
        let contact = &message.lead.contact.phone;
        let Some(choice) = choose(&pool, Some(default), contact, spread.finish(), free) else {
            self.defer(&message.campaign, message.lead.clone(), now)
                .await?;
            let numbers: Vec<String> = pool.iter().map(ToString::to_string).collect();
            let problem = format!(
                "the agent's caller number{} {} no longer registered for the tenant",
                if pool.len() > 1 { "s are" } else { " is" },
                numbers.join(", ")
            );
            return Ok(Err(self.pause_for_account(message, &problem, now).await?));
        };
        let mut chosen = message.clone();
        if !message.call.pool.is_empty() {
            chosen.call.chosen_because = Some(choice.closeness.describe());
        }
        chosen.call.from = choice.number;
        Ok(Ok(chosen))
    }
}
