//! The voice provider port: place a call, verify and parse a provider event, look up a call.
//!
//! Adapters: the [`simulator`] (local runs and load tests), and (see their modules) Twilio, the
//! hosted agent platforms Retell AI and Vapi, and a generic HTTP agent platform. Every adapter gets our call reference into the callback URL,
//! signed by the provider, so an event names the lead and attempt it is about.

pub mod http_agent;
pub mod pacing_only;
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

/// The reference a provider route's URL names (`…/{tenant}/{campaign}/{lead}/{attempt}`), as
/// [`ports::voice::CallReference::path`] writes it.
pub(crate) fn reference_in_url(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let segments: Vec<&str> = path.rsplitn(5, '/').take(4).collect();
    let [attempt, lead, campaign, tenant] = segments.as_slice() else {
        return None;
    };
    ports::voice::CallReference::from_segments(tenant, campaign, lead, attempt).map(|r| r.path())
}

/// A lookup's transport error without its URL (a lookup may carry a number in its query) and
/// with any number in the message masked: it goes to logs.
pub(crate) fn lookup_error(err: reqwest::Error) -> ports::voice::LookupError {
    ports::voice::LookupError(domain::phone::redact_numbers(
        &err.without_url().to_string(),
    ))
}

/// An account id for a platform whose account is known by its API key: the platform's name and
/// a digest prefix of the key (the calls-per-second bucket's key, logged freely; never the key).
pub(crate) fn key_account_id(platform: &str, api_key: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(api_key.as_bytes());
    format!("{platform}:{}", hex::encode(&digest[..6]))
}

/// What an agent's post-call data says it learnt, in the fields our set-up guide asks the
/// platforms' analysis to fill: `opt_out` (boolean) wins, then `callback_at` (RFC 3339); else
/// the conversation simply completed.
pub(crate) fn learnt_from(
    data: &serde_json::Value,
) -> (
    domain::retry::Outcome,
    Option<chrono::DateTime<chrono::Utc>>,
) {
    use domain::retry::Outcome;
    let callback_at = data["callback_at"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    if data["opt_out"].as_bool() == Some(true) {
        (Outcome::OptedOut, None)
    } else if callback_at.is_some() {
        (Outcome::CallbackRequested, callback_at)
    } else {
        (Outcome::Completed, None)
    }
}
