//! Vapi's wire format, as its OpenAPI description and official TypeScript SDK document it
//! (DESIGN-NOTES, "Vapi, as documented"): the `POST /call` body, the call object and server
//! messages, the per-call secret header we ask Vapi to send, and what each `endedReason` means.

use chrono::{DateTime, Utc};
use domain::config::{Voicemail, VoicemailAction};
use domain::lead::AttemptDetails;
use domain::retry::AttemptReport;

use crate::voice::platform;
use domain::call_report::ReportBody;
use hmac::{Hmac, KeyInit, Mac};
use ports::voice::{CallRequest, ToolCall, ToolResult};
use serde::Deserialize;
use serde_json::{Value, json};

/// The header carrying the per-call secret on every server message of a call.
pub const SECRET_HEADER: &str = "x-campaign-call-secret";
/// The metadata key (in `assistantOverrides.metadata`) binding a Vapi call to our attempt.
pub const REFERENCE_KEY: &str = "reference";
/// Vapi's bounds on `maxDurationSeconds`.
pub const MAX_DURATION_SECONDS: (u64, u64) = (10, 43_200);

/// The secret of one call's server messages: HMAC-SHA256 under the API key of our reference,
/// hex. Vapi sends it back as a static header we set on the call (`server.headers`), so a
/// message is ours and this attempt's without Vapi signing anything.
pub fn call_secret(api_key: &str, reference: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(api_key.as_bytes()).expect("any key");
    mac.update(reference.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The `POST /call` body: the assistant from the agent's `provider_agent_ref`, the registered
/// caller number's `phoneNumberId`, the contact as `customer.number`, and as assistant overrides
/// the lead's fields (`variableValues`), our maximum duration, voicemail behaviour, reference
/// (`metadata`) and this attempt's server URL with its secret header.
pub fn create_call_body(request: &CallRequest, phone_number_id: &str, secret: &str) -> Value {
    let max = request
        .max_duration
        .as_secs()
        .clamp(MAX_DURATION_SECONDS.0, MAX_DURATION_SECONDS.1);
    let mut variables = request.variables.clone();
    if let Some(number) = &request.transfer_number {
        variables.insert("transfer_number".into(), number.as_str().to_owned());
    }
    variables.insert("report_url".into(), request.report_url.clone());
    variables.insert("report_token".into(), request.report_token.clone());
    let (detection, message) = match (&request.voicemail, &request.voicemail_message) {
        (Voicemail::NotDetected, _) => (json!("off"), None),
        (Voicemail::Detect(VoicemailAction::LeaveMessage), Some(text)) => {
            (json!({"provider": "vapi"}), Some(text.clone()))
        }
        // Without a voicemail message Vapi hangs up on a machine.
        (Voicemail::Detect(_), _) => (json!({"provider": "vapi"}), None),
    };
    let mut overrides = json!({
        "variableValues": variables,
        "maxDurationSeconds": max,
        "voicemailDetection": detection,
        "metadata": { REFERENCE_KEY: request.reference.path() },
        "server": { "url": request.callback_url, "headers": { SECRET_HEADER: secret } },
    });
    if let Some(text) = message {
        overrides["voicemailMessage"] = json!(text);
    }
    json!({
        "assistantId": request.agent_ref,
        "phoneNumberId": phone_number_id,
        "customer": { "number": request.to.as_str() },
        "assistantOverrides": overrides,
    })
}

/// A call object (the API's answer, `message.call` in server messages), the fields we read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VapiCall {
    pub id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub ended_reason: Option<String>,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub assistant_overrides: Option<Value>,
    #[serde(default)]
    pub analysis: Option<Analysis>,
}

/// `analysis`, after the call (`end-of-call-report`, or the call object later).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    /// The assistant's `analysisPlan` structured data: we read `opt_out` (boolean),
    /// `callback_at` (RFC 3339) and `disposition` (string) when it defines them.
    #[serde(default)]
    pub structured_data: Option<Value>,
}

