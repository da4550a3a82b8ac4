//! The simulated AI agent: what it learns on a call it reports through the agent report API,
//! with the call's token, as a real agent would — an opt-out the moment it is said, a callback
//! request before the call ends, the disposition and result fields just after it (often after
//! the network's end-of-call event, so late reports are exercised too). The network itself
//! only sees a completed call.

use chrono::{DateTime, Duration, Utc};
use domain::call_report::{AgentReport, Disposition};
use domain::config::{Voicemail, VoicemailAction};
use domain::lead::AttemptDetails;
use domain::retry::{AttemptReport, Outcome};
use rand::RngExt;

use super::{Pending, Simulator, State};
use ports::voice::{CallRequest, ProviderRequest};

/// The outcome the network reports for a call's fate: opt-outs and callback requests are
/// things said on a completed call.
pub(super) fn network_outcome(fate: Outcome) -> Outcome {
    match fate {
        // The network connected a person; silence on the line is the agent's failure, which
        // the stream's failure tells.
        Outcome::OptedOut | Outcome::CallbackRequested | Outcome::AgentUnavailable => {
            Outcome::Completed
        }
        other => other,
    }
}

/// The stream failure the network reports while the agent is down (Twilio's code for a
/// WebSocket handshake that failed).
pub(super) const STREAM_FAILURE: &str = "31920";

/// An event of the call's life the network sends while the call is up.
pub(super) struct LifeEvent {
    /// `stream_started` or `stream_failed` (the agent's media stream, when a person answers),
    /// `amd` (a machine-detection verdict) or `stream_ended` (the agent's part ended: a
    /// provider with a call flow asks what next).
    pub name: String,
    pub answered_by: Option<String>,
}

/// The agent's stream when a person answers (at `answered`), the machine-detection verdict of
/// an answered call, when the campaign detects machines, and the end of the agent's stream,
/// when the campaign has a transfer number.
pub(super) fn call_life_events(
    request: &CallRequest,
    fate: &AttemptReport,
    placed: DateTime<Utc>,
    answered: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, LifeEvent)> {
    let mut events = Vec::new();
    let agent_down = fate.outcome == Outcome::AgentUnavailable;
    let person = agent_down
        || matches!(
            fate.outcome,
            Outcome::Completed | Outcome::OptedOut | Outcome::CallbackRequested
        );
    if person {
        let name = if agent_down {
            "stream_failed"
        } else {
            "stream_started"
        };
        events.push((
            answered,
            LifeEvent {
                name: name.into(),
                answered_by: None,
            },
        ));
    }
    let answered = person || fate.outcome == Outcome::Voicemail;
    if let (Voicemail::Detect(action), true) = (request.voicemail, answered) {
        let verdict = match (person, action) {
            (true, _) => "human",
            (false, VoicemailAction::LeaveMessage) => "machine_end_beep",
            (false, VoicemailAction::HangUp) => "machine_start",
        };
        let at = placed + (ends_at - placed) * 2 / 5;
        events.push((
            at,
            LifeEvent {
                name: "amd".into(),
                answered_by: Some(verdict.into()),
            },
        ));
    }
    if person && !agent_down && request.transfer_number.is_some() {
        events.push((
            (ends_at - Duration::seconds(1)).max(placed),
            LifeEvent {
                name: "stream_ended".into(),
                answered_by: None,
            },
        ));
    }
    events
}

/// A report as the agent sends it: JSON with the call's token as a bearer token.
pub(super) fn report_request(url: String, body: Vec<u8>, token: &str) -> ProviderRequest {
    let mut headers = std::collections::BTreeMap::new();
    headers.insert("content-type".into(), "application/json".into());
    headers.insert("authorization".into(), format!("Bearer {token}"));
    ProviderRequest { url, headers, body }
}

impl Simulator {
    fn schedule_report(
        &self,
        state: &mut State,
        at: DateTime<Utc>,
        request: &CallRequest,
        report: &AgentReport,
    ) {
        state.seq += 1;
        let seq = state.seq;
        state.pending.insert(
            seq,
            Pending {
                url: request.report_url.clone(),
                body: serde_json::to_vec(report).unwrap_or_default(),
                bearer: Some(request.report_token.clone()),
            },
        );
        state.outbox.push(std::cmp::Reverse((at, seq)));
    }

    /// The agent's disclosures at the start of a call a person answered (at `answered`): the
    /// business identified two seconds in, the opt-out offered two seconds later, reported
    /// together once both are said — unless it forgets (`disclosures_forgotten`).
    fn schedule_disclosures(
        &self,
        state: &mut State,
        request: &CallRequest,
        placed: DateTime<Utc>,
        answered: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        fate: &AttemptReport,
    ) {
        let heard = matches!(
            fate.outcome,
            Outcome::Completed | Outcome::OptedOut | Outcome::CallbackRequested
        );
        let forgets = self.config.disclosures_forgotten;
        if !heard || !self.config.reports_disclosures {
            return;
        }
        if forgets > 0.0 && state.rng.random_bool(forgets.min(1.0)) {
            return;
        }
        let answered = answered.max(placed);
        let disclosures = AgentReport {
            identified_at: Some(answered + Duration::seconds(2)),
            opt_out_offered_at: Some(answered + Duration::seconds(4)),
            ..AgentReport::default()
        };
        let at = (answered + Duration::seconds(5)).min(ends_at - Duration::seconds(1));
        self.schedule_report(state, at.max(placed), request, &disclosures);
    }

    /// Schedules what the agent reports about a call placed at `placed` that ends at `ends_at`
    /// with `fate`. A duplicated-event fault sends the final report twice.
    pub(super) fn schedule_reports(
        &self,
        state: &mut State,
        request: &CallRequest,
        placed: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        fate: &AttemptReport,
        details: &AttemptDetails,
    ) {
        let talk = Duration::seconds(i64::from(details.duration_seconds));
        let during = (ends_at - talk / 2).max(placed);
        self.schedule_disclosures(state, request, placed, ends_at - talk, ends_at, fate);
        match fate.outcome {
            Outcome::OptedOut => {
                let opt_out = AgentReport {
                    opt_out: true,
                    ..AgentReport::default()
                };
                self.schedule_report(state, during, request, &opt_out);
            }
            Outcome::CallbackRequested => {
                let callback = AgentReport {
                    callback_at: fate.callback_at,
                    ..AgentReport::default()
                };
                let before_end = (ends_at - Duration::seconds(1)).max(placed);
                self.schedule_report(state, before_end, request, &callback);
            }
            _ => {}
        }
        let Some(disposition) = details
            .disposition
            .as_deref()
            .and_then(|d| Disposition::parse(d).ok())
        else {
            return;
        };
        let mut last = AgentReport {
            disposition: Some(disposition),
            ..AgentReport::default()
        };
        last.results
            .insert("summary_words".into(), (talk.num_seconds() * 2).to_string());
        let after = ends_at + Duration::seconds(state.rng.random_range(0..6));
        self.schedule_report(state, after, request, &last);
        if state.rng.random_bool(self.config.faults.duplicate_event) {
            let again = after + Duration::seconds(state.rng.random_range(1..60));
            self.schedule_report(state, again, request, &last);
        }
    }
}
