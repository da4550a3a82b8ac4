//! The OpenAPI 3.1 document, generated from the handlers and types.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

use crate::openapi_links::Links;
use crate::{
    agents, call_reports, caller_numbers, caller_pools, campaigns, contact_caps, contacts, dnc,
    privacy, progress, registries, results, tenant, webhook_endpoints,
};

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
        components.add_security_scheme(
            "call_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("ct1.{tenant}.{campaign}.{lead}.{attempt}.{expires}.{mac}")
                    .build(),
            ),
        );
    }
}

/// Errors are `application/problem+json` (the handlers' annotations name the `Problem` body;
/// this moves it to its real media type), and every operation documents the errors any request
/// can meet: a malformed request (400), a missing key (401), an unknown id (404), a body too
/// large (413) or of the wrong type (415), invalid fields (422), too many requests (429, with
/// `Retry-After`), an internal failure (500), a busy store (503, with `Retry-After`).
struct ProblemResponses;

const COMMON_ERRORS: [(&str, &str); 9] = [
    ("400", "The request is malformed"),
    ("401", "A valid API key is required"),
    ("404", "Not found (also another tenant's ids)"),
    ("413", "The body is too large"),
    ("415", "The body's media type is not accepted"),
    ("422", "Fields are invalid; every bad field is listed"),
    (
        "429",
        "The tenant's requests this second are spent; retry after the Retry-After seconds",
    ),
    ("500", "Internal error (logged, not detailed)"),
    (
        "503",
        "The store is throttling or briefly unreachable; retry after the Retry-After seconds",
    ),
];

fn problem_content() -> RefOr<Content> {
    RefOr::T(Content::new(Some(RefOr::Ref(Ref::from_schema_name(
        "Problem",
    )))))
}

fn is_problem(content: &RefOr<Content>) -> bool {
    matches!(content, RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem")))
}

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for response in operation.responses.responses.values_mut() {
                    if let RefOr::T(response) = response {
                        let json = response.content.shift_remove("application/json");
                        match json {
                            Some(c) if is_problem(&c) => {
                                response
                                    .content
                                    .insert("application/problem+json".into(), c);
                            }
                            Some(c) => {
                                response.content.insert("application/json".into(), c);
                            }
                            None => {}
                        }
                    }
                }
                for (code, description) in COMMON_ERRORS {
                    operation
                        .responses
                        .responses
                        .entry(code.into())
                        .or_insert_with(|| {
                            let mut response = Response::new(description);
                            response
                                .content
                                .insert("application/problem+json".into(), problem_content());
                            RefOr::T(response)
                        });
                }
            }
        }
    }
}

/// The API's document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Outbound calling campaigns", version = "1.0.0",
        description = "Create campaigns, upload contacts, launch, watch progress. Errors are application/problem+json."),
    modifiers(&BearerAuth, &ProblemResponses, &Links),
    components(schemas(domain::config::RangeSpec, domain::registry::Registry)),
    security(("api_key" = [])),
    paths(
        agents::create, agents::list, agents::get, agents::update, agents::delete,
        campaigns::create, campaigns::list, campaigns::get, campaigns::update, campaigns::delete,
        campaigns::launch, campaigns::pause, campaigns::resume, campaigns::cancel,
        progress::progress, progress::quarantine, progress::tenant_quarantine,
        contacts::create_import, contacts::list_imports, contacts::get_import,
        contacts::list_leads, contacts::get_lead, contacts::skip_lead, contacts::preview, contacts::dry_run,
        dnc::add, dnc::list, dnc::check, dnc::remove, dnc::removals, dnc::bulk,
        privacy::erase, privacy::get_erasure, privacy::get_retention, privacy::put_retention,
        contact_caps::get, contact_caps::put,
        caller_numbers::list, caller_numbers::rest, caller_numbers::restore,
        caller_pools::list, caller_pools::get, caller_pools::put, caller_pools::delete,
        registries::list, registries::create, registries::get,
        tenant::get,
        results::analytics, results::create_export, results::get_export, results::request_reconcile, results::last_reconcile,
        call_reports::report,
        webhook_endpoints::create, webhook_endpoints::list, webhook_endpoints::get,
        webhook_endpoints::update, webhook_endpoints::delete, webhook_endpoints::deliveries,
        webhook_endpoints::redeliver, webhook_endpoints::rotate_secret,
    ),
    tags(
        (name = "agents", description = "AI voice agents"),
        (name = "campaigns", description = "Campaign configuration and progress"),
        (name = "lifecycle", description = "Launch, pause, resume, cancel"),
        (name = "contacts", description = "Uploads, imports, leads, preview, dry run"),
        (name = "dnc", description = "The tenant's Do-Not-Call list"),
        (name = "privacy", description = "Erasing a person's number from everything the tenant holds; how long ended campaigns' leads are kept"),
        (name = "tenant", description = "The key's tenant: its plan, limits and caller numbers (read-only)"),
        (name = "contact-caps", description = "How often the tenant may call one number, over all its campaigns"),
        (name = "caller-numbers", description = "The tenant's caller numbers: each one's day (calls, answer rate, talk time) and its rest"),
        (name = "registries", description = "Government do-not-call registries (US, Canada, UK, Australia): the tenant's extracts, checked by telemarketing calls"),
        (name = "results", description = "Analytics, exports, reconciliation"),
        (name = "agent reports", description = "What the AI agent reports about a call, with the call's token"),
        (name = "webhooks", description = "Endpoints that hear what happened, signed; their delivery logs"),
    )
)]
pub struct ApiDoc;

/// `GET /v1/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
