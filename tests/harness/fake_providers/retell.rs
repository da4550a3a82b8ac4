//! A fake Retell AI, answering as its API reference and SDKs document (DESIGN-NOTES, "Retell,
//! as documented"): `POST /v2/create-phone-call` (bearer key; `from_number`, `to_number`
//! required; `201` with the call object), `GET /v2/get-call/{call_id}`, `POST /v3/list-calls`
//! with a metadata filter, and webhooks `{event, call}` signed `x-retell-signature: v=<ms>,d=<hex>`.
//! Its failure modes are the simulated network's: `429`, `503`, a `500` whose call may exist,
//! late, duplicated and lost webhooks.

use std::time::Duration;

use adapters::voice::retell::{self, wire};
use adapters::voice::simulator::SimulatorEvent;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use domain::config::{Voicemail, VoicemailAction};
use domain::phone::E164;
use domain::retry::Outcome;
use ports::voice::{CallLookup, CallReference, CallRequest, PlaceCallError, ProviderRequest};
use serde_json::{Value, json};

use super::Fake;
use crate::world::reference_from_url;

/// The fake account's API key (it also signs the webhooks, as Retell's does).
pub const RETELL_KEY: &str = "fake-retell-key";

/// The fake's routes.
pub(super) fn router() -> Router<Fake> {
    Router::new()
        .route("/v2/create-phone-call", post(create))
        .route("/v2/get-call/{id}", get(get_call))
        .route("/v3/list-calls", post(list_calls))
}

fn authorized(headers: &HeaderMap) -> bool {
    super::bearer_is(headers, RETELL_KEY)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error_message": message }))).into_response()
}

/// Our attempt's request, as the fake reads it back from Retell's fields.
fn call_request(v: &Value) -> Option<CallRequest> {
    let agent = &v["agent_override"]["agent"];
    let callback_url = agent["webhook_url"].as_str()?.to_owned();
    let reference = reference_from_url(&format!(
        "/v1/call-events/retell/{}",
        v["metadata"][wire::REFERENCE_KEY].as_str()?
    ))?;
    let action = agent["voicemail_option"]["action"]["type"].as_str();
    let variables = &v["retell_llm_dynamic_variables"];
    Some(CallRequest {
        reference,
        to: E164::parse_strict(v["to_number"].as_str()?).ok()?,
        from: E164::parse_strict(v["from_number"].as_str()?).ok()?,
        agent_ref: v["override_agent_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        call_flow_url: String::new(),
        report_url: variables["report_url"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        report_token: variables["report_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        callback_url,
        max_duration: Duration::from_millis(
            agent["max_call_duration_ms"].as_u64().unwrap_or(3_600_000),
        ),
        voicemail: match action {
            None => Voicemail::NotDetected,
            Some("static_text" | "prompt") => Voicemail::Detect(VoicemailAction::LeaveMessage),
            Some(_) => Voicemail::Detect(VoicemailAction::HangUp),
        },
        voicemail_message: agent["voicemail_option"]["action"]["text"]
            .as_str()
            .map(str::to_owned),
        transfer_number: None,
        variables: Default::default(),
    })
}

async fn create(State(fake): State<Fake>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "Invalid JSON");
    };
    let Some(request) = call_request(&v) else {
        return error(
            StatusCode::BAD_REQUEST,
            "from_number and to_number are required (E.164)",
        );
    };
    let (from, to, metadata) = (
        request.from.clone(),
        request.to.clone(),
        v["metadata"].clone(),
    );
    match fake.place(request).await {
        Ok(id) => (
            StatusCode::CREATED,
            axum::Json(json!({
                "call_id": id, "agent_id": v["override_agent_id"], "call_status": "registered",
                "call_type": "phone_call", "direction": "outbound",
                "from_number": from.as_str(), "to_number": to.as_str(), "metadata": metadata,
            })),
        )
            .into_response(),
        Err(PlaceCallError::RateLimited { .. }) => {
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response()
        }
        Err(PlaceCallError::Unavailable) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Err(PlaceCallError::Uncertain) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Err(PlaceCallError::Rejected { .. }) => error(StatusCode::BAD_REQUEST, "Invalid to_number"),
        Err(PlaceCallError::AccountProblem { .. }) => {
            error(StatusCode::PAYMENT_REQUIRED, "No valid payment method")
        }
    }
}

/// What the fake's call object says of a call the network ended with `outcome`.
fn ended(
    outcome: Outcome,
    callback_at: Option<DateTime<Utc>>,
    disposition: Option<String>,
) -> Value {
    let conversation = |analysis: Value| ("user_hangup", analysis);
    let (reason, analysis) = match outcome {
        Outcome::Completed => conversation(json!({"disposition": disposition})),
        Outcome::OptedOut => conversation(json!({"opt_out": true, "disposition": "opted_out"})),
        Outcome::CallbackRequested => conversation(json!({
            "callback_at": callback_at.map(|t| t.to_rfc3339()), "disposition": "callback"
        })),
        Outcome::NoAnswer => ("dial_no_answer", Value::Null),
        Outcome::Busy => ("dial_busy", Value::Null),
        Outcome::Voicemail => ("voicemail_reached", Value::Null),
        Outcome::AgentUnavailable => ("error_llm_websocket_open", Value::Null),
        Outcome::Failed | Outcome::Canceled => ("dial_failed", Value::Null),
        Outcome::Unknown => ("error_unknown", Value::Null),
    };
    json!({
        "call_status": "ended",
        "disconnection_reason": reason,
        "call_analysis": (!analysis.is_null()).then(|| json!({
            "call_successful": outcome == Outcome::Completed,
            "in_voicemail": false,
            "custom_analysis_data": analysis,
        })),
    })
}

fn call_object(id: &str, reference: &CallReference, lookup: &CallLookup) -> Option<Value> {
    let mut call = match lookup {
        CallLookup::NotFound => return None,
        CallLookup::InProgress { .. } => json!({"call_status": "ongoing"}),
        CallLookup::Ended { report, details } => {
            let mut v = ended(
                report.outcome,
                report.callback_at,
                details.disposition.clone(),
            );
            v["duration_ms"] = json!(u64::from(details.duration_seconds) * 1000);
            v
        }
    };
    call["call_id"] = json!(id);
    call["call_type"] = json!("phone_call");
    call["metadata"] = json!({ wire::REFERENCE_KEY: reference.path() });
    Some(call)
}

async fn get_call(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    }
    let known = fake.calls.lock().unwrap().get(&id).cloned();
    let Some((reference, to)) = known else {
        return error(StatusCode::NOT_FOUND, "Call not found");
    };
    match call_object(&id, &reference, &fake.lookup(&reference, &to).await) {
        Some(call) => axum::Json(call).into_response(),
        None => error(StatusCode::NOT_FOUND, "Call not found"),
    }
}

