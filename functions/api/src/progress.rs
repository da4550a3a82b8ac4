//! Progress from counters: one item read, whatever the campaign's size.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use domain::status::CampaignStatus;
use domain::status::LeadStatus;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Tenant;
use crate::campaigns::find;
use crate::error::{ApiError, Problem};
use crate::views::QuarantineList;
use ports::store::QuarantineOwner;

/// A campaign's progress: totals, success rate, average call time, counts by status.
#[utoipa::path(get, path = "/v1/campaigns/{campaign_id}/progress", tag = "campaigns", params(("campaign_id" = String, Path)),
    responses((status = 200, body = ProgressView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn progress(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
) -> Result<Json<ProgressView>, ApiError> {
    let campaign = find(&state, &tenant, campaign_id).await?;
    let counters = state.store.counters(&campaign.reference()).await?;
    let finished: i64 = LeadStatus::ALL
        .iter()
        .filter(|s| s.is_final())
        .map(|s| counters.count(*s))
        .sum();
    let completed = counters.count(LeadStatus::Completed);
    let connected: i64 = counters
        .outcomes
        .iter()
        .filter(|(o, _)| o.connected())
        .map(|(_, n)| n)
        .sum();
    // One tally (the counters' outcomes, normalized) for both abandonment figures.
    let tally = counters.tally();
    Ok(Json(ProgressView {
        status: campaign.status,
        as_of: state.clock.now(),
        total: counters.total(),
        finished,
        completed,
        remaining: counters.open(),
        in_flight: counters.in_flight,
        calls_placed: counters.attempts,
        success_rate: (finished > 0).then(|| completed as f64 / finished as f64),
        average_call_seconds: (connected > 0)
            .then(|| counters.talk_seconds as f64 / connected as f64),
        by_status: LeadStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), counters.count(*s)))
            .collect(),
        outcomes: counters
            .outcomes
            .iter()
            .filter(|(_, n)| **n != 0)
            .map(|(o, n)| (o.as_str().to_owned(), *n))
            .collect::<BTreeMap<_, _>>(),
        quarantined: counters.quarantined,
        erased: counters.erased,
        provider_refusals: counters.throttled,
        dnc_hits: counters.dnc_hits,
        abandoned_calls: tally.abandoned(),
        abandonment_rate: tally.abandonment_rate(),
        disclosures_due: counters.disclosures_due,
        disclosures_missed: counters.disclosures_missed,
        pause_reason: campaign.pause_reason,
    }))
}

/// The campaign's items set aside because their stored data cannot be read (leads, imports).
/// Each was logged once when first met; the tenant's own are at `GET /v1/quarantine`.
#[utoipa::path(get, path = "/v1/campaigns/{campaign_id}/quarantine", tag = "campaigns", params(("campaign_id" = String, Path)),
    responses((status = 200, body = QuarantineList), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn quarantine(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
) -> Result<Json<QuarantineList>, ApiError> {
    let campaign = find(&state, &tenant, campaign_id).await?;
    listing(&state, QuarantineOwner::Campaign(&campaign.reference())).await
}

/// The tenant's own items set aside because their stored data cannot be read (campaigns,
/// agents, DNC entries); a campaign's leads and imports are listed under the campaign.
#[utoipa::path(get, path = "/v1/quarantine", tag = "campaigns",
    responses((status = 200, body = QuarantineList), (status = 401, body = Problem)))]
pub(crate) async fn tenant_quarantine(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<Json<QuarantineList>, ApiError> {
    listing(&state, QuarantineOwner::Tenant(&tenant)).await
}

async fn listing(
    state: &AppState,
    owner: QuarantineOwner<'_>,
) -> Result<Json<QuarantineList>, ApiError> {
    let items = state.store.quarantined(owner).await?;
    Ok(Json(QuarantineList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Progress, from counters.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProgressView {
    /// The campaign's status.
    pub status: CampaignStatus,
    /// When these figures were read (the server's clock).
    pub as_of: DateTime<Utc>,
    /// Leads in the campaign.
    pub total: i64,
    /// Leads in a final status (completed, failed or skipped).
    pub finished: i64,
    /// Leads completed (reached).
    pub completed: i64,
    /// Leads still to call or on a call.
    pub remaining: i64,
    /// Calls in progress.
    pub in_flight: i64,
    /// Call attempts started.
    pub calls_placed: i64,
    /// Completed / finished, 0-1 (absent before any lead finishes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
    /// Average talk time of connected calls, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_call_seconds: Option<f64>,
    /// Leads per status.
    pub by_status: BTreeMap<String, i64>,
    /// Attempts per outcome.
    pub outcomes: BTreeMap<String, i64>,
    /// Leads set aside because their stored data cannot be read (not in `total`); listed by
    /// `GET /v1/campaigns/{campaign_id}/quarantine`.
    pub quarantined: i64,
    /// Leads erased at a person's request (`POST /v1/privacy/erase`): not in `total`, their
    /// calls out of every count.
    pub erased: i64,
    /// Call requests the provider refused with 429 or 503 (each put its lead back).
    pub provider_refusals: i64,
    /// Leads found on the do-not-call list when their call came (skipped).
    pub dnc_hits: i64,
    /// Calls a person answered that no agent spoke on (the agent never came): abandoned.
    pub abandoned_calls: i64,
    /// Abandoned per call a person answered, campaign life, 0-1 (the TSR allows 3 %).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abandonment_rate: Option<f64>,
    /// Answered calls owing the agent's disclosures, and those without them (a guardrail).
    pub disclosures_due: i64,
    pub disclosures_missed: i64,
    /// Why a guardrail paused the campaign (absent unless a guardrail did; resume clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_reason: Option<domain::guardrails::PauseReason>,
}
