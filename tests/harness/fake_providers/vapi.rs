//! A fake Vapi, answering as its OpenAPI description and SDK document (DESIGN-NOTES, "Vapi, as
//! documented"): `POST /call` (bearer key; `assistantId`, `phoneNumberId`, `customer.number`;
//! `201` with the call, its id in `id`), `GET /call/{id}`, `GET /call` (a plain array, filtered
//! by `createdAtGe`), and server messages `{"message": {type, call, ...}}` carrying the static
//! headers the call's `assistantOverrides.server.headers` asked for. Its failure modes are the
//! simulated network's: `429`, `503`, a `500` whose call may exist, late, duplicated and lost
//! messages.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use adapters::voice::simulator::SimulatorEvent;
use adapters::voice::vapi::wire;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use domain::config::{Voicemail, VoicemailAction};
use domain::phone::E164;
use domain::retry::Outcome;
use ports::voice::{CallLookup, CallReference, CallRequest, PlaceCallError, ProviderRequest};
use serde_json::{Value, json};

use super::Fake;
use crate::world::reference_from_url;

/// The fake account's private API key.
pub const VAPI_KEY: &str = "fake-vapi-key";
/// The Vapi `phoneNumberId` of every caller number in the fake.
pub const PHONE_NUMBER_ID: &str = "pn-fake-1";

/// Each call's assistant overrides as our adapter sent them, by reference: Vapi keeps them on
/// the call and sends the server headers they name with every message (kept even when the
/// create's answer is lost, as the call may exist).
static KEPT: LazyLock<Mutex<HashMap<String, Value>>> = LazyLock::new(Mutex::default);

fn keep(reference: &str, overrides: Value) {
    KEPT.lock().unwrap().insert(reference.to_owned(), overrides);
}

fn kept_for(reference: &CallReference) -> Option<Value> {
    KEPT.lock().unwrap().get(&reference.path()).cloned()
}

/// The fake's routes.
pub(super) fn router() -> Router<Fake> {
    Router::new()
        .route("/call", get(list_calls).post(create))
        .route("/call/{id}", get(get_call))
}

fn authorized(headers: &HeaderMap) -> bool {
    super::bearer_is(headers, VAPI_KEY)
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "message": message, "statusCode": status.as_u16() })),
    )
        .into_response()
}

fn call_request(v: &Value) -> Option<CallRequest> {
    let o = &v["assistantOverrides"];
    let reference = reference_from_url(&format!(
        "/v1/call-events/vapi/{}",
        o["metadata"][wire::REFERENCE_KEY].as_str()?
    ))?;
    let variables = &o["variableValues"];
    let detect = o["voicemailDetection"] != "off" && !o["voicemailDetection"].is_null();
    Some(CallRequest {
        reference,
        to: E164::parse_strict(v["customer"]["number"].as_str()?).ok()?,
        // The fake knows one caller number per id; the simulator does not judge it.
        from: E164::parse_strict("+14155550199").ok()?,
        agent_ref: v["assistantId"].as_str()?.to_owned(),
        call_flow_url: String::new(),
        report_url: variables["report_url"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        report_token: variables["report_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        callback_url: o["server"]["url"].as_str()?.to_owned(),
        max_duration: Duration::from_secs(o["maxDurationSeconds"].as_u64().unwrap_or(600)),
        voicemail: match (detect, o["voicemailMessage"].is_string()) {
            (false, _) => Voicemail::NotDetected,
            (true, true) => Voicemail::Detect(VoicemailAction::LeaveMessage),
            (true, false) => Voicemail::Detect(VoicemailAction::HangUp),
        },
        voicemail_message: o["voicemailMessage"].as_str().map(str::to_owned),
        transfer_number: None,
        variables: Default::default(),
    })
}

async fn create(State(fake): State<Fake>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "Invalid JSON");
    };
    if v["phoneNumberId"] != PHONE_NUMBER_ID {
        return error(StatusCode::BAD_REQUEST, "Couldn't get phone number");
    }
    let Some(request) = call_request(&v) else {
        return error(
            StatusCode::BAD_REQUEST,
            "customer.number must be a valid phone number in the E.164 format",
        );
    };
    // The secret header must come back on every message: the fake keeps the overrides.
    let overrides = v["assistantOverrides"].clone();
    keep(&request.reference.path(), overrides.clone());
    match fake.place(request).await {
        Ok(id) => (
            StatusCode::CREATED,
            axum::Json(json!({
                "id": id, "status": "queued", "type": "outboundPhoneCall",
                "assistantId": v["assistantId"], "phoneNumberId": PHONE_NUMBER_ID,
                "customer": v["customer"], "assistantOverrides": overrides,
            })),
        )
            .into_response(),
        Err(PlaceCallError::RateLimited { .. }) => {
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response()
        }
        Err(PlaceCallError::Unavailable) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Err(PlaceCallError::Uncertain) => {
            error(StatusCode::INTERNAL_SERVER_ERROR, "System failure")
        }
        Err(PlaceCallError::Rejected { .. }) => {
            error(StatusCode::BAD_REQUEST, "customer.number is invalid")
        }
        Err(PlaceCallError::AccountProblem { .. }) => {
            error(StatusCode::UNAUTHORIZED, "Unauthorized")
        }
    }
}

