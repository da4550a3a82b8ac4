//! The simulated phone network's side of a local run: each provider event delivered over HTTP
//! to its callback URL, in the platform's own format where the call went through a platform's
//! fake.

use std::sync::Arc;
use std::time::Duration;

use adapters::voice::simulator::Simulator;
use chrono::{DateTime, Utc};
use ports::{Clock, ScaledClock};

use crate::sleep_or_stop;

/// The network's event to `url` as the platform sends it, when `url` is a Retell or Vapi
/// call's route.
fn platform_event(
    url: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Option<ports::voice::ProviderRequest> {
    use system_tests::fake_providers::{ProviderKind, rewrite_event};
    let kind = [ProviderKind::Retell, ProviderKind::Vapi]
        .into_iter()
        .find(|k| url.contains(&format!("/v1/call-events/{}/", k.name())))?;
    rewrite_event(kind, url, body, now)
}

/// The phone network's side: deliver each due provider event over HTTP to its callback URL.
pub(crate) async fn network_loop(
    simulator: Arc<Simulator>,
    clock: Arc<ScaledClock>,
    refused: Arc<std::sync::atomic::AtomicU64>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let refuse = || refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let http = reqwest::Client::new();
    loop {
        for event in simulator.take_due(clock.now()) {
            // A platform's own events, in its format and signature (its fake's part).
            let (url, body, headers) = match platform_event(&event.url, &event.body, clock.now()) {
                Some(event) => (event.url, event.body, event.headers),
                None => (event.url.clone(), event.body.clone(), event.headers.clone()),
            };
            let mut request = http.post(&url).body(body);
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            match request.send().await {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => {
                    refuse();
                    tracing::warn!(status = %response.status(), url = %event.url, "provider event refused")
                }
                Err(err) => {
                    refuse();
                    tracing::warn!(error = %err, "provider event delivery failed")
                }
            }
        }
        if sleep_or_stop(&mut stopped, Duration::from_millis(50)).await {
            return;
        }
    }
}
