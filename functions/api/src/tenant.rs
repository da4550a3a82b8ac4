//! `GET /v1/tenant`: the tenant a key acts for, read-only — its plan and the limits it sets, the
//! caller numbers and countries its operators allowed. Changed only by operators
//! (`campaigns admin ...`).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use domain::plan::Plan;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Tenant;
use crate::error::{ApiError, Problem};

/// The limits the tenant works within.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantLimits {
    /// How many campaigns may be live (Scheduled, Active or Paused) at once, by the plan;
    /// absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_campaigns: Option<u32>,
    /// How many are live now.
    pub live_campaigns_now: u32,
    /// Most webhook endpoints the tenant may register.
    pub webhook_endpoints: usize,
    /// API requests per second, over all the tenant's keys (more answer 429).
    pub requests_per_second: u32,
}

/// The tenant, as its key sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantView {
    pub id: String,
    /// Display name.
    pub name: String,
    pub plan: Plan,
    pub limits: TenantLimits,
    /// The caller numbers (E.164) its agents may call from, registered by the operators.
    pub caller_numbers: Vec<String>,
    /// Countries (ISO 3166-1 alpha-2) its leads and transfer numbers may be in.
    pub allowed_countries: Vec<String>,
    /// Days after a campaign ends that its leads are kept (`PUT /v1/privacy/retention`);
    /// absent: kept until erased.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u16>,
    pub created_at: DateTime<Utc>,
}

/// The key's tenant: plan, limits, caller numbers and countries.
#[utoipa::path(get, path = "/v1/tenant", tag = "tenant",
    responses((status = 200, body = TenantView), (status = 401, body = Problem)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<Json<TenantView>, ApiError> {
    let record = state
        .store
        .get_tenant(&tenant)
        .await?
        .ok_or(ApiError::NotFound("tenant"))?;
    Ok(Json(TenantView {
        id: record.id.to_string(),
        name: record.name,
        plan: record.plan,
        limits: TenantLimits {
            live_campaigns: record.plan.live_campaign_limit(),
            live_campaigns_now: record.live_campaigns,
            webhook_endpoints: domain::webhooks::MAX_ENDPOINTS,
            requests_per_second: state.settings.tenant_requests_per_second,
        },
        caller_numbers: record
            .caller_numbers
            .iter()
            .map(|n| n.as_str().to_owned())
            .collect(),
        allowed_countries: record.allowed_countries,
        retention_days: record.retention_days,
        created_at: record.created_at,
    }))
}
