//! The voice provider port: place a call, verify and parse a provider event, look up a call.
//!
//! Adapters: the [`simulator`] (local runs and load tests), and (see their modules) Twilio, the
//! hosted agent platforms Retell AI and Vapi, and a generic HTTP agent platform. Every adapter gets our call reference into the callback URL,
//! signed by the provider, so an event names the lead and attempt it is about.

pub mod http_agent;
pub mod pacing_only;
pub mod platform;
pub mod retell;
pub mod simulator;
pub mod twilio;
pub mod vapi;

use std::time::Duration;

/// Longest public base URL of the provider routes (`PROVIDER_BASE_URL`): every callback URL a
/// provider is handed starts with it, and Twilio's TwiML budget is counted with it at this
/// bound. The functions refuse a longer one at start.
pub const MAX_PUBLIC_BASE_URL: usize = 120;

/// An HTTP client for a provider's API; a request that outlives `timeout` leaves its call
/// uncertain (looked up before anything else happens to the attempt).
pub(crate) fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .unwrap_or_default()
}

/// A provider's `Retry-After` (seconds), if it sent one.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// A lookup's transport error without its URL (a lookup may carry a number in its query) and
/// with any number in the message masked: it goes to logs.
pub(crate) fn lookup_error(err: reqwest::Error) -> ports::voice::LookupError {
    ports::voice::LookupError(domain::phone::redact_numbers(
        &err.without_url().to_string(),
    ))
}

/// A lookup `GET` answered with JSON: `None` on 404, an error naming `who` on any other
/// failure (the body is not read: it may quote the number).
pub(crate) async fn get_optional_json<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
    who: &str,
) -> Result<Option<T>, ports::voice::LookupError> {
    let response = request.send().await.map_err(lookup_error)?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !response.status().is_success() {
        return Err(ports::voice::LookupError(format!(
            "{who} answered {}",
            response.status()
        )));
    }
    Ok(Some(response.json().await.map_err(lookup_error)?))
}

/// Sends a create-call request. A connection refused before anything was sent certainly
/// placed no call (`Unavailable`); any other transport failure may have (`Uncertain`: looked up
/// before anything else happens to the attempt).
pub(crate) async fn send_create(
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, ports::voice::PlaceCallError> {
    use ports::voice::PlaceCallError;
    match request.send().await {
        Ok(response) => Ok(response),
        Err(err) if err.is_connect() => Err(PlaceCallError::Unavailable),
        Err(_) => Err(PlaceCallError::Uncertain),
    }
}

/// The call a successful create answer names in its JSON `field`; an answer without it is
/// `Uncertain` (the call may exist).
pub(crate) async fn created_call(
    response: reqwest::Response,
    field: &str,
) -> Result<ports::voice::PlacedCall, ports::voice::PlaceCallError> {
    let id = response
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|v| v[field].as_str().map(str::to_owned));
    match id {
        Some(provider_call_id) => Ok(ports::voice::PlacedCall {
            provider_call_id,
            fields_left_out: Vec::new(),
        }),
        None => Err(ports::voice::PlaceCallError::Uncertain),
    }
}
