//! Twilio Programmable Voice.
//!
//! - **Create call**: a form POST to `/2010-04-01/Accounts/{sid}/Calls.json` with TwiML that
//!   connects the answered call to the agent's media stream (`<Connect><Stream>`, our
//!   references, the agent report API's URL and per-call token, and the lead's fields as
//!   `<Parameter>`s), then either `<Hangup/>` or — for a campaign with a transfer number — a
//!   `<Redirect>` to our call-flow endpoint, which `<Dial>`s the number only if the agent asked
//!   for a transfer ([`call_flow_twiml`]). One status callback (`completed`: the only one that
//!   moves state), machine detection from the campaign's voicemail setting (asynchronous, with
//!   its own callback), `TimeLimit` from the longest call and `Timeout` for ringing.
//! - **Machine verdicts**: `hang_up` ends the call with a REST update (`Status=completed`);
//!   `leave_message` waits for the end of the greeting (`DetectMessageEnd`) and replaces the
//!   call's TwiML with the agent's voicemail message and a hang-up ([`voicemail_twiml`]).
//! - **Errors**: 429 and Twilio's rate/queue codes back off; 503 is unavailable; other 5xx and
//!   timeouts are uncertain (the call may exist: it is looked up); invalid or unreachable
//!   numbers are permanent.
//! - **Webhooks**: `X-Twilio-Signature` checked exactly as Twilio documents it: HMAC-SHA1 with
//!   the auth token over the full URL followed by every POST parameter's name and value in
//!   name order, base64, compared in constant time.
//! - **Outcome** from `CallStatus` × `AnsweredBy` × `CallDuration` ([`outcome_of`]).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use domain::config::{Voicemail, VoicemailAction};
use domain::lead::AttemptDetails;
use domain::phone::E164;
use domain::retry::{AttemptReport, Outcome};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{
    CallEvent, CallEventKind, CallFlow, CallLookup, CallReference, CallRequest, LookupError,
    PlaceCallError, PlacedCall, ProviderAccount, VoiceProvider, WebhookError, WebhookRequest,
};

pub const SIGNATURE_HEADER: &str = "x-twilio-signature";
/// How long the phone rings before the call counts as not answered.
pub const RING_TIMEOUT_SECONDS: u32 = 30;

/// Twilio credentials and settings.
#[derive(Clone, Deserialize)]
pub struct TwilioConfig {
    /// The account SID (`AC...`).
    pub account_sid: String,
    /// The auth token (signs webhooks, authenticates requests). Never logged.
    pub auth_token: String,
    /// API base URL (tests point it at a local server).
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// Calls the account may start per second (Twilio's default CPS is 1).
    #[serde(default = "default_cps")]
    pub calls_per_second: u32,
}

fn default_api_base() -> String {
    "https://api.twilio.com".into()
}

fn default_cps() -> u32 {
    1
}

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("api_base", &self.api_base)
            .field("calls_per_second", &self.calls_per_second)
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
}

