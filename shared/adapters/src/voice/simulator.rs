//! The simulated phone network: a voice provider for local runs and load tests.
//!
//! It answers `place_call` like a provider, decides each call's fate from a seeded random mix
//! (answered with a duration, no answer, busy, voicemail, failure, opt-out, callback request),
//! and later delivers signed provider events to the call's callback URL, exactly as a real provider
//! would, after (virtual) delays. It can inject faults: duplicated, lost, late and
//! out-of-order events, and 429 / 503 / timeouts on call creation (a timeout may or may not
//! have created the call). It records every call it was asked to place, so tests can check
//! the promises from the network's side: calls per (lead, attempt), concurrency, rates.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use domain::config::{Voicemail, VoicemailAction};
use domain::lead::{AgentStream, AttemptDetails};
use domain::phone::E164;
use domain::retry::{AttemptReport, Outcome};
use hmac::{Hmac, KeyInit, Mac};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use ports::Clock;
use ports::voice::{
    CallControl, CallEvent, CallEventKind, CallLookup, CallReference, CallRequest, LookupError,
    PlaceCallError, PlacedCall, ProviderAccount, ProviderEventError, ProviderRequest,
    VoiceProvider,
};

/// Header carrying `t={unix seconds},v1={hex hmac}`.
pub const SIGNATURE_HEADER: &str = "x-simulator-signature";
/// Signatures older (or newer) than this are refused as replays.
pub const REPLAY_WINDOW: Duration = Duration::minutes(5);

pub use config::{AnswerModel, FaultMix, Outages, OutcomeMix, SimulatorConfig};

/// One call the network was asked to place and did place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedCall {
    /// Our reference.
    pub reference: CallReference,
    pub provider_call_id: String,
    /// The number.
    pub to: E164,
    /// The caller number it came from.
    pub from: E164,
    /// When the network received the request (the call starts).
    pub placed_at: DateTime<Utc>,
    /// When the call ends.
    pub ends_at: DateTime<Utc>,
    /// How it ends.
    pub report: AttemptReport,
    /// Talk time etc.
    pub details: AttemptDetails,
}

/// The JSON body of a simulator event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatorEvent {
    pub call_id: String,
    /// `ringing`, `answered` or `ended`.
    pub event: String,
    /// For `ended`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Talk seconds.
    #[serde(default)]
    pub duration_seconds: u32,
    /// For callbacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_at: Option<DateTime<Utc>>,
    /// Whether the agent left its voicemail message.
    #[serde(default)]
    pub voicemail_left: bool,
    /// The agent's disposition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
    /// For `amd`: the machine-detection verdict (`human`, `machine_start`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
}

#[derive(Debug)]
struct Pending {
    url: String,
    body: Vec<u8>,
    /// For the agent's reports: the per-call token (sent as a bearer token, not signed).
    bearer: Option<String>,
}

#[derive(Debug)]
struct State {
    rng: StdRng,
    calls: Vec<SimulatedCall>,
    by_reference: HashMap<CallReference, usize>,
    outbox: BinaryHeap<Reverse<(DateTime<Utc>, u64)>>,
    pending: HashMap<u64, Pending>,
    seq: u64,
    create_requests: u64,
}

/// The simulated phone network.
pub struct Simulator {
    config: SimulatorConfig,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("account", &self.config.account)
            .finish_non_exhaustive()
    }
}

type HmacSha256 = Hmac<Sha256>;

