//! Local fakes of the real providers' APIs, so the engine's promise tests run with the Twilio
//! and HTTP-agent adapters plugged in: each fake speaks its provider's API over HTTP and lets
//! the simulated network decide every call's fate (and its faults); the network's provider events
//! are rewritten into the provider's format and signed with its scheme.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use adapters::voice::http_agent::{self, AgentCall};
use adapters::voice::simulator::{Simulator, SimulatorEvent};
use adapters::voice::twilio;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use domain::config::{Voicemail, VoicemailAction};
use domain::phone::E164;
use domain::retry::Outcome;
use ports::voice::{
    CallLookup, CallReference, CallRequest, PlaceCallError, ProviderRequest, VoiceProvider,
};
use serde_json::{Value, json};

use crate::world::reference_from_url;

pub mod retell;
pub mod vapi;

/// Which real adapter the engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// The simulator itself (no HTTP).
    Simulator,
    /// The Twilio adapter against a fake Twilio.
    Twilio,
    /// The HTTP agent adapter against a fake agent platform.
    HttpAgent,
    /// The Retell adapter against a fake Retell AI.
    Retell,
    /// The Vapi adapter against a fake Vapi.
    Vapi,
}

impl ProviderKind {
    /// The provider's registered name (the agent's `provider`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Simulator => "simulator",
            Self::Twilio => "twilio",
            Self::HttpAgent => "http",
            Self::Retell => "retell",
            Self::Vapi => "vapi",
        }
    }
}

/// Credentials the fakes and the adapters share.
pub const TWILIO_SID: &str = "ACfake";
/// Twilio auth token of the fake.
pub const TWILIO_TOKEN: &str = "fake-twilio-token";
/// The agent platform's secret.
pub const AGENT_SECRET: &str = "fake-agent-secret";

#[derive(Clone)]
struct Fake {
    simulator: Arc<Simulator>,
    /// The calls created, by provider id: their reference and number (for lookups).
    calls: Arc<Mutex<HashMap<String, (CallReference, E164)>>>,
    /// Where the fake listens (what signatures over URLs name).
    base: String,
}

impl Fake {
    async fn place(&self, request: CallRequest) -> Result<String, PlaceCallError> {
        let placed = self.simulator.place_call(&request).await?;
        self.calls.lock().unwrap().insert(
            placed.provider_call_id.clone(),
            (request.reference, request.to),
        );
        Ok(placed.provider_call_id)
    }

    async fn lookup(&self, reference: &CallReference, to: &E164) -> CallLookup {
        self.simulator
            .lookup_call(reference, None, to, DateTime::<Utc>::MIN_UTC)
            .await
            .unwrap_or(CallLookup::NotFound)
    }
}

/// Whether a request carries `Authorization: Bearer {key}` (how the hosted platforms' APIs
/// authenticate us).
fn bearer_is(headers: &axum::http::HeaderMap, key: &str) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.strip_prefix("Bearer ") == Some(key))
}

/// Starts the fake API of `kind` on a free port; returns its base URL.
pub async fn start(kind: ProviderKind, simulator: Arc<Simulator>) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let fake = Fake {
        simulator,
        calls: Arc::default(),
        base: base.clone(),
    };
    let router = match kind {
        ProviderKind::Simulator => return Ok(String::new()),
        ProviderKind::Twilio => Router::new()
            .route(
                "/2010-04-01/Accounts/{sid}/Calls.json",
                post(twilio_create).get(twilio_list),
            )
            .route(
                "/2010-04-01/Accounts/{sid}/Calls/{call}",
                get(twilio_get).post(twilio_update),
            ),
        ProviderKind::HttpAgent => Router::new()
            .route("/calls", post(agent_create).get(agent_find))
            .route("/calls/{id}", get(agent_get)),
        ProviderKind::Retell => retell::router(),
        ProviderKind::Vapi => vapi::router(),
    }
    .with_state(fake);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(base)
}

