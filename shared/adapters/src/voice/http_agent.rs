//! A generic HTTP AI-agent platform (an in-house one): JSON both ways, HMAC-SHA256 signatures
//! with a timestamp both ways.
//!
//! - **Create call**: `POST {base}/calls` with our call reference, to, from, the agent, the
//!   lead's fields as variables, the longest call, voicemail behaviour, the transfer number
//!   and the callback URL, and `report: {url, token}` for the agent report API (the agent's
//!   opt-outs, callbacks, transfer requests, disposition and results go there, with the
//!   per-call token). Answer `201 {"call_id": "..."}`.
//! - **Signatures**: header `x-agent-signature: t={unix seconds},v1={hex HMAC-SHA256(secret,
//!   "{t}.{METHOD}.{full URL}.{body}")}` on our requests and on the platform's events. The URL
//!   is what names tenant, campaign, lead and attempt, so a signed body re-posted to another
//!   lead's URL does not verify; an event older than five minutes (or from the future) is
//!   refused as a replay.
//! - **Events**: `{"call_id", "status", "duration_seconds", "disposition", "callback_at"}` —
//!   `status` is `initiated` / `ringing` / `answered` while the call runs and `completed` /
//!   `no_answer` / `busy` / `voicemail` / `failed` / `canceled` when it ends; the agent's
//!   disposition (`interested`, `not_interested`, `opted_out`, `callback`, `transferred`)
//!   refines a completed call's outcome.
//! - **Lookup**: `GET {base}/calls/{id}`, or `GET {base}/calls?reference={reference}`.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::config::{Voicemail, VoicemailAction};
use domain::lead::AttemptDetails;
use domain::phone::E164;
use domain::retry::{AttemptReport, Outcome};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use ports::voice::{
    CallControl, CallEvent, CallEventKind, CallLookup, CallReference, CallRequest, LookupError,
    PlaceCallError, PlacedCall, ProviderAccount, ProviderEventError, ProviderRequest,
    VoiceProvider,
};

/// The signature header (both directions).
pub const SIGNATURE_HEADER: &str = "x-agent-signature";
/// Events older than this are replays.
pub const REPLAY_WINDOW: chrono::Duration = chrono::Duration::minutes(5);

/// The platform's address and secrets.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpAgentConfig {
    /// Base URL of the platform's API.
    pub base_url: String,
    /// Bearer token for our requests. Never logged.
    pub api_key: String,
    /// Shared secret of the signatures. Never logged.
    pub signing_secret: String,
    /// Calls the platform accepts per second (set from the deployment's
    /// `PROVIDER_CALLS_PER_SECOND`, not from the credentials document).
    #[serde(skip_deserializing, default = "default_cps")]
    pub calls_per_second: u32,
}

fn default_cps() -> u32 {
    10
}

impl std::fmt::Debug for HttpAgentConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpAgentConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("signing_secret", &"<redacted>")
            .field("calls_per_second", &self.calls_per_second)
            .finish()
    }
}

/// What a signature covers besides its time: the request's method, full URL and body.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub body: &'a [u8],
}

/// `t={t},v1={hex}` for `signed` at `t`.
pub fn signature(secret: &str, t: i64, signed: Signed<'_>) -> String {
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    for part in [
        t.to_string().as_bytes(),
        signed.method.as_bytes(),
        signed.url.as_bytes(),
    ] {
        mac.update(part);
        mac.update(b".");
    }
    mac.update(signed.body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a signature header against `signed` at `now`.
pub fn verify(
    secret: &str,
    header: &str,
    signed: Signed<'_>,
    now: DateTime<Utc>,
) -> Result<(), ProviderEventError> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return Err(ProviderEventError::BadSignature);
    };
    let age = now.timestamp() - t;
    if age > REPLAY_WINDOW.num_seconds() || age < -60 {
        return Err(ProviderEventError::BadSignature);
    }
    let expected = signature(secret, t, signed);
    let expected_v1 = expected
        .rsplit_once("v1=")
        .map(|(_, h)| h)
        .unwrap_or_default();
    if bool::from(expected_v1.as_bytes().ct_eq(v1.as_bytes())) {
        Ok(())
    } else {
        Err(ProviderEventError::BadSignature)
    }
}