/// The `endedReason` and analysis of a call the network ended with `outcome`.
fn ending(
    outcome: Outcome,
    callback_at: Option<DateTime<Utc>>,
    disposition: Option<String>,
) -> (&'static str, Value) {
    let talk = |data: Value| ("customer-ended-call", json!({ "structuredData": data }));
    match outcome {
        Outcome::Completed => talk(json!({ "disposition": disposition })),
        Outcome::OptedOut => talk(json!({ "opt_out": true, "disposition": "opted_out" })),
        Outcome::CallbackRequested => talk(json!({
            "callback_at": callback_at.map(|t| t.to_rfc3339()), "disposition": "callback"
        })),
        Outcome::NoAnswer => ("customer-did-not-answer", Value::Null),
        Outcome::Busy => ("customer-busy", Value::Null),
        Outcome::Voicemail => ("voicemail", Value::Null),
        Outcome::AgentUnavailable => ("assistant-join-timed-out", Value::Null),
        Outcome::Canceled => ("manually-canceled", Value::Null),
        Outcome::Failed => ("twilio-failed-to-connect-call", Value::Null),
        Outcome::Unknown => ("a-reason-the-fake-made-up", Value::Null),
    }
}

fn call_object(id: &str, overrides: &Value, lookup: &CallLookup) -> Option<Value> {
    let mut call = json!({"id": id, "type": "outboundPhoneCall", "assistantOverrides": overrides});
    match lookup {
        CallLookup::NotFound => return None,
        CallLookup::InProgress { .. } => call["status"] = json!("in-progress"),
        CallLookup::Ended { report, details } => {
            let (reason, analysis) = ending(
                report.outcome,
                report.callback_at,
                details.disposition.clone(),
            );
            call["status"] = json!("ended");
            call["endedReason"] = json!(reason);
            call["analysis"] = analysis;
            call["startedAt"] = json!("2026-01-01T00:00:00Z");
            let end = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").ok()?
                + chrono::Duration::seconds(i64::from(details.duration_seconds));
            call["endedAt"] = json!(end.to_rfc3339());
        }
    }
    Some(call)
}

async fn get_call(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let known = fake.calls.lock().unwrap().get(&id).cloned();
    let Some((reference, to)) = known else {
        return error(StatusCode::NOT_FOUND, "Call not found");
    };
    let Some(overrides) = kept_for(&reference) else {
        return error(StatusCode::NOT_FOUND, "Call not found");
    };
    match call_object(&id, &overrides, &fake.lookup(&reference, &to).await) {
        Some(call) => axum::Json(call).into_response(),
        None => error(StatusCode::NOT_FOUND, "Call not found"),
    }
}

async fn list_calls(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let since: Option<DateTime<Utc>> = query.get("createdAtGe").and_then(|t| t.parse().ok());
    let until: Option<DateTime<Utc>> = query.get("createdAtLe").and_then(|t| t.parse().ok());
    let limit: usize = (query.get("limit").and_then(|l| l.parse().ok())).unwrap_or(100);
    let mut calls = Vec::new();
    // As Vapi would: also a call whose create answer was lost (the fake kept its overrides when
    // the simulator placed it, whatever it answered).
    for call in fake.simulator.calls() {
        if since.is_some_and(|s| call.placed_at < s) || until.is_some_and(|u| call.placed_at > u) {
            continue;
        }
        let Some(overrides) = kept_for(&call.reference) else {
            continue;
        };
        let lookup = fake.lookup(&call.reference, &call.to).await;
        calls.extend(call_object(&call.provider_call_id, &overrides, &lookup));
    }
    // As Vapi: at most `limit` calls (0-1000, default 100). The order is not documented: the
    // fake answers newest first, and a lookup must not depend on it.
    calls.reverse();
    calls.truncate(limit.min(1000));
    axum::Json(calls).into_response()
}