fn refused(kind: ProviderKind, err: PlaceCallError) -> Response {
    let twilio = kind == ProviderKind::Twilio;
    match err {
        PlaceCallError::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            axum::Json(json!({"code": if twilio { json!(20429) } else { json!("rate_limited") }})),
        )
            .into_response(),
        PlaceCallError::Unavailable => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        // The simulator decided the answer is lost (the call may or may not exist).
        PlaceCallError::Uncertain => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        PlaceCallError::Rejected { .. } => (
            StatusCode::BAD_REQUEST,
            axum::Json(
                json!({"code": if twilio { json!(21211) } else { json!("invalid_number") }}),
            ),
        )
            .into_response(),
        // Twilio: the destination's country is not enabled (geo permissions); the agent
        // platform: our credentials are refused.
        PlaceCallError::AccountProblem { .. } if twilio => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"code": 21215, "message": "Geo Permission configuration is not permitting call"})),
        )
            .into_response(),
        PlaceCallError::AccountProblem { .. } => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn twilio_create(State(fake): State<Fake>, body: axum::body::Bytes) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let callback_url = get("StatusCallback");
    let (Some(reference), Ok(to), Ok(from)) = (
        reference_from_url(&callback_url),
        E164::parse_strict(&get("To")),
        E164::parse_strict(&get("From")),
    ) else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"code": 21211}))).into_response();
    };
    let voicemail = match get("MachineDetection").as_str() {
        "DetectMessageEnd" => Voicemail::Detect(VoicemailAction::LeaveMessage),
        "Enable" => Voicemail::Detect(VoicemailAction::HangUp),
        _ => Voicemail::NotDetected,
    };
    let twiml = get("Twiml");
    let parameter = |name: &str| twiml_parameter(&twiml, name).unwrap_or_default();
    let request = CallRequest {
        reference,
        to,
        from,
        agent_ref: "stream".into(),
        call_flow_url: String::new(),
        report_url: parameter("report_url"),
        report_token: parameter("report_token"),
        transfer_number: twiml_parameter(&twiml, "transfer_number")
            .and_then(|n| E164::parse_strict(&n).ok()),
        callback_url,
        max_duration: std::time::Duration::from_secs(get("TimeLimit").parse().unwrap_or(600)),
        voicemail,
        voicemail_message: None,
        variables: Default::default(),
    };
    match fake.place(request).await {
        Ok(sid) => (
            StatusCode::CREATED,
            axum::Json(json!({"sid": sid, "status": "queued"})),
        )
            .into_response(),
        Err(err) => refused(ProviderKind::Twilio, err),
    }
}

