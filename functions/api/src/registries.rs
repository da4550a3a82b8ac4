//! `/v1/registries`: the government do-not-call registries a telemarketing campaign is checked
//! against (the US National Do Not Call Registry, Canada's National DNCL, the UK's TPS,
//! Australia's Do Not Call Register), the tenant's newest loaded extract of each and its age,
//! and the uploads of new extracts. An extract is the registry's own download (one number a
//! line) with the day it was downloaded; the importer loads it at the CSV importer's rate.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use domain::registry::{Registry, RegistryExtract};
use ports::store::{ExtractRecord, ExtractStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Tenant;
use crate::error::{ApiError, Problem};
use crate::extract::ValidJson;

/// Uploads listed, newest first.
const LISTED_UPLOADS: usize = 50;

/// One registry and the tenant's standing with it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RegistryView {
    /// Its code: `us_national_dnc`, `ca_national_dncl`, `uk_tps`, `au_dncr`.
    registry: String,
    /// Its name.
    name: String,
    /// The country whose numbers it lists (ISO 3166-1 alpha-2; the US registry also lists its
    /// territories').
    country: String,
    /// The oldest, in days, an extract may be to be relied on (31 in the US and Canada, 28 for
    /// the TPS, 30 for Australia).
    max_age_days: u64,
    /// The tenant's newest loaded extract, if any.
    newest: Option<RegistryExtract>,
    /// Its age in days today.
    age_days: Option<i64>,
    /// Whether telemarketing calls to the registry's country may be placed today.
    fresh: bool,
}

/// An upload of an extract.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExtractView {
    id: String,
    registry: String,
    downloaded_on: NaiveDate,
    /// `awaiting_upload`, `loading`, `loaded` or `refused` (see `refusal`).
    status: String,
    /// Lines read so far.
    lines: u64,
    /// Numbers loaded so far.
    numbers: u64,
    /// Lines that were not a number of the registry's country (the first ten's line numbers in
    /// `first_bad_lines`).
    bad_lines: u64,
    first_bad_lines: Vec<u64>,
    refusal: Option<String>,
    created_at: DateTime<Utc>,
    loaded_at: Option<DateTime<Utc>>,
}

impl From<ExtractRecord> for ExtractView {
    fn from(r: ExtractRecord) -> Self {
        let status = match r.status {
            ExtractStatus::AwaitingUpload => "awaiting_upload",
            ExtractStatus::Loading => "loading",
            ExtractStatus::Loaded => "loaded",
            ExtractStatus::Refused => "refused",
        };
        Self {
            id: r.id,
            registry: r.registry.code().to_owned(),
            downloaded_on: r.downloaded_on,
            status: status.to_owned(),
            lines: r.lines,
            numbers: r.numbers,
            bad_lines: r.bad_lines,
            first_bad_lines: r.first_bad_lines,
            refusal: r.refusal,
            created_at: r.created_at,
            loaded_at: r.loaded_at,
        }
    }
}

/// Every registry, and the tenant's recent uploads.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RegistryList {
    registries: Vec<RegistryView>,
    /// The 50 newest uploads.
    uploads: Vec<ExtractView>,
}

/// A new extract to upload.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewExtract {
    /// The day the extract was downloaded from the registry (not in the future, and within the
    /// registry's age limit: an older extract could not be relied on).
    downloaded_on: NaiveDate,
    /// The file's exact size in bytes (1 up to the import limit, 512 MiB by default), signed
    /// into the upload URL.
    #[schema(minimum = 1, maximum = 536870912)]
    #[serde(deserialize_with = "domain::config::whole_number::u64")]
    size_bytes: u64,
}

/// Where to upload the extract.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExtractUpload {
    extract: ExtractView,
    /// Presigned URL: `PUT` the file there with `headers`.
    upload_url: String,
    method: String,
    headers: BTreeMap<String, String>,
    expires_at: DateTime<Utc>,
}

fn registry_from_path(code: &str) -> Result<Registry, ApiError> {
    Registry::parse(code).ok_or(ApiError::NotFound("registry"))
}