/// The network's event as Vapi's server message to `url`, with the static headers the call's
/// overrides asked for. A conversation's end is its `end-of-call-report`; any other end a
/// `status-update`.
pub fn server_message(url: &str, event: &SimulatorEvent) -> Option<ProviderRequest> {
    let reference = reference_from_url(url)?;
    let overrides = kept_for(&reference)?;
    let call =
        json!({ "id": event.call_id, "status": "in-progress", "assistantOverrides": overrides });
    let message = match (event.event.as_str(), event.outcome) {
        ("ended", Some(outcome)) => {
            let (reason, analysis) = ending(outcome, event.callback_at, event.disposition.clone());
            if analysis.is_null() {
                json!({"type": "status-update", "status": "ended", "endedReason": reason, "call": call})
            } else {
                let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().ok()?;
                let end = start + chrono::Duration::seconds(i64::from(event.duration_seconds));
                json!({"type": "end-of-call-report", "endedReason": reason, "analysis": analysis,
                       "startedAt": start.to_rfc3339(), "endedAt": end.to_rfc3339(), "call": call})
            }
        }
        ("answered", _) => json!({"type": "status-update", "status": "in-progress", "call": call}),
        (_, _) => json!({"type": "speech-update", "call": call}),
    };
    let body = serde_json::to_vec(&json!({ "message": message })).ok()?;
    let headers = server_headers(&overrides);
    Some(ProviderRequest {
        url: url.to_owned(),
        headers,
        body,
    })
}

/// An `end-of-call-report` for the call `reference` names, ended for `reason` with `structured`
/// as the analysis' structured data (a test's own, rather than the simulated network's).
pub fn end_of_call_report(
    reference: &CallReference,
    call_id: &str,
    reason: &str,
    structured: Value,
) -> Option<ProviderRequest> {
    let overrides = kept_for(reference)?;
    let url = overrides["server"]["url"].as_str()?.to_owned();
    let call = json!({ "id": call_id, "status": "in-progress", "assistantOverrides": overrides });
    let message = json!({"type": "end-of-call-report", "endedReason": reason,
        "analysis": {"structuredData": structured},
        "startedAt": "2026-06-10T12:00:00Z", "endedAt": "2026-06-10T12:01:30Z", "call": call});
    let body = serde_json::to_vec(&json!({ "message": message })).ok()?;
    let headers = server_headers(&overrides);
    Some(ProviderRequest { url, headers, body })
}

/// The simulated agent's report (the report API's body) as Vapi sends a call of the assistant's
/// report tool: a `tool-calls` server message to the call's server URL, with its headers, the
/// arguments a JSON string (the SDK's `ToolCall`). `None` when the fake never saw the call.
pub fn tool_calls_message(
    reference: &CallReference,
    call_id: &str,
    tool_call_id: &str,
    report: &[u8],
) -> Option<ProviderRequest> {
    let overrides = kept_for(reference)?;
    let url = overrides["server"]["url"].as_str()?.to_owned();
    let arguments = std::str::from_utf8(report).ok()?;
    let call = json!({ "id": call_id, "status": "in-progress", "assistantOverrides": overrides });
    let tool_call = json!({"id": tool_call_id, "type": "function",
        "function": {"name": wire::REPORT_TOOL, "arguments": arguments}});
    let message = json!({"type": "tool-calls", "call": call, "toolCallList": [tool_call]});
    let body = serde_json::to_vec(&json!({ "message": message })).ok()?;
    let headers = server_headers(&overrides);
    Some(ProviderRequest { url, headers, body })
}

/// The static headers a call's overrides ask Vapi to send with every server message.
fn server_headers(overrides: &Value) -> std::collections::BTreeMap<String, String> {
    overrides["server"]["headers"]
        .as_object()
        .map(|h| {
            h.iter()
                .filter_map(|(k, v)| Some((k.to_lowercase(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}
