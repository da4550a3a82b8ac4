//! The simulated agent's reports on Vapi: the assistant calls its report tool, and Vapi sends
//! the call as a `tool-calls` server message to the call's server URL and reads the tool's
//! result from the answer.

use engine::provider_events::ProviderEventOutcome;
use ports::Clock;
use ports::voice::CallReference;

use super::{PendingEvent, RunStats, World};

impl World {
    /// One agent report as a call of its Vapi report tool, through the fake's `tool-calls`
    /// message; the answer must name the tool call by its id and record it. A crash answers
    /// 5xx, and the message is sent again a few times.
    pub(super) async fn deliver_tool_call(
        &mut self,
        pending: PendingEvent,
        token: &str,
        stats: &mut RunStats,
    ) -> anyhow::Result<()> {
        let now = self.clock.now();
        let claims = (self.engine.settings.call_tokens.verify(token, now))
            .map_err(|_| anyhow::anyhow!("the agent's report names no call of ours"))?;
        let reference = CallReference {
            campaign: claims.lead.campaign,
            lead: claims.lead.lead,
            attempt: claims.attempt,
        };
        let call_id = (self.simulator.calls().into_iter())
            .find(|c| c.reference == reference)
            .map(|c| c.provider_call_id)
            .unwrap_or_default();
        let tool_call_id = format!("tc-{}-{}", stats.agent_reports, pending.tries);
        let request = crate::fake_providers::vapi::tool_calls_message(
            &reference,
            &call_id,
            &tool_call_id,
            &pending.body,
        )
        .ok_or_else(|| anyhow::anyhow!("the fake Vapi never saw the call {reference}"))?;
        match (self.engine)
            .handle_provider_event("vapi", &reference, &request)
            .await
        {
            Ok(ProviderEventOutcome::Answer(_, body)) => {
                let answer: serde_json::Value = serde_json::from_str(&body)?;
                let result = &answer["results"][0];
                anyhow::ensure!(
                    result["toolCallId"] == tool_call_id.as_str(),
                    "the answer names another tool call: {body}"
                );
                match result["result"].as_str() {
                    Some(text) => stats.agent_reports_recorded += u64::from(text == "recorded"),
                    None => anyhow::bail!("a report tool call was refused: {body}"),
                }
            }
            Ok(other) => anyhow::bail!("a tool call was not answered: {other:?}"),
            Err(engine::EngineError::Crash(_)) if pending.tries < 4 => {
                self.provider_events.push(PendingEvent {
                    at: now + chrono::Duration::seconds(5),
                    tries: pending.tries + 1,
                    ..pending
                });
            }
            Err(engine::EngineError::Crash(_)) => {}
            Err(err) => return Err(err.into()),
        }
        Ok(())
    }
}
