//! Provider events (a provider's callbacks about a call): verify, parse, apply once. Our own
//! events to the tenant are the outbound webhooks ([`crate::webhooks`]).

use ports::store::{Agents, Campaigns, Leads};
use ports::voice::{CallEventKind, CallReference, ProviderEventError, ProviderRequest};

use domain::call_report::ReportBody;

use crate::outcome::Applied;
use crate::reports::ReportOutcome;
use crate::{Engine, EngineError};

/// What a provider event did; the HTTP layer answers 200 for `Applied`/`Ignored`, 403 for a bad
/// signature and 400 for a malformed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEventOutcome {
    /// Progress only.
    Progress,
    /// An outcome was applied or ignored.
    Outcome(Applied),
    /// The agent's tool calls were applied; the provider expects this answer (content type,
    /// body).
    Answer(&'static str, String),
    /// Refused.
    Rejected(ProviderEventError),
}

impl<S> Engine<S>
where
    S: Campaigns + Leads + Agents,
{
    /// One call of the agent's report tool, applied by the report API's rules: what the agent
    /// is told (`recorded`, `already recorded`) or why it was refused.
    async fn tool_call(
        &self,
        reference: &CallReference,
        body: Result<ReportBody, String>,
    ) -> Result<Result<String, String>, EngineError> {
        let report = match body.and_then(|b| {
            (b.into_report(self.clock.now())).map_err(|e| format!("{}: {}", e.field, e.message))
        }) {
            Ok(report) => report,
            Err(why) => return Ok(Err(why)),
        };
        Ok(
            match self.apply_platform_report(reference, &report).await? {
                ReportOutcome::Recorded { changed: true, .. } => Ok("recorded".into()),
                ReportOutcome::Recorded { .. } => Ok("already recorded".into()),
                ReportOutcome::Refused(refused) => Err(refused.to_string()),
                ReportOutcome::BadToken => Err("not this call's report".into()),
            },
        )
    }

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
            CallEventKind::ToolCalls(calls) => {
                let mut results = Vec::with_capacity(calls.len());
                for call in calls {
                    let outcome = self.tool_call(reference, call.report).await?;
                    let (id, name) = (call.id, call.name);
                    results.push(ports::voice::ToolResult { id, name, outcome });
                }
                Ok(match self.provider(provider)?.tool_answer(&results) {
                    Some((content_type, body)) => ProviderEventOutcome::Answer(content_type, body),
                    None => ProviderEventOutcome::Progress,
                })
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
