//! Pausing a campaign from the dialer, for a problem found at dial time that no other call of
//! the campaign could get past: an account problem the provider named, or no fresh extract of a
//! government registry for a telemarketing call. The lead goes back unspent; the reason is kept
//! on the campaign, announced as `campaign.paused`, and cleared by a person's resume.

use chrono::{DateTime, Utc};
use ports::metrics::{self as emf, Metric};
use ports::store::{AccountDemand, CampaignStatuses, Campaigns, Leads, Tenants};

use crate::dial::{DialOutcome, PAUSED};
use crate::messages::DialMessage;
use crate::{Engine, EngineError};

impl<S> Engine<S>
where
    S: Campaigns + CampaignStatuses + Leads + Tenants + AccountDemand,
{
    /// Pauses the message's campaign for an account problem the provider named (if it is still
    /// Active: a person's pause or resume since is never undone).
    pub(crate) async fn pause_for_account(
        &self,
        message: &DialMessage,
        problem: &str,
        now: DateTime<Utc>,
    ) -> Result<DialOutcome, EngineError> {
        let reason = domain::guardrails::PauseReason::account_problem(problem, now);
        self.pause_with(message, reason, now).await
    }

    /// Pauses the message's campaign for `reason`, a problem found at dial time (if it is
    /// still Active: a person's pause or resume since is never undone).
    pub(crate) async fn pause_with(
        &self,
        message: &DialMessage,
        reason: domain::guardrails::PauseReason,
        now: DateTime<Utc>,
    ) -> Result<DialOutcome, EngineError> {
        const DONE: DialOutcome = DialOutcome::Done(PAUSED);
        let campaign = &message.campaign;
        let Some(record) = self.store.get_campaign(campaign).await? else {
            return Ok(DONE);
        };
        if record.status != domain::status::CampaignStatus::Active {
            return Ok(DONE);
        }
        let (from, to) = (
            domain::status::CampaignStatus::Active,
            domain::status::CampaignStatus::Paused,
        );
        let event = self.status_event(campaign, from, to, now, Some(&reason));
        match (self.store)
            .pause_with_reason(campaign, record.active_since, &reason, event.as_ref())
            .await
        {
            Ok(()) => {
                self.announce(&campaign.tenant, event.as_slice()).await;
                let guardrail = reason.guardrail.as_str();
                emf::put(Metric::count("GuardrailTrips", 1.0).with("Guardrail", guardrail));
                Ok(DONE)
            }
            Err(ports::store::WriteError::Refused(_)) => Ok(DONE),
            Err(err) => Err(err.into()),
        }
    }
}