/// The create-call request body.
pub fn create_call_body(request: &CallRequest) -> Value {
    let (detect, action) = match request.voicemail {
        Voicemail::NotDetected => (false, None),
        Voicemail::Detect(VoicemailAction::HangUp) => (true, Some("hang_up")),
        Voicemail::Detect(VoicemailAction::LeaveMessage) => (true, Some("leave_message")),
    };
    json!({
        "reference": request.reference.path(),
        "to": request.to.as_str(),
        "from": request.from.as_str(),
        "agent": request.agent_ref,
        "variables": request.variables,
        "max_duration_seconds": request.max_duration.as_secs(),
        "voicemail": {
            "detect": detect,
            "action": action,
            "message": request.voicemail_message,
        },
        "transfer_number": request.transfer_number.as_ref().map(E164::as_str),
        "callback_url": request.callback_url,
        // The agent report API: where and with what the agent reports opt-outs, callbacks,
        // transfers, its disposition and results (never the tenant's API key).
        "report": {
            "url": request.report_url,
            "token": request.report_token,
        },
    })
}

/// A call as the platform reports it (event body and lookup answer).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentCall {
    /// The platform's id.
    pub call_id: String,
    /// Where the call is.
    pub status: String,
    /// Talk time.
    #[serde(default)]
    pub duration_seconds: u32,
    /// The agent's disposition.
    #[serde(default)]
    pub disposition: Option<String>,
    /// For a callback: when.
    #[serde(default)]
    pub callback_at: Option<DateTime<Utc>>,
    /// Whether the agent left its voicemail message.
    #[serde(default)]
    pub voicemail_left: bool,
}

/// The report of a finished call (None while it runs). A completed call's disposition decides
/// between reached, opted out and callback requested.
pub fn report_of(call: &AgentCall) -> Option<AttemptReport> {
    let outcome = match call.status.as_str() {
        "completed" => match call.disposition.as_deref() {
            Some("opted_out") => Outcome::OptedOut,
            Some("callback") if call.callback_at.is_some() => Outcome::CallbackRequested,
            _ => Outcome::Completed,
        },
        "no_answer" => Outcome::NoAnswer,
        "busy" => Outcome::Busy,
        "voicemail" => Outcome::Voicemail,
        "failed" => Outcome::Failed,
        "canceled" => Outcome::Canceled,
        _ => return None,
    };
    Some(AttemptReport {
        outcome,
        callback_at: (outcome == Outcome::CallbackRequested)
            .then_some(call.callback_at)
            .flatten(),
        voicemail_left: outcome == Outcome::Voicemail && call.voicemail_left,
        temporary: false,
    })
}

fn details_of(call: &AgentCall) -> AttemptDetails {
    AttemptDetails {
        duration_seconds: call.duration_seconds,
        provider_call_id: Some(call.call_id.clone()),
        disposition: call.disposition.clone(),
        ..Default::default()
    }
}

fn lookup_of(call: AgentCall) -> CallLookup {
    match report_of(&call) {
        Some(report) => CallLookup::Ended {
            details: details_of(&call),
            report,
        },
        None => CallLookup::InProgress {
            provider_call_id: call.call_id,
        },
    }
}

/// The adapter.
#[derive(Clone)]
pub struct HttpAgent {
    config: HttpAgentConfig,
    account: ProviderAccount,
    http: reqwest::Client,
    clock: std::sync::Arc<dyn ports::Clock>,
}

impl std::fmt::Debug for HttpAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpAgent")
            .field("config", &self.config)
            .finish()
    }
}

