//! Number health, watched by the tick (`domain::caller_health`): every few minutes the tick of
//! a campaign that calls from a pool (the agent's, or a named pool of the tenant's) reads today's figures of the pool's numbers (one
//! batch read, off the dial path) and rests each number answered far less than the rest of its
//! pool. The rest is written on the tenant item with its `caller_number.rested` event (once:
//! not over a rest that still holds), and the dialers skip the number from their next read of
//! the tenant; a warning goes to the log and the metrics.

use chrono::{DateTime, Timelike, Utc};
use domain::caller_health::NumberRest;
use domain::caller_limits::ledger_day;
use domain::ids::CampaignRef;
use domain::phone::E164;
use ports::metrics::{self as emf, Metric};
use ports::store::{AgentRecord, CallerNumbers, Tenants};

use crate::{Engine, EngineError};

/// The tick judges a pool's numbers on the minutes divisible by this (a pool's figures move
/// slowly; one campaign's tick each such minute is plenty).
pub const HEALTH_EVERY_MINUTES: u32 = 5;

impl<S: CallerNumbers + Tenants> Engine<S> {
    /// Rests the numbers of the campaign's pool (the tenant's pool `named`, else `agent`'s own)
    /// that its health rule finds answered far less than the rest of the pool today; the
    /// numbers rested. Nothing for a single number, a named pool no longer there, or off the
    /// minutes the health is judged.
    pub(crate) async fn watch_caller_health(
        &self,
        campaign: &CampaignRef,
        agent: &AgentRecord,
        named: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<E164>, EngineError> {
        if !now.minute().is_multiple_of(HEALTH_EVERY_MINUTES) {
            return Ok(Vec::new());
        }
        let tenant = &campaign.tenant;
        let (pool, rule) = match named {
            Some(name) => {
                let terms = self.tenant_terms(tenant).await?;
                let Some(pool) = terms.pools.get(name) else {
                    return Ok(Vec::new());
                };
                (pool.numbers.clone(), pool.health)
            }
            None => (
                std::iter::once(&agent.spec.caller_number)
                    .chain(agent.spec.caller_pool.iter().map(|n| &n.0))
                    .filter_map(|n| E164::parse_strict(n).ok())
                    .collect::<Vec<_>>(),
                agent.spec.caller_health.unwrap_or_default(),
            ),
        };
        if pool.len() < 2 {
            return Ok(Vec::new());
        }
        let days = (self.store)
            .caller_days(tenant, &pool, ledger_day(now))
            .await?;
        let mut rested = Vec::new();
        for number in &pool {
            let Some(reason) = rule.judge(number, &days) else {
                continue;
            };
            let rest = NumberRest {
                since: now,
                until: rule.rest_until(now),
                reason,
                by_hand: false,
            };
            let event = (self.hooks.as_ref())
                .map(|_| crate::webhooks::caller_number_rested(campaign, number, &rest));
            if (self.store)
                .rest_caller_number(tenant, number, &rest, true, event.as_ref())
                .await?
            {
                tracing::warn!(%tenant, number = %number, reason = %rest.reason, until = %rest.until, "caller number rested for its answer rate");
                emf::put(Metric::count("CallerNumbersRested", 1.0));
                self.announce(tenant, event.as_slice()).await;
                rested.push(number.clone());
            }
        }
        Ok(rested)
    }
}