fn sign(secret: &str, timestamp: i64, url: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(url.as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Ring and talk seconds of a call that ends with `outcome` (talk bounded by the call's limit).
fn timing(rng: &mut StdRng, outcome: Outcome, max_talk: u32) -> (u32, u32) {
    match outcome {
        Outcome::Completed => (
            rng.random_range(3..20),
            rng.random_range(30..400).min(max_talk),
        ),
        Outcome::NoAnswer => (rng.random_range(25..40), 0),
        Outcome::Busy => (rng.random_range(1..4), 0),
        Outcome::Voicemail => (
            rng.random_range(15..30),
            rng.random_range(10..40).min(max_talk),
        ),
        Outcome::Failed => (rng.random_range(1..5), 0),
        // Silence on the line: the person hangs up within seconds.
        Outcome::AgentUnavailable => (rng.random_range(3..15), rng.random_range(2..8)),
        Outcome::OptedOut => (
            rng.random_range(3..15),
            rng.random_range(5..60).min(max_talk),
        ),
        _ => (
            rng.random_range(3..15),
            rng.random_range(20..90).min(max_talk),
        ),
    }
}

impl Simulator {
    /// A network on `clock`.
    pub fn new(config: SimulatorConfig, clock: Arc<dyn Clock>) -> Self {
        let rng = StdRng::seed_from_u64(config.seed);
        Self {
            config,
            clock,
            state: Mutex::new(State {
                rng,
                calls: Vec::new(),
                by_reference: HashMap::new(),
                outbox: BinaryHeap::new(),
                pending: HashMap::new(),
                seq: 0,
                create_requests: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every call placed so far.
    pub fn calls(&self) -> Vec<SimulatedCall> {
        self.lock().calls.clone()
    }

    /// How many create-call requests arrived (placed or not).
    pub fn create_requests(&self) -> u64 {
        self.lock().create_requests
    }

    /// When the next event is due, if any.
    pub fn next_delivery(&self) -> Option<DateTime<Utc>> {
        self.lock().outbox.peek().map(|Reverse((at, _))| *at)
    }

    /// Takes the events due at `now`, signed now, in delivery order.
    pub fn take_due(&self, now: DateTime<Utc>) -> Vec<ProviderRequest> {
        let mut state = self.lock();
        let mut out = Vec::new();
        while let Some(Reverse((at, seq))) = state.outbox.peek().copied() {
            if at > now {
                break;
            }
            state.outbox.pop();
            if let Some(p) = state.pending.remove(&seq) {
                out.push(match p.bearer {
                    Some(token) => agent::report_request(p.url, p.body, &token),
                    None => self.signed(p.url, p.body, now),
                });
            }
        }
        out
    }

    /// A signed event, as the network would send it at `now` (also used by tests to forge
    /// and tamper with deliveries).
    pub fn signed(&self, url: String, body: Vec<u8>, now: DateTime<Utc>) -> ProviderRequest {
        let timestamp = now.timestamp();
        let signature = sign(&self.config.event_secret, timestamp, &url, &body);
        let mut headers = BTreeMap::new();
        headers.insert("content-type".into(), "application/json".into());
        headers.insert(
            SIGNATURE_HEADER.into(),
            format!("t={timestamp},v1={signature}"),
        );
        ProviderRequest { url, headers, body }
    }

    /// How a call placed now ends: its report, details, ring time and whole length.
    fn fate(
        &self,
        state: &mut State,
        request: &CallRequest,
    ) -> (AttemptReport, AttemptDetails, Duration, Duration) {
        let mix = &self.config.outcomes;
        let weights = [
            (Outcome::Completed, mix.completed),
            (Outcome::NoAnswer, mix.no_answer),
            (Outcome::Busy, mix.busy),
            (Outcome::Voicemail, mix.voicemail),
            (Outcome::Failed, mix.failed),
            (Outcome::OptedOut, mix.opted_out),
            (Outcome::CallbackRequested, mix.callback),
        ];
        let total: f64 = weights.iter().map(|(_, w)| w.max(0.0)).sum();
        let mut pick = state.rng.random_range(0.0..total.max(f64::MIN_POSITIVE));
        let mut outcome = Outcome::Completed;
        for (o, w) in weights {
            if pick < w.max(0.0) {
                outcome = o;
                break;
            }
            pick -= w.max(0.0);
        }
        let mut person = matches!(
            outcome,
            Outcome::Completed | Outcome::OptedOut | Outcome::CallbackRequested
        );
        if person && !self.picks_up(state, request) {
            (outcome, person) = (Outcome::NoAnswer, false);
        }
        if person && self.config.outages.agent_down_at(self.clock.now()) {
            outcome = Outcome::AgentUnavailable;
        }
        let max_talk = request.max_duration.as_secs().max(1) as u32;
        let (ring, talk) = timing(&mut state.rng, outcome, max_talk);
        let rng = &mut state.rng;
        let voicemail_left = outcome == Outcome::Voicemail
            && request.voicemail == Voicemail::Detect(VoicemailAction::LeaveMessage);
        let callback_at = (outcome == Outcome::CallbackRequested)
            .then(|| self.clock.now() + Duration::minutes(rng.random_range(60..(48 * 60))));
        let disposition = match outcome {
            Outcome::Completed => Some(if rng.random_bool(0.4) {
                "interested"
            } else {
                "not_interested"
            }),
            Outcome::OptedOut => Some("do_not_call"),
            Outcome::CallbackRequested => Some("callback"),
            _ => None,
        };
        let report = AttemptReport {
            outcome,
            callback_at,
            voicemail_left,
            temporary: false,
        };
        let details = AttemptDetails {
            duration_seconds: talk,
            provider_call_id: None,
            disposition: disposition.map(str::to_owned),
            ..Default::default()
        };
        let ring = Duration::seconds(i64::from(ring));
        (
            report,
            details,
            ring,
            ring + Duration::seconds(i64::from(talk)),
        )
    }

    /// Whether a person who would answer does, seeing the caller number (see
    /// [`AnswerModel`]); no random draw when the model changes nothing.
    fn picks_up(&self, state: &mut State, request: &CallRequest) -> bool {
        let model = &self.config.answers;
        let mut keep = 1.0;
        if model.labelled.contains(&request.from) {
            keep *= model.labelled_answer;
        }
        if domain::caller_choice::closeness(&request.from, &request.to).rank() > 0 {
            keep *= model.distant;
        }
        keep >= 1.0 || state.rng.random_bool(keep.clamp(0.0, 1.0))
    }

    fn schedule(&self, state: &mut State, at: DateTime<Utc>, url: &str, event: &SimulatorEvent) {
        state.seq += 1;
        let seq = state.seq;
        let body = serde_json::to_vec(event).unwrap_or_default();
        state.pending.insert(
            seq,
            Pending {
                url: url.to_owned(),
                body,
                bearer: None,
            },
        );
        state.outbox.push(Reverse((at, seq)));
    }

    fn create(&self, state: &mut State, request: &CallRequest, now: DateTime<Utc>) -> String {
        let provider_call_id = format!("SIM{:08}", state.calls.len() + 1);
        let (report, mut details, ring, length) = self.fate(state, request);
        details.provider_call_id = Some(provider_call_id.clone());
        let ends_at = now + length;
        let faults = self.config.faults.clone();
        let url = request.callback_url.as_str();
        let progress = |event: &str| SimulatorEvent {
            call_id: provider_call_id.clone(),
            event: event.into(),
            outcome: None,
            duration_seconds: 0,
            callback_at: None,
            voicemail_left: false,
            disposition: None,
            answered_by: None,
        };
        // The network sees a completed call; what was said on it (an opt-out, a callback
        // request, the disposition) the agent reports through the agent report API.
        let ended = SimulatorEvent {
            call_id: provider_call_id.clone(),
            event: "ended".into(),
            outcome: Some(agent::network_outcome(report.outcome)),
            duration_seconds: details.duration_seconds,
            callback_at: None,
            voicemail_left: report.voicemail_left,
            disposition: None,
            answered_by: None,
        };
        self.schedule_reports(state, request, now, ends_at, &report, &details);
        self.schedule(state, now + Duration::seconds(1), url, &progress("ringing"));
        for (at, event) in agent::call_life_events(request, &report, now, now + ring, ends_at) {
            let event = SimulatorEvent {
                answered_by: event.answered_by,
                ..progress(&event.name)
            };
            self.schedule(state, at, url, &event);
        }
        let delivery = ends_at + Duration::seconds(state.rng.random_range(1..5));
        if !state.rng.random_bool(faults.lose_event) {
            let at = if state.rng.random_bool(faults.late_event) {
                delivery + Duration::minutes(state.rng.random_range(1..30))
            } else {
                delivery
            };
            self.schedule(state, at, url, &ended);
            if state.rng.random_bool(faults.duplicate_event) {
                let again = at + Duration::seconds(state.rng.random_range(0..120));
                self.schedule(state, again, url, &ended);
            }
            if state.rng.random_bool(faults.out_of_order) {
                let after = at + Duration::seconds(state.rng.random_range(1..30));
                self.schedule(state, after, url, &progress("answered"));
            }
        }
        let call = SimulatedCall {
            reference: request.reference.clone(),
            provider_call_id: provider_call_id.clone(),
            to: request.to.clone(),
            from: request.from.clone(),
            placed_at: now,
            ends_at,
            report,
            details,
        };
        state
            .by_reference
            .insert(call.reference.clone(), state.calls.len());
        state.calls.push(call);
        provider_call_id
    }
}

#[async_trait]
impl VoiceProvider for Simulator {
    fn account(&self) -> &ProviderAccount {
        &self.config.account
    }

    async fn place_call(&self, request: &CallRequest) -> Result<PlacedCall, PlaceCallError> {
        let now = self.clock.now();
        let mut state = self.lock();
        state.create_requests += 1;
        if self.config.outages.account_refusing_at(now) {
            return Err(PlaceCallError::AccountProblem {
                problem: "the simulated account refuses calls (an outage of the test)".into(),
                credentials: false,
            });
        }
        let faults = self.config.faults.clone();
        if state.rng.random_bool(faults.rate_limited) {
            return Err(PlaceCallError::RateLimited {
                retry_after: Some(StdDuration::from_secs(1)),
            });
        }
        if state.rng.random_bool(faults.unavailable) {
            return Err(PlaceCallError::Unavailable);
        }
        if state.rng.random_bool(faults.timeout_without_call) {
            return Err(PlaceCallError::Uncertain);
        }
        let provider_call_id = self.create(&mut state, request, now);
        if state.rng.random_bool(faults.timeout_with_call) {
            return Err(PlaceCallError::Uncertain);
        }
        Ok(PlacedCall {
            provider_call_id,
            fields_left_out: Vec::new(),
        })
    }

    fn parse_event(
        &self,
        request: &ProviderRequest,
        now: DateTime<Utc>,
    ) -> Result<CallEvent, ProviderEventError> {
        let header = request
            .header(SIGNATURE_HEADER)
            .ok_or(ProviderEventError::BadSignature)?;
        let mut timestamp = None;
        let mut signature = None;
        for part in header.split(',') {
            match part.trim().split_once('=') {
                Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
                Some(("v1", v)) => signature = hex::decode(v).ok(),
                _ => {}
            }
        }
        let (timestamp, signature) = timestamp
            .zip(signature)
            .ok_or(ProviderEventError::BadSignature)?;
        let sent =
            DateTime::from_timestamp(timestamp, 0).ok_or(ProviderEventError::BadSignature)?;
        if (now - sent).abs() > REPLAY_WINDOW {
            return Err(ProviderEventError::BadSignature);
        }
        let mut mac = HmacSha256::new_from_slice(self.config.event_secret.as_bytes())
            .map_err(|_| ProviderEventError::BadSignature)?;
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(request.url.as_bytes());
        mac.update(b".");
        mac.update(&request.body);
        mac.verify_slice(&signature)
            .map_err(|_| ProviderEventError::BadSignature)?;
        let event: SimulatorEvent = serde_json::from_slice(&request.body)
            .map_err(|e| ProviderEventError::Malformed(e.to_string()))?;
        let kind = match (event.event.as_str(), event.outcome) {
            ("ended", Some(outcome)) => CallEventKind::Ended {
                report: AttemptReport {
                    outcome,
                    callback_at: event.callback_at,
                    voicemail_left: event.voicemail_left,
                    temporary: false,
                },
                details: AttemptDetails {
                    duration_seconds: event.duration_seconds,
                    provider_call_id: Some(event.call_id.clone()),
                    disposition: event.disposition,
                    ..Default::default()
                },
            },
            ("ended", None) => {
                return Err(ProviderEventError::Malformed(
                    "an ended event needs an outcome".into(),
                ));
            }
            ("stream_started", _) => CallEventKind::AgentStream(AgentStream::Started),
            ("stream_failed", _) => {
                CallEventKind::AgentStream(AgentStream::Failed(agent::STREAM_FAILURE.into()))
            }
            ("amd", _) => CallEventKind::MachineVerdict(
                event
                    .answered_by
                    .clone()
                    .unwrap_or_else(|| "unknown".into()),
            ),
            (other, _) => CallEventKind::Progress(other.to_owned()),
        };
        Ok(CallEvent {
            provider_call_id: event.call_id,
            kind,
        })
    }

    async fn lookup_call(
        &self,
        reference: &CallReference,
        _provider_call_id: Option<&str>,
        _to: &E164,
        _claimed_at: DateTime<Utc>,
    ) -> Result<CallLookup, LookupError> {
        let now = self.clock.now();
        let state = self.lock();
        let Some(call) = state
            .by_reference
            .get(reference)
            .and_then(|i| state.calls.get(*i))
        else {
            return Ok(CallLookup::NotFound);
        };
        if now < call.ends_at {
            return Ok(CallLookup::InProgress {
                provider_call_id: call.provider_call_id.clone(),
            });
        }
        // As the network knows it: what was said on the call is the agent's to report.
        Ok(CallLookup::Ended {
            report: AttemptReport {
                outcome: agent::network_outcome(call.report.outcome),
                callback_at: None,
                voicemail_left: call.report.voicemail_left,
                temporary: false,
            },
            details: AttemptDetails {
                disposition: None,
                ..call.details.clone()
            },
        })
    }
}

#[async_trait]
impl CallControl for Simulator {
    /// The network reports the agent's stream on every answered call (`stream_started`, or
    /// `stream_failed` while the agent is down), as Twilio's `<Stream>` status callback does.
    fn reports_agent_stream(&self) -> bool {
        true
    }
}

mod agent;
mod config;
#[cfg(test)]
mod tests;
