//! The voice provider port: place a call, verify and parse a provider event, look up a call.
//!
//! Adapters: the [`simulator`] (local runs and load tests), and (see their modules) Twilio and a
//! generic HTTP agent platform. Every adapter gets our call reference into the callback URL,
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
