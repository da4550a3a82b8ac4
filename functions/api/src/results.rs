//! What a campaign produced: analytics (from counters and hourly items, never a scan of
//! leads), exports (written by the results worker, downloaded by presigned URL), and the
//! reconciliation of counters with leads (run by the results worker).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use domain::ids::ExportId;
use domain::results::Analytics;
use engine::results::{ReconcileReport, ResultsJob, new_export};
use ports::store::ExportKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Tenant;
use crate::campaigns::find;
use crate::error::{ApiError, Problem};
use crate::extract::{ValidQuery, path_id};

/// A campaign's analytics: connection and completion rates, average call time, outcome
/// distribution, attempts per lead, and calls per hour.
#[utoipa::path(get, path = "/v1/campaigns/{campaign_id}/analytics", tag = "results", params(("campaign_id" = String, Path)),
    responses((status = 200, body = Analytics), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn analytics(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
) -> Result<Json<Analytics>, ApiError> {
    let campaign = find(&state, &tenant, campaign_id).await?.reference();
    let (counters, hours) = tokio::try_join!(
        state.store.counters(&campaign),
        state.store.hourly_counters(&campaign)
    )?;
    Ok(Json(Analytics::compute(
        &counters.tally(),
        &hours,
        state.clock.now(),
    )))
}

/// What an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportKindView {
    /// One row per lead: its fields, status, attempts, outcome, disposition, times.
    Leads,
    /// One row per attempt and zone: what allowed each call (rules version, local time,
    /// window and legal ranges, DNC check, consent, 24-hour cap, caller number).
    Clearances,
}

impl From<ExportKind> for ExportKindView {
    fn from(kind: ExportKind) -> Self {
        match kind {
            ExportKind::Leads => Self::Leads,
            ExportKind::Clearances => Self::Clearances,
        }
    }
}

/// Which export to start.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportQuery {
    /// `leads` (the default) or `clearances`.
    kind: Option<ExportKindView>,
}

/// An export job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExportView {
    /// The export's id.
    pub id: String,
    /// What it holds.
    pub kind: ExportKindView,
    /// `queued`, `running`, `completed` or `failed`.
    pub status: String,
    /// Rows written (leads; for `clearances`, attempt-zone rows).
    pub rows: u64,
    /// Size of the CSV.
    pub bytes: u64,
    /// Where to download the CSV (valid for an hour), once completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When it was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

async fn export_view(
    state: &AppState,
    record: ports::store::ExportRecord,
) -> Result<ExportView, ApiError> {
    let completed = record.status == ports::store::ExportStatus::Completed;
    let download_url = match completed {
        true => Some(
            state
                .blobs
                .presign_get(&record.object_key, state.settings.download_url_ttl)
                .await?,
        ),
        false => None,
    };
    Ok(ExportView {
        id: record.id.to_string(),
        kind: record.kind.into(),
        status: record.status.as_str().to_owned(),
        rows: record.rows,
        bytes: record.bytes,
        download_url,
        error: record.error,
        created_at: record.created_at,
        finished_at: record.finished_at,
    })
}

/// Starts an export of the campaign: by default its results, one CSV row per lead with its
/// fields, status, attempts, outcome, disposition, talk time and call times; with
/// `kind=clearances`, one row per attempt and zone saying what allowed the call. Poll the
/// export for its URL.
#[utoipa::path(post, path = "/v1/campaigns/{campaign_id}/exports", tag = "results",
    params(("campaign_id" = String, Path), ExportQuery),
    responses((status = 202, body = ExportView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem)))]
pub(crate) async fn create_export(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
    ValidQuery(query): ValidQuery<ExportQuery>,
) -> Result<(StatusCode, Json<ExportView>), ApiError> {
    let campaign = find(&state, &tenant, campaign_id).await?.reference();
    let id = ExportId::parse(ulid::Ulid::generate().to_string().to_lowercase())
        .expect("a ULID is a valid id");
    let kind = match query.kind {
        Some(ExportKindView::Clearances) => ExportKind::Clearances,
        _ => ExportKind::Leads,
    };
    let record = new_export(&campaign, id.clone(), kind, state.clock.now());
    state.store.create_export(&record).await?;
    ResultsJob::Export {
        campaign,
        export: id,
    }
    .enqueue(state.results.as_ref())
    .await
    .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(export_view(&state, record).await?),
    ))
}

/// An export's status, with its download URL once completed.
#[utoipa::path(get, path = "/v1/campaigns/{campaign_id}/exports/{export_id}", tag = "results",
    params(("campaign_id" = String, Path), ("export_id" = String, Path)),
    responses((status = 200, body = ExportView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_export(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path((campaign_id, export_id)): Path<(String, String)>,
) -> Result<Json<ExportView>, ApiError> {
    let campaign = find(&state, &tenant, campaign_id).await?.reference();
    let id = path_id(export_id, "export", ExportId::parse)?;
    let record = state
        .store
        .get_export(&campaign, &id)
        .await?
        .ok_or(ApiError::NotFound("export"))?;
    Ok(Json(export_view(&state, record).await?))
}

/// A reconciliation request's answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReconcileQueued {
    /// Always true: the job is on the results queue; its report replaces the last one.
    pub queued: bool,
}

/// Recomputes the campaign's counters from its leads and repairs drift (asynchronously; read
/// the result with GET).
#[utoipa::path(post, path = "/v1/campaigns/{campaign_id}/reconcile", tag = "results", params(("campaign_id" = String, Path)),
    responses((status = 202, body = ReconcileQueued), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn request_reconcile(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
) -> Result<(StatusCode, Json<ReconcileQueued>), ApiError> {
    let campaign = find(&state, &tenant, campaign_id).await?.reference();
    ResultsJob::Reconcile {
        campaign,
        repair: true,
    }
    .enqueue(state.results.as_ref())
    .await
    .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))?;
    Ok((StatusCode::ACCEPTED, Json(ReconcileQueued { queued: true })))
}

/// The campaign's last reconciliation: the counters that differed from the leads, and whether
/// they were repaired.
#[utoipa::path(get, path = "/v1/campaigns/{campaign_id}/reconcile", tag = "results", params(("campaign_id" = String, Path)),
    responses((status = 200, body = Object), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn last_reconcile(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
) -> Result<Json<ReconcileReport>, ApiError> {
    let campaign = find(&state, &tenant, campaign_id).await?.reference();
    let report = state
        .store
        .reconcile_report(&campaign)
        .await?
        .ok_or(ApiError::NotFound("reconciliation"))?;
    Ok(Json(report))
}
