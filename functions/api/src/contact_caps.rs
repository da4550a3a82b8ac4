//! `/v1/contact-caps`: how often the tenant may call one number over all its campaigns (per
//! the contact's local day, per rolling 7 days). Every dialer counts the number's calls from
//! every campaign against these in the claim's transaction; a change reaches running
//! campaigns within the engine's cache TTL (30 s).

use axum::Json;
use axum::extract::State;
use domain::contact_caps::{CapsError, ContactCaps};

use crate::AppState;
use crate::auth::Tenant;
use crate::error::{ApiError, Problem};
use crate::extract::ValidJson;

/// The tenant's caps (the defaults until set: 3 per local day, 7 per 7 days).
#[utoipa::path(get, path = "/v1/contact-caps", tag = "contact-caps",
    responses((status = 200, body = ContactCaps), (status = 401, body = Problem)))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<Json<ContactCaps>, ApiError> {
    let record = state.store.get_tenant(&tenant).await?;
    Ok(Json(record.map(|t| t.contact_caps).unwrap_or_default()))
}

/// Replaces the tenant's caps.
#[utoipa::path(put, path = "/v1/contact-caps", tag = "contact-caps", request_body = ContactCaps,
    responses((status = 200, body = ContactCaps), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
pub(crate) async fn put(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ValidJson(caps): ValidJson<ContactCaps>,
) -> Result<Json<ContactCaps>, ApiError> {
    let caps = caps.validated().map_err(|e| {
        let field = match e {
            CapsError::PerDay | CapsError::DayOverWeek => "per_local_day",
            CapsError::PerWeek => "per_7_days",
        };
        ApiError::field(field, e.to_string())
    })?;
    if !state.store.set_contact_caps(&tenant, caps).await? {
        return Err(ApiError::NotFound("tenant"));
    }
    Ok(Json(caps))
}
