//! The call-events function: what reaches us while a call runs, as an axum router that the
//! local runner serves too (API Gateway HTTP API -> Lambda in the cloud).
//!
//! - `POST /v1/call-events/{provider}/{tenant}/{campaign}/{lead}/{attempt}`: provider
//!   events (the provider's callbacks; "webhooks" are only ours, to the tenant). Our reference is
//!   in the path (the provider's signature covers the URL). Answers
//!   204 when the event was applied or was a duplicate/progress, 403 for a bad signature, 400
//!   for a malformed body, 404 for a path that names nothing, 500 when the store failed (the
//!   provider retries).
//! - `POST /v1/call-flow/{provider}/{tenant}/{campaign}/{lead}/{attempt}`: the provider asks
//!   what to do when the agent's part of the call ends (Twilio's `<Redirect>`): TwiML that
//!   transfers only when the agent asked for it, else hangs up. A person is on the line while
//!   this is asked, and Twilio speaks its application-error message on any answer but a 2xx:
//!   so every failure of ours here answers 200 with the hang-up, never a 5xx.
//! - `POST /v1/call-reports`: the agent report API ([`reports`]), authenticated by the call's
//!   token.

pub mod reports;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use engine::Engine;
use engine::call_flow::CallFlowAnswer;
use engine::provider_events::ProviderEventOutcome;
use ports::store::{Agents, Campaigns, Leads};
use ports::voice::{CallFlow, CallReference, ProviderEventError, ProviderRequest};

/// Largest provider event body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// The routes.
pub fn router<S>(engine: Arc<Engine<S>>) -> Router
where
    S: Campaigns + Leads + Agents + 'static,
{
    Router::new()
        .route(
            "/v1/call-events/{provider}/{tenant}/{campaign}/{lead}/{attempt}",
            post(provider_event::<S>),
        )
        .route(
            "/v1/call-flow/{provider}/{tenant}/{campaign}/{lead}/{attempt}",
            post(call_flow::<S>),
        )
        .route(engine::dial::REPORT_PATH, post(reports::report::<S>))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(engine)
}

type Segments = Path<(String, String, String, String, String)>;

/// The request as the provider sent it: signatures cover the URL it called — our public base
/// plus the path and query.
fn provider_request<S>(
    engine: &Engine<S>,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> ProviderRequest {
    let path = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    // Behind API Gateway the base is the host the provider called (the API's own URL cannot be
    // configured into the function: see `bootstrap::wiring::PROVIDER_BASE_URL`).
    let base = match engine.settings.provider_base_url.as_str() {
        "" => headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|host| format!("https://{host}"))
            .unwrap_or_default(),
        configured => configured.to_owned(),
    };
    let headers: BTreeMap<String, String> = headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_owned()))
        })
        .collect();
    ProviderRequest {
        url: format!("{base}{path}"),
        headers,
        body: body.to_vec(),
    }
}

async fn provider_event<S>(
    State(engine): State<Arc<Engine<S>>>,
    Path((provider, tenant, campaign, lead, attempt)): Segments,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response
where
    S: Campaigns + Leads + Agents + 'static,
{
    let Some(reference) = CallReference::from_segments(&tenant, &campaign, &lead, &attempt) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let request = provider_request(&engine, &uri, &headers, body);
    match engine
        .handle_provider_event(&provider, &reference, &request)
        .await
    {
        Ok(ProviderEventOutcome::Progress | ProviderEventOutcome::Outcome(_)) => {
            StatusCode::NO_CONTENT.into_response()
        }
        // The agent's tool calls: the platform reads their results from the answer.
        Ok(ProviderEventOutcome::Answer(content_type, body)) => {
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Ok(ProviderEventOutcome::Rejected(err)) => rejected(&err).into_response(),
        Err(engine::EngineError::UnknownProvider(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::error!(%reference, error = %err, "provider event failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn rejected(err: &ProviderEventError) -> StatusCode {
    match err {
        ProviderEventError::BadSignature => StatusCode::FORBIDDEN,
        ProviderEventError::Malformed(_) => StatusCode::BAD_REQUEST,
    }
}

async fn call_flow<S>(
    State(engine): State<Arc<Engine<S>>>,
    Path((provider, tenant, campaign, lead, attempt)): Segments,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response
where
    S: Campaigns + Leads + Agents + 'static,
{
    let Some(reference) = CallReference::from_segments(&tenant, &campaign, &lead, &attempt) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let request = provider_request(&engine, &uri, &headers, body);
    match engine.call_flow(&provider, &reference, &request).await {
        Ok(CallFlowAnswer::Answer(content_type, body)) => {
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Ok(CallFlowAnswer::Rejected(err)) => rejected(&err).into_response(),
        Err(engine::EngineError::UnknownProvider(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::error!(%reference, error = %err, "call flow failed: hanging up");
            match engine
                .providers
                .get(&provider)
                .and_then(|p| p.call_flow_answer(&CallFlow::HangUp))
            {
                Some((content_type, body)) => {
                    ([(header::CONTENT_TYPE, content_type)], body).into_response()
                }
                None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
        }
    }
}
