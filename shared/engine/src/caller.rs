//! The dialer's choice of caller number (local presence, `domain::caller_choice`): among the
//! campaign's pool (a named pool of the tenant's, read from the tenant record, else the
//! agent's own), the nearest to the contact of the numbers still registered for the tenant
//! and not at their limits (`domain::caller_limits`), spread by lead and attempt so a retry may
//! go out from another number.

use std::hash::{Hash, Hasher};

use chrono::{DateTime, Utc};
use domain::caller_choice::choose;
use domain::caller_limits::{CallerLimits, next_room};
use domain::lead::ActiveCall;
use domain::phone::E164;
use ports::store::{AccountDemand, CallerUseGuard, CampaignStatuses, Campaigns, Leads, Tenants};

use crate::dial::DialOutcome;
use crate::messages::DialMessage;
use crate::{Engine, EngineError};

/// The caller-number ledger entry of a call, from what its clearance recorded: its number and
/// start (the limits are not needed to take a call off).
pub(crate) fn caller_use_of(call: &ActiveCall) -> Option<CallerUseGuard> {
    let number = E164::parse_strict(&call.clearance.as_ref()?.caller_number).ok()?;
    Some(CallerUseGuard {
        number,
        at: call.started_at,
        limits: CallerLimits::default(),
    })
}

impl<S> Engine<S>
where
    S: Campaigns + CampaignStatuses + Leads + Tenants + AccountDemand,
{
    /// The message with its caller number chosen, and why (`None` for an agent without a
    /// pool), skipping the numbers in `full` (refused for their limits by this message's
    /// earlier claims) and those resting. When the agent's numbers are all full or resting,
    /// the lead waits for the next hour, unspent; when none is the tenant's any more (withdrawn since the campaign
    /// started), the lead is handed back unspent and the campaign paused: `Err` both.
    pub(crate) async fn with_local_caller(
        &self,
        message: &DialMessage,
        full: &[E164],
        now: DateTime<Utc>,
    ) -> Result<Result<DialMessage, DialOutcome>, EngineError> {
        let terms = self.tenant_terms(&message.campaign.tenant).await?;
        let (default, pool, limits) = match &message.call.named_pool {
            None => (
                &message.call.from,
                std::iter::once(message.call.from.clone())
                    .chain(message.call.pool.iter().cloned())
                    .collect::<Vec<_>>(),
                message.call.limits,
            ),
            Some(name) => match terms.pools.get(name) {
                Some(named) => (&named.default, named.numbers.clone(), named.limits),
                None => {
                    self.defer(&message.campaign, message.lead.clone(), now)
                        .await?;
                    let problem = format!("the caller pool '{name}' no longer exists");
                    return Ok(Err(self.pause_for_account(message, &problem, now).await?));
                }
            },
        };
        let mut spread = std::collections::hash_map::DefaultHasher::new();
        (message.lead.id.as_str(), message.lead.state.attempts).hash(&mut spread);
        let registered = |n: &E164| terms.caller_numbers.contains(n);
        let free = |n: &E164| registered(n) && !full.contains(n) && !terms.resting(n, now);
        let contact = &message.lead.contact.phone;
        let Some(choice) = choose(&pool, Some(default), contact, spread.finish(), free) else {
            if pool.iter().any(registered) {
                ports::metrics::put(ports::metrics::Metric::count("CallerNumbersFull", 1.0));
                self.defer(&message.campaign, message.lead.clone(), next_room(now))
                    .await?;
                return Ok(Err(DialOutcome::Done(
                    "every caller number at its limit or resting: deferred",
                )));
            }
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
        if pool.len() > 1 {
            chosen.call.chosen_because = Some(choice.closeness.describe());
        }
        chosen.call.from = choice.number;
        chosen.call.limits = limits;
        Ok(Ok(chosen))
    }
}
