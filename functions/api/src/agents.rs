//! `/v1/agents`: the tenant's AI voice agents.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::agent::{Agent, AgentMode, AgentSpec};
use domain::ids::{AgentId, TenantId};
use ports::store::AgentRecord;

use crate::AppState;
use crate::auth::Tenant;
use crate::error::{ApiError, Problem};
use crate::extract::{ValidJson, path_id};
use crate::views::{AgentList, AgentView};

fn parse(spec: &AgentSpec) -> Result<Agent, ApiError> {
    Agent::parse(spec).map_err(ApiError::Validation)
}

pub(crate) async fn find(
    state: &AppState,
    tenant: &TenantId,
    raw: String,
) -> Result<AgentRecord, ApiError> {
    let id = path_id(raw, "agent", AgentId::parse)?;
    state
        .store
        .get_agent(tenant, &id)
        .await?
        .ok_or(ApiError::NotFound("agent"))
}

/// An agent calls only from one of its tenant's registered numbers (`admin
/// set-caller-numbers`): never from another tenant's, or an unverified one.
async fn require_registered_number(
    state: &AppState,
    tenant: &TenantId,
    agent: &domain::agent::Agent,
) -> Result<(), ApiError> {
    let record = (state.store.get_tenant(tenant).await?).ok_or(ApiError::Unauthorized)?;
    let unregistered =
        "not one of the tenant's registered caller numbers (the operators register them)";
    if !record.may_call_from(&agent.caller_number) {
        return Err(ApiError::field("caller_number", unregistered));
    }
    if let Some(name) = &agent.named_pool
        && !record.caller_pools.contains_key(name)
    {
        return Err(ApiError::field(
            "named_pool",
            crate::caller_pools::NO_SUCH_POOL,
        ));
    }
    match (agent.caller_pool.iter()).position(|n| !record.may_call_from(n)) {
        // Positions in the normalized pool: the default and repeats are left out of it.
        Some(i) => Err(ApiError::field(&format!("caller_pool[{i}]"), unregistered)),
        None => Ok(()),
    }
}

/// Live campaigns of the tenant that use the agent.
async fn live_campaigns_using(
    state: &AppState,
    tenant: &TenantId,
    agent: &AgentId,
) -> Result<Vec<String>, ApiError> {
    live_campaigns_where(state, tenant, |c| c.config.agent == *agent).await
}

/// The ids of the tenant's live campaigns that `uses` picks.
pub(crate) async fn live_campaigns_where(
    state: &AppState,
    tenant: &TenantId,
    uses: impl Fn(&ports::store::CampaignRecord) -> bool,
) -> Result<Vec<String>, ApiError> {
    let mut using = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = state
            .store
            .list_campaigns(tenant, None, after.as_ref(), 200)
            .await?;
        using.extend(
            page.into_iter()
                .filter(|c| c.status.is_live() && uses(c))
                .map(|c| c.id.to_string()),
        );
        match next {
            Some(n) => after = Some(n),
            None => return Ok(using),
        }
    }
}

/// Creates an agent.
#[utoipa::path(post, path = "/v1/agents", tag = "agents", request_body = AgentSpec,
    responses((status = 201, body = AgentView), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ValidJson(spec): ValidJson<AgentSpec>,
) -> Result<(StatusCode, Json<AgentView>), ApiError> {
    let agent = parse(&spec)?;
    require_registered_number(&state, &tenant, &agent).await?;
    let now = state.clock.now();
    let record = AgentRecord {
        tenant,
        id: AgentId::parse(ulid::Ulid::generate().to_string().to_lowercase())
            .expect("a ULID is a valid id"),
        spec: agent.spec(),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    state.store.put_agent(&record, None).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// Lists the tenant's agents.
#[utoipa::path(get, path = "/v1/agents", tag = "agents",
    responses((status = 200, body = AgentList), (status = 401, body = Problem)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<Json<AgentList>, ApiError> {
    let items = state
        .store
        .list_agents(&tenant)
        .await?
        .into_iter()
        .map(AgentView::from)
        .collect();
    Ok(Json(AgentList { items }))
}

/// Reads an agent.
#[utoipa::path(get, path = "/v1/agents/{agent_id}", tag = "agents", params(("agent_id" = String, Path)),
    responses((status = 200, body = AgentView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(agent_id): Path<String>,
) -> Result<Json<AgentView>, ApiError> {
    Ok(Json(find(&state, &tenant, agent_id).await?.into()))
}

/// Replaces an agent's settings. An agent used by a live campaign cannot become Inbound.
#[utoipa::path(put, path = "/v1/agents/{agent_id}", tag = "agents", params(("agent_id" = String, Path)),
    request_body = AgentSpec,
    responses((status = 200, body = AgentView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(agent_id): Path<String>,
    ValidJson(spec): ValidJson<AgentSpec>,
) -> Result<Json<AgentView>, ApiError> {
    let current = find(&state, &tenant, agent_id).await?;
    let agent = parse(&spec)?;
    require_registered_number(&state, &tenant, &agent).await?;
    if agent.mode == AgentMode::Inbound {
        let using = live_campaigns_using(&state, &tenant, &current.id).await?;
        if !using.is_empty() {
            return Err(ApiError::conflict(
                "agent_in_use",
                format!(
                    "live campaigns use this agent ({}); it cannot become inbound",
                    using.join(", ")
                ),
            ));
        }
    }
    let record = AgentRecord {
        spec: agent.spec(),
        version: current.version + 1,
        updated_at: state.clock.now(),
        ..current.clone()
    };
    state
        .store
        .put_agent(&record, Some(current.version))
        .await?;
    Ok(Json(record.into()))
}

/// Deletes an agent that no live campaign uses.
#[utoipa::path(delete, path = "/v1/agents/{agent_id}", tag = "agents", params(("agent_id" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(agent_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let current = find(&state, &tenant, agent_id).await?;
    let using = live_campaigns_using(&state, &tenant, &current.id).await?;
    if !using.is_empty() {
        return Err(ApiError::conflict(
            "agent_in_use",
            format!("live campaigns use this agent ({})", using.join(", ")),
        ));
    }
    state
        .store
        .delete_agent(&tenant, &current.id, current.version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
