//! `/v1/campaigns`: configuration and lifecycle.
//!
//! Lifecycle actions are idempotent (repeating one returns the campaign as it is) and make the
//! schedule match the status every time, so a retried request repairs a half-done one:
//! launch creates the campaign's tick schedule, pause disables it, resume enables it, cancel
//! keeps it only while the tick drains open leads (then the tick deletes it).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use domain::config::{CampaignConfig, CampaignSpec};
use domain::eligibility::{Screen, screen};
use domain::ids::{CampaignId, CampaignRef, TenantId};
use domain::status::{CampaignAction, CampaignStatus, LeadStatus, Transition};
use ports::store::{CampaignRecord, NewCampaign, Refusal, WriteError};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Tenant;
use crate::error::{ApiError, Problem};
use crate::extract::{ValidJson, ValidQuery, page_size, path_id};
use crate::views::{CampaignPage, CampaignView};

/// A campaign of the tenant, or 404.
pub(crate) async fn find(
    state: &AppState,
    tenant: &TenantId,
    raw: String,
) -> Result<CampaignRecord, ApiError> {
    let id = path_id(raw, "campaign", CampaignId::parse)?;
    let reference = CampaignRef {
        tenant: tenant.clone(),
        campaign: id,
    };
    state
        .store
        .get_campaign(&reference)
        .await?
        .ok_or(ApiError::NotFound("campaign"))
}

fn parse(spec: CampaignSpec) -> Result<CampaignConfig, ApiError> {
    CampaignConfig::parse(spec).map_err(|e| ApiError::Validation(e.0))
}

async fn require_agent(
    state: &AppState,
    tenant: &TenantId,
    config: &CampaignConfig,
) -> Result<ports::store::AgentRecord, ApiError> {
    state
        .store
        .get_agent(tenant, &config.agent)
        .await?
        .ok_or_else(|| ApiError::field("agent_id", "no agent with this id"))
}

/// The campaign's agent must exist and be able to call out: checked when a campaign is created
/// or changed, so the mistake shows on the form, not first at launch (which checks again: the
/// agent may have been changed since).
async fn require_outbound_agent(
    state: &AppState,
    tenant: &TenantId,
    config: &CampaignConfig,
) -> Result<(), ApiError> {
    let agent = require_agent(state, tenant, config).await?;
    if !agent.spec.mode.can_call_out() {
        return Err(ApiError::field(
            "agent_id",
            "the agent is inbound-only; choose an outbound or hybrid agent",
        ));
    }
    tenant_allows(state, tenant, config, &agent)
        .await
        .map(|_| ())
}

/// What the operators allow the tenant: the agent calls from one of its registered caller
/// numbers, and the transfer number is in one of its countries (another tenant's number or a
/// premium destination abroad would spend someone else's money). Answers the tenant's record,
/// for the launch's other checks.
async fn tenant_allows(
    state: &AppState,
    tenant: &TenantId,
    config: &CampaignConfig,
    agent: &ports::store::AgentRecord,
) -> Result<ports::store::TenantRecord, ApiError> {
    let record = (state.store.get_tenant(tenant).await?).ok_or(ApiError::Unauthorized)?;
    let from = domain::agent::Agent::parse(&agent.spec).map(|a| a.caller_number);
    if !from.as_ref().is_ok_and(|n| record.may_call_from(n)) {
        return Err(ApiError::field(
            "agent_id",
            "the agent's caller number is not one of the tenant's registered caller numbers",
        ));
    }
    if let Some(name) = &config.named_pool
        && !record.caller_pools.contains_key(name)
    {
        return Err(ApiError::field(
            "named_pool",
            crate::caller_pools::NO_SUCH_POOL,
        ));
    }
    if let Some(transfer) = &config.call_handling.transfer_number
        && !record.may_reach(transfer)
    {
        return Err(ApiError::field(
            "call_handling.transfer_number",
            format!(
                "outside the countries this tenant may call ({})",
                record.allowed_countries.join(", ")
            ),
        ));
    }
    Ok(record)
}

fn transition(
    record: &CampaignRecord,
    action: CampaignAction,
) -> Result<Transition<CampaignStatus>, ApiError> {
    record
        .status
        .apply(action)
        .map_err(|e| ApiError::InvalidTransition {
            entity: "campaign",
            action: e.action,
            status: e.status.to_owned(),
        })
}

