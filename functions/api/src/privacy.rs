//! `/v1/privacy`: erasing a person's number from everything the tenant holds (a data subject's
//! request under GDPR article 17, the CCPA's right to delete).
//!
//! The request puts the number on the DNC list at once (no call to it starts from then on),
//! records the erasure and queues the results worker's `erase` job (`engine::erasure`), which
//! replaces the DNC entry by a keyed marker and deletes the number's leads, reports, exports
//! and uploads. The erasure's record says what was erased; it never holds the number.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use domain::erasure::{ErasedFile, ErasureRecord};
use domain::ids::ErasureId;
use domain::status::CampaignStatus;
use engine::results::ResultsJob;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Tenant;
use crate::error::{ApiError, Problem};
use crate::extract::{ValidJson, path_id};

/// The number to erase.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EraseRequest {
    /// Any format with a country code, or a US national number.
    #[schema(format = "phone", min_length = 1, max_length = 64)]
    number: String,
}

/// A lead erased.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErasedLeadView {
    pub campaign_id: String,
    pub lead_id: String,
    /// Its status when it was erased.
    pub status: String,
    /// Its calls, taken out of the campaign's counters and analytics.
    pub attempts: u8,
}

/// A file deleted.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErasedFileView {
    pub campaign_id: String,
    /// Its key in the data bucket.
    pub key: String,
}

impl From<ErasedFile> for ErasedFileView {
    fn from(file: ErasedFile) -> Self {
        Self {
            campaign_id: file.campaign.to_string(),
            key: file.key,
        }
    }
}

/// What an erasure removed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErasedView {
    /// Leads deleted (one per campaign the number was in).
    pub leads: Vec<ErasedLeadView>,
    /// Exports of those campaigns, deleted (their status is now `withdrawn`).
    pub exports: Vec<String>,
    /// Rejected-rows reports that named the number, deleted.
    pub import_reports: Vec<ErasedFileView>,
    /// Uploaded contact files of finished imports in those campaigns, deleted.
    pub uploads: Vec<ErasedFileView>,
    /// Whether the number's DNC entry was replaced by its keyed marker.
    pub dnc_entry: bool,
    /// Entries of the DNC removal log that named it, deleted.
    pub dnc_log_entries: u32,
    /// Whether its call ledger (frequency caps) was deleted.
    pub call_ledger: bool,
}

/// An erasure.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErasureView {
    pub id: String,
    /// `running`, `completed` or `failed`.
    pub status: String,
    pub requested_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub erased: ErasedView,
}

impl From<ErasureRecord> for ErasureView {
    fn from(record: ErasureRecord) -> Self {
        let erased = record.erased;
        Self {
            id: record.id.to_string(),
            status: record.status.as_str().to_owned(),
            requested_at: record.requested_at,
            finished_at: record.finished_at,
            error: record.error,
            erased: ErasedView {
                leads: (erased.leads.into_iter())
                    .map(|l| ErasedLeadView {
                        campaign_id: l.campaign.to_string(),
                        lead_id: l.lead.to_string(),
                        status: l.status.as_str().to_owned(),
                        attempts: l.attempts,
                    })
                    .collect(),
                exports: erased.exports.iter().map(ToString::to_string).collect(),
                import_reports: erased.import_reports.into_iter().map(Into::into).collect(),
                uploads: erased.uploads.into_iter().map(Into::into).collect(),
                dnc_entry: erased.dnc_entry,
                dnc_log_entries: erased.dnc_log_entries,
                call_ledger: erased.call_ledger,
            },
        }
    }
}