async fn list_calls(
    State(fake): State<Fake>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Invalid API key");
    }
    let filters = body["filter_criteria"]["metadata"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let wanted = filters
        .iter()
        .find(|f| f["key"] == wire::REFERENCE_KEY && f["type"] == "string" && f["op"] == "eq");
    let reference = wanted
        .and_then(|f| f["value"].as_str())
        .and_then(|r| reference_from_url(&format!("/v1/call-events/retell/{r}")));
    let mut items = Vec::new();
    // As Retell would: also a call whose create answer was lost.
    for call in fake.simulator.calls() {
        if reference.as_ref() != Some(&call.reference) {
            continue;
        }
        let lookup = fake.lookup(&call.reference, &call.to).await;
        if let Some(object) = call_object(&call.provider_call_id, &call.reference, &lookup) {
            items.push(object);
        }
    }
    axum::Json(json!({ "items": items, "has_more": false, "pagination_key": null })).into_response()
}

/// The network's event as Retell's webhook to `url`, signed at `now`. A conversation's end is
/// sent as `call_analyzed` (the analysis says what the agent learnt), any other end as
/// `call_ended`.
pub fn webhook(url: &str, event: &SimulatorEvent, now: DateTime<Utc>) -> Option<ProviderRequest> {
    let reference = reference_from_url(url)?;
    let (name, mut call) = match (event.event.as_str(), event.outcome) {
        ("ended", Some(outcome)) => {
            let mut call = ended(outcome, event.callback_at, event.disposition.clone());
            call["duration_ms"] = json!(u64::from(event.duration_seconds) * 1000);
            let name = if call["call_analysis"].is_null() {
                "call_ended"
            } else {
                "call_analyzed"
            };
            (name, call)
        }
        ("answered", _) => ("call_started", json!({"call_status": "ongoing"})),
        (_, _) => ("transcript_updated", json!({"call_status": "ongoing"})),
    };
    call["call_id"] = json!(event.call_id);
    call["metadata"] = json!({ wire::REFERENCE_KEY: reference.path() });
    let body = serde_json::to_vec(&json!({ "event": name, "call": call })).ok()?;
    let mut headers = std::collections::BTreeMap::new();
    headers.insert(
        retell::SIGNATURE_HEADER.to_owned(),
        retell::signature(RETELL_KEY, &body, now.timestamp_millis()),
    );
    Some(ProviderRequest {
        url: url.to_owned(),
        headers,
        body,
    })
}