async fn reload(state: &AppState, c: &CampaignRef) -> Result<Json<CampaignView>, ApiError> {
    let record = state
        .store
        .get_campaign(c)
        .await?
        .ok_or(ApiError::NotFound("campaign"))?;
    Ok(Json(record.into()))
}

/// Creates a campaign in Draft.
#[utoipa::path(post, path = "/v1/campaigns", tag = "campaigns", request_body = CampaignSpec,
    responses((status = 201, body = CampaignView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ValidJson(spec): ValidJson<CampaignSpec>,
) -> Result<(StatusCode, Json<CampaignView>), ApiError> {
    let config = parse(spec)?;
    require_outbound_agent(&state, &tenant, &config).await?;
    let campaign = CampaignRef {
        tenant,
        campaign: CampaignId::parse(ulid::Ulid::generate().to_string().to_lowercase())
            .expect("a ULID is a valid id"),
    };
    let record = state
        .store
        .create_campaign(NewCampaign {
            campaign,
            config,
            now: state.clock.now(),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// Query of the campaign list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    /// Only campaigns in this status.
    status: Option<CampaignStatus>,
    /// From a previous page's `next_cursor`.
    cursor: Option<String>,
    /// Page size, 1-200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// Lists the tenant's campaigns.
#[utoipa::path(get, path = "/v1/campaigns", tag = "campaigns", params(ListQuery),
    responses((status = 200, body = CampaignPage), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<CampaignPage>, ApiError> {
    let limit = page_size(query.limit)?;
    let after = match query.cursor {
        Some(c) => Some(
            CampaignId::parse(c)
                .map_err(|_| ApiError::field("cursor", "not a cursor from this API"))?,
        ),
        None => None,
    };
    let (records, next) = state
        .store
        .list_campaigns(&tenant, query.status, after.as_ref(), limit)
        .await?;
    Ok(Json(CampaignPage {
        items: records.into_iter().map(CampaignView::from).collect(),
        next_cursor: next.map(|c| c.to_string()),
    }))
}

/// Reads a campaign.
#[utoipa::path(get, path = "/v1/campaigns/{campaign_id}", tag = "campaigns", params(("campaign_id" = String, Path)),
    responses((status = 200, body = CampaignView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(find(&state, &tenant, campaign_id).await?.into()))
}

/// Replaces the configuration of a Draft or Paused campaign (bumps its config version).
#[utoipa::path(put, path = "/v1/campaigns/{campaign_id}", tag = "campaigns", params(("campaign_id" = String, Path)),
    request_body = CampaignSpec,
    responses((status = 200, body = CampaignView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
    ValidJson(spec): ValidJson<CampaignSpec>,
) -> Result<Json<CampaignView>, ApiError> {
    let record = find(&state, &tenant, campaign_id).await?;
    transition(&record, CampaignAction::Update)?;
    let config = parse(spec)?;
    require_outbound_agent(&state, &tenant, &config).await?;
    let c = record.reference();
    match state
        .store
        .update_campaign_config(&c, record.config_version, &config, state.clock.now())
        .await
    {
        Ok(()) => reload(&state, &c).await,
        Err(WriteError::Refused(Refusal::Stale)) => {
            // Changed meanwhile: its status may no longer allow updates.
            let now = find(&state, &tenant, c.campaign.to_string()).await?;
            transition(&now, CampaignAction::Update)?;
            Err(ApiError::conflict(
                "concurrent_update",
                "the campaign changed meanwhile; read it again and retry",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// Deletes a Draft campaign.
#[utoipa::path(delete, path = "/v1/campaigns/{campaign_id}", tag = "campaigns", params(("campaign_id" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let record = find(&state, &tenant, campaign_id).await?;
    transition(&record, CampaignAction::Delete)?;
    match state.store.delete_campaign(&record.reference()).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(WriteError::Refused(_)) => {
            let now = state
                .store
                .get_campaign(&record.reference())
                .await?
                .ok_or(ApiError::NotFound("campaign"))?;
            transition(&now, CampaignAction::Delete)?;
            Err(ApiError::conflict(
                "concurrent_update",
                "the campaign changed meanwhile",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// How long after its end a campaign's schedule keeps firing, so the tick can drain it.
const DRAIN_MARGIN: Duration = Duration::days(1);

/// When a campaign's schedule stops: its end plus [`DRAIN_MARGIN`]. Campaign dates are bounded
/// (`domain::config::LATEST_DATE`), so this cannot overflow; if it ever could, the end itself.
fn drain_end(end: DateTime<Utc>) -> DateTime<Utc> {
    end.checked_add_signed(DRAIN_MARGIN).unwrap_or(end)
}

/// Makes the schedule exist and fire (launch, resume, and cancel while draining).
async fn ensure_schedule(
    state: &AppState,
    c: &CampaignRef,
    config: &CampaignConfig,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let start = config.starts_at.filter(|s| *s > now);
    let end = config.ends_at.map(drain_end);
    state.schedules.create(c, start, end).await?;
    Ok(())
}

/// Whether at least one lead can be called: not final, not on the DNC list, consent when
/// required, and a window that opens before the campaign ends. Looks at up to 100 open leads.
async fn check_callable(
    state: &AppState,
    c: &CampaignRef,
    config: &CampaignConfig,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let from = config.starts_at.map_or(now, |s| s.max(now));
    let mut reasons: std::collections::BTreeMap<&'static str, u32> = Default::default();
    for status in [LeadStatus::Pending, LeadStatus::Scheduled] {
        let (leads, _) = state.store.list_leads(c, Some(status), None, 100).await?;
        for lead in leads {
            match screen(&lead, config, from) {
                Screen::Skip(reason) => *reasons.entry(reason.code()).or_default() += 1,
                Screen::Dial | Screen::Defer(_) => {
                    if ports::store::is_dnc(&*state.store, &c.tenant, &lead.contact.phone).await? {
                        *reasons.entry("do_not_call").or_default() += 1;
                    } else {
                        return Ok(());
                    }
                }
            }
        }
    }
    let detail = if reasons.is_empty() {
        "the campaign has no lead to call: import contacts first".to_owned()
    } else {
        let why: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
        format!("no lead can be called ({})", why.join(", "))
    };
    Err(ApiError::conflict("no_callable_leads", detail))
}

/// Launches a Draft campaign: Active, or Scheduled when its start is ahead.
#[utoipa::path(post, path = "/v1/campaigns/{campaign_id}/launch", tag = "lifecycle", params(("campaign_id" = String, Path)),
    responses((status = 200, body = CampaignView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub(crate) async fn launch(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    let record = find(&state, &tenant, campaign_id).await?;
    let c = record.reference();
    let now = state.clock.now();
    let config = record.config.clone();
    let starts_in_future = config.starts_at.is_some_and(|s| s > now);
    match transition(&record, CampaignAction::Launch { starts_in_future })? {
        Transition::Unchanged => {
            ensure_schedule(&state, &c, &config, now).await?;
            return reload(&state, &c).await;
        }
        Transition::Changed(to) => {
            let agent = require_agent(&state, &tenant, &config).await.map_err(|_| {
                ApiError::conflict("agent_missing", "the campaign's agent no longer exists")
            })?;
            if !agent.spec.mode.can_call_out() {
                return Err(ApiError::conflict(
                    "agent_not_outbound",
                    "the campaign's agent is inbound-only; use an outbound or hybrid agent",
                ));
            }
            let tenant_record = match tenant_allows(&state, &tenant, &config, &agent).await {
                Ok(record) => record,
                Err(ApiError::Validation(errors)) => {
                    let detail = errors
                        .into_iter()
                        .map(|e| format!("{}: {}", e.field, e.message));
                    return Err(ApiError::conflict(
                        "not_allowed_for_tenant",
                        detail.collect::<Vec<_>>().join("; "),
                    ));
                }
                Err(err) => return Err(err),
            };
            if config.ends_at.is_some_and(|end| end <= now) {
                return Err(ApiError::conflict(
                    "campaign_ended",
                    "the campaign's end date has passed",
                ));
            }
            crate::registries::launch_allowed(&tenant_record, &config, now)?;
            check_callable(&state, &c, &config, now).await?;
            match move_status(&state, &c, CampaignStatus::Draft, to, now).await {
                Ok(()) => {}
                Err(WriteError::Refused(Refusal::CampaignStatus)) => {
                    // Launched (or changed) concurrently: answer for what it is now.
                    let current = find(&state, &tenant, c.campaign.to_string()).await?;
                    transition(&current, CampaignAction::Launch { starts_in_future })?;
                }
                Err(e) => return Err(e.into()),
            }
            ensure_schedule(&state, &c, &config, now).await?;
            if to == CampaignStatus::Active {
                tick_now(&state, &c).await;
            }
        }
    }
    reload(&state, &c).await
}

/// Moves a campaign's status; where webhooks are delivered, its `campaign.status_changed`
/// event is recorded in the same write and its fan-out queued after.
async fn move_status(
    state: &AppState,
    c: &CampaignRef,
    from: CampaignStatus,
    to: CampaignStatus,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), WriteError> {
    let Some(queue) = &state.webhooks else {
        return state.store.set_campaign_status(c, from, to, now).await;
    };
    let event = engine::webhooks::campaign_status_changed(c, from, to, now, None);
    state
        .store
        .set_campaign_status_telling(c, from, to, now, &event)
        .await?;
    engine::webhooks::announce_on(queue.as_ref(), &c.tenant, &event).await;
    Ok(())
}

/// The campaign's first tick, now: its first calls in seconds rather than at the next minute.
async fn tick_now(state: &AppState, campaign: &CampaignRef) {
    if let Some(ticker) = &state.tick_now {
        ticker.tick_now(campaign).await;
    }
}

async fn simple_action(
    state: &AppState,
    tenant: &TenantId,
    campaign_id: String,
    action: CampaignAction,
) -> Result<(CampaignRecord, std::sync::Arc<CampaignConfig>), ApiError> {
    let record = find(state, tenant, campaign_id).await?;
    let c = record.reference();
    if let Transition::Changed(to) = transition(&record, action)? {
        match move_status(state, &c, record.status, to, state.clock.now()).await {
            Ok(()) => {}
            Err(WriteError::Refused(Refusal::CampaignStatus)) => {
                let current = find(state, tenant, c.campaign.to_string()).await?;
                transition(&current, action)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let config = record.config.clone();
    Ok((record, config))
}

/// Pauses an Active campaign: no new calls; progress is kept. Its schedule stays on, so calls
/// already placed are still settled when past their deadline and the campaign completes at its
/// end date while paused.
#[utoipa::path(post, path = "/v1/campaigns/{campaign_id}/pause", tag = "lifecycle", params(("campaign_id" = String, Path)),
    responses((status = 200, body = CampaignView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub(crate) async fn pause(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    let (record, _) = simple_action(&state, &tenant, campaign_id, CampaignAction::Pause).await?;
    reload(&state, &record.reference()).await
}

/// Resumes a Paused campaign.
#[utoipa::path(post, path = "/v1/campaigns/{campaign_id}/resume", tag = "lifecycle", params(("campaign_id" = String, Path)),
    responses((status = 200, body = CampaignView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub(crate) async fn resume(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    let (record, config) =
        simple_action(&state, &tenant, campaign_id, CampaignAction::Resume).await?;
    let c = record.reference();
    ensure_schedule(&state, &c, &config, state.clock.now()).await?;
    tick_now(&state, &c).await;
    reload(&state, &c).await
}

/// Cancels a Scheduled, Active or Paused campaign for good. Its open leads are skipped
/// (reason: campaign ended) by the next ticks; then the schedule is deleted.
#[utoipa::path(post, path = "/v1/campaigns/{campaign_id}/cancel", tag = "lifecycle", params(("campaign_id" = String, Path)),
    responses((status = 200, body = CampaignView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(campaign_id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    let (record, config) =
        simple_action(&state, &tenant, campaign_id, CampaignAction::Cancel).await?;
    let c = record.reference();
    let counters = state.store.counters(&c).await?;
    if counters.open() == 0 {
        state.schedules.delete(&c).await?;
        // Ended here, not by a tick: its leads' retention is queued here too.
        engine::results::ResultsJob::Retain {
            campaign: c.clone(),
        }
        .enqueue(state.results.as_ref())
        .await
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))?;
    } else {
        // Draining needs ticks, even if the campaign was paused or had not started.
        state
            .schedules
            .create(&c, None, config.ends_at.map(drain_end))
            .await?;
        state.schedules.set_enabled(&c, true).await?;
    }
    reload(&state, &c).await
}
