//! The voice provider port: place a call, verify and parse a provider event (the provider's
//! callback to us: a call's status, a machine verdict, the agent's stream), look up a call.
//! Every adapter gets our call reference into the callback URL, signed by the provider, so an event
//! names the lead and attempt it is about.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::config::Voicemail;
use domain::ids::{CampaignRef, LeadId};
use domain::lead::AttemptDetails;
use domain::phone::E164;
use domain::retry::AttemptReport;
use serde::{Deserialize, Serialize};

/// Which lead and attempt a call is: travels in the callback URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CallReference {
    /// Tenant and campaign.
    pub campaign: CampaignRef,
    pub lead: LeadId,
    /// The attempt (1-based).
    pub attempt: u8,
}

impl CallReference {
    /// The path segments after the provider events' prefix: `{tenant}/{campaign}/{lead}/{attempt}`.
    pub fn path(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.campaign.tenant, self.campaign.campaign, self.lead, self.attempt
        )
    }

    /// Parses [`CallReference::path`] segments.
    pub fn from_segments(tenant: &str, campaign: &str, lead: &str, attempt: &str) -> Option<Self> {
        Some(Self {
            campaign: CampaignRef {
                tenant: domain::ids::TenantId::parse(tenant).ok()?,
                campaign: domain::ids::CampaignId::parse(campaign).ok()?,
            },
            lead: LeadId::parse(lead).ok()?,
            attempt: attempt.parse().ok().filter(|a| *a > 0)?,
        })
    }
}

impl fmt::Display for CallReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.lead, self.attempt)
    }
}

/// A provider account; its calls-per-second limit is shared by every campaign on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAccount {
    /// Stable id (e.g. the Twilio account SID): the CPS budget's key.
    pub id: String,
    /// Calls the account may start per second.
    pub calls_per_second: u32,
}

/// Everything a provider needs to place one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRequest {
    /// Our reference (also in the callback URL).
    pub reference: CallReference,
    /// Who to call.
    pub to: E164,
    /// The caller id.
    pub from: E164,
    /// The agent on the provider's side (its id, or the media stream URL).
    pub agent_ref: String,
    /// Where the provider reports the call's progress and outcome.
    pub callback_url: String,
    /// Where the provider asks what to do when the agent's part of the call ends (Twilio's
    /// `<Redirect>`: transfer when the agent asked for it, else hang up).
    pub call_flow_url: String,
    /// Where the agent reports what happened (the agent report API).
    pub report_url: String,
    /// The agent's per-call token for that API (bound to this attempt, expiring after it).
    pub report_token: String,
    /// Longest call.
    pub max_duration: Duration,
    /// Machine detection and what to do on a machine.
    pub voicemail: Voicemail,
    /// What the agent says on a voicemail, when it leaves one.
    pub voicemail_message: Option<String>,
    /// Transfer destination.
    pub transfer_number: Option<E164>,
    /// The lead's fields for personalization (name, company, custom columns).
    pub variables: BTreeMap<String, String>,
}

/// A call the provider accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedCall {
    /// The provider's id for it.
    pub provider_call_id: String,
    /// Lead fields the provider could not carry to the agent (a size limit), by name; noted on
    /// the attempt.
    pub fields_left_out: Vec<String>,
}

/// Why a call was not (or may not have been) placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceCallError {
    /// The provider refused for rate (429, queue full): certainly not placed; try later.
    #[error("rate limited by the provider")]
    RateLimited {
        /// The provider's hint, if any.
        retry_after: Option<Duration>,
    },
    /// The provider is unavailable and certainly did not place the call (503, connection refused).
    #[error("the provider is unavailable")]
    Unavailable,
    /// The request may or may not have created a call (timeout, 500/502/504): must be looked
    /// up before anything else happens to this attempt, or a second call could be placed.
    #[error("the provider's answer was lost: the call may exist")]
    Uncertain,
    /// Permanently refused (invalid or unreachable number, blocked destination).
    #[error("refused permanently: {reason}")]
    Rejected {
        /// The provider's reason code.
        reason: String,
    },
    /// Refused for a problem of the account or the configuration, not of this contact
    /// (credentials, permissions for the destination, an unverified caller number, a trial
    /// account): certainly not placed. The lead goes back untouched and the campaign pauses
    /// until a person fixes it.
    #[error("refused for an account problem: {problem}")]
    AccountProblem {
        /// What the provider said and what to fix, for a person.
        problem: String,
        /// The provider refused the credentials themselves (an operator alarm).
        credentials: bool,
    },
}

/// An incoming provider event (a provider's signed callback), as the HTTP layer received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRequest {
    /// The full URL the provider called (signatures cover it).
    pub url: String,
    /// Headers, names lowercased.
    pub headers: BTreeMap<String, String>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl ProviderRequest {
    /// A header by (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// Why a provider event is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderEventError {
    /// No signature, a wrong one, or a replay.
    #[error("the provider event's signature is missing, invalid or expired")]
    BadSignature,
    /// Signed but not understood.
    #[error("the provider event's body is malformed: {0}")]
    Malformed(String),
}

