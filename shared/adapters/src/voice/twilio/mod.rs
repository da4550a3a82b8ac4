//! Twilio Programmable Voice (sources: DESIGN-NOTES "Twilio, as documented").
//!
//! - **Create call**: a form POST to `/2010-04-01/Accounts/{sid}/Calls.json` with TwiML that
//!   connects the answered call to the agent's media stream ([`twiml`]), one status callback
//!   (`completed`: the only one that moves state), machine detection from the campaign's
//!   voicemail setting (asynchronous, on its own callback URL), `TimeLimit` from the longest
//!   call and `Timeout` for ringing. Every callback URL carries the configured connection
//!   overrides, so Twilio tries a callback again on timeouts and error answers.
//! - **The agent's stream**: `<Stream statusCallback>` says whether the stream started; the
//!   engine tells an answered call the agent never came to (`agent_unavailable`) from a
//!   conversation ([`VoiceProvider::reports_agent_stream`]).
//! - **Machine verdicts**: `hang_up` ends the call with a REST update (`Status=completed`);
//!   `leave_message` waits for the end of the greeting (`DetectMessageEnd`) and replaces the
//!   call's TwiML with the agent's voicemail message, in its voice and language.
//! - **Transfers** outlast the agent's `TimeLimit`: the engine raises it with a call update.
//! - **Refusals** ([`errors`]): the contact's problem fails the lead, the account's pauses the
//!   campaign, a passing one is tried again.
//! - **Callbacks** ([`callbacks`]): `X-Twilio-Signature` checked as Twilio documents it.

pub mod callbacks;
pub mod errors;
pub mod twiml;

pub use callbacks::{SIGNATURE_HEADER, outcome_of, outcome_table_markdown, report_of, signature};
pub use errors::{classify_error, error_table_markdown};
pub use twiml::{TWIML_MAX_CHARS, call_flow_twiml, twiml_and_left_out, voicemail_twiml};

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::config::{Voicemail, VoicemailAction};
use domain::lead::AttemptDetails;
use domain::phone::E164;
use serde::Deserialize;

use ports::voice::{
    CallControl, CallEvent, CallFlow, CallLookup, CallReference, CallRequest, LookupError,
    PlaceCallError, PlacedCall, ProviderAccount, ProviderEventError, ProviderRequest,
    SpokenMessage, VoiceProvider,
};

/// How long the phone rings before the call counts as not answered.
pub const RING_TIMEOUT_SECONDS: u32 = 30;

/// The connection overrides every callback URL carries unless the provider secret sets others:
/// up to three retries, on connection and read timeouts and on 4xx/5xx answers. Twilio's
/// page names `rc` (0-5, default 1) and `rp`; the `rp` tokens are those of the overrides
/// table (see DESIGN-NOTES: check the Twilio Debugger for error 11243 after a first call).
pub const DEFAULT_CALLBACK_OVERRIDES: &str = "rc=3&rp=4xx,5xx,ct,rt";

/// Twilio credentials and settings.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioConfig {
    /// The account SID (`AC...`).
    pub account_sid: String,
    /// The auth token (signs Twilio's requests to us, our provider events; authenticates ours).
    /// Never logged.
    pub auth_token: String,
    /// API base URL (tests point it at a local server).
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// Calls the account may start per second (Twilio's default CPS is 1). Not part of the
    /// credentials document: the deployment's `PROVIDER_CALLS_PER_SECOND` sets it, so the
    /// functions that only pace calls need no credentials.
    #[serde(skip_deserializing, default = "default_cps")]
    pub calls_per_second: u32,
    /// The connection overrides put on every callback URL (without the `#`; empty: none).
    #[serde(default = "default_overrides")]
    pub callback_overrides: String,
}

fn default_api_base() -> String {
    "https://api.twilio.com".into()
}

fn default_cps() -> u32 {
    1
}

