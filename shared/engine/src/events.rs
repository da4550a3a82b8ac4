//! Provider webhooks: verify, parse, apply once.

use ports::store::{Agents, Campaigns, Leads};
use ports::voice::{CallEventKind, CallReference, WebhookError, WebhookRequest};

use crate::outcome::Applied;
use crate::{Engine, EngineError};

/// What a webhook did; the HTTP layer answers 200 for `Applied`/`Ignored`, 403 for a bad
/// signature and 400 for a malformed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Progress only.
    Progress,
    /// An outcome was applied or ignored.
    Outcome(Applied),
    /// Refused.
    Rejected(WebhookError),
}

impl<S> Engine<S>
where
    S: Campaigns + Leads + Agents,
{
    /// Handles one webhook from `provider` about the call `reference` names (from the URL path,
    /// which the provider's signature covers).
    pub async fn handle_webhook(
        &self,
        provider: &str,
        reference: &CallReference,
        request: &WebhookRequest,
    ) -> Result<WebhookOutcome, EngineError> {
        let now = self.clock.now();
        let event = match self.provider(provider)?.parse_webhook(request, now) {
            Ok(event) => event,
            Err(err) => {
                tracing::warn!(%reference, error = %err, "webhook refused");
                return Ok(WebhookOutcome::Rejected(err));
            }
        };
        self.crash_point("events.after_verify")?;
        match event.kind {
            CallEventKind::Progress(_) => Ok(WebhookOutcome::Progress),
            CallEventKind::MachineVerdict(answered_by) => {
                self.machine_verdict(provider, reference, &event.provider_call_id, &answered_by)
                    .await?;
                Ok(WebhookOutcome::Progress)
            }
            CallEventKind::AgentStream(stream) => {
                self.agent_stream(provider, reference, &event.provider_call_id, stream)
                    .await?;
                Ok(WebhookOutcome::Progress)
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
                Ok(WebhookOutcome::Outcome(applied))
            }
        }
    }
}
