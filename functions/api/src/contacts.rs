//! Contacts of a campaign: uploads and imports, leads, preview and dry run.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use domain::config::{BlackoutSpec, CampaignConfig};
use domain::eligibility::{Screen, screen};
use domain::ids::{CampaignRef, ImportId, LeadId, LeadRef};
use domain::lead::{CounterDelta, Lead, SkipReason};
use domain::status::LeadStatus;
use ports::store::{ImportRecord, LeadCursor, Refusal, WriteError};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Tenant;
use crate::campaigns::find;
use crate::error::{ApiError, Problem};
use crate::extract::{ValidJson, ValidQuery, page_size, path_id};
use crate::views::{
    DryRunItem, DryRunView, ImportList, ImportView, LeadPage, LeadView, PreviewItem, PreviewView,
    UploadView,
};

/// The object key of an upload: the importer reads tenant, campaign and import from it.
pub fn upload_key(tenant: &str, campaign: &str, import: &str) -> String {
    format!("imports/{tenant}/{campaign}/{import}.csv")
}

/// A presigned PUT of exactly `size_bytes` bytes of `content_type` to `key`: the URL, the
/// headers the upload must send, and when the URL expires (contacts and registry extracts).
pub(crate) struct PresignedPut {
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// Signs an upload of `key` for the deployment's upload TTL.
pub(crate) async fn presigned_put(
    state: &AppState,
    key: &str,
    content_type: &str,
    size_bytes: u64,
    now: DateTime<Utc>,
) -> Result<PresignedPut, ApiError> {
    let ttl = state.settings.upload_url_ttl;
    let url = (state.blobs)
        .presign_put(key, content_type, size_bytes, ttl)
        .await?;
    Ok(PresignedPut {
        url,
        headers: BTreeMap::from([
            ("content-type".to_owned(), content_type.to_owned()),
            ("content-length".to_owned(), size_bytes.to_string()),
        ]),
        expires_at: now + Duration::from_std(ttl).unwrap_or_default(),
    })
}

/// What the file to upload is.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUpload {
    /// The file's exact size in bytes (1 up to the deployment's import limit, 512 MiB by
    /// default). It is signed into the upload URL: S3 refuses a body of any other length.
    #[schema(minimum = 1, maximum = 536870912)]
    #[serde(deserialize_with = "domain::config::whole_number::u64")]
    pub size_bytes: u64,
}

/// Issues a presigned URL to upload a CSV of contacts of exactly `size_bytes` bytes.
#[utoipa::path(post, path = "/v1/campaigns/{campaign_id}/imports", tag = "contacts", params(("campaign_id" = String, Path)),
    request_body = NewUpload,
    responses((status = 201, body = UploadView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_import(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
    ValidJson(upload): ValidJson<NewUpload>,
) -> Result<(StatusCode, Json<UploadView>), ApiError> {
    let limit = state.settings.max_upload_bytes;
    if !(1..=limit).contains(&upload.size_bytes) {
        return Err(ApiError::field(
            "size_bytes",
            format!("must be from 1 to {limit} bytes (the import limit)"),
        ));
    }
    let campaign = find(&state, &tenant, campaign_id).await?;
    if !campaign.status.accepts_contacts() {
        return Err(ApiError::InvalidTransition {
            entity: "campaign",
            action: "import contacts into",
            status: campaign.status.to_string(),
        });
    }
    let now = state.clock.now();
    let id = ImportId::parse(ulid::Ulid::generate().to_string().to_lowercase())
        .expect("a ULID is a valid id");
    let key = upload_key(tenant.as_str(), campaign.id.as_str(), id.as_str());
    let record = ImportRecord::awaiting_upload(id.clone(), campaign.reference(), key.clone(), now);
    state.store.put_import(&record, None).await?;
    let put = presigned_put(&state, &key, "text/csv", upload.size_bytes, now).await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadView {
            import_id: id.to_string(),
            upload_url: put.url,
            method: "PUT".into(),
            headers: put.headers,
            expires_at: put.expires_at,
            object_key: key,
        }),
    ))
}

