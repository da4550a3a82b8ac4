//! What the engine does while a call is up, on the provider's behalf: answer its call-flow
//! request when the agent's part ends (transfer only if the agent asked, once, letting the
//! call outlast the agent's time limit), act on a machine-detection verdict once (hang up, or
//! play the agent's voicemail message after the beep; a fax is hung up on) and record it on the
//! attempt, and record what the provider says of the agent's media stream.

use domain::config::{Voicemail, VoicemailAction};
use domain::ids::LeadRef;
use domain::lead::{AgentStream, Lead};
use domain::status::LeadStatus;
use ports::store::{Agents, Campaigns, Guards, Leads};
use ports::voice::{
    CallFlow, CallReference, ProviderEventError, ProviderRequest, SpokenMessage,
    is_end_of_greeting, is_machine,
};

use crate::{Engine, EngineError};

/// The answer to a call-flow request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFlowAnswer {
    /// What to tell the provider: content type and body.
    Answer(&'static str, String),
    /// The request is not the provider's (bad signature) or not understood.
    Rejected(ProviderEventError),
}

impl<S> Engine<S>
where
    S: Campaigns + Leads + Agents,
{
    /// The lead on `reference`'s call, if the call is still up and `provider_call_id` is its.
    async fn lead_on_call(
        &self,
        reference: &CallReference,
        provider: &str,
        provider_call_id: &str,
    ) -> Result<Option<Lead>, EngineError> {
        let key = LeadRef {
            campaign: reference.campaign.clone(),
            lead: reference.lead.clone(),
        };
        let Some(lead) = self.store.get_lead(&key).await? else {
            return Ok(None);
        };
        let on_call = lead.state.status == LeadStatus::Calling
            && lead.state.call.as_ref().is_some_and(|c| {
                c.attempt == reference.attempt
                    && c.provider == provider
                    && c.provider_call_id
                        .as_deref()
                        .is_none_or(|id| id == provider_call_id)
            });
        Ok(on_call.then_some(lead))
    }

    /// Answers the provider's call-flow request for `reference` (Twilio's `<Redirect>` after
    /// the agent's stream): the transfer number when the agent asked for a transfer on this
    /// attempt and it has not started yet, else hang up. Anything unclear hangs up: a person
    /// is never bridged to a human line the agent did not ask for.
    #[tracing::instrument(name = "call_flow", skip_all, fields(
        tenant = %reference.campaign.tenant, campaign = %reference.campaign.campaign,
        lead = %reference.lead, attempt = reference.attempt, provider = provider_name))]
    pub async fn call_flow(
        &self,
        provider_name: &str,
        reference: &CallReference,
        request: &ProviderRequest,
    ) -> Result<CallFlowAnswer, EngineError> {
        let provider = self.provider(provider_name)?;
        let event = match provider.parse_event(request, self.clock.now()) {
            Ok(event) => event,
            Err(err) => return Ok(CallFlowAnswer::Rejected(err)),
        };
        let mut flow = CallFlow::HangUp;
        if let Some(lead) = self
            .lead_on_call(reference, provider_name, &event.provider_call_id)
            .await?
            && let Some(campaign) = self.cached_campaign(&reference.campaign, None).await?
            && let Some(number) = campaign.config.call_handling.transfer_number.clone()
        {
            let mut next = lead.state.clone();
            if next.begin_transfer(reference.attempt)
                && self
                    .write_simple(&reference.campaign, &lead, &next, Guards::default())
                    .await?
            {
                tracing::info!(%reference, "transferring the call, as the agent asked");
                // The call's time limit was the agent's; the person it is handed to gets theirs.
                let limit = campaign.config.call_handling.max_call_duration
                    + campaign.config.call_handling.max_transfer_duration;
                let seconds = u32::try_from(limit.num_seconds()).unwrap_or(u32::MAX);
                if let Err(err) = provider
                    .extend_time_limit(&event.provider_call_id, seconds)
                    .await
                {
                    tracing::warn!(%reference, error = %err, "could not raise the call's time limit for the transfer");
                }
                flow = CallFlow::Transfer(number);
            }
        }
        Ok(match provider.call_flow_answer(&flow) {
            Some((content_type, body)) => CallFlowAnswer::Answer(content_type, body),
            None => CallFlowAnswer::Rejected(ProviderEventError::Malformed(
                "this provider has no call flow".into(),
            )),
        })
    }

    /// Acts on a machine-detection verdict for the call `reference` and records it.
    pub(crate) async fn machine_verdict(
        &self,
        provider_name: &str,
        reference: &CallReference,
        provider_call_id: &str,
        answered_by: &str,
    ) -> Result<(), EngineError> {
        let Some(lead) = self
            .lead_on_call(reference, provider_name, provider_call_id)
            .await?
        else {
            return Ok(());
        };
        // A verdict is acted on once: a repeated callback must not restart the message.
        if lead
            .state
            .call
            .as_ref()
            .is_some_and(|c| c.answered_by.is_some())
        {
            return Ok(());
        }
        let Some(campaign) = self.cached_campaign(&reference.campaign, None).await? else {
            return Ok(());
        };
        let provider = self.provider(provider_name)?;
        let mut voicemail_left = false;
        let action = match campaign.config.call_handling.voicemail {
            Voicemail::Detect(action) if is_machine(answered_by) => Some(action),
            _ => None,
        };
        let acted = match action {
            Some(VoicemailAction::HangUp) => provider.end_call(provider_call_id).await,
            // A fax machine takes no message.
            Some(VoicemailAction::LeaveMessage) if answered_by == "fax" => {
                provider.end_call(provider_call_id).await
            }
            Some(VoicemailAction::LeaveMessage) if is_end_of_greeting(answered_by) => {
                match self.voicemail_message(&campaign).await? {
                    Some(message) => provider
                        .leave_message(provider_call_id, &message)
                        .await
                        .map(|left| voicemail_left = left),
                    None => provider.end_call(provider_call_id).await,
                }
            }
            _ => Ok(()),
        };
        if let Err(err) = acted {
            // The call goes on (and ends by its time limit); the verdict is still recorded.
            tracing::warn!(%reference, error = %err, "could not act on the machine verdict");
        }
        let mut next = lead.state.clone();
        if next.record_machine_verdict(reference.attempt, answered_by, voicemail_left) {
            self.write_simple(&reference.campaign, &lead, &next, Guards::default())
                .await?;
        }
        Ok(())
    }

    /// Records what the provider says of the agent's media stream on `reference`'s call (see
    /// [`domain::lead::ActiveCall::agent_judged`] for what it decides).
    pub(crate) async fn agent_stream(
        &self,
        provider_name: &str,
        reference: &CallReference,
        provider_call_id: &str,
        stream: AgentStream,
    ) -> Result<(), EngineError> {
        if let AgentStream::Failed(reason) = &stream {
            tracing::warn!(%reference, %reason, "the agent's media stream failed");
        }
        let Some(lead) = self
            .lead_on_call(reference, provider_name, provider_call_id)
            .await?
        else {
            return Ok(());
        };
        let mut next = lead.state.clone();
        if next.record_agent_stream(reference.attempt, stream) {
            self.write_simple(&reference.campaign, &lead, &next, Guards::default())
                .await?;
        }
        Ok(())
    }

    /// The campaign's agent's voicemail message, in the agent's voice and language.
    async fn voicemail_message(
        &self,
        campaign: &crate::LoadedCampaign,
    ) -> Result<Option<SpokenMessage>, EngineError> {
        let tenant = &campaign.record.tenant;
        Ok(self
            .agent(tenant, &campaign.config.agent)
            .await?
            .and_then(|agent| {
                let spec = agent.spec;
                spec.voicemail_message.map(|text| SpokenMessage {
                    text,
                    voice: spec.voice,
                    language: spec.language,
                })
            }))
    }
}