fn default_overrides() -> String {
    DEFAULT_CALLBACK_OVERRIDES.into()
}

impl TwilioConfig {
    /// A configuration with the defaults for everything but the credentials and API base.
    pub fn new(account_sid: &str, auth_token: &str, api_base: &str, calls_per_second: u32) -> Self {
        Self {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            api_base: api_base.into(),
            calls_per_second,
            callback_overrides: default_overrides(),
        }
    }
}

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("api_base", &self.api_base)
            .field("calls_per_second", &self.calls_per_second)
            .field("callback_overrides", &self.callback_overrides)
            .finish()
    }
}

/// The Twilio adapter.
#[derive(Debug, Clone)]
pub struct Twilio {
    config: TwilioConfig,
    account: ProviderAccount,
    http: reqwest::Client,
}

impl Twilio {
    /// An adapter for the account; requests time out after `timeout` (then the call is
    /// uncertain and looked up).
    pub fn new(config: TwilioConfig, timeout: Duration) -> Self {
        let account = ProviderAccount {
            id: format!("twilio:{}", config.account_sid),
            calls_per_second: config.calls_per_second.max(1),
        };
        let http = super::http_client(timeout);
        Self {
            config,
            account,
            http,
        }
    }

    fn calls_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Calls",
            self.config.api_base.trim_end_matches('/'),
            self.config.account_sid
        )
    }

    /// [`create_call_form`] with this account's connection overrides.
    pub fn create_call_form(&self, request: &CallRequest) -> Vec<(&'static str, String)> {
        create_call_form(request, &self.config.callback_overrides)
    }

    /// Updates a live call (`POST /Calls/{sid}.json`): ends it, replaces its TwiML, or sets
    /// its time limit.
    async fn update_call(&self, sid: &str, form: &[(&str, String)]) -> Result<(), LookupError> {
        let response = self
            .http
            .post(format!("{}/{sid}.json", self.calls_url()))
            .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
            .form(form)
            .send()
            .await
            .map_err(super::lookup_error)?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(LookupError(format!(
                "twilio answered {} to a call update",
                response.status()
            )))
        }
    }
}

/// The TwiML of a call ([`twiml_and_left_out`] without the overrides: tests and examples).
pub fn twiml(request: &CallRequest) -> String {
    twiml_and_left_out(request, "").0
}

/// The form fields of a create-call request, in order (a name may repeat); `overrides` are the
/// connection overrides every callback URL carries.
pub fn create_call_form(request: &CallRequest, overrides: &str) -> Vec<(&'static str, String)> {
    form_with_twiml(request, twiml_and_left_out(request, overrides).0, overrides)
}

fn form_with_twiml(
    request: &CallRequest,
    twiml: String,
    overrides: &str,
) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("To", request.to.to_string()),
        ("From", request.from.to_string()),
        ("Twiml", twiml),
        (
            "StatusCallback",
            twiml::event_url(&request.callback_url, None, overrides),
        ),
        ("StatusCallbackMethod", "POST".into()),
    ];
    // Only the end of the call moves state; progress callbacks (initiated, ringing, answered)
    // would cost three more provider events and Lambda invocations per call for nothing.
    form.push(("StatusCallbackEvent", "completed".into()));
    match request.voicemail {
        Voicemail::NotDetected => {}
        Voicemail::Detect(action) => {
            // Leaving a message needs the end of the greeting; hanging up only the verdict.
            let mode = match action {
                VoicemailAction::LeaveMessage => "DetectMessageEnd",
                VoicemailAction::HangUp => "Enable",
            };
            form.push(("MachineDetection", mode.into()));
            form.push(("AsyncAmd", "true".into()));
            form.push((
                "AsyncAmdStatusCallback",
                twiml::event_url(&request.callback_url, Some(twiml::EVENT_AMD), overrides),
            ));
            form.push(("AsyncAmdStatusCallbackMethod", "POST".into()));
        }
    }
    form.push((
        "TimeLimit",
        request.max_duration.as_secs().max(1).to_string(),
    ));
    form.push(("Timeout", RING_TIMEOUT_SECONDS.to_string()));
    form
}

