//! `/v1/dnc`: the tenant's Do-Not-Call list. It applies to every campaign of the tenant and
//! is checked at dial time, in the same transaction that starts the call.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use domain::phone::{DefaultRegion, E164};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{Actor, Tenant};
use crate::error::{ApiError, Problem};
use crate::extract::{ValidJson, ValidQuery, page_size};
use crate::views::{
    BULK_LIST_LIMIT, BulkDncResult, DncCheck, DncPage, DncRemovalList, DncRemovalView, DncView,
    MAX_BULK_DNC_NUMBERS, RowRejection,
};

/// A number to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DncRequest {
    /// Any format with a country code, or a US national number.
    #[schema(format = "phone", min_length = 1, max_length = 64)]
    number: String,
}

pub(crate) fn normalize(raw: &str, field: &str) -> Result<E164, ApiError> {
    E164::normalize(raw, DefaultRegion::us())
        .map(|n| n.e164)
        .map_err(|e| ApiError::field(field, e.to_string()))
}

/// Adds a number.
#[utoipa::path(post, path = "/v1/dnc", tag = "dnc", request_body = DncRequest,
    responses((status = 201, body = DncView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
pub(crate) async fn add(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ValidJson(request): ValidJson<DncRequest>,
) -> Result<(StatusCode, Json<DncView>), ApiError> {
    let number = normalize(&request.number, "number")?;
    let now = state.clock.now();
    state.store.add_dnc(&tenant, &number, "api", now).await?;
    Ok((
        StatusCode::CREATED,
        Json(DncView {
            number: number.to_string(),
            source: "api".into(),
            added_at: Some(now.to_rfc3339()),
        }),
    ))
}

/// Query of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DncQuery {
    /// From a previous page's `next_cursor`.
    cursor: Option<String>,
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// Lists the list, in number order.
#[utoipa::path(get, path = "/v1/dnc", tag = "dnc", params(DncQuery),
    responses((status = 200, body = DncPage), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ValidQuery(query): ValidQuery<DncQuery>,
) -> Result<Json<DncPage>, ApiError> {
    let limit = page_size(query.limit)?;
    let after = match query.cursor {
        Some(c) => Some(
            E164::parse_strict(&c)
                .map_err(|_| ApiError::field("cursor", "not a cursor from this API"))?,
        ),
        None => None,
    };
    let (entries, next) = state.store.list_dnc(&tenant, after.as_ref(), limit).await?;
    Ok(Json(DncPage {
        items: entries
            .into_iter()
            .map(|e| DncView {
                number: e.number.to_string(),
                source: e.source,
                added_at: e.added_at,
            })
            .collect(),
        next_cursor: next.map(|n| n.to_string()),
    }))
}

/// Whether a number is on the list. The number travels in the body, never in the URL (paths
/// and query strings are written to access logs).
#[utoipa::path(post, path = "/v1/dnc/check", tag = "dnc", request_body = DncRequest,
    responses((status = 200, body = DncCheck), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn check(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ValidJson(request): ValidJson<DncRequest>,
) -> Result<Json<DncCheck>, ApiError> {
    let number = normalize(&request.number, "number")?;
    let on_list = ports::store::is_dnc(&*state.store, &tenant, &number).await?;
    Ok(Json(DncCheck {
        number: number.to_string(),
        on_list,
    }))
}

/// Takes a number off the list (idempotent). The removal is recorded with the key that made
/// it and when (`GET /v1/dnc/removals`); the number travels in the body, never in the URL.
#[utoipa::path(post, path = "/v1/dnc/remove", tag = "dnc", request_body = DncRequest,
    responses((status = 200, body = DncRemovalView), (status = 204), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
pub(crate) async fn remove(
    State(state): State<AppState>,
    actor: Actor,
    ValidJson(request): ValidJson<DncRequest>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let number = normalize(&request.number, "number")?;
    let by = format!("key:{}", actor.key);
    let removed = (state.store)
        .remove_dnc(&actor.tenant, &number, &by, state.clock.now())
        .await?;
    Ok(match removed {
        Some(removal) => Json(DncRemovalView::from(removal)).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// The most recent removals from the list, newest first (at most 200).
#[utoipa::path(get, path = "/v1/dnc/removals", tag = "dnc",
    responses((status = 200, body = DncRemovalList), (status = 401, body = Problem)))]
pub(crate) async fn removals(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<Json<DncRemovalList>, ApiError> {
    let items = state.store.dnc_removals(&tenant, 200).await?;
    Ok(Json(DncRemovalList {
        items: items.into_iter().map(DncRemovalView::from).collect(),
    }))
}

/// Query of a bulk upload.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct BulkQuery {
    /// ISO 3166-1 alpha-2 region for numbers written without a country code (default `US`).
    #[param(format = "region", pattern = "^[A-Za-z]{2}$")]
    default_region: Option<String>,
}

/// Adds every number of a CSV (`text/csv`, up to 5 MB and 10,000 numbers; a longer list is
/// refused whole, to be sent in parts), read like a contact list (UTF-8,
/// UTF-16 or Windows-1252; `,` `;` tab or `|`): the column a header names as the phone (any of
/// the contact import's names), or the first column of a file without one.
#[utoipa::path(post, path = "/v1/dnc/bulk", tag = "dnc", params(BulkQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = BulkDncResult), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn bulk(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ValidQuery(query): ValidQuery<BulkQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<BulkDncResult>, ApiError> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("text/csv") && !content_type.starts_with("text/plain") {
        return Err(ApiError::UnsupportedMediaType(
            "expected Content-Type: text/csv".into(),
        ));
    }
    let region = match query.default_region.as_deref() {
        Some(code) => DefaultRegion::parse(code)
            .map_err(|e| ApiError::field("default_region", e.to_string()))?,
        None => DefaultRegion::us(),
    };
    let list = domain::import::numbers::read_numbers(&body, region, BULK_LIST_LIMIT)
        .map_err(|refusal| ApiError::field("body", format!("{} ({})", refusal, refusal.code())))?;
    let rejected = (list.rejected.into_iter())
        .map(|r| RowRejection {
            line: r.line,
            value: r.value,
            reason: r.reason.into(),
        })
        .collect();
    let rejected_total = list.rejected_total;
    let numbers: Vec<E164> = list.numbers.into_iter().collect();
    if numbers.len() > MAX_BULK_DNC_NUMBERS {
        return Err(ApiError::field(
            "body",
            format!(
                "at most {MAX_BULK_DNC_NUMBERS} numbers an upload (this file has {}); send it \
                 in parts of {MAX_BULK_DNC_NUMBERS} — nothing was added",
                numbers.len()
            ),
        ));
    }
    let unwritten = state
        .store
        .add_dnc_many(&tenant, &numbers, "csv", state.clock.now())
        .await?;
    if !unwritten.is_empty() {
        tracing::warn!(
            unwritten = unwritten.len(),
            "bulk DNC: numbers left unwritten after every retry"
        );
    }
    Ok(Json(BulkDncResult {
        added: (numbers.len() - unwritten.len()) as u64,
        not_added_total: unwritten.len() as u64,
        not_added: (unwritten.iter().take(BULK_LIST_LIMIT))
            .map(ToString::to_string)
            .collect(),
        rejected,
        rejected_total,
    }))
}
