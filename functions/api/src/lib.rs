//! The campaign API: JSON under `/v1`, one axum [`Router`] run by `lambda_http` in Lambda and
//! by `axum::serve` locally.
//!
//! Every request but the OpenAPI document and the health check carries
//! `Authorization: Bearer <api key>`, which names the tenant; every read and write is scoped to
//! it through the store's keys, so another tenant's ids answer 404 (they address nothing).
//! Errors are `application/problem+json` (RFC 9457) with a stable `code` ([`error`]).

pub mod admin;
mod agents;
pub mod auth;
mod call_reports;
mod caller_numbers;
mod caller_pools;
mod campaigns;
pub mod console;
mod contact_caps;
mod contacts;
mod dnc;
pub mod error;
mod extract;
pub mod openapi;
pub mod openapi_links;
mod privacy;
mod progress;
mod registries;
mod request_span;
mod results;
pub mod state;
mod tenant;
pub mod tick_now;
pub mod views;
mod webhook_endpoints;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use state::{ApiSettings, AppState};

/// Largest JSON body accepted.
pub const MAX_JSON_BODY: usize = 256 * 1024;
/// Largest CSV body accepted by the bulk Do-Not-Call upload.
pub const MAX_CSV_BODY: usize = 5 * 1024 * 1024;

/// The whole API.
pub fn router(state: AppState) -> Router {
    let json = Router::new()
        .merge(agent_and_campaign_routes())
        .merge(contact_routes())
        .merge(result_routes())
        .route("/v1/quarantine", get(progress::tenant_quarantine))
        .route("/v1/tenant", get(tenant::get))
        .route(
            "/v1/contact-caps",
            get(contact_caps::get).put(contact_caps::put),
        )
        .route("/v1/caller-numbers", get(caller_numbers::list))
        .route(
            "/v1/caller-numbers/{number}/rest",
            post(caller_numbers::rest).delete(caller_numbers::restore),
        )
        .route("/v1/caller-pools", get(caller_pools::list))
        .route(
            "/v1/caller-pools/{name}",
            get(caller_pools::get)
                .put(caller_pools::put)
                .delete(caller_pools::delete),
        )
        .route("/v1/registries", get(registries::list))
        .route(
            "/v1/registries/{registry}/extracts",
            post(registries::create),
        )
        .route(
            "/v1/registries/{registry}/extracts/{extract_id}",
            get(registries::get),
        )
        .merge(webhook_routes())
        .route("/v1/dnc", post(dnc::add).get(dnc::list))
        .route("/v1/dnc/check", post(dnc::check))
        .route("/v1/dnc/remove", post(dnc::remove))
        .route("/v1/dnc/removals", get(dnc::removals))
        .route("/v1/privacy/erase", post(privacy::erase))
        .route(
            "/v1/privacy/retention",
            get(privacy::get_retention).put(privacy::put_retention),
        )
        .route(
            "/v1/privacy/erasures/{erasure_id}",
            get(privacy::get_erasure),
        )
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY));
    let csv = Router::new()
        .route("/v1/dnc/bulk", post(dnc::bulk))
        .layer(DefaultBodyLimit::max(MAX_CSV_BODY));
    Router::new()
        .route("/", get(console::index))
        .route("/console/{*path}", get(console::asset))
        .route("/v1/openapi.json", get(openapi::document))
        .route("/v1/health", get(|| async { "ok" }))
        .merge(json)
        .merge(csv)
        .fallback(error::not_found_route)
        .layer(axum::middleware::from_fn(request_span::request_span))
        .with_state(state)
}

/// The tenant's webhook endpoints and their delivery logs.
fn webhook_routes() -> Router<AppState> {
    use webhook_endpoints as hooks;
    Router::new()
        .route(
            "/v1/webhook-endpoints",
            post(hooks::create).get(hooks::list),
        )
        .route(
            "/v1/webhook-endpoints/{endpoint_id}",
            get(hooks::get).put(hooks::update).delete(hooks::delete),
        )
        .route(
            "/v1/webhook-endpoints/{endpoint_id}/deliveries",
            get(hooks::deliveries),
        )
        .route(
            "/v1/webhook-endpoints/{endpoint_id}/deliveries/{event_id}/redeliver",
            post(hooks::redeliver),
        )
        .route(
            "/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
            post(hooks::rotate_secret),
        )
}

/// Agents, and campaigns with their lifecycle.
fn agent_and_campaign_routes() -> Router<AppState> {
    Router::new()
        .route("/v1/agents", post(agents::create).get(agents::list))
        .route(
            "/v1/agents/{agent_id}",
            get(agents::get).put(agents::update).delete(agents::delete),
        )
        .route(
            "/v1/campaigns",
            post(campaigns::create).get(campaigns::list),
        )
        .route(
            "/v1/campaigns/{campaign_id}",
            get(campaigns::get)
                .put(campaigns::update)
                .delete(campaigns::delete),
        )
        .route(
            "/v1/campaigns/{campaign_id}/launch",
            post(campaigns::launch),
        )
        .route("/v1/campaigns/{campaign_id}/pause", post(campaigns::pause))
        .route(
            "/v1/campaigns/{campaign_id}/resume",
            post(campaigns::resume),
        )
        .route(
            "/v1/campaigns/{campaign_id}/cancel",
            post(campaigns::cancel),
        )
}

/// A campaign's contacts: imports, leads, the preview and the dry run.
fn contact_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/campaigns/{campaign_id}/imports",
            post(contacts::create_import).get(contacts::list_imports),
        )
        .route(
            "/v1/campaigns/{campaign_id}/imports/{import_id}",
            get(contacts::get_import),
        )
        .route(
            "/v1/campaigns/{campaign_id}/leads",
            get(contacts::list_leads),
        )
        .route(
            "/v1/campaigns/{campaign_id}/leads/{lead_id}",
            get(contacts::get_lead),
        )
        .route(
            "/v1/campaigns/{campaign_id}/leads/{lead_id}/skip",
            post(contacts::skip_lead),
        )
        .route(
            "/v1/campaigns/{campaign_id}/preview",
            get(contacts::preview),
        )
        .route(
            "/v1/campaigns/{campaign_id}/dry-run",
            post(contacts::dry_run),
        )
}

/// What a campaign reports: progress, set-aside items, analytics, exports, reconciliation.
fn result_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/campaigns/{campaign_id}/progress",
            get(progress::progress),
        )
        .route(
            "/v1/campaigns/{campaign_id}/quarantine",
            get(progress::quarantine),
        )
        .route(
            "/v1/campaigns/{campaign_id}/analytics",
            get(results::analytics),
        )
        .route(
            "/v1/campaigns/{campaign_id}/exports",
            post(results::create_export),
        )
        .route(
            "/v1/campaigns/{campaign_id}/exports/{export_id}",
            get(results::get_export),
        )
        .route(
            "/v1/campaigns/{campaign_id}/reconcile",
            post(results::request_reconcile).get(results::last_reconcile),
        )
}