impl Twilio {
    /// Updates a live call (`POST /Calls/{sid}.json`): ends it or replaces its TwiML.
    async fn update_call(&self, sid: &str, form: &[(&str, String)]) -> Result<(), LookupError> {
        let response = self
            .http
            .post(format!("{}/{sid}.json", self.calls_url()))
            .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
            .form(form)
            .send()
            .await
            .map_err(lookup_error)?;
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

/// The call-flow answer after the agent's stream: `<Dial>` the transfer number when the agent
/// asked for it, else `<Hangup/>`.
pub fn call_flow_twiml(flow: &CallFlow) -> String {
    let verb = match flow {
        CallFlow::Transfer(number) => format!("<Dial>{}</Dial>", xml_escape(number.as_str())),
        CallFlow::HangUp => "<Hangup/>".to_owned(),
    };
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>{verb}</Response>")
}

/// What a machine hears after the beep: the campaign's voicemail message, then the end.
pub fn voicemail_twiml(message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>{}</Say><Hangup/></Response>",
        xml_escape(message)
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The TwiML that runs when the call is answered: the agent's media stream with our references,
/// the agent report API's URL and per-call token, and the lead's fields as parameters.
///
/// Twilio runs the verb after `<Connect>` whenever the stream ends, so a `<Dial>` there would
/// bridge *every* answered call to the transfer number when the agent simply hangs up. Instead,
/// a campaign with a transfer number follows the stream with a `<Redirect>` to our call-flow
/// endpoint, which answers `<Dial>` only when the agent asked for a transfer on this attempt
/// (through the report API, before ending its stream) and `<Hangup/>` otherwise; without a
/// transfer number the call just hangs up (no extra webhook). The lead's fields follow as
/// `var_{name}` parameters, in name order, as many as fit in Twilio's [`TWIML_MAX_CHARS`]; the
/// rest are left out (and counted), never the call.
pub fn twiml(request: &CallRequest) -> String {
    twiml_and_left_out(request).0
}

/// [`twiml`] and the names of the lead fields left out of it.
pub fn twiml_and_left_out(request: &CallRequest) -> (String, Vec<String>) {
    let mut fixed = BTreeMap::new();
    fixed.insert(
        "tenant".to_owned(),
        request.reference.campaign.tenant.to_string(),
    );
    fixed.insert(
        "campaign".to_owned(),
        request.reference.campaign.campaign.to_string(),
    );
    fixed.insert("lead".to_owned(), request.reference.lead.to_string());
    fixed.insert("attempt".to_owned(), request.reference.attempt.to_string());
    fixed.insert("report_url".to_owned(), request.report_url.clone());
    fixed.insert("report_token".to_owned(), request.report_token.clone());
    if let Some(message) = &request.voicemail_message {
        fixed.insert("voicemail_message".to_owned(), message.clone());
    }
    if let Some(transfer) = &request.transfer_number {
        fixed.insert("transfer_number".to_owned(), transfer.to_string());
    }
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Connect><Stream url=\"{}\">",
        xml_escape(&request.agent_ref)
    );
    for (name, value) in &fixed {
        xml.push_str(&parameter(name, value));
    }
    let end = match &request.transfer_number {
        Some(_) => format!(
            "</Stream></Connect><Redirect method=\"POST\">{}</Redirect></Response>",
            xml_escape(&request.call_flow_url)
        ),
        None => "</Stream></Connect><Hangup/></Response>".to_owned(),
    };
    // The lead's fields, in name order, while the TwiML stays within Twilio's limit; the rest
    // are left out (and counted in a log line) rather than the call refused.
    let mut left_out = Vec::new();
    let mut chars = xml.chars().count() + end.chars().count();
    for (name, value) in &request.variables {
        let name = format!("var_{name}");
        if fixed.contains_key(&name) {
            continue;
        }
        let p = parameter(&name, value);
        let size = p.chars().count();
        if chars + size <= TWIML_MAX_CHARS {
            xml.push_str(&p);
            chars += size;
        } else {
            left_out.push(name.trim_start_matches("var_").to_owned());
        }
    }
    if !left_out.is_empty() {
        tracing::warn!(
            reference = %request.reference,
            left_out = left_out.len(),
            "lead fields left out of the call: the TwiML would pass Twilio's 4,000 characters"
        );
    }
    xml.push_str(&end);
    (xml, left_out)
}

/// Twilio refuses a call whose `Twiml` is longer than this (error 32018).
pub const TWIML_MAX_CHARS: usize = 4_000;

fn parameter(name: &str, value: &str) -> String {
    format!(
        "<Parameter name=\"{}\" value=\"{}\"/>",
        xml_escape(name),
        xml_escape(value)
    )
}

/// The form fields of a create-call request, in order (a name may repeat).
pub fn create_call_form(request: &CallRequest) -> Vec<(&'static str, String)> {
    form_with_twiml(request, twiml(request))
}

/// [`create_call_form`] around an already built TwiML.
fn form_with_twiml(request: &CallRequest, twiml: String) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("To", request.to.to_string()),
        ("From", request.from.to_string()),
        ("Twiml", twiml),
        ("StatusCallback", request.callback_url.clone()),
        ("StatusCallbackMethod", "POST".into()),
    ];
    // Only the end of the call moves state; progress callbacks (initiated, ringing, answered)
    // would cost three more webhook requests and Lambda invocations per call for nothing.
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
            form.push(("AsyncAmdStatusCallback", request.callback_url.clone()));
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

/// How a refused create-call request is classified.
pub fn classify_error(
    status: u16,
    code: Option<u32>,
    retry_after: Option<Duration>,
) -> PlaceCallError {
    match (status, code) {
        // Too many requests (HTTP 429, Twilio 20429): the account's queue is full.
        (429, _) | (_, Some(20429)) => PlaceCallError::RateLimited { retry_after },
        // Authentication: nothing was created; the deployment's credentials need fixing.
        (401 | 403, _) => PlaceCallError::Unavailable,
        (503, _) => PlaceCallError::Unavailable,
        // The call may have been created before the failure.
        (500..=599, _) => PlaceCallError::Uncertain,
        // Invalid, unreachable or not permitted numbers (21211, 21214, 21215, 21217, 13224...).
        (_, Some(code)) => PlaceCallError::Rejected {
            reason: format!("twilio_{code}"),
        },
        (status, None) => PlaceCallError::Rejected {
            reason: format!("http_{status}"),
        },
    }
}

/// Our outcome for a finished call, from Twilio's `CallStatus`, `AnsweredBy` and
/// `CallDuration`. `None` while the call is not finished.
pub fn outcome_of(
    call_status: &str,
    answered_by: Option<&str>,
    duration_seconds: u32,
) -> Option<Outcome> {
    let machine = answered_by.is_some_and(|a| a.starts_with("machine") || a == "fax");
    Some(match call_status {
        "completed" if machine => Outcome::Voicemail,
        // A "completed" call that never connected for a second is a ring-out the carrier
        // reported as completed.
        "completed" if duration_seconds == 0 && answered_by.is_none() => Outcome::NoAnswer,
        "completed" => Outcome::Completed,
        "busy" => Outcome::Busy,
        "no-answer" => Outcome::NoAnswer,
        "failed" => Outcome::Failed,
        "canceled" => Outcome::Canceled,
        // queued, initiated, ringing, in-progress
        _ => return None,
    })
}

/// Twilio's signature of a form POST: base64(HMAC-SHA1(token, url + sorted name+value)).
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_owned();
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// A lookup's transport error without its URL (a lookup by number carries it in the query)
/// and with any number in the message masked: it goes to logs.
fn lookup_error(err: reqwest::Error) -> LookupError {
    LookupError(domain::phone::redact_numbers(
        &err.without_url().to_string(),
    ))
}

fn details(sid: &str, duration: u32) -> AttemptDetails {
    AttemptDetails {
        duration_seconds: duration,
        provider_call_id: Some(sid.to_owned()),
        disposition: None,
    }
}

fn lookup_of(call: CallResource) -> CallLookup {
    let duration = call
        .duration
        .as_deref()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    match outcome_of(&call.status, call.answered_by.as_deref(), duration) {
        Some(outcome) => CallLookup::Ended {
            report: AttemptReport::of(outcome),
            details: details(&call.sid, duration),
        },
        None => CallLookup::InProgress {
            provider_call_id: call.sid,
        },
    }
}

#[async_trait]
impl VoiceProvider for Twilio {
    fn account(&self) -> &ProviderAccount {
        &self.account
    }