/// The value of the `<Parameter name="{name}">` of a TwiML document's stream.
pub fn twiml_parameter(twiml: &str, name: &str) -> Option<String> {
    let start = format!("<Parameter name=\"{name}\" value=\"");
    let at = twiml.find(&start)? + start.len();
    let value = &twiml[at..at + twiml[at..].find('"')?];
    Some(
        value
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// `POST /Calls/{sid}.json`: the engine ends a call or plays the voicemail message on a machine
/// verdict. The network already decided how the call ends; the update is acknowledged.
async fn twilio_update(
    State(fake): State<Fake>,
    Path((_sid, call)): Path<(String, String)>,
) -> Response {
    let sid = call.trim_end_matches(".json").to_owned();
    if fake.calls.lock().unwrap().contains_key(&sid) {
        axum::Json(json!({"sid": sid, "status": "in-progress"})).into_response()
    } else {
        (StatusCode::NOT_FOUND, axum::Json(json!({"code": 20404}))).into_response()
    }
}

/// A lookup as Twilio's call resource.
fn twilio_resource(sid: &str, lookup: &CallLookup) -> Value {
    match lookup {
        CallLookup::InProgress { .. } => json!({"sid": sid, "status": "in-progress"}),
        CallLookup::Ended { report, details } => {
            let (status, answered_by) = twilio_status(report.outcome);
            json!({"sid": sid, "status": status, "answered_by": answered_by,
                   "duration": details.duration_seconds.to_string()})
        }
        CallLookup::NotFound => Value::Null,
    }
}

/// Twilio's `CallStatus` and `AnsweredBy` for an outcome (opt-outs and callbacks are the
/// agent's business: Twilio sees a completed call).
fn twilio_status(outcome: Outcome) -> (&'static str, &'static str) {
    match outcome {
        Outcome::Completed
        | Outcome::OptedOut
        | Outcome::CallbackRequested
        | Outcome::AgentUnavailable => ("completed", "human"),
        Outcome::Voicemail => ("completed", "machine_end_beep"),
        Outcome::NoAnswer => ("no-answer", "unknown"),
        Outcome::Busy => ("busy", "unknown"),
        Outcome::Canceled => ("canceled", "unknown"),
        Outcome::Failed | Outcome::Unknown => ("failed", "unknown"),
    }
}

async fn twilio_get(
    State(fake): State<Fake>,
    Path((_sid, call)): Path<(String, String)>,
) -> Response {
    let sid = call.trim_end_matches(".json").to_owned();
    let known = fake.calls.lock().unwrap().get(&sid).cloned();
    let Some((reference, to)) = known else {
        return (StatusCode::NOT_FOUND, axum::Json(json!({"code": 20404}))).into_response();
    };
    let lookup = fake.lookup(&reference, &to).await;
    match lookup {
        CallLookup::NotFound => StatusCode::NOT_FOUND.into_response(),
        other => axum::Json(twilio_resource(&sid, &other)).into_response(),
    }
}

/// `GET /Calls.json?To=&StartTime>=&Status=`: every call created to the number, started on or
/// after midnight of the given day (Twilio filters by day), in the given status, each with its
/// `date_created` in RFC 2822, in no promised order (here: oldest first).
async fn twilio_list(
    State(fake): State<Fake>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let to = query.get("To").cloned().unwrap_or_default();
    let since = query
        .get("StartTime>")
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let mut calls = vec![];
    for call in fake.simulator.calls() {
        if call.to.as_str() != to || since.is_some_and(|day| call.placed_at.date_naive() < day) {
            continue;
        }
        let mut resource = match fake.lookup(&call.reference, &call.to).await {
            CallLookup::NotFound => continue,
            CallLookup::InProgress { provider_call_id } => {
                json!({"sid": provider_call_id, "status": "in-progress"})
            }
            ended => twilio_resource(&call.provider_call_id, &ended),
        };
        resource["date_created"] = json!(call.placed_at.to_rfc2822());
        // The simulated network places calls at once: none is ever `queued`.
        if query
            .get("Status")
            .is_some_and(|s| resource["status"] != s.as_str())
        {
            continue;
        }
        calls.push(resource);
    }
    axum::Json(json!({ "calls": calls })).into_response()
}

async fn agent_create(
    State(fake): State<Fake>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    // The fake checks our signature as the platform would, at the time it was made.
    let header = headers
        .get(http_agent::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    let verified = header.is_some_and(|h| {
        let signed_at = h
            .split(',')
            .find_map(|p| p.strip_prefix("t="))
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(|t| DateTime::from_timestamp(t, 0));
        let url = format!("{}/calls", fake.base);
        let signed = http_agent::Signed {
            method: "POST",
            url: &url,
            body: &body,
        };
        signed_at.is_some_and(|at| http_agent::verify(AGENT_SECRET, h, signed, at).is_ok())
    });
    if !verified {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let callback_url = v["callback_url"].as_str().unwrap_or_default().to_owned();
    let (Some(reference), Ok(to), Ok(from)) = (
        reference_from_url(&callback_url),
        E164::parse_strict(v["to"].as_str().unwrap_or_default()),
        E164::parse_strict(v["from"].as_str().unwrap_or_default()),
    ) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({"code": "invalid_number"})),
        )
            .into_response();
    };
    let voicemail = match (
        v["voicemail"]["detect"].as_bool(),
        v["voicemail"]["action"].as_str(),
    ) {
        (Some(true), Some("leave_message")) => Voicemail::Detect(VoicemailAction::LeaveMessage),
        (Some(true), _) => Voicemail::Detect(VoicemailAction::HangUp),
        _ => Voicemail::NotDetected,
    };
    let request = CallRequest {
        reference,
        to,
        from,
        agent_ref: v["agent"].as_str().unwrap_or_default().to_owned(),
        call_flow_url: String::new(),
        report_url: v["report"]["url"].as_str().unwrap_or_default().to_owned(),
        report_token: v["report"]["token"].as_str().unwrap_or_default().to_owned(),
        callback_url,
        max_duration: std::time::Duration::from_secs(
            v["max_duration_seconds"].as_u64().unwrap_or(600),
        ),
        voicemail,
        voicemail_message: v["voicemail"]["message"].as_str().map(str::to_owned),
        transfer_number: None,
        variables: Default::default(),
    };
    match fake.place(request).await {
        Ok(id) => (StatusCode::CREATED, axum::Json(json!({"call_id": id}))).into_response(),
        Err(err) => refused(ProviderKind::HttpAgent, err),
    }
}

fn agent_resource(id: &str, lookup: &CallLookup) -> Option<AgentCall> {
    match lookup {
        CallLookup::NotFound => None,
        CallLookup::InProgress { .. } => Some(AgentCall {
            call_id: id.to_owned(),
            status: "answered".into(),
            duration_seconds: 0,
            disposition: None,
            callback_at: None,
            voicemail_left: false,
        }),
        CallLookup::Ended { report, details } => Some(agent_call(
            id,
            report.outcome,
            details.duration_seconds,
            details.disposition.clone(),
            report.callback_at,
            report.voicemail_left,
        )),
    }
}

fn agent_call(
    id: &str,
    outcome: Outcome,
    duration_seconds: u32,
    disposition: Option<String>,
    callback_at: Option<DateTime<Utc>>,
    voicemail_left: bool,
) -> AgentCall {
    let (status, disposition) = match outcome {
        Outcome::Completed => ("completed", disposition),
        Outcome::OptedOut => ("completed", Some("opted_out".to_owned())),
        Outcome::CallbackRequested => ("completed", Some("callback".to_owned())),
        Outcome::NoAnswer => ("no_answer", None),
        Outcome::Busy => ("busy", None),
        Outcome::Voicemail => ("voicemail", None),
        Outcome::Canceled => ("canceled", None),
        Outcome::Failed | Outcome::Unknown => ("failed", None),
        Outcome::AgentUnavailable => ("completed", None),
    };
    AgentCall {
        call_id: id.to_owned(),
        status: status.into(),
        duration_seconds,
        disposition,
        callback_at,
        voicemail_left,
    }
}

async fn agent_get(State(fake): State<Fake>, Path(id): Path<String>) -> Response {
    let known = fake.calls.lock().unwrap().get(&id).cloned();
    let Some((reference, to)) = known else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match agent_resource(&id, &fake.lookup(&reference, &to).await) {
        Some(call) => axum::Json(call).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn agent_find(
    State(fake): State<Fake>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let reference = query
        .get("reference")
        .and_then(|r| reference_from_url(&format!("/v1/call-events/http/{r}")));
    let Some(reference) = reference else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // By reference, as the platform would: also a call whose creation answer was lost.
    let to = fake
        .simulator
        .calls()
        .into_iter()
        .find(|c| c.reference == reference)
        .map(|c| c.to);
    let Some(to) = to else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let lookup = fake.lookup(&reference, &to).await;
    let id = match &lookup {
        CallLookup::InProgress { provider_call_id } => provider_call_id.clone(),
        CallLookup::Ended { details, .. } => details.provider_call_id.clone().unwrap_or_default(),
        CallLookup::NotFound => return StatusCode::NOT_FOUND.into_response(),
    };
    match agent_resource(&id, &lookup) {
        Some(call) => axum::Json(call).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The network's event (the simulator's own JSON) as `kind` would send it, signed by
/// its scheme at `now`.
pub fn rewrite_event(
    kind: ProviderKind,
    url: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Option<ProviderRequest> {
    let event: SimulatorEvent = serde_json::from_slice(body).ok()?;
    let mut headers = std::collections::BTreeMap::new();
    match kind {
        ProviderKind::Simulator => None,
        ProviderKind::Twilio => Some(twilio_callback(url, &event)),
        ProviderKind::Retell => retell::webhook(url, &event, now),
        ProviderKind::Vapi => vapi::server_message(url, &event),
        ProviderKind::HttpAgent => {
            let call = match (event.event.as_str(), event.outcome) {
                ("ended", Some(outcome)) => agent_call(
                    &event.call_id,
                    outcome,
                    event.duration_seconds,
                    event.disposition.clone(),
                    event.callback_at,
                    event.voicemail_left,
                ),
                (other, _) => AgentCall {
                    call_id: event.call_id.clone(),
                    status: other.to_owned(),
                    duration_seconds: 0,
                    disposition: None,
                    callback_at: None,
                    voicemail_left: false,
                },
            };
            let body = serde_json::to_vec(&call).ok()?;
            headers.insert(
                http_agent::SIGNATURE_HEADER.to_owned(),
                http_agent::signature(
                    AGENT_SECRET,
                    now.timestamp(),
                    http_agent::Signed {
                        method: "POST",
                        url,
                        body: &body,
                    },
                ),
            );
            Some(ProviderRequest {
                url: url.to_owned(),
                headers,
                body,
            })
        }
    }
}

/// The network's event as Twilio's form-encoded, signed callback to `url`.
fn twilio_callback(url: &str, event: &SimulatorEvent) -> ProviderRequest {
    let mut params: Vec<(String, String)> = vec![
        ("AccountSid".into(), TWILIO_SID.into()),
        ("CallSid".into(), event.call_id.clone()),
    ];
    match (event.event.as_str(), event.outcome) {
        ("ended", Some(outcome)) => {
            let (status, answered_by) = twilio_status(outcome);
            params.push(("CallStatus".into(), status.into()));
            params.push(("AnsweredBy".into(), answered_by.into()));
            params.push(("CallDuration".into(), event.duration_seconds.to_string()));
        }
        ("answered", _) => params.push(("CallStatus".into(), "in-progress".into())),
        // The asynchronous machine-detection callback, on its own URL.
        ("amd", _) => params.push((
            "AnsweredBy".into(),
            event.answered_by.clone().unwrap_or_default(),
        )),
        // The `<Stream>` status callback, on its own URL.
        ("stream_started", _) => params.push(("StreamEvent".into(), "stream-started".into())),
        ("stream_failed", _) => {
            params.push(("StreamEvent".into(), "stream-error".into()));
            params.push(("StreamError".into(), "31920".into()));
        }
        // The `<Redirect>` after the agent's stream: Twilio asks the call-flow URL.
        ("stream_ended", _) => params.push(("CallStatus".into(), "in-progress".into())),
        (other, _) => params.push(("CallStatus".into(), other.into())),
    }
    // Each callback arrives at the URL the adapter gave it (the fragment never reaches a
    // server; this fake signs the URL as requested).
    let base = url.split('#').next().unwrap_or(url);
    let url = match event.event.as_str() {
        "amd" => format!("{base}?event=amd"),
        "stream_started" | "stream_failed" => format!("{base}?event=stream"),
        _ => base.to_owned(),
    };
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    let mut headers = std::collections::BTreeMap::new();
    headers.insert(
        twilio::SIGNATURE_HEADER.to_owned(),
        twilio::signature(TWILIO_TOKEN, &url, &params),
    );
    ProviderRequest {
        url,
        headers,
        body: body.into_bytes(),
    }
}
