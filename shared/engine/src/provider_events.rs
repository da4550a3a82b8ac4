//! Provider events (a provider's callbacks about a call): verify, parse, apply once. Our own
//! events to the tenant are the outbound webhooks ([`crate::webhooks`]).

use ports::store::{Agents, Campaigns, Leads};
use ports::voice::{CallEventKind, CallReference, ProviderEventError, ProviderRequest};

use crate::outcome::Applied;
use crate::{Engine, EngineError};

/// What a provider event did; the HTTP layer answers 200 for `Applied`/`Ignored`, 403 for a bad
/// signature and 400 for a malformed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEventOutcome {
    /// Progress only.
    Progress,
    /// An outcome was applied or ignored.
    Outcome(Applied),
    /// Refused.
    Rejected(ProviderEventError),
}

impl<S> Engine<S>
where
    S: Campaigns + Leads + Agents,
{
    /// Handles one provider event from `provider` about the call `reference` names (from the URL path,
    /// which the provider's signature covers).
    #[tracing::instrument(name = "provider_event", skip_all, fields(
        tenant = %reference.campaign.tenant, campaign = %reference.campaign.campaign,
        lead = %reference.lead, attempt = reference.attempt, provider = provider))]
    pub async fn handle_provider_event(
        &self,
        provider: &str,
        reference: &CallReference,
        request: &ProviderRequest,
    ) -> Result<ProviderEventOutcome, EngineError> {
        let now = self.clock.now();
        let event = match self.provider(provider)?.parse_event(request, now) {
            Ok(event) => event,
            Err(err) => {
                tracing::warn!(%reference, error = %err, "provider event refused");
                return Ok(ProviderEventOutcome::Rejected(err));
            }
        };
        self.crash_point("events.after_verify")?;
        match event.kind {
            CallEventKind::Progress(_) => Ok(ProviderEventOutcome::Progress),
            CallEventKind::MachineVerdict(answered_by) => {
                self.machine_verdict(provider, reference, &event.provider_call_id, &answered_by)
                    .await?;
                Ok(ProviderEventOutcome::Progress)
            }
            CallEventKind::AgentStream(stream) => {
                self.agent_stream(provider, reference, &event.provider_call_id, stream)
                    .await?;
                Ok(ProviderEventOutcome::Progress)
            }
            CallEventKind::Ended {
                report,
                mut details,
            } => {
                details
                    .provider_call_id
                    .get_or_insert(event.provider_call_id);
                let applied = self
                    .apply_outcome(reference, Some(provider), &report, &details)
                    .await?;
                self.crash_point("events.after_apply")?;
                Ok(ProviderEventOutcome::Outcome(applied))
            }
        }
    }
}
