//! `/v1/caller-numbers`: the tenant's caller numbers and how each is doing: its figures for a
//! UTC day (calls, answered, answer rate against the tenant's numbers together, average talk
//! time, short calls) and its rest, if it rests (by the health rule or by hand). A person may
//! rest a number by hand or end a rest; the dialers see either within their cache of the
//! tenant (30 s).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use domain::caller_health::{NumberDay, NumberRest};
use domain::ids::TenantId;
use domain::phone::{DefaultRegion, E164};
use ports::store::TenantRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Tenant;
use crate::error::{ApiError, Problem};
use crate::extract::{ValidJson, ValidQuery};

/// Longest rest by hand, in hours (30 days).
const MAX_REST_HOURS: u32 = 720;

/// Which day's figures.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DayQuery {
    /// A UTC day (`2026-06-10`); today when absent.
    day: Option<NaiveDate>,
}

/// One caller number and how it is doing.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CallerNumberView {
    /// E.164.
    number: String,
    /// Its figures for the day.
    #[serde(flatten)]
    figures: NumberDay,
    /// Answered calls per call started (absent before its first call).
    answer_rate: Option<f64>,
    /// The same over every caller number of the tenant that day.
    pool_answer_rate: Option<f64>,
    /// Average talk time of the answered calls, in seconds.
    average_talk_seconds: Option<f64>,
    /// Its rest, while it rests (and a past one until written over).
    rest: Option<NumberRest>,
    /// Whether it rests now: the dialers skip it.
    resting: bool,
}

/// The tenant's caller numbers for one day.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CallerNumberList {
    /// The UTC day of the figures.
    day: NaiveDate,
    items: Vec<CallerNumberView>,
}

/// A rest by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RestRequest {
    /// How long, in hours: 1-720.
    #[schema(minimum = 1, maximum = 720)]
    #[serde(deserialize_with = "domain::config::whole_number::u32")]
    hours: u32,
    /// Why, for the people who read it later; up to 200 characters.
    #[schema(max_length = 200)]
    reason: Option<String>,
}

/// The calling tenant's record (its registered numbers, rests and pools).
pub(crate) async fn tenant_record(
    state: &AppState,
    tenant: &TenantId,
) -> Result<TenantRecord, ApiError> {
    (state.store.get_tenant(tenant).await?).ok_or(ApiError::Unauthorized)
}

/// One of the tenant's registered numbers, from the path (any format with a country code).
fn registered(record: &TenantRecord, raw: &str) -> Result<E164, ApiError> {
    let number = E164::normalize(raw, DefaultRegion::us())
        .map_err(|_| ApiError::NotFound("caller number"))?
        .e164;
    if !record.may_call_from(&number) {
        return Err(ApiError::NotFound("caller number"));
    }
    Ok(number)
}

async fn views(
    state: &AppState,
    record: &TenantRecord,
    day: NaiveDate,
) -> Result<Vec<CallerNumberView>, ApiError> {
    let days = (state.store)
        .caller_days(&record.id, &record.caller_numbers, day)
        .await?;
    let pool = NumberDay::sum(days.iter().map(|(_, d)| d));
    let now = state.clock.now();
    Ok(days
        .into_iter()
        .map(|(number, figures)| {
            let rest = record.rested.get(number.as_str()).cloned();
            CallerNumberView {
                number: number.to_string(),
                answer_rate: figures.answer_rate(),
                pool_answer_rate: pool.answer_rate(),
                average_talk_seconds: figures.average_talk_seconds(),
                figures,
                resting: rest.as_ref().is_some_and(|r| r.holds_at(now)),
                rest,
            }
        })
        .collect())
}

/// Lists the tenant's caller numbers with their figures for a day.
#[utoipa::path(get, path = "/v1/caller-numbers", tag = "caller-numbers", params(DayQuery),
    responses((status = 200, body = CallerNumberList), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ValidQuery(query): ValidQuery<DayQuery>,
) -> Result<Json<CallerNumberList>, ApiError> {
    let record = tenant_record(&state, &tenant).await?;
    let day = query.day.unwrap_or_else(|| state.clock.now().date_naive());
    let items = views(&state, &record, day).await?;
    Ok(Json(CallerNumberList { day, items }))
}

/// Rests a number by hand: the dialers skip it until the rest ends (or is ended).
#[utoipa::path(post, path = "/v1/caller-numbers/{number}/rest", tag = "caller-numbers",
    params(("number" = String, Path, format = "caller-number", description = "The caller number, any format with a country code")),
    request_body = RestRequest,
    responses((status = 200, body = CallerNumberView), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn rest(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(raw): Path<String>,
    ValidJson(request): ValidJson<RestRequest>,
) -> Result<Json<CallerNumberView>, ApiError> {
    let record = tenant_record(&state, &tenant).await?;
    let number = registered(&record, &raw)?;
    if !(1..=MAX_REST_HOURS).contains(&request.hours) {
        return Err(ApiError::field(
            "hours",
            format!("must be 1-{MAX_REST_HOURS}"),
        ));
    }
    let reason = request.reason.unwrap_or_else(|| "rested by hand".into());
    if reason.chars().count() > 200 {
        return Err(ApiError::field("reason", "must be at most 200 characters"));
    }
    let now = state.clock.now();
    let rest = NumberRest {
        since: now,
        until: now + chrono::Duration::hours(i64::from(request.hours)),
        reason,
        by_hand: true,
    };
    if !(state.store)
        .rest_caller_number(&tenant, &number, &rest, false, None)
        .await?
    {
        return Err(ApiError::NotFound("tenant"));
    }
    let record = tenant_record(&state, &tenant).await?;
    let view = (views(&state, &record, now.date_naive()).await?.into_iter())
        .find(|v| v.number == number.as_str())
        .ok_or(ApiError::NotFound("caller number"))?;
    Ok(Json(view))
}

/// Ends a number's rest (by hand or by the health rule); nothing to do if it does not rest.
#[utoipa::path(delete, path = "/v1/caller-numbers/{number}/rest", tag = "caller-numbers",
    params(("number" = String, Path, format = "caller-number", description = "The caller number, any format with a country code")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn restore(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let record = tenant_record(&state, &tenant).await?;
    let number = registered(&record, &raw)?;
    state.store.restore_caller_number(&tenant, &number).await?;
    Ok(StatusCode::NO_CONTENT)
}
