//! The OpenAPI 3.1 document, generated from the handlers and types.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{agents, campaigns, contacts, dnc, progress, results};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("ck.{id}.{secret}")
                    .build(),
            ),
        );
    }
}

/// The API's document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Outbound calling campaigns", version = "1.0.0",
        description = "Create campaigns, upload contacts, launch, watch progress. Errors are application/problem+json."),
    modifiers(&BearerAuth),
    security(("api_key" = [])),
    paths(
        agents::create, agents::list, agents::get, agents::update, agents::delete,
        campaigns::create, campaigns::list, campaigns::get, campaigns::update, campaigns::delete,
        campaigns::launch, campaigns::pause, campaigns::resume, campaigns::cancel,
        progress::progress,
        contacts::create_import, contacts::list_imports, contacts::get_import,
        contacts::list_leads, contacts::get_lead, contacts::skip_lead, contacts::preview, contacts::dry_run,
        dnc::add, dnc::list, dnc::check, dnc::remove, dnc::bulk,
        results::analytics, results::create_export, results::get_export, results::request_reconcile, results::last_reconcile,
    ),
    tags(
        (name = "agents", description = "AI voice agents"),
        (name = "campaigns", description = "Campaign configuration and progress"),
        (name = "lifecycle", description = "Launch, pause, resume, cancel"),
        (name = "contacts", description = "Uploads, imports, leads, preview, dry run"),
        (name = "dnc", description = "The tenant's Do-Not-Call list"),
        (name = "results", description = "Analytics, exports, reconciliation"),
    )
)]
pub struct ApiDoc;

/// `GET /v1/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
