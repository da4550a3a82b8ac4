//! `/v1/caller-pools`: the tenant's named caller pools (`domain::caller_pool`). An agent
//! (`named_pool`) or a campaign (`named_pool`, over its agent's) calls from a pool by name; the
//! dialers read the pools with the tenant record (cached 30 s), so a change reaches running
//! campaigns within that. A pool in use by an agent or a live campaign cannot be deleted.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::caller_pool::{CallerPool, CallerPoolSpec, MAX_POOLS, check_pool_name};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Tenant;
use crate::caller_numbers::tenant_record;
use crate::error::{ApiError, Problem};
use crate::extract::ValidJson;

/// What a reference to a missing pool is told.
pub(crate) const NO_SUCH_POOL: &str = "no caller pool with this name (see /v1/caller-pools)";

/// One named pool.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CallerPoolView {
    /// Its name.
    name: String,
    #[serde(flatten)]
    pool: CallerPool,
}

/// The tenant's named pools, by name.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CallerPoolList {
    items: Vec<CallerPoolView>,
}

fn views(pools: BTreeMap<String, CallerPool>) -> Vec<CallerPoolView> {
    (pools.into_iter())
        .map(|(name, pool)| CallerPoolView { name, pool })
        .collect()
}

/// Lists the tenant's named caller pools.
#[utoipa::path(get, path = "/v1/caller-pools", tag = "caller-numbers",
    responses((status = 200, body = CallerPoolList), (status = 401, body = Problem)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<Json<CallerPoolList>, ApiError> {
    let record = tenant_record(&state, &tenant).await?;
    Ok(Json(CallerPoolList {
        items: views(record.caller_pools),
    }))
}

/// Reads one named pool.
#[utoipa::path(get, path = "/v1/caller-pools/{name}", tag = "caller-numbers",
    params(("name" = String, Path, description = "The pool's name")),
    responses((status = 200, body = CallerPoolView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(name): Path<String>,
) -> Result<Json<CallerPoolView>, ApiError> {
    let mut record = tenant_record(&state, &tenant).await?;
    let pool = (record.caller_pools.remove(&name)).ok_or(ApiError::NotFound("caller pool"))?;
    Ok(Json(CallerPoolView { name, pool }))
}

/// Creates or replaces a named pool: every number must be one of the tenant's registered
/// caller numbers; up to 20 pools.
#[utoipa::path(put, path = "/v1/caller-pools/{name}", tag = "caller-numbers",
    params(("name" = String, Path, description = "1-40 lower-case letters, digits, '-' or '_'")),
    request_body = CallerPoolSpec,
    responses((status = 200, body = CallerPoolView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn put(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(name): Path<String>,
    ValidJson(spec): ValidJson<CallerPoolSpec>,
) -> Result<Json<CallerPoolView>, ApiError> {
    check_pool_name(&name).map_err(|m| ApiError::field("name", m))?;
    let record = tenant_record(&state, &tenant).await?;
    let pool = (spec.parse(|n| record.may_call_from(n))).map_err(ApiError::Validation)?;
    if !(state.store)
        .put_caller_pool(&tenant, &name, &pool, MAX_POOLS)
        .await?
    {
        return Err(ApiError::conflict(
            "too_many_pools",
            format!("a tenant keeps at most {MAX_POOLS} caller pools; delete one first"),
        ));
    }
    Ok(Json(CallerPoolView { name, pool }))
}

/// Deletes a named pool no agent and no live campaign calls from.
#[utoipa::path(delete, path = "/v1/caller-pools/{name}", tag = "caller-numbers",
    params(("name" = String, Path, description = "The pool's name")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let named = |n: &Option<String>| n.as_deref() == Some(name.as_str());
    let agents: Vec<String> = (state.store.list_agents(&tenant).await?.into_iter())
        .filter(|a| named(&a.spec.named_pool))
        .map(|a| a.id.to_string())
        .collect();
    let campaigns =
        crate::agents::live_campaigns_where(&state, &tenant, |c| named(&c.config.named_pool))
            .await?;
    if !agents.is_empty() || !campaigns.is_empty() {
        let mut users = Vec::new();
        if !agents.is_empty() {
            users.push(format!("agents {}", agents.join(", ")));
        }
        if !campaigns.is_empty() {
            users.push(format!("live campaigns {}", campaigns.join(", ")));
        }
        return Err(ApiError::conflict(
            "pool_in_use",
            format!("the pool is used by {}", users.join(" and ")),
        ));
    }
    if !state.store.remove_caller_pool(&tenant, &name).await? {
        return Err(ApiError::NotFound("caller pool"));
    }
    Ok(StatusCode::NO_CONTENT)
}
