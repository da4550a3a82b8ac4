//! Retell AI's wire format, as its API reference and official SDKs document it (DESIGN-NOTES,
//! "Retell, as documented", cites each page): the create-phone-call body, the call object, the
//! webhook signature, and what each `disconnection_reason` means for our outcomes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::config::{Voicemail, VoicemailAction};
use domain::lead::AttemptDetails;
use domain::retry::{AttemptReport, Outcome};

use crate::voice::platform;
use hmac::{Hmac, KeyInit, Mac};
use ports::voice::{CallRequest, ProviderEventError};
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

/// The signature header of Retell's webhooks.
pub const SIGNATURE_HEADER: &str = "x-retell-signature";
/// How far a signature's time may be from ours (the SDKs' `FIVE_MINUTES`).
pub const SIGNATURE_TOLERANCE_MS: i64 = 5 * 60 * 1000;
/// The metadata key that binds a Retell call to our attempt.
pub const REFERENCE_KEY: &str = "reference";
/// Retell's bounds on `max_call_duration_ms`.
pub const MAX_CALL_DURATION_MS: (u64, u64) = (60_000, 7_200_000);

/// `v=<ms>,d=<hex>`: HMAC-SHA256 under the API key of the raw body followed by the time in
/// milliseconds (the SDKs' `sign`).
pub fn signature(api_key: &str, body: &[u8], at_ms: i64) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(api_key.as_bytes()).expect("any key");
    mac.update(body);
    mac.update(at_ms.to_string().as_bytes());
    format!("v={at_ms},d={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a webhook's signature as the SDKs' `verify` does: the header's shape, a time within
/// five minutes of `now`, and the digest compared in constant time.
pub fn verify(
    api_key: &str,
    body: &[u8],
    header: &str,
    now: DateTime<Utc>,
) -> Result<(), ProviderEventError> {
    let bad = || ProviderEventError::BadSignature;
    let (v, d) = header.split_once(",d=").ok_or_else(bad)?;
    let at_ms: i64 = v
        .strip_prefix("v=")
        .ok_or_else(bad)?
        .parse()
        .map_err(|_| bad())?;
    let hex_ok = d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex_ok || (now.timestamp_millis() - at_ms).abs() > SIGNATURE_TOLERANCE_MS {
        return Err(bad());
    }
    let expected = signature(api_key, body, at_ms);
    let expected = expected.rsplit_once(",d=").map(|(_, h)| h).unwrap_or("");
    if bool::from(expected.as_bytes().ct_eq(d.to_ascii_lowercase().as_bytes())) {
        Ok(())
    } else {
        Err(bad())
    }
}

/// Our voicemail behaviour as Retell's `voicemail_option` (`null`: no detection).
fn voicemail_option(request: &CallRequest) -> Value {
    match (&request.voicemail, &request.voicemail_message) {
        (Voicemail::NotDetected, _) => Value::Null,
        (Voicemail::Detect(VoicemailAction::LeaveMessage), Some(text)) => {
            json!({"action": {"type": "static_text", "text": text}})
        }
        (Voicemail::Detect(_), _) => json!({"action": {"type": "hangup"}}),
    }
}

/// The `POST /v2/create-phone-call` body: the agent from the agent's `provider_agent_ref`, the
/// lead's fields as dynamic variables (strings), our reference as metadata, and per call the
/// webhook URL of this attempt, our maximum duration and voicemail behaviour.
pub fn create_call_body(request: &CallRequest) -> Value {
    let max_ms = (request.max_duration.as_millis() as u64)
        .clamp(MAX_CALL_DURATION_MS.0, MAX_CALL_DURATION_MS.1);
    let mut variables: BTreeMap<String, String> = request
        .variables
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(number) = &request.transfer_number {
        variables.insert("transfer_number".into(), number.as_str().to_owned());
    }
    // Our agent report API, for an agent whose custom function reports as it goes (the
    // per-call token reports this attempt only; never the tenant's API key).
    variables.insert("report_url".into(), request.report_url.clone());
    variables.insert("report_token".into(), request.report_token.clone());
    json!({
        "from_number": request.from.as_str(),
        "to_number": request.to.as_str(),
        "override_agent_id": request.agent_ref,
        "retell_llm_dynamic_variables": variables,
        "metadata": { REFERENCE_KEY: request.reference.path() },
        "agent_override": { "agent": {
            "webhook_url": request.callback_url,
            "max_call_duration_ms": max_ms,
            "voicemail_option": voicemail_option(request),
        }},
    })
}

/// A call object, as the API returns it and webhooks carry it (the fields we read).
#[derive(Debug, Clone, Deserialize)]
pub struct RetellCall {
    pub call_id: String,
    #[serde(default)]
    pub call_status: String,
    #[serde(default)]
    pub disconnection_reason: Option<String>,
    #[serde(default)]
    pub duration_ms: Option<u64>,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub call_analysis: Option<CallAnalysis>,
}

/// `call_analysis`, after the call (the `call_analyzed` webhook, or the call object later).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CallAnalysis {
    #[serde(default)]
    pub in_voicemail: Option<bool>,
    #[serde(default)]
    pub call_successful: Option<bool>,
    /// The agent's `post_call_analysis_data`: we read `opt_out` (boolean), `callback_at`
    /// (RFC 3339) and `disposition` (string) when the agent defines them (docs/providers.md).
    #[serde(default)]
    pub custom_analysis_data: Option<Value>,
}

