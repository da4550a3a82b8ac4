//! `/v1/webhook-endpoints`: where the tenant's own systems hear what happened (imports,
//! campaign status, calls, opt-outs, exports), signed with a secret shown once; each endpoint's
//! delivery log and a redeliver call. Delivery itself is the webhook worker's (engine
//! `webhooks`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use domain::ids::TenantId;
use domain::webhooks::signature::SECRET_PREFIX;
use domain::webhooks::{DeliveryAttempt, DeliveryStatus, EndpointSpec, Event, EventType};
use ports::store::{DeliveryRecord, EndpointRecord, Refusal, WriteError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Tenant;
use crate::error::{ApiError, Problem};
use crate::extract::{ValidJson, ValidQuery};

/// An endpoint as listed (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EndpointView {
    /// `we_...`.
    pub id: String,
    pub url: String,
    pub events: Vec<EventType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub enabled: bool,
    /// While a rotated-out secret still signs beside the new one: until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// After failures in a row its deliveries are not tried before this (then one try decides
    /// whether they resume); absent while it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<EndpointRecord> for EndpointView {
    fn from(r: EndpointRecord) -> Self {
        Self {
            id: r.id,
            url: r.spec.url,
            events: r.spec.events,
            description: r.spec.description,
            enabled: r.spec.enabled,
            previous_secret_expires_at: r.previous_secret.map(|p| p.until),
            paused_until: r.circuit_open_until,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// How long the old secret keeps signing beside the new one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    /// Hours, 0-168 (default 24): every delivery meanwhile carries a signature with each
    /// secret, so receivers can switch at their pace. 0: the old secret stops at once.
    #[serde(
        default = "default_overlap_hours",
        deserialize_with = "domain::config::whole_number::u32"
    )]
    #[schema(minimum = 0, maximum = 168, default = 24)]
    pub overlap_hours: u32,
}

fn default_overlap_hours() -> u32 {
    24
}

/// A new endpoint, with its signing secret: shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedEndpoint {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// Verifies the `Campaigns-Signature` header (HMAC-SHA-256 over `{t}.{body}`); not
    /// shown again.
    pub secret: String,
}

/// The tenant's endpoints.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EndpointList {
    pub items: Vec<EndpointView>,
}

/// One delivery of one event to the endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    /// The event (as delivered).
    pub event: Event,
    pub status: DeliveryStatus,
    /// Its latest tries, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
    /// When the next try is due (pending only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRecord> for DeliveryView {
    fn from(r: DeliveryRecord) -> Self {
        Self {
            event: r.event,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: r.next_at,
        }
    }
}

/// The endpoint's latest deliveries, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<DeliveryView>,
}

/// How many deliveries to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// 1-100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

fn check(spec: &EndpointSpec, state: &AppState) -> Result<(), ApiError> {
    spec.validate(state.settings.local_webhook_targets)
        .map_err(|bad| {
            ApiError::Validation(
                bad.into_iter()
                    .map(|(field, message)| domain::config::FieldError {
                        field: field.into(),
                        message,
                    })
                    .collect(),
            )
        })
}

async fn find(state: &AppState, tenant: &TenantId, id: &str) -> Result<EndpointRecord, ApiError> {
    state
        .store
        .endpoints(tenant)
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or(ApiError::NotFound("webhook endpoint"))
}

/// A fresh endpoint id and signing secret (32 random bytes).
fn new_id_and_secret() -> (String, String) {
    use base64::Engine;
    use rand::RngExt;
    let id = ulid::Ulid::generate().to_string().to_lowercase();
    let mut secret = [0u8; 32];
    rand::rng().fill(&mut secret);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    (format!("we_{id}"), format!("{SECRET_PREFIX}{secret}"))
}

/// Registers an endpoint. The answer holds its signing secret, shown only here.
#[utoipa::path(post, path = "/v1/webhook-endpoints", tag = "webhooks", request_body = EndpointSpec,
    responses((status = 201, body = CreatedEndpoint), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ValidJson(spec): ValidJson<EndpointSpec>,
) -> Result<(StatusCode, Json<CreatedEndpoint>), ApiError> {
    check(&spec, &state)?;
    let now = state.clock.now();
    let (id, secret) = new_id_and_secret();
    let record = EndpointRecord {
        tenant: tenant.clone(),
        id,
        spec,
        secret,
        previous_secret: None,
        circuit_open_until: None,
        created_at: now,
        updated_at: now,
    };
    match state.store.create_endpoint(&record).await {
        Ok(()) => {}
        Err(WriteError::Refused(Refusal::PlanLimit)) => {
            return Err(ApiError::conflict(
                "endpoint_limit",
                format!(
                    "a tenant may register at most {} webhook endpoints",
                    domain::webhooks::MAX_ENDPOINTS
                ),
            ));
        }
        Err(err) => return Err(err.into()),
    }
    let secret = record.secret.clone();
    Ok((
        StatusCode::CREATED,
        Json(CreatedEndpoint {
            endpoint: record.into(),
            secret,
        }),
    ))
}