impl VapiCall {
    /// Our reference, as we put it in the call's assistant overrides.
    pub fn reference(&self) -> Option<&str> {
        self.assistant_overrides.as_ref()?["metadata"][REFERENCE_KEY].as_str()
    }
}

pub use crate::voice::platform::Ending;

/// How `endedReason`s are read, first match wins: an exact value, or a prefix ending in `*`.
/// The enum grows (571 values in the SDK, more in the OpenAPI document): families are read by
/// their documented prefixes (`call.start.error-*`: before the call; `…-vapifault-*`,
/// `…-providerfault-*`, `pipeline-error-*`: the agent's side failed).
pub const ENDED_REASONS: &[(&str, &str)] = &[
    ("customer-did-not-answer", "no_answer"),
    ("call.forwarding.no-answer", "no_answer"),
    ("customer-busy", "busy"),
    ("call.forwarding.operator-busy", "busy"),
    ("voicemail", "voicemail"),
    ("customer-ended-call*", "conversation"),
    ("assistant-ended-call*", "conversation"),
    ("assistant-said-end-call-phrase", "conversation"),
    ("assistant-forwarded-call", "conversation"),
    ("exceeded-max-duration", "conversation"),
    ("silence-timed-out", "conversation"),
    ("call.in-progress.twilio-completed-call", "conversation"),
    ("call.in-progress.sip-completed-call", "conversation"),
    ("vonage-completed", "conversation"),
    ("call.ending.hook-executed-*", "conversation"),
    ("call.in-progress.error-warm-transfer-*", "conversation"),
    ("call.in-progress.error-transfer-failed", "conversation"),
    ("twilio-failed-to-connect-call", "failed"),
    ("vonage-failed-to-connect-call", "failed"),
    ("vonage-rejected", "failed"),
    ("vonage-disconnected", "failed"),
    ("twilio-reported-customer-misdialed", "failed"),
    (
        "call.in-progress.error-sip-outbound-call-failed-to-connect",
        "failed",
    ),
    ("call.ringing.*", "failed"),
    ("customer-did-not-give-microphone-permission", "failed"),
    ("manually-canceled", "canceled"),
    ("scheduled-call-deleted", "canceled"),
    ("call-deleted", "canceled"),
    // No line free on the account: the agent never came, and the lead is not charged a retry.
    (
        "call.start.error-subscription-concurrency-limit-reached",
        "agent_unavailable",
    ),
    ("call.start.*", "failed, temporary"),
    ("call-start-error-*", "failed, temporary"),
    ("assistant-request-*", "failed, temporary"),
    ("assistant-not-*", "failed, temporary"),
    ("worker-shutdown", "failed, temporary"),
    ("phone-call-provider-*", "failed, temporary"),
    ("call.in-progress.error-sip-inbound-*", "failed, temporary"),
    ("assistant-join-timed-out", "agent_unavailable"),
    (
        "call.in-progress.error-assistant-did-not-receive-customer-audio",
        "agent_unavailable",
    ),
    ("call.in-progress.error-*", "agent_unavailable"),
    ("pipeline-error-*", "agent_unavailable"),
];

fn rule_matches(rule: &str, reason: &str) -> bool {
    match rule.strip_suffix('*') {
        Some(prefix) => reason.starts_with(prefix),
        None => rule == reason,
    }
}

/// The meaning the first matching rule gives, `unknown` when none does.
pub fn meaning(reason: &str) -> &'static str {
    ENDED_REASONS
        .iter()
        .find(|(rule, _)| rule_matches(rule, reason))
        .map_or("unknown", |(_, m)| m)
}

/// The ending an `endedReason` names.
pub fn ending(reason: &str) -> Ending {
    Ending::of_meaning(meaning(reason))
}

/// The provider guide's table (`docs/providers.md`, "Vapi"), kept equal by a test.
pub fn ended_reason_table_markdown() -> String {
    platform::reason_table_markdown(
        "`endedReason` (first match; `*`: any ending)",
        ENDED_REASONS
            .iter()
            .map(|(rule, _)| (*rule, ending(rule.trim_end_matches('*')))),
        "`completed`, or what the analysis says: `opt_out` → `opted_out`, `callback_at` → `callback_requested`",
        "| any other | `unknown` |",
    )
}

