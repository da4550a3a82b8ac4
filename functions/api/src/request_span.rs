//! One span per API request, so every line a request logs (the engine's included) carries its
//! method, path and — once the key is checked — its tenant, and one line tells how it ended.
//! Paths hold ids only: numbers travel in bodies, never in URLs.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// Runs the request inside its span and logs its status and duration.
pub async fn request_span(request: Request, next: Next) -> Response {
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        tenant = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    async move {
        let response = next.run(request).await;
        tracing::info!(
            status = response.status().as_u16(),
            millis = started.elapsed().as_millis() as u64,
            "request handled"
        );
        response
    }
    .instrument(span)
    .await
}

/// Names the request's tenant in its span (called once the API key is known).
pub fn record_tenant(tenant: &domain::ids::TenantId) {
    tracing::Span::current().record("tenant", tenant.as_str());
}
