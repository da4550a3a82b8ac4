//! What Twilio tells us about a call: its signed callbacks, read into events, and the outcome
//! of a finished call.
//!
//! Three callbacks reach the call's URL, told apart by the `event` query parameter the adapter
//! put on each (Twilio signs the whole URL, so it cannot be changed on the way):
//! - none: the status callback (`CallStatus`, `CallDuration`, `AnsweredBy`, `SipResponseCode`);
//! - `amd`: the asynchronous machine-detection verdict (`AnsweredBy`);
//! - `stream`: the agent's media stream (`StreamEvent`: `stream-started`, `stream-stopped`,
//!   `stream-error` with `StreamError`).

use base64::Engine as _;
use domain::lead::{AgentStream, AttemptDetails};
use domain::retry::{AttemptReport, Outcome};
use hmac::{Hmac, KeyInit, Mac};
use subtle::ConstantTimeEq;

use super::twiml::{EVENT_AMD, EVENT_PARAM, EVENT_STREAM, with_overrides};
use ports::voice::{CallEvent, CallEventKind, ProviderEventError, ProviderRequest};

pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// Twilio's signature of a form POST: base64(HMAC-SHA1(token, url + sorted name+value)).
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_owned();
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `given` signs the request: over the URL as it arrived, or as it was handed to Twilio
/// with the connection overrides' fragment (a fragment never reaches the server; Twilio's
/// helper libraries sign whatever URL they are given, so both forms are accepted).
fn signed(
    auth_token: &str,
    request: &ProviderRequest,
    overrides: &str,
    params: &[(String, String)],
) -> bool {
    let Some(given) = request.header(SIGNATURE_HEADER) else {
        return false;
    };
    let mut urls = vec![request.url.clone()];
    if !overrides.is_empty() {
        urls.push(with_overrides(&request.url, overrides));
    }
    urls.iter().any(|url| {
        let expected = signature(auth_token, url, params);
        bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
    })
}

/// The `event` query parameter of a callback URL.
fn event_of(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == EVENT_PARAM)
        .map(|(_, v)| v.into_owned())
}

/// SIP responses (RFC 3261, section 21) that say the callee could not be reached just now.
fn sip_outcome(code: u16) -> Option<AttemptReport> {
    Some(match code {
        // 486 Busy Here, 600 Busy Everywhere.
        486 | 600 => AttemptReport::of(Outcome::Busy),
        // 408 Request Timeout, 480 Temporarily Unavailable: the callee was not reached in time.
        408 | 480 => AttemptReport::of(Outcome::NoAnswer),
        // 500, 502, 503, 504: the network's own trouble.
        500 | 502 | 503 | 504 => AttemptReport::temporary_failure(),
        _ => return None,
    })
}

/// Our outcome for a finished call, from Twilio's `CallStatus`, `AnsweredBy`, `CallDuration`
/// and, for a failed call, its `SipResponseCode`; `None` while the call is not finished. The
/// provider guide's outcome table is rendered from this function (`outcome_table_markdown`).
pub fn report_of(
    call_status: &str,
    answered_by: Option<&str>,
    duration_seconds: u32,
    sip_response: Option<u16>,
) -> Option<AttemptReport> {
    let machine = answered_by.is_some_and(domain::lead::reports::is_machine);
    Some(match call_status {
        "completed" if machine => AttemptReport::of(Outcome::Voicemail),
        // A "completed" call that never connected for a second is a ring-out the carrier
        // reported as completed.
        "completed" if duration_seconds == 0 && answered_by.is_none() => {
            AttemptReport::of(Outcome::NoAnswer)
        }
        "completed" => AttemptReport::of(Outcome::Completed),
        "busy" => AttemptReport::of(Outcome::Busy),
        "no-answer" => AttemptReport::of(Outcome::NoAnswer),
        "failed" => sip_response
            .and_then(sip_outcome)
            .unwrap_or_else(|| AttemptReport::of(Outcome::Failed)),
        "canceled" => AttemptReport::of(Outcome::Canceled),
        // queued, initiated, ringing, in-progress
        _ => return None,
    })
}

/// [`report_of`]'s outcome alone.
pub fn outcome_of(
    call_status: &str,
    answered_by: Option<&str>,
    duration_seconds: u32,
) -> Option<Outcome> {
    report_of(call_status, answered_by, duration_seconds, None).map(|r| r.outcome)
}

fn details(sid: &str, duration: u32, sip_response: Option<u16>) -> AttemptDetails {
    AttemptDetails {
        duration_seconds: duration,
        provider_call_id: Some(sid.to_owned()),
        // A failure's SIP response is the line's own reason: kept on the attempt.
        disposition: sip_response.map(|code| format!("sip_{code}")),
        ..Default::default()
    }
}