async fn import_view(state: &AppState, record: ImportRecord) -> Result<ImportView, ApiError> {
    let report_url = match &record.report_key {
        Some(key) => Some(
            state
                .blobs
                .presign_get(key, state.settings.download_url_ttl)
                .await?,
        ),
        None => None,
    };
    Ok(ImportView::new(record, report_url))
}

/// Lists the campaign's imports with their reports.
#[utoipa::path(get, path = "/v1/campaigns/{campaign_id}/imports", tag = "contacts", params(("campaign_id" = String, Path)),
    responses((status = 200, body = ImportList), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn list_imports(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
) -> Result<Json<ImportList>, ApiError> {
    let campaign = find(&state, &tenant, campaign_id).await?;
    let mut items = Vec::new();
    for record in state.store.list_imports(&campaign.reference()).await? {
        items.push(import_view(&state, record).await?);
    }
    Ok(Json(ImportList { items }))
}

/// Reads one import and its report.
#[utoipa::path(get, path = "/v1/campaigns/{campaign_id}/imports/{import_id}", tag = "contacts",
    params(("campaign_id" = String, Path), ("import_id" = String, Path)),
    responses((status = 200, body = ImportView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_import(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path((campaign_id, import_id)): Path<(String, String)>,
) -> Result<Json<ImportView>, ApiError> {
    let campaign = find(&state, &tenant, campaign_id).await?;
    let id = path_id(import_id, "import", ImportId::parse)?;
    let record = state
        .store
        .get_import(&campaign.reference(), &id)
        .await?
        .ok_or(ApiError::NotFound("import"))?;
    Ok(Json(import_view(&state, record).await?))
}

/// Query of the lead list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct LeadQuery {
    /// Only leads in this status.
    status: Option<LeadStatus>,
    /// Only leads whose number contains these digits, or whose name contains this text
    /// (ignoring case); 1-100 characters. A search reads at most 2,000 leads per page, so a
    /// page may hold fewer than `limit` items and still have a `next_cursor`.
    #[param(min_length = 1, max_length = 100)]
    q: Option<String>,
    /// From a previous page's `next_cursor`.
    cursor: Option<String>,
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// The most leads one searched page reads.
const SEARCH_SCAN: usize = 2_000;

/// Lists a campaign's leads.
#[utoipa::path(get, path = "/v1/campaigns/{campaign_id}/leads", tag = "contacts",
    params(("campaign_id" = String, Path), LeadQuery),
    responses((status = 200, body = LeadPage), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn list_leads(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
    ValidQuery(query): ValidQuery<LeadQuery>,
) -> Result<Json<LeadPage>, ApiError> {
    let campaign = find(&state, &tenant, campaign_id).await?;
    let limit = page_size(query.limit)?;
    let cursor = match query.cursor {
        Some(c) => Some(
            LeadCursor::decode(&c)
                .ok_or_else(|| ApiError::field("cursor", "not a cursor from this API"))?,
        ),
        None => None,
    };
    let search = match query.q.as_deref() {
        None => None,
        Some(q) if (1..=100).contains(&q.chars().count()) => LeadSearch::new(q),
        Some(_) => return Err(ApiError::field("q", "must be 1-100 characters")),
    };
    let c = campaign.reference();
    let Some(search) = search else {
        let (mut leads, next) = state
            .store
            .list_leads(&c, query.status, cursor, limit)
            .await?;
        attach_all(&state, &c, &mut leads).await?;
        return Ok(Json(LeadPage {
            items: leads.into_iter().map(LeadView::from).collect(),
            next_cursor: next.map(|c| c.encode()),
        }));
    };
    // Each read asks for no more than the matches still wanted, so a page never skips a match.
    let (mut items, mut next, mut scanned) = (Vec::new(), cursor, 0);
    loop {
        let want = limit - items.len();
        let (leads, after) = state.store.list_leads(&c, query.status, next, want).await?;
        scanned += leads.len();
        // Records are read for the matches only.
        let mut matches: Vec<Lead> = leads.into_iter().filter(|l| search.matches(l)).collect();
        attach_all(&state, &c, &mut matches).await?;
        items.extend(matches.into_iter().map(LeadView::from));
        next = after;
        if next.is_none() || items.len() == limit || scanned >= SEARCH_SCAN {
            break;
        }
    }
    Ok(Json(LeadPage {
        items,
        next_cursor: next.map(|c| c.encode()),
    }))
}

/// What a lead search looks for: text in the name, or — when the query is written like a
/// number (digits, spaces, `+-().`) — its digits in the number.
#[derive(Debug)]
struct LeadSearch {
    digits: String,
    text: String,
}

impl LeadSearch {
    /// `None` for a blank query (no filter).
    fn new(q: &str) -> Option<LeadSearch> {
        let q = q.trim();
        let number_like = q
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let digits = if number_like {
            q.chars().filter(char::is_ascii_digit).collect()
        } else {
            String::new()
        };
        (!q.is_empty()).then(|| LeadSearch {
            digits,
            text: q.to_lowercase(),
        })
    }

    fn matches(&self, lead: &Lead) -> bool {
        (!self.digits.is_empty() && lead.contact.phone.to_string().contains(&self.digits))
            || lead
                .contact
                .name
                .as_deref()
                .is_some_and(|n| n.to_lowercase().contains(&self.text))
    }
}

async fn find_lead(
    state: &AppState,
    tenant: &domain::ids::TenantId,
    campaign_id: String,
    lead_id: String,
) -> Result<(LeadRef, Lead), ApiError> {
    let campaign = find(state, tenant, campaign_id).await?;
    let id = path_id(lead_id, "lead", LeadId::parse)?;
    let key = LeadRef {
        campaign: campaign.reference(),
        lead: id,
    };
    let lead = state
        .store
        .get_lead(&key)
        .await?
        .ok_or(ApiError::NotFound("lead"))?;
    Ok((key, lead))
}

/// The lead with its attempt records, to show.
async fn with_records(state: &AppState, key: &LeadRef, mut lead: Lead) -> Result<Lead, ApiError> {
    attach_all(state, &key.campaign, std::slice::from_mut(&mut lead)).await?;
    Ok(lead)
}

/// Attaches every attempt record to leads about to be shown (a page's worth: one batched
/// read per 100 records).
async fn attach_all(state: &AppState, c: &CampaignRef, leads: &mut [Lead]) -> Result<(), ApiError> {
    (state.store)
        .attach_records(c, leads, ports::store::RecordsWanted::All)
        .await?;
    Ok(())
}

/// Reads a lead with its attempt history.
#[utoipa::path(get, path = "/v1/campaigns/{campaign_id}/leads/{lead_id}", tag = "contacts",
    params(("campaign_id" = String, Path), ("lead_id" = String, Path)),
    responses((status = 200, body = LeadView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_lead(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path((campaign_id, lead_id)): Path<(String, String)>,
) -> Result<Json<LeadView>, ApiError> {
    let (key, lead) = find_lead(&state, &tenant, campaign_id, lead_id).await?;
    Ok(Json(with_records(&state, &key, lead).await?.into()))
}

/// Skips a lead that is not final and not on a call.
#[utoipa::path(post, path = "/v1/campaigns/{campaign_id}/leads/{lead_id}/skip", tag = "contacts",
    params(("campaign_id" = String, Path), ("lead_id" = String, Path)),
    responses((status = 200, body = LeadView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub(crate) async fn skip_lead(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path((campaign_id, lead_id)): Path<(String, String)>,
) -> Result<Json<LeadView>, ApiError> {
    for _ in 0..3 {
        let (key, lead) = find_lead(&state, &tenant, campaign_id.clone(), lead_id.clone()).await?;
        if lead.state.status == LeadStatus::Skipped {
            return Ok(Json(with_records(&state, &key, lead).await?.into()));
        }
        let mut next = lead.state.clone();
        next.skip(SkipReason::Manual)
            .map_err(|e| ApiError::InvalidTransition {
                entity: "lead",
                action: e.action,
                status: e.status.to_owned(),
            })?;
        let delta = CounterDelta::between(&lead.state, &next, None);
        let write = ports::store::LeadWrite {
            lead: &key,
            expected_version: lead.state.version,
            state: &next,
            counters: &delta,
            guards: Default::default(),
        };
        match state.store.write_transition(write).await {
            Ok(()) => {
                let skipped = Lead {
                    state: next,
                    ..lead
                };
                return Ok(Json(with_records(&state, &key, skipped).await?.into()));
            }
            Err(WriteError::Refused(Refusal::Stale | Refusal::Conflict)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(
        "concurrent_update",
        "the lead keeps changing; retry",
    ))
}

/// Query of preview and dry run.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SampleQuery {
    /// How many leads, 1-200 (default 10 for a preview, 50 for a dry run).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

fn sample_size(limit: Option<u32>, default: usize, max: usize) -> Result<usize, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if n >= 1 && (n as usize) <= max => Ok(n as usize),
        Some(_) => Err(ApiError::field("limit", format!("must be 1-{max}"))),
    }
}

fn local_text(lead: &Lead, at: DateTime<Utc>) -> Option<String> {
    lead.contact
        .location()
        .zones
        .first()
        .map(|z| at.with_timezone(z).to_rfc3339())
}

fn zone_names(lead: &Lead) -> Vec<String> {
    lead.contact
        .location()
        .zones
        .iter()
        .map(|z| z.name().to_owned())
        .collect()
}

/// The first leads of the campaign, as they will be called: number, zones, local time now.
#[utoipa::path(get, path = "/v1/campaigns/{campaign_id}/preview", tag = "contacts",
    params(("campaign_id" = String, Path), SampleQuery),
    responses((status = 200, body = PreviewView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn preview(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
    ValidQuery(query): ValidQuery<SampleQuery>,
) -> Result<Json<PreviewView>, ApiError> {
    let campaign = find(&state, &tenant, campaign_id).await?;
    let limit = sample_size(query.limit, 10, 200)?;
    let c = campaign.reference();
    let (mut leads, _) = state.store.list_leads(&c, None, None, limit).await?;
    attach_all(&state, &c, &mut leads).await?;
    let now = state.clock.now();
    let items = leads
        .into_iter()
        .map(|lead| PreviewItem {
            zones: zone_names(&lead),
            local_time: local_text(&lead, now),
            lead: lead.into(),
        })
        .collect();
    Ok(Json(PreviewView { items }))
}

/// Assumed average attempt length for projections.
const ASSUMED_CALL_MINUTES: f64 = 3.0;

/// A sample's first dial times (or why they are blocked), and the projected completion.
#[utoipa::path(post, path = "/v1/campaigns/{campaign_id}/dry-run", tag = "contacts",
    params(("campaign_id" = String, Path), SampleQuery),
    responses((status = 200, body = DryRunView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn dry_run(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
    ValidQuery(query): ValidQuery<SampleQuery>,
) -> Result<Json<DryRunView>, ApiError> {
    let campaign = find(&state, &tenant, campaign_id).await?;
    let c = campaign.reference();
    let config = campaign.config.clone();
    let limit = sample_size(query.limit, 50, state.settings.dry_run_max_sample)?;
    let now = state.clock.now();
    let from = config.starts_at.map_or(now, |s| s.max(now));
    let (leads, _) = state.store.list_leads(&c, None, None, limit).await?;
    // One batched DNC read for the page, not one per lead.
    let numbers: Vec<_> = leads.iter().map(|l| l.contact.phone.clone()).collect();
    let on_dnc = state.store.dnc_among(&tenant, &numbers).await?;
    let mut items = Vec::new();
    let mut zone_votes: BTreeMap<String, usize> = BTreeMap::new();
    // The same campaign without its blackout days: which first dials the blackout holds back.
    let unblacked = config.without_blackout();
    let due = |lead: &Lead| lead.state.next_call_at.unwrap_or(from).max(from);
    for lead in &leads {
        if let Some(zone) = lead.contact.location().zones.first() {
            *zone_votes.entry(zone.name().to_owned()).or_default() += 1;
        }
        let (at, blocked) = if lead.state.status.is_final() {
            (None, Some(lead.state.status.to_string()))
        } else if on_dnc.contains(&lead.contact.phone) {
            (None, Some("do_not_call".to_owned()))
        } else {
            first_dial(lead, &config, due(lead))
        };
        let held_by_blackout = at.is_some()
            && !config.blackout.ranges().is_empty()
            && first_dial(lead, &unblacked, due(lead)).0 != at;
        items.push(DryRunItem {
            id: lead.id.to_string(),
            phone: lead.contact.phone.to_string(),
            zones: zone_names(lead),
            first_dial_at: at,
            first_dial_local: at.and_then(|t| local_text(lead, t)),
            blocked,
            held_by_blackout,
        });
    }
    let counters = state.store.counters(&c).await?;
    let pacing = config.pacing;
    let attempts_per_hour = f64::from(pacing.calls_per_hour)
        .min(f64::from(pacing.max_concurrent_calls) * 60.0 / ASSUMED_CALL_MINUTES);
    let zone = zone_votes
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .and_then(|(z, _)| z.parse::<chrono_tz::Tz>().ok())
        .unwrap_or(chrono_tz::Tz::America__New_York);
    let projected = project_completion(
        &config,
        zone,
        from,
        counters.open() as f64,
        attempts_per_hour,
    );
    Ok(Json(DryRunView {
        sample_size: items.len(),
        items,
        open_leads: counters.open(),
        attempts_per_hour,
        projected_completion_at: projected,
        blackout_ahead: blackout_ahead(&config, from),
    }))
}

/// When a lead would first be dialed from `due`, or why never.
fn first_dial(
    lead: &Lead,
    config: &CampaignConfig,
    due: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, Option<String>) {
    match screen(lead, config, due) {
        Screen::Dial => (Some(due), None),
        Screen::Defer(t) => (Some(t), None),
        Screen::Skip(reason) => (None, Some(reason.code().to_owned())),
    }
}

/// The configured blackout entries whose last day is not yet past everywhere (the day before
/// `from`'s UTC date is still current west of UTC).
fn blackout_ahead(config: &CampaignConfig, from: DateTime<Utc>) -> Vec<BlackoutSpec> {
    let yesterday = from.date_naive() - Duration::days(1);
    config
        .spec()
        .schedule
        .blackout
        .iter()
        .filter(|b| b.to.unwrap_or(b.from) >= yesterday)
        .cloned()
        .collect()
}

/// Walks forward an hour at a time, counting only hours the window is open in `zone`, until
/// `remaining` attempts are made at `per_hour`. Gives up after a year or at the end date.
fn project_completion(
    config: &CampaignConfig,
    zone: chrono_tz::Tz,
    from: DateTime<Utc>,
    remaining: f64,
    per_hour: f64,
) -> Option<DateTime<Utc>> {
    if remaining <= 0.0 {
        return Some(from);
    }
    if per_hour <= 0.0 {
        return None;
    }
    let location = domain::window::LeadLocation {
        zones: vec![zone],
        subdivisions: vec![],
    };
    let policy = domain::eligibility::policy(config);
    let mut left = remaining;
    let mut t = from;
    let step = Duration::minutes(15);
    for _ in 0..(365 * 24 * 4) {
        if config.ends_at.is_some_and(|e| t >= e) {
            return None;
        }
        if policy.evaluate(&location, t).is_open() {
            left -= per_hour / 4.0;
            if left <= 0.0 {
                return Some(t + step);
            }
        }
        t += step;
    }
    None
}