/// The outcome of an ended call; `None` while it runs, or while a conversation waits for its
/// `end-of-call-report` and `wait_for_analysis` is set.
pub fn report_of(call: &VapiCall, wait_for_analysis: bool) -> Option<AttemptReport> {
    if call.status != "ended" {
        return None;
    }
    let reason = call.ended_reason.as_deref().unwrap_or("");
    // An analysis is a completed conversation; what it learnt travels in the details.
    let analysed = (call.analysis.as_ref()).map(|_| domain::retry::Outcome::Completed);
    platform::report(ending(reason), analysed, wait_for_analysis)
}

/// Duration (from `startedAt` to `endedAt`), id, the disposition (the structured data's
/// `disposition`, else the `endedReason`), a transfer, and what the structured data learnt as a
/// report body.
pub fn details_of(call: &VapiCall) -> AttemptDetails {
    let seconds = match (call.started_at, call.ended_at) {
        (Some(start), Some(end)) => (end - start).num_seconds().max(0) as u32,
        _ => 0,
    };
    let disposition = call
        .analysis
        .as_ref()
        .and_then(|a| a.structured_data.as_ref())
        .and_then(|d| d["disposition"].as_str())
        .map(str::to_owned)
        .or_else(|| call.ended_reason.clone());
    let learnt = (call.analysis.as_ref())
        .and_then(|a| a.structured_data.as_ref())
        .and_then(platform::learnt_body);
    AttemptDetails {
        duration_seconds: seconds,
        provider_call_id: Some(call.id.clone()),
        disposition,
        // The assistant's transfer tool forwarded the call.
        transferred: call.ended_reason.as_deref() == Some("assistant-forwarded-call"),
        learnt,
    }
}

/// The function tool an assistant calls to report what it learnt (its parameters: the report
/// API's body). With no server URL of its own, Vapi sends its calls to the assistant's server
/// URL: this attempt's, with its secret header.
pub const REPORT_TOOL: &str = "call_report";

/// The calls of a `tool-calls` message, read tolerantly: the SDK's `toolCallList[]` is
/// `{id, type, function: {name, arguments}}` with `arguments` a JSON string, while the docs'
/// examples show `name` beside `arguments` or `parameters` as an object.
pub fn tool_calls(message: &Value) -> Vec<ToolCall> {
    let list = message["toolCallList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    list.iter()
        .map(|call| {
            let function = &call["function"];
            let name = (function["name"].as_str())
                .or(call["name"].as_str())
                .unwrap_or_default()
                .to_owned();
            let arguments = match &function["arguments"] {
                Value::String(text) => serde_json::from_str(text).unwrap_or(Value::Null),
                Value::Null => match &call["arguments"] {
                    Value::Null => call["parameters"].clone(),
                    other => other.clone(),
                },
                other => other.clone(),
            };
            let report = if name != REPORT_TOOL {
                Err(format!(
                    "`{name}` is not a tool this server runs (only `{REPORT_TOOL}`)"
                ))
            } else if arguments.is_null() {
                Ok(ReportBody::default())
            } else {
                serde_json::from_value(arguments)
                    .map_err(|e| format!("the arguments are not a call report: {e}"))
            };
            ToolCall {
                id: call["id"].as_str().unwrap_or_default().to_owned(),
                name,
                report,
            }
        })
        .collect()
}

/// The answer to a `tool-calls` message: `{"results": [{toolCallId, name, result | error}]}`.
pub fn tool_answer_body(results: &[ToolResult]) -> String {
    let results: Vec<Value> = (results.iter())
        .map(|r| match &r.outcome {
            Ok(text) => json!({"toolCallId": r.id, "name": r.name, "result": text}),
            Err(why) => json!({"toolCallId": r.id, "name": r.name, "error": why}),
        })
        .collect();
    json!({ "results": results }).to_string()
}