/// Verifies and reads one of Twilio's callbacks (see the module docs).
pub fn parse(
    auth_token: &str,
    overrides: &str,
    request: &ProviderRequest,
) -> Result<CallEvent, ProviderEventError> {
    let params: Vec<(String, String)> =
        form_urlencoded::parse(&request.body).into_owned().collect();
    if !signed(auth_token, request, overrides, &params) {
        return Err(ProviderEventError::BadSignature);
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let sid = get("CallSid")
        .ok_or_else(|| ProviderEventError::Malformed("no CallSid".into()))?
        .to_owned();
    let kind = match event_of(&request.url).as_deref() {
        Some(EVENT_AMD) => CallEventKind::MachineVerdict(
            get("AnsweredBy")
                .ok_or_else(|| ProviderEventError::Malformed("no AnsweredBy".into()))?
                .to_owned(),
        ),
        Some(EVENT_STREAM) => match get("StreamEvent") {
            Some("stream-started") => CallEventKind::AgentStream(AgentStream::Started),
            Some("stream-error") => CallEventKind::AgentStream(AgentStream::Failed(
                get("StreamError")
                    .unwrap_or("stream-error")
                    .chars()
                    .take(200)
                    .collect(),
            )),
            Some(other) => CallEventKind::Progress(other.to_owned()),
            None => return Err(ProviderEventError::Malformed("no StreamEvent".into())),
        },
        Some(other) => {
            return Err(ProviderEventError::Malformed(format!(
                "unknown event {other:?}"
            )));
        }
        None => {
            let status = get("CallStatus")
                .ok_or_else(|| ProviderEventError::Malformed("no CallStatus".into()))?;
            let duration = get("CallDuration")
                .and_then(|d| d.parse().ok())
                .unwrap_or(0);
            let sip = get("SipResponseCode")
                .and_then(|c| c.parse().ok())
                .filter(|_| status == "failed");
            match report_of(status, get("AnsweredBy"), duration, sip) {
                None => CallEventKind::Progress(status.to_owned()),
                Some(report) => CallEventKind::Ended {
                    report,
                    details: details(&sid, duration, sip),
                },
            }
        }
    };
    Ok(CallEvent {
        provider_call_id: sid,
        kind,
    })
}

/// The provider guide's outcome table (`docs/providers.md`): every final `CallStatus` × `AnsweredBy` × duration (and SIP
/// response for failures) → the outcome, rendered from [`report_of`]; what the engine does on
/// top (the agent's stream and reports) follows in the guide's text.
pub fn outcome_table_markdown() -> String {
    let mut out = String::from(
        "| `CallStatus` | `AnsweredBy` | `CallDuration` | `SipResponseCode` | outcome | the lead, by default |\n|---|---|---|---|---|---|\n",
    );
    let rows: &[(&str, Option<&str>, u32, Option<u16>)] = &[
        ("completed", Some("human"), 42, None),
        ("completed", None, 42, None),
        ("completed", None, 0, None),
        ("completed", Some("machine_start"), 20, None),
        ("completed", Some("machine_end_beep"), 20, None),
        ("completed", Some("fax"), 5, None),
        ("completed", Some("unknown"), 42, None),
        ("busy", None, 0, None),
        ("no-answer", None, 0, None),
        ("canceled", None, 0, None),
        ("failed", None, 0, None),
        ("failed", None, 0, Some(486)),
        ("failed", None, 0, Some(600)),
        ("failed", None, 0, Some(480)),
        ("failed", None, 0, Some(408)),
        ("failed", None, 0, Some(503)),
        ("failed", None, 0, Some(404)),
    ];
    for (status, answered_by, duration, sip) in rows {
        let report = report_of(status, *answered_by, *duration, *sip).expect("a final status");
        let lead = match report.outcome {
            Outcome::Completed => "completed (reached), unless the agent never came: see below",
            Outcome::Voicemail => {
                "retried if the campaign retries voicemail, else failed (completed when the message was left)"
            }
            Outcome::NoAnswer => "retried if the campaign retries no-answer, else failed",
            Outcome::Busy => "retried if the campaign retries busy, else failed",
            Outcome::Failed if report.temporary => {
                "retried while retries remain (the network's trouble)"
            }
            _ => "failed",
        };
        out.push_str(&format!(
            "| `{status}` | {} | {} | {} | `{}` | {lead} |\n",
            answered_by.map_or("—".to_owned(), |a| format!("`{a}`")),
            if *duration == 0 {
                "0".to_owned()
            } else {
                format!("{duration} s")
            },
            sip.map_or("—".to_owned(), |s| s.to_string()),
            report.outcome.as_str(),
        ));
    }
    out
}