#[derive(Deserialize)]
struct CallResource {
    sid: String,
    status: String,
    #[serde(default)]
    answered_by: Option<String>,
    #[serde(default)]
    duration: Option<String>,
    /// When Twilio created the call, in RFC 2822 (`Tue, 10 Jun 2026 12:00:00 +0000`).
    #[serde(default)]
    date_created: Option<String>,
}

impl CallResource {
    fn created_at(&self) -> Option<DateTime<Utc>> {
        let text = self.date_created.as_deref()?;
        DateTime::parse_from_rfc2822(text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// How many calls to one number a lookup by number reads (one page).
const LOOKUP_PAGE_SIZE: &str = "100";

/// How far Twilio's clock may run behind ours when it stamps a call's creation.
const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(5);

/// The call of an attempt among the calls to its number: the first one created after the
/// attempt was claimed. Earlier calls are earlier attempts' (or another campaign's) and never
/// stand in for it; a call without a creation time cannot be placed in time and is skipped.
fn attempts_call(calls: Vec<CallResource>, claimed_at: DateTime<Utc>) -> Option<CallResource> {
    calls
        .into_iter()
        .filter_map(|call| call.created_at().map(|at| (at, call)))
        .filter(|(at, _)| *at >= claimed_at - CLOCK_SKEW)
        .min_by_key(|(at, _)| *at)
        .map(|(_, call)| call)
}

#[derive(Deserialize)]
struct CallList {
    calls: Vec<CallResource>,
}

#[derive(Deserialize, Default)]
struct TwilioError {
    #[serde(default)]
    code: Option<u32>,
    #[serde(default)]
    message: Option<String>,
}

fn lookup_of(call: CallResource) -> CallLookup {
    let duration = call
        .duration
        .as_deref()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    match report_of(&call.status, call.answered_by.as_deref(), duration, None) {
        Some(report) => CallLookup::Ended {
            report,
            details: AttemptDetails {
                duration_seconds: duration,
                provider_call_id: Some(call.sid),
                disposition: None,
                ..Default::default()
            },
        },
        None => CallLookup::InProgress {
            provider_call_id: call.sid,
        },
    }
}

impl Twilio {
    /// The attempt's call when its creation answer was lost (so its sid is unknown): Twilio
    /// filters `StartTime` by day only ("on or after midnight of this date") and promises no
    /// order, so every call to the number since the claim's day is read (one page) and
    /// [`attempts_call`] picks this attempt's by creation time. A call still `queued` (Twilio
    /// holds calls past the account's calls per second) has not started, so the day filter
    /// misses it: queued calls to the number are read too, and one created after the claim is
    /// this attempt's, in progress — never "not found", which would release the lead while
    /// Twilio is about to dial it.
    async fn lookup_by_number(
        &self,
        to: &E164,
        claimed_at: DateTime<Utc>,
    ) -> Result<CallLookup, LookupError> {
        let day = claimed_at.format("%Y-%m-%d").to_string();
        let started = self
            .list_calls(&[("To", to.as_str()), ("StartTime>", day.as_str())])
            .await?;
        if let Some(call) = attempts_call(started, claimed_at) {
            return Ok(lookup_of(call));
        }
        let queued = self
            .list_calls(&[("To", to.as_str()), ("Status", "queued")])
            .await?;
        Ok(
            attempts_call(queued, claimed_at).map_or(CallLookup::NotFound, |call| {
                CallLookup::InProgress {
                    provider_call_id: call.sid,
                }
            }),
        )
    }

    /// One page of the account's calls matching `filters`.
    async fn list_calls(&self, filters: &[(&str, &str)]) -> Result<Vec<CallResource>, LookupError> {
        let response = self
            .http
            .get(format!("{}.json", self.calls_url()))
            .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
            .query(filters)
            .query(&[("PageSize", LOOKUP_PAGE_SIZE)])
            .send()
            .await
            .map_err(super::lookup_error)?;
        if !response.status().is_success() {
            return Err(LookupError(format!(
                "twilio answered {}",
                response.status()
            )));
        }
        let list: CallList = response.json().await.map_err(super::lookup_error)?;
        Ok(list.calls)
    }
}

#[async_trait]
impl VoiceProvider for Twilio {
    fn account(&self) -> &ProviderAccount {
        &self.account
    }

    async fn place_call(&self, request: &CallRequest) -> Result<PlacedCall, PlaceCallError> {
        let overrides = &self.config.callback_overrides;
        let (twiml, fields_left_out) = twiml_and_left_out(request, overrides);
        let response = super::send_create(
            self.http
                .post(format!("{}.json", self.calls_url()))
                .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
                .form(&form_with_twiml(request, twiml, overrides)),
        )
        .await?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            return match response.json::<CallResource>().await {
                Ok(call) => Ok(PlacedCall {
                    provider_call_id: call.sid,
                    fields_left_out,
                }),
                Err(_) => Err(PlaceCallError::Uncertain),
            };
        }
        let retry_after = super::retry_after(response.headers());
        let error: TwilioError = response.json().await.unwrap_or_default();
        let err = classify_error(status, error.code, retry_after);
        let message = domain::phone::redact_numbers(error.message.as_deref().unwrap_or(""));
        tracing::warn!(status, code = ?error.code, %message, "twilio refused a call");
        Err(err)
    }

    fn parse_event(
        &self,
        request: &ProviderRequest,
        _now: DateTime<Utc>,
    ) -> Result<CallEvent, ProviderEventError> {
        callbacks::parse(
            &self.config.auth_token,
            &self.config.callback_overrides,
            request,
        )
    }

    async fn lookup_call(
        &self,
        _reference: &CallReference,
        provider_call_id: Option<&str>,
        to: &E164,
        claimed_at: DateTime<Utc>,
    ) -> Result<CallLookup, LookupError> {
        match provider_call_id {
            Some(sid) => {
                let response = self
                    .http
                    .get(format!("{}/{sid}.json", self.calls_url()))
                    .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
                    .send()
                    .await
                    .map_err(super::lookup_error)?;
                if response.status() == reqwest::StatusCode::NOT_FOUND {
                    return Ok(CallLookup::NotFound);
                }
                if !response.status().is_success() {
                    return Err(LookupError(format!(
                        "twilio answered {}",
                        response.status()
                    )));
                }
                Ok(lookup_of(
                    response.json().await.map_err(super::lookup_error)?,
                ))
            }
            None => self.lookup_by_number(to, claimed_at).await,
        }
    }
}

#[async_trait]
impl CallControl for Twilio {
    fn call_flow_answer(&self, flow: &CallFlow) -> Option<(&'static str, String)> {
        Some(("text/xml", call_flow_twiml(flow)))
    }

    async fn end_call(&self, provider_call_id: &str) -> Result<(), LookupError> {
        self.update_call(provider_call_id, &[("Status", "completed".to_owned())])
            .await
    }

    async fn leave_message(
        &self,
        provider_call_id: &str,
        message: &SpokenMessage,
    ) -> Result<bool, LookupError> {
        self.update_call(provider_call_id, &[("Twiml", voicemail_twiml(message))])
            .await
            .map(|()| true)
    }

    fn reports_agent_stream(&self) -> bool {
        true
    }

    async fn extend_time_limit(
        &self,
        provider_call_id: &str,
        seconds: u32,
    ) -> Result<(), LookupError> {
        self.update_call(provider_call_id, &[("TimeLimit", seconds.to_string())])
            .await
    }
}