/// The tenant's endpoints.
#[utoipa::path(get, path = "/v1/webhook-endpoints", tag = "webhooks",
    responses((status = 200, body = EndpointList), (status = 401, body = Problem)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<Json<EndpointList>, ApiError> {
    let items = state.store.endpoints(&tenant).await?;
    Ok(Json(EndpointList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// One endpoint.
#[utoipa::path(get, path = "/v1/webhook-endpoints/{endpoint_id}", tag = "webhooks",
    params(("endpoint_id" = String, Path)),
    responses((status = 200, body = EndpointView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<Json<EndpointView>, ApiError> {
    Ok(Json(find(&state, &tenant, &id).await?.into()))
}

/// Replaces an endpoint's URL, events, description or enabled flag (its secret stays).
#[utoipa::path(put, path = "/v1/webhook-endpoints/{endpoint_id}", tag = "webhooks",
    params(("endpoint_id" = String, Path)), request_body = EndpointSpec,
    responses((status = 200, body = EndpointView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    ValidJson(spec): ValidJson<EndpointSpec>,
) -> Result<Json<EndpointView>, ApiError> {
    check(&spec, &state)?;
    let now = state.clock.now();
    match state.store.update_endpoint(&tenant, &id, &spec, now).await {
        Ok(()) => {}
        Err(WriteError::Refused(_)) => return Err(ApiError::NotFound("webhook endpoint")),
        Err(err) => return Err(err.into()),
    }
    Ok(Json(find(&state, &tenant, &id).await?.into()))
}

/// Removes an endpoint: nothing more is sent to it.
#[utoipa::path(delete, path = "/v1/webhook-endpoints/{endpoint_id}", tag = "webhooks",
    params(("endpoint_id" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    match state.store.delete_endpoint(&tenant, &id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(WriteError::Refused(_)) => Err(ApiError::NotFound("webhook endpoint")),
        Err(err) => Err(err.into()),
    }
}

/// The endpoint's delivery log: its latest deliveries with their tries and status codes.
#[utoipa::path(get, path = "/v1/webhook-endpoints/{endpoint_id}/deliveries", tag = "webhooks",
    params(("endpoint_id" = String, Path), DeliveryQuery),
    responses((status = 200, body = DeliveryList), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    ValidQuery(query): ValidQuery<DeliveryQuery>,
) -> Result<Json<DeliveryList>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::field("limit", "must be 1-100"));
    }
    find(&state, &tenant, &id).await?;
    let items = state.store.deliveries(&tenant, &id, limit as usize).await?;
    Ok(Json(DeliveryList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Sends an event to the endpoint again, from a fresh backoff (a failed delivery, or one the
/// receiver lost).
#[utoipa::path(post, path = "/v1/webhook-endpoints/{endpoint_id}/deliveries/{event_id}/redeliver", tag = "webhooks",
    params(("endpoint_id" = String, Path), ("event_id" = String, Path)),
    responses((status = 202), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem,
         description = "concurrent_update (a delivery try changed it meanwhile: retry) or webhooks_off")))]
pub(crate) async fn redeliver(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path((id, event)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let Some(queue) = state.webhooks.as_ref() else {
        return Err(ApiError::conflict(
            "webhooks_off",
            "this deployment delivers no webhooks",
        ));
    };
    let now = state.clock.now();
    let found = engine::webhooks::redeliver(
        state.store.as_ref(),
        queue.as_ref(),
        now,
        &tenant,
        &id,
        &event,
    )
    .await
    .map_err(|e| match e {
        engine::EngineError::Store(e) => e.into(),
        engine::EngineError::Write(e) => e.into(),
        other => ApiError::Internal(other.into()),
    })?;
    if found {
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(ApiError::NotFound("delivery"))
    }
}

/// Most hours an old secret may keep signing after a rotation.
const MAX_OVERLAP_HOURS: u32 = 168;

/// Replaces the endpoint's signing secret. The new one is in the answer, shown only here; the
/// old one keeps signing beside it for `overlap_hours` (default 24).
#[utoipa::path(post, path = "/v1/webhook-endpoints/{endpoint_id}/rotate-secret", tag = "webhooks",
    params(("endpoint_id" = String, Path)), request_body = RotateSecret,
    responses((status = 200, body = CreatedEndpoint), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "concurrent_update: another rotation came first"),
        (status = 422, body = Problem)))]
pub(crate) async fn rotate_secret(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<RotateSecret>,
) -> Result<Json<CreatedEndpoint>, ApiError> {
    let hours = body.overlap_hours;
    if hours > MAX_OVERLAP_HOURS {
        return Err(ApiError::field(
            "overlap_hours",
            format!("must be 0-{MAX_OVERLAP_HOURS}"),
        ));
    }
    let current = find(&state, &tenant, &id).await?;
    let (_, secret) = new_id_and_secret();
    let until = (hours > 0).then(|| state.clock.now() + chrono::Duration::hours(i64::from(hours)));
    match (state.store)
        .rotate_secret(&tenant, &id, &current.secret, &secret, until)
        .await
    {
        Ok(()) => {}
        Err(WriteError::Refused(_)) => {
            return Err(ApiError::conflict(
                "concurrent_update",
                "the endpoint changed meanwhile (another rotation?); read it again and retry",
            ));
        }
        Err(err) => return Err(err.into()),
    }
    Ok(Json(CreatedEndpoint {
        endpoint: find(&state, &tenant, &id).await?.into(),
        secret,
    }))
}