    async fn place_call(&self, request: &CallRequest) -> Result<PlacedCall, PlaceCallError> {
        let (twiml, fields_left_out) = twiml_and_left_out(request);
        let response = self
            .http
            .post(format!("{}.json", self.calls_url()))
            .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
            .form(&form_with_twiml(request, twiml))
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            // Connection refused before anything was sent: certainly no call.
            Err(err) if err.is_connect() => return Err(PlaceCallError::Unavailable),
            Err(_) => return Err(PlaceCallError::Uncertain),
        };
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

    fn parse_webhook(
        &self,
        request: &WebhookRequest,
        _now: DateTime<Utc>,
    ) -> Result<CallEvent, WebhookError> {
        let given = request
            .header(SIGNATURE_HEADER)
            .ok_or(WebhookError::BadSignature)?;
        let params = parse_form(&request.body);
        let expected = signature(&self.config.auth_token, &request.url, &params);
        if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            return Err(WebhookError::BadSignature);
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let sid = get("CallSid")
            .ok_or_else(|| WebhookError::Malformed("no CallSid".into()))?
            .to_owned();
        let answered_by = get("AnsweredBy");
        let Some(status) = get("CallStatus") else {
            // The asynchronous machine-detection callback: a verdict, not an ending.
            return Ok(CallEvent {
                provider_call_id: sid,
                kind: CallEventKind::MachineVerdict(answered_by.unwrap_or("unknown").to_owned()),
            });
        };
        let duration = get("CallDuration")
            .and_then(|d| d.parse().ok())
            .unwrap_or(0);
        let kind = match outcome_of(status, answered_by, duration) {
            None => CallEventKind::Progress(status.to_owned()),
            Some(outcome) => CallEventKind::Ended {
                report: AttemptReport::of(outcome),
                details: details(&sid, duration),
            },
        };
        Ok(CallEvent {
            provider_call_id: sid,
            kind,
        })
    }

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
        message: &str,
    ) -> Result<bool, LookupError> {
        self.update_call(provider_call_id, &[("Twiml", voicemail_twiml(message))])
            .await
            .map(|()| true)
    }