/// What a provider event says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEventKind {
    /// Progress (initiated, ringing, answered): nothing to apply.
    Progress(String),
    /// The provider's machine-detection verdict (Twilio's `AnsweredBy`: `human`,
    /// `machine_start`, `machine_end_beep`, `fax`, `unknown`...), arriving while the call runs.
    MachineVerdict(String),
    /// What the provider says of the agent's media stream (Twilio's `<Stream>` status
    /// callback), arriving while the call runs.
    AgentStream(domain::lead::AgentStream),
    /// The agent called its report tool on the platform (Vapi's `tool-calls`) while the call
    /// runs: each call is applied as a `POST /v1/call-reports` would be, and answered through
    /// [`CallControl::tool_answer`].
    ToolCalls(Vec<ToolCall>),
    /// The call ended.
    Ended {
        /// The outcome.
        report: AttemptReport,
        /// Duration, ids, the agent's disposition.
        details: AttemptDetails,
    },
}

/// One call of a tool the agent's platform asks our server to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The platform's id of this tool call (its answer names it).
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// For the report tool, its arguments as the report API's body; otherwise, or when they
    /// do not read as one, why the call is refused.
    pub report: Result<domain::call_report::ReportBody, String>,
}

/// What became of a tool call: `Ok` with the result the agent is told, `Err` with why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolResult {
    pub id: String,
    pub name: String,
    pub outcome: Result<String, String>,
}

/// A parsed, verified provider event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    /// The provider's call id.
    pub provider_call_id: String,
    /// What happened.
    pub kind: CallEventKind,
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallLookup {
    /// The call is still going.
    InProgress {
        /// The provider's id.
        provider_call_id: String,
    },
    /// The call ended; here is how.
    Ended {
        /// The outcome.
        report: AttemptReport,
        details: AttemptDetails,
    },
    /// The provider has no such call.
    NotFound,
}

/// What a provider's call flow does when the agent's part of an answered call ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFlow {
    /// The agent asked for a transfer: connect the person to this number.
    Transfer(E164),
    /// End the call.
    HangUp,
}

pub use domain::lead::reports::is_machine;

/// A message the engine has a provider speak on a live call (a voicemail left after the beep).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpokenMessage {
    /// What is said.
    pub text: String,
    /// The provider's voice name, if the agent sets one.
    pub voice: Option<String>,
    /// Its language, if the agent sets one.
    pub language: Option<String>,
}

/// Whether a machine verdict came after the greeting ended (the moment to leave a message).
pub fn is_end_of_greeting(answered_by: &str) -> bool {
    answered_by.starts_with("machine_end")
}

/// A lookup that failed (provider down): try again later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("call lookup failed: {0}")]
pub struct LookupError(pub String);

/// A voice provider: place a call, read its events, look it up; and what the engine may do to
/// a live call ([`CallControl`]).
#[async_trait]
pub trait VoiceProvider: CallControl {
    /// The account calls are placed on.
    fn account(&self) -> &ProviderAccount;

    /// Places a call.
    async fn place_call(&self, request: &CallRequest) -> Result<PlacedCall, PlaceCallError>;

    /// Verifies a provider event's signature and parses it.
    fn parse_event(
        &self,
        request: &ProviderRequest,
        now: DateTime<Utc>,
    ) -> Result<CallEvent, ProviderEventError>;

    /// Looks a call up, by the provider's id when known, else by our reference and number.
    /// `claimed_at` is when the attempt was claimed, before its call was asked for: a call
    /// the provider created earlier is an earlier attempt's (or another campaign's) and never
    /// stands in for this one.
    async fn lookup_call(
        &self,
        reference: &CallReference,
        provider_call_id: Option<&str>,
        to: &E164,
        claimed_at: DateTime<Utc>,
    ) -> Result<CallLookup, LookupError>;
}

/// What the engine does to a live call on the campaign's behalf, where the provider lets it
/// (every method has a default for providers whose agent platform does it by itself).
#[async_trait]
pub trait CallControl: Send + Sync {
    /// The provider's answer (content type, body) for its call-flow request; `None` when the
    /// provider has no call flow (its agent platform transfers by itself).
    fn call_flow_answer(&self, _flow: &CallFlow) -> Option<(&'static str, String)> {
        None
    }

    /// Ends a live call (a machine answered and the campaign hangs up on machines). Providers
    /// whose agent platform acts on machine verdicts itself do nothing.
    async fn end_call(&self, _provider_call_id: &str) -> Result<(), LookupError> {
        Ok(())
    }

    /// Plays `message` on a live call, then ends it (a voicemail left after the beep).
    /// `Ok(false)` when the provider leaves messages by itself (its agent has the message).
    async fn leave_message(
        &self,
        _provider_call_id: &str,
        _message: &SpokenMessage,
    ) -> Result<bool, LookupError> {
        Ok(false)
    }

    /// The provider's answer (content type, body) to the tool calls of one event
    /// ([`CallEventKind::ToolCalls`]); `None` for providers that send none.
    fn tool_answer(&self, _results: &[ToolResult]) -> Option<(&'static str, String)> {
        None
    }

    /// Whether the provider reports the agent's media stream ([`CallEventKind::AgentStream`]):
    /// then an answered call whose agent never came is told apart from a conversation.
    fn reports_agent_stream(&self) -> bool {
        false
    }

    /// Lets a live call run up to `seconds` from its start (a transfer to a person outlasts
    /// the agent's limit). Providers whose calls have no such limit do nothing.
    async fn extend_time_limit(
        &self,
        _provider_call_id: &str,
        _seconds: u32,
    ) -> Result<(), LookupError> {
        Ok(())
    }
}
