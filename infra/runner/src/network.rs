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

/// The provider events our routes answered with anything but a 2xx (or never answered), each
/// with why: a test that finds one can tell a refused signature (403) from a failed store (500).
#[derive(Clone, Default)]
pub struct RefusedEvents(Arc<std::sync::Mutex<Vec<String>>>);

impl RefusedEvents {
    /// How many events were refused.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// Each refusal: the answer (or the transport error) and the route.
    pub fn reasons(&self) -> Vec<String> {
        self.lock().clone()
    }

    fn record(&self, reason: String) {
        self.lock().push(reason);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How many provider events the network has in flight at once. Real providers send each
/// call's events on their own; one at a time, a slow answer (a loaded emulator) held every
/// later event back, by minutes of virtual time at 300x, until call tokens and signatures
/// expired in the queue: a delay no real network adds.
const EVENTS_IN_FLIGHT: usize = 16;

/// The phone network's side: deliver each due provider event over HTTP to its callback URL,
/// up to [`EVENTS_IN_FLIGHT`] at once.
pub(crate) async fn network_loop(
    simulator: Arc<Simulator>,
    clock: Arc<ScaledClock>,
    refused: RefusedEvents,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let http = reqwest::Client::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(EVENTS_IN_FLIGHT));
    let mut in_flight = tokio::task::JoinSet::new();
    loop {
        for event in simulator.take_due(clock.now()) {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let (http, clock, refused) = (http.clone(), clock.clone(), refused.clone());
            in_flight.spawn(async move {
                deliver(&http, &event, &clock, &refused).await;
                drop(slot);
            });
        }
        while in_flight.try_join_next().is_some() {}
        if sleep_or_stop(&mut stopped, Duration::from_millis(50)).await {
            return;
        }
    }
}

/// How many times the agent sends a report our API answered "send it again" (503 with
/// `Retry-After`, as the report API documents) before it gives up.
const REPORT_TRIES: u32 = 3;
/// The agent report API's route.
const REPORTS_PATH: &str = "/v1/call-reports";

/// Sends one event, signed (where a platform signs) as it leaves; a report the API asked to
/// have sent again is, after the `Retry-After` it gave (on the runner's clock).
async fn deliver(
    http: &reqwest::Client,
    event: &ports::voice::ProviderRequest,
    clock: &ScaledClock,
    refused: &RefusedEvents,
) {
    let mut tries = 0;
    let answer = loop {
        tries += 1;
        // A platform's own events, in its format and signature (its fake's part).
        let (url, body, headers) = match platform_event(&event.url, &event.body, clock.now()) {
            Some(event) => (event.url, event.body, event.headers),
            None => (event.url.clone(), event.body.clone(), event.headers.clone()),
        };
        let mut request = http.post(&url).body(body);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let answer = request.send().await;
        let again = answer.as_ref().ok().and_then(send_again_after);
        match again {
            Some(after) if tries < REPORT_TRIES && url.contains(REPORTS_PATH) => {
                tokio::time::sleep(clock.real(after)).await;
            }
            _ => break (url, answer),
        }
    };
    let (url, answer) = answer;
    match answer {
        Ok(response) if response.status().is_success() => {}
        Ok(response) => {
            let status = response.status();
            tracing::warn!(%status, %url, "provider event refused");
            let said = response.text().await.unwrap_or_default();
            refused.record(format!("{status} {said:.200} from {url}"));
        }
        Err(err) => {
            tracing::warn!(error = %err, "provider event delivery failed");
            refused.record(format!("no answer from {url}: {err}"));
        }
    }
}

/// The wait a 503 with `Retry-After` (in seconds) asks for.
fn send_again_after(response: &reqwest::Response) -> Option<Duration> {
    if response.status() != reqwest::StatusCode::SERVICE_UNAVAILABLE {
        return None;
    }
    let seconds = response.headers().get(reqwest::header::RETRY_AFTER)?;
    Some(Duration::from_secs(seconds.to_str().ok()?.parse().ok()?))
}