    async fn lookup_call(
        &self,
        _reference: &CallReference,
        provider_call_id: Option<&str>,
        to: &E164,
    ) -> Result<CallLookup, LookupError> {
        match provider_call_id {
            Some(sid) => {
                let response = self
                    .http
                    .get(format!("{}/{sid}.json", self.calls_url()))
                    .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
                    .send()
                    .await
                    .map_err(lookup_error)?;
                if response.status() == reqwest::StatusCode::NOT_FOUND {
                    return Ok(CallLookup::NotFound);
                }
                if !response.status().is_success() {
                    return Err(LookupError(format!(
                        "twilio answered {}",
                        response.status()
                    )));
                }
                Ok(lookup_of(response.json().await.map_err(lookup_error)?))
            }
            // The creation answer was lost, so the sid is unknown: the most recent call to the
            // number in the last ten minutes is this attempt's (lookups happen two minutes
            // after an uncertain creation; earlier attempts are at least the retry delay older).
            None => {
                let since = (Utc::now() - chrono::Duration::minutes(10))
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string();
                let response = self
                    .http
                    .get(format!("{}.json", self.calls_url()))
                    .basic_auth(&self.config.account_sid, Some(&self.config.auth_token))
                    .query(&[
                        ("To", to.as_str()),
                        ("StartTime>", since.as_str()),
                        ("PageSize", "1"),
                    ])
                    .send()
                    .await
                    .map_err(lookup_error)?;
                if !response.status().is_success() {
                    return Err(LookupError(format!(
                        "twilio answered {}",
                        response.status()
                    )));
                }
                let list: CallList = response.json().await.map_err(lookup_error)?;
                Ok(list
                    .calls
                    .into_iter()
                    .next()
                    .map_or(CallLookup::NotFound, lookup_of))
            }
        }
    }
}