impl RetellCall {
    /// Our reference as we put it in the call's metadata.
    pub fn reference(&self) -> Option<&str> {
        self.metadata.as_ref()?.get(REFERENCE_KEY)?.as_str()
    }
}

pub use crate::voice::platform::Ending;

/// Each documented `disconnection_reason` (34 values, `PhoneCallResponse` in the SDKs) and
/// what it means; a value Retell adds later is `unknown` (the line is read again by lookup).
pub const DISCONNECTION_REASONS: &[(&str, &str)] = &[
    ("user_hangup", "conversation"),
    ("agent_hangup", "conversation"),
    ("call_transfer", "conversation"),
    ("transfer_bridged", "conversation"),
    ("transfer_cancelled", "conversation"),
    ("inactivity", "conversation"),
    ("max_duration_reached", "conversation"),
    ("manual_stopped", "conversation"),
    ("call_take_over", "conversation"),
    ("voicemail_reached", "voicemail"),
    ("ivr_reached", "voicemail"),
    ("dial_no_answer", "no_answer"),
    ("dial_busy", "busy"),
    ("user_declined", "busy"),
    ("dial_failed", "failed"),
    ("invalid_destination", "failed"),
    ("sip_routing_error", "failed"),
    ("scam_detected", "failed"),
    ("marked_as_spam", "failed"),
    ("error_user_not_joined", "failed"),
    ("telephony_provider_unavailable", "failed, temporary"),
    ("telephony_provider_permission_denied", "failed, temporary"),
    // No line free on the account: the agent never came, and the lead is not charged a retry.
    ("concurrency_limit_reached", "agent_unavailable"),
    ("no_concurrency_fallback", "agent_unavailable"),
    ("no_valid_payment", "failed, temporary"),
    ("registered_call_timeout", "failed, temporary"),
    ("error_retell", "failed, temporary"),
    ("error_llm_websocket_open", "agent_unavailable"),
    ("error_llm_websocket_lost_connection", "agent_unavailable"),
    ("error_llm_websocket_runtime", "agent_unavailable"),
    ("error_llm_websocket_corrupt_payload", "agent_unavailable"),
    ("error_no_audio_received", "agent_unavailable"),
    ("error_asr", "agent_unavailable"),
    ("error_unknown", "unknown"),
];

/// The provider guide's table (`docs/providers.md`, "Retell"): each `disconnection_reason` and
/// the outcome it gives (a test keeps the guide equal to this).
pub fn disconnection_table_markdown() -> String {
    platform::reason_table_markdown(
        "`disconnection_reason`",
        DISCONNECTION_REASONS.iter().map(|(r, _)| (*r, ending(r))),
        "`completed`, or what the analysis says: `in_voicemail` → `voicemail`, `opt_out` → `opted_out`, `callback_at` → `callback_requested`",
        "| any other (added later) | `unknown` |",
    )
}

/// The ending a reason names.
pub fn ending(reason: &str) -> Ending {
    let meaning = DISCONNECTION_REASONS
        .iter()
        .find(|(r, _)| *r == reason)
        .map_or("unknown", |(_, m)| m);
    Ending::of_meaning(meaning)
}

/// The outcome of an ended call: its reason, then what the analysis learnt (voicemail, an
/// opt-out, a callback time). `None` while it runs, or while a conversation waits for its
/// analysis and `wait_for_analysis` is set.
pub fn report_of(call: &RetellCall, wait_for_analysis: bool) -> Option<AttemptReport> {
    if !matches!(
        call.call_status.as_str(),
        "ended" | "not_connected" | "error"
    ) {
        return None;
    }
    let reason = call
        .disconnection_reason
        .as_deref()
        .unwrap_or("error_unknown");
    // Retell's own voicemail verdict; else a completed conversation, and what the agent learnt
    // travels in the details (`details_of`).
    let analysed = call.call_analysis.as_ref().map(|a| {
        if a.in_voicemail == Some(true) {
            Outcome::Voicemail
        } else {
            Outcome::Completed
        }
    });
    platform::report(ending(reason), analysed, wait_for_analysis)
}

/// Duration, id, the agent's disposition (its analysis' `disposition`, else the reason), a
/// transfer, and what the analysis learnt as a report body.
pub fn details_of(call: &RetellCall) -> AttemptDetails {
    let disposition = call
        .call_analysis
        .as_ref()
        .and_then(|a| a.custom_analysis_data.as_ref())
        .and_then(|d| d["disposition"].as_str())
        .map(str::to_owned)
        .or_else(|| call.disconnection_reason.clone());
    let learnt = (call.call_analysis.as_ref())
        .and_then(|a| a.custom_analysis_data.as_ref())
        .and_then(platform::learnt_body);
    AttemptDetails {
        duration_seconds: (call.duration_ms.unwrap_or(0) / 1000) as u32,
        provider_call_id: Some(call.call_id.clone()),
        disposition,
        // Retell's transfer tool handed the call on (`call_transfer`).
        transferred: call.disconnection_reason.as_deref() == Some("call_transfer"),
        learnt,
    }
}