/// Erases a number from the tenant's data: at once it goes on the DNC list (no call to it
/// starts from now on); then, in the background, its leads in every campaign (out of every
/// count), the rejected-rows reports naming it, and the exports and uploaded files of the
/// campaigns it was in are deleted, and its DNC entry becomes a keyed marker that keeps it
/// from being called again without keeping the number. Asking again is harmless (a new
/// erasure that finds what is left). Poll the erasure for what was erased.
#[utoipa::path(post, path = "/v1/privacy/erase", tag = "privacy", request_body = EraseRequest,
    responses((status = 202, body = ErasureView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
pub(crate) async fn erase(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ValidJson(request): ValidJson<EraseRequest>,
) -> Result<(StatusCode, Json<ErasureView>), ApiError> {
    let number = crate::dnc::normalize(&request.number, "number")?;
    let now = state.clock.now();
    state
        .store
        .add_dnc(&tenant, &number, "erasure", now)
        .await?;
    let id = ErasureId::parse(ulid::Ulid::generate().to_string().to_lowercase())
        .expect("a ULID is a valid id");
    let record = ErasureRecord::accepted(id.clone(), tenant.clone(), now);
    state.store.put_erasure(&record).await?;
    ResultsJob::Erase {
        tenant,
        erasure: id,
        number,
    }
    .enqueue(state.results.as_ref())
    .await
    .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))?;
    Ok((StatusCode::ACCEPTED, Json(record.into())))
}

/// An erasure: where it is and what it erased.
#[utoipa::path(get, path = "/v1/privacy/erasures/{erasure_id}", tag = "privacy",
    params(("erasure_id" = String, Path)),
    responses((status = 200, body = ErasureView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_erasure(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(erasure_id): Path<String>,
) -> Result<Json<ErasureView>, ApiError> {
    let id = path_id(erasure_id, "erasure", ErasureId::parse)?;
    let record = state
        .store
        .get_erasure(&tenant, &id)
        .await?
        .ok_or(ApiError::NotFound("erasure"))?;
    Ok(Json(record.into()))
}

/// The longest retention (ten years).
pub const MAX_RETENTION_DAYS: u16 = 3650;

/// The tenant's retention.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionView {
    /// Days after a campaign ends (completes, or is cancelled) that its leads are kept, 1-3650;
    /// `null`: kept until erased.
    #[schema(minimum = 1, maximum = 3650)]
    #[serde(
        default,
        deserialize_with = "domain::config::whole_number::optional_u32"
    )]
    pub days: Option<u32>,
}

/// The tenant's retention: how long an ended campaign's leads are kept.
#[utoipa::path(get, path = "/v1/privacy/retention", tag = "privacy",
    responses((status = 200, body = RetentionView), (status = 401, body = Problem)))]
pub(crate) async fn get_retention(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<Json<RetentionView>, ApiError> {
    let record = state.store.get_tenant(&tenant).await?;
    let record = record.ok_or(ApiError::NotFound("tenant"))?;
    Ok(Json(RetentionView {
        days: record.retention_days.map(u32::from),
    }))
}

/// Sets the tenant's retention. Every ended campaign's leads are then given the expiry it asks
/// for (its end plus the days; DynamoDB deletes them within days of it) or, with `null`, have
/// it taken off, in the background; a campaign that ends later gets it when it ends. Its
/// counters and analytics stay. Files follow the bucket's own rules (exports 30 days, uploads
/// and reports 90).
#[utoipa::path(put, path = "/v1/privacy/retention", tag = "privacy", request_body = RetentionView,
    responses((status = 200, body = RetentionView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
pub(crate) async fn put_retention(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ValidJson(request): ValidJson<RetentionView>,
) -> Result<Json<RetentionView>, ApiError> {
    let days = match request.days {
        None => None,
        Some(days) => match u16::try_from(days) {
            Ok(days) if (1..=MAX_RETENTION_DAYS).contains(&days) => Some(days),
            _ => {
                let message = "must be 1-3650 days, or null to keep the leads";
                return Err(ApiError::field("days", message));
            }
        },
    };
    if !state.store.set_retention(&tenant, days).await? {
        return Err(ApiError::NotFound("tenant"));
    }
    for status in [CampaignStatus::Completed, CampaignStatus::Cancelled] {
        let mut after = None;
        loop {
            let (page, next) = (state.store)
                .list_campaigns(&tenant, Some(status), after.as_ref(), 100)
                .await?;
            for campaign in page {
                let campaign = campaign.reference();
                (ResultsJob::Retain { campaign })
                    .enqueue(state.results.as_ref())
                    .await
                    .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))?;
            }
            match next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    Ok(Json(request))
}
