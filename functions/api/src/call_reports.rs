//! The agent report API in this document. The route is served by the call-events function
//! (with the provider events it races), not by this one; it is described here so the API has
//! one document.

use domain::call_report::{ReportAnswer, ReportBody};

use crate::error::Problem;

/// `POST /v1/call-reports` — what the AI agent learned on a call: a disposition, an opt-out (the
/// number joins the tenant's Do-Not-Call list in the same write), a callback time, a transfer
/// request, result fields. Authenticated by the call's own token (`report_token`, handed to the
/// agent with the call), never an API key. Reports merge: a repeat changes nothing, a field
/// already reported with another value answers 409.
#[utoipa::path(post, path = "/v1/call-reports", tag = "agent reports",
    security(("call_token" = [])),
    request_body(content = ReportBody, examples(
        ("opt_out" = (summary = "The person said stop", value = json!({"opt_out": true}))),
        ("callback" = (summary = "Call me back tomorrow at 3 pm UTC",
            value = json!({"callback_at": "2026-06-11T15:00:00Z", "disposition": "callback"}))),
        ("transfer" = (summary = "Hand the call to the campaign's transfer number",
            value = json!({"transfer": true}))),
        ("result" = (summary = "After the call: disposition and results",
            value = json!({"disposition": "interested", "results": {"plan": "gold", "seats": "12"}}))),
    )),
    responses(
        (status = 200, body = ReportAnswer, description = "Recorded, or a repeat of what was recorded"),
        (status = 400, body = Problem), (status = 401, body = Problem, description = "No valid call token"),
        (status = 409, body = Problem, description = "report_conflict, call_ended or no_such_attempt"),
        (status = 422, body = Problem),
        (status = 503, body = Problem, description = "Not recorded now; send it again")))]
#[allow(dead_code)]
pub(crate) async fn report() {}