impl HttpAgent {
    /// An adapter; requests time out after `timeout`. `clock` dates our signatures.
    pub fn new(
        config: HttpAgentConfig,
        timeout: Duration,
        clock: std::sync::Arc<dyn ports::Clock>,
    ) -> Self {
        let account = ProviderAccount {
            id: format!("http:{}", config.base_url),
            calls_per_second: config.calls_per_second.max(1),
        };
        let http = super::http_client(timeout);
        Self {
            config,
            account,
            http,
            clock,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    fn signed_get(&self, path: &str) -> reqwest::RequestBuilder {
        let t = self.clock.now().timestamp();
        let url = self.url(path);
        let signed = Signed {
            method: "GET",
            url: &url,
            body: b"",
        };
        let header = signature(&self.config.signing_secret, t, signed);
        self.http
            .get(&url)
            .bearer_auth(&self.config.api_key)
            .header(SIGNATURE_HEADER, header)
    }
}

/// The agent platform acts on machines and transfers by itself: nothing for the engine to do.
impl CallControl for HttpAgent {}

#[async_trait]
impl VoiceProvider for HttpAgent {
    fn account(&self) -> &ProviderAccount {
        &self.account
    }

    async fn place_call(&self, request: &CallRequest) -> Result<PlacedCall, PlaceCallError> {
        let body = serde_json::to_vec(&create_call_body(request)).unwrap_or_default();
        let t = self.clock.now().timestamp();
        let url = self.url("/calls");
        let signed = Signed {
            method: "POST",
            url: &url,
            body: &body,
        };
        let header = signature(&self.config.signing_secret, t, signed);
        let response = super::send_create(
            self.http
                .post(&url)
                .bearer_auth(&self.config.api_key)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(SIGNATURE_HEADER, header)
                .body(body),
        )
        .await?;
        let status = response.status().as_u16();
        let retry_after = super::retry_after(response.headers());
        match status {
            200..=299 => super::created_call(response, "call_id").await,
            429 => Err(PlaceCallError::RateLimited { retry_after }),
            // Our credentials or signature refused: no call until an operator fixes the
            // provider secret (an account problem, not the network being busy).
            401 | 403 => Err(PlaceCallError::AccountProblem {
                problem: format!(
                    "the agent platform refused our credentials (HTTP {status}): check the http provider's api_key and signing_secret"
                ),
                credentials: true,
            }),
            503 => Err(PlaceCallError::Unavailable),
            500..=599 => Err(PlaceCallError::Uncertain),
            _ => {
                let code = response
                    .json::<Value>()
                    .await
                    .ok()
                    .and_then(|v| v["code"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| format!("http_{status}"));
                Err(PlaceCallError::Rejected { reason: code })
            }
        }
    }

    fn parse_event(
        &self,
        request: &ProviderRequest,
        now: DateTime<Utc>,
    ) -> Result<CallEvent, ProviderEventError> {
        let header = request
            .header(SIGNATURE_HEADER)
            .ok_or(ProviderEventError::BadSignature)?;
        let signed = Signed {
            method: "POST",
            url: &request.url,
            body: &request.body,
        };
        verify(&self.config.signing_secret, header, signed, now)?;
        let call: AgentCall = serde_json::from_slice(&request.body)
            .map_err(|e| ProviderEventError::Malformed(e.to_string()))?;
        let kind = match report_of(&call) {
            Some(report) => CallEventKind::Ended {
                details: details_of(&call),
                report,
            },
            None => CallEventKind::Progress(call.status.clone()),
        };
        Ok(CallEvent {
            provider_call_id: call.call_id,
            kind,
        })
    }

    async fn lookup_call(
        &self,
        reference: &CallReference,
        provider_call_id: Option<&str>,
        _to: &E164,
        _claimed_at: DateTime<Utc>,
    ) -> Result<CallLookup, LookupError> {
        let path = match provider_call_id {
            Some(id) => format!("/calls/{id}"),
            None => format!("/calls?reference={}", reference.path()),
        };
        let found = super::get_optional_json(self.signed_get(&path), "the agent platform").await?;
        Ok(found.map_or(CallLookup::NotFound, lookup_of))
    }
}
