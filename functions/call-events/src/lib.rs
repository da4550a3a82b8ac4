//! The call-events function: provider webhooks (API Gateway HTTP API -> Lambda), as an axum
//! router that the local runner serves too.
//!
//! `POST /v1/call-events/{provider}/{tenant}/{campaign}/{lead}/{attempt}`: our reference is in
//! the path (the provider's signature covers the URL). Answers 204 when the event was applied
//! or was a duplicate/progress, 403 for a bad signature, 400 for a malformed body, 404 for a
//! path that names nothing, 500 when the store failed (the provider retries).

use std::collections::BTreeMap;
use std::sync::Arc;

use adapters::voice::{CallReference, WebhookError, WebhookRequest};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use engine::Engine;
use engine::events::WebhookOutcome;
use ports::store::{Campaigns, Leads};

/// Largest webhook body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// The webhook routes.
pub fn router<S>(engine: Arc<Engine<S>>) -> Router
where
    S: Campaigns + Leads + 'static,
{
    Router::new()
        .route(
            "/v1/call-events/{provider}/{tenant}/{campaign}/{lead}/{attempt}",
            post(webhook::<S>),
        )
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(engine)
}

async fn webhook<S>(
    State(engine): State<Arc<Engine<S>>>,
    Path((provider, tenant, campaign, lead, attempt)): Path<(
        String,
        String,
        String,
        String,
        String,
    )>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode
where
    S: Campaigns + Leads + 'static,
{
    let Some(reference) = CallReference::from_segments(&tenant, &campaign, &lead, &attempt) else {
        return StatusCode::NOT_FOUND;
    };
    // Signatures cover the URL the provider called: our public base plus the path and query.
    let path = uri.path_and_query().map_or(uri.path(), |pq| pq.as_str());
    // Behind API Gateway the base is the host the provider called (the API's own URL cannot be
    // configured into the function: see `bootstrap::wiring::WEBHOOK_BASE_URL`).
    let base = match engine.settings.webhook_base_url.as_str() {
        "" => headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|host| format!("https://{host}"))
            .unwrap_or_default(),
        configured => configured.to_owned(),
    };
    let url = format!("{base}{path}");
    let headers: BTreeMap<String, String> = headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_owned()))
        })
        .collect();
    let request = WebhookRequest {
        url,
        headers,
        body: body.to_vec(),
    };
    match engine.handle_webhook(&provider, &reference, &request).await {
        Ok(WebhookOutcome::Progress | WebhookOutcome::Outcome(_)) => StatusCode::NO_CONTENT,
        Ok(WebhookOutcome::Rejected(WebhookError::BadSignature)) => StatusCode::FORBIDDEN,
        Ok(WebhookOutcome::Rejected(WebhookError::Malformed(_))) => StatusCode::BAD_REQUEST,
        Err(engine::EngineError::UnknownProvider(_)) => StatusCode::NOT_FOUND,
        Err(err) => {
            tracing::error!(%reference, error = %err, "webhook failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}
