//! `POST /v1/call-reports`: the agent report API, the same for every voice provider.
//!
//! The agent authenticates with the call's token (`Authorization: Bearer ct1....`), handed to
//! it with the call (Twilio stream parameter `report_token`, the HTTP agent's create-call
//! request `report.token`) — never the tenant's API key. The body says what the agent learned:
//!
//! ```json
//! {"disposition": "interested", "opt_out": false, "callback_at": "2026-06-11T15:00:00Z",
//!  "transfer": false, "results": {"plan": "gold"}}
//! ```
//!
//! Every field is optional; reports merge (see `domain::call_report`). Answers `200` with what
//! the report did, `401 invalid_token`, `400 bad_request` (not JSON of this shape),
//! `422 validation_failed` (with `errors` by field), `409 report_conflict` (a field already
//! reported with another value), `409 call_ended` (a transfer asked for after the call),
//! `409 no_such_attempt`, `503 unavailable` (retry).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::call_report::{InvalidReport, ReportAnswer, ReportBody};
use domain::lead::reports::ReportRefused;
use engine::Engine;
use engine::reports::ReportOutcome;
use ports::store::{Campaigns, Leads};
use serde_json::json;

fn invalid(field: &str, message: &str) -> InvalidReport {
    InvalidReport::new(field, message)
}

fn problem(status: StatusCode, code: &str, detail: &str, errors: Vec<InvalidReport>) -> Response {
    let errors: Vec<_> = errors
        .iter()
        .map(|e| json!({"field": e.field, "message": e.message}))
        .collect();
    let mut body = json!({
        "type": format!("urn:campaigns:problem:{code}"),
        "title": status.canonical_reason().unwrap_or(""),
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
    });
    if !errors.is_empty() {
        body["errors"] = json!(errors);
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// `401 invalid_token`.
fn unauthorized() -> Response {
    problem(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "a valid call token is required (Authorization: Bearer <the call's report_token>)",
        vec![],
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The handler.
pub async fn report<S>(
    State(engine): State<Arc<Engine<S>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response
where
    S: Campaigns + Leads + 'static,
{
    // Authenticated before anything else is read: a caller without a valid token learns
    // nothing, not even whether its body would have been accepted.
    let Some(token) = bearer(&headers).filter(|t| {
        engine
            .settings
            .call_tokens
            .verify(t, engine.clock.now())
            .is_ok()
    }) else {
        return unauthorized();
    };
    let body: ReportBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(err) => {
            let detail = format!("the body is not a report: {err}");
            return problem(StatusCode::BAD_REQUEST, "bad_request", &detail, vec![]);
        }
    };
    let report = match body.into_report(engine.clock.now()) {
        Ok(report) => report,
        Err(err) => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "the report has invalid fields",
                vec![err],
            );
        }
    };
    answer(engine.apply_agent_report(token, &report).await)
}

/// The HTTP answer to what the engine did with a report.
fn answer(outcome: Result<ReportOutcome, engine::EngineError>) -> Response {
    match outcome {
        Ok(ReportOutcome::Recorded {
            changed,
            during_call,
            lead_status,
        }) => Json(ReportAnswer {
            recorded: changed,
            during_call,
            lead_status: lead_status.as_str().to_owned(),
        })
        .into_response(),
        Ok(ReportOutcome::BadToken) => unauthorized(),
        Ok(ReportOutcome::Refused(refused)) => {
            let code = match &refused {
                ReportRefused::Conflict(_) => "report_conflict",
                ReportRefused::CallEnded => "call_ended",
                ReportRefused::NoSuchAttempt => "no_such_attempt",
            };
            let errors = match &refused {
                ReportRefused::Conflict(c) => vec![invalid(&c.field, "already reported")],
                _ => vec![],
            };
            problem(StatusCode::CONFLICT, code, &refused.to_string(), errors)
        }
        Err(err) => {
            tracing::warn!(error = %err, "agent report failed");
            let mut response = problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the report could not be recorded now; send it again",
                vec![],
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, "2".parse().expect("a valid header"));
            response
        }
    }
}