/// Lists the registries with the tenant's newest extract of each, and its recent uploads.
#[utoipa::path(get, path = "/v1/registries", tag = "registries",
    responses((status = 200, body = RegistryList), (status = 401, body = Problem)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<Json<RegistryList>, ApiError> {
    let (record, uploads) = tokio::try_join!(
        state.store.get_tenant(&tenant),
        state.store.list_extracts(&tenant, LISTED_UPLOADS)
    )?;
    let newest = (record.ok_or(ApiError::Unauthorized)?).registry_extracts();
    let now = state.clock.now();
    let registries = Registry::ALL
        .into_iter()
        .map(|registry| {
            let extract = newest.get(&registry).cloned();
            RegistryView {
                registry: registry.code().to_owned(),
                name: registry.name().to_owned(),
                country: registry.country().to_owned(),
                max_age_days: registry.max_age_days(),
                age_days: extract.as_ref().map(|e| e.age_days(now)),
                fresh: extract.as_ref().is_some_and(|e| e.fresh_at(registry, now)),
                newest: extract,
            }
        })
        .collect();
    Ok(Json(RegistryList {
        registries,
        uploads: uploads.into_iter().map(ExtractView::from).collect(),
    }))
}

/// Issues a presigned URL to upload an extract of the registry; the importer loads it.
#[utoipa::path(post, path = "/v1/registries/{registry}/extracts", tag = "registries",
    params(("registry" = Registry, Path, description = "us_national_dnc, ca_national_dncl, uk_tps or au_dncr")),
    request_body = NewExtract,
    responses((status = 201, body = ExtractUpload), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(code): Path<String>,
    ValidJson(request): ValidJson<NewExtract>,
) -> Result<(StatusCode, Json<ExtractUpload>), ApiError> {
    let registry = registry_from_path(&code)?;
    let limit = state.settings.max_upload_bytes;
    if !(1..=limit).contains(&request.size_bytes) {
        return Err(ApiError::field(
            "size_bytes",
            format!("must be from 1 to {limit} bytes (the import limit)"),
        ));
    }
    let now = state.clock.now();
    let age = (now.date_naive() - request.downloaded_on).num_days();
    if age < 0 {
        return Err(ApiError::field(
            "downloaded_on",
            "must not be in the future",
        ));
    }
    if age > registry.max_age_days() as i64 {
        return Err(ApiError::field(
            "downloaded_on",
            format!(
                "the extract is {age} days old; {} may be relied on for {} days: download a fresh one",
                registry.name(),
                registry.max_age_days()
            ),
        ));
    }
    let id = ulid::Ulid::generate().to_string().to_lowercase();
    let record =
        ExtractRecord::awaiting_upload(tenant.clone(), registry, id, request.downloaded_on, now);
    state.store.create_extract(&record).await?;
    let key = record.upload_key();
    let put =
        crate::contacts::presigned_put(&state, &key, "text/plain", request.size_bytes, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(ExtractUpload {
            extract: record.into(),
            upload_url: put.url,
            method: "PUT".into(),
            headers: put.headers,
            expires_at: put.expires_at,
        }),
    ))
}

/// One upload of an extract, with its progress.
#[utoipa::path(get, path = "/v1/registries/{registry}/extracts/{extract_id}", tag = "registries",
    params(("registry" = Registry, Path), ("extract_id" = String, Path)),
    responses((status = 200, body = ExtractView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path((code, id)): Path<(String, String)>,
) -> Result<Json<ExtractView>, ApiError> {
    let registry = registry_from_path(&code)?;
    let record = (state.store.get_extract(&tenant, registry, &id).await?)
        .ok_or(ApiError::NotFound("extract"))?;
    Ok(Json(record.into()))
}

/// A telemarketing campaign launches only with a fresh extract of the registry of its default
/// region's country (409 `registry_extract_stale` otherwise, saying which and how old). Leads of
/// other countries are held to their own registry at dial time, where a missing or old extract
/// pauses the campaign.
pub(crate) fn launch_allowed(
    record: &ports::store::TenantRecord,
    config: &domain::config::CampaignConfig,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if config.purpose != domain::config::Purpose::Telemarketing {
        return Ok(());
    }
    let Some(registry) = Registry::for_region(config.default_region) else {
        return Ok(());
    };
    let newest = record.registry_extracts().remove(&registry);
    if newest.as_ref().is_some_and(|e| e.fresh_at(registry, now)) {
        return Ok(());
    }
    let problem = domain::registry::no_fresh_extract_message(registry, newest.as_ref(), now);
    Err(ApiError::conflict(
        "registry_extract_stale",
        format!("a telemarketing campaign needs a fresh registry extract: {problem}"),
    ))
}
