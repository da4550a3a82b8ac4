//! Twilio's callbacks as the adapter reads them: signed as Twilio documents, each kind on its
//! own URL (status, machine verdict, the agent's stream), a failure's SIP response, and the
//! whole status table.

use std::collections::BTreeMap;
use std::time::Duration;

use adapters::voice::twilio::{Twilio, TwilioConfig, outcome_of, signature};
use chrono::Utc;
use domain::retry::Outcome;
use ports::voice::{CallEventKind, ProviderEventError, ProviderRequest, VoiceProvider};

/// The connection overrides of these tests' account.
const OVERRIDES: &str = "rc=3&rp=4xx,5xx,ct,rt";

#[test]
fn the_signature_matches_twilios_published_example() {
    // https://www.twilio.com/docs/usage/webhooks/webhooks-security (auth token 12345).
    let params: Vec<(String, String)> = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675310"),
        ("Digits", "1234"),
        ("From", "+14158675310"),
        ("To", "+18005551212"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(
        signature(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &params
        ),
        "GvWf1cFY/Q7PnoempGyD5oXAezc="
    );
}

const HOOK: &str = "https://hooks.example.com/v1/call-events/twilio/acme/c1/lead7/2";

fn webhook(token: &str, fields: &[(&str, &str)], sign_with: Option<&str>) -> ProviderRequest {
    webhook_at(HOOK, HOOK, fields, sign_with.map(|key| (token, key)))
}

/// A callback that arrived at `url`, signed by `sign.1` over `signed_url` (Twilio signs the URL
/// it was given, which may carry the connection overrides' fragment).
fn webhook_at(
    url: &str,
    signed_url: &str,
    fields: &[(&str, &str)],
    sign: Option<(&str, &str)>,
) -> ProviderRequest {
    let pairs: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    let mut headers = BTreeMap::new();
    headers.insert(
        "content-type".to_owned(),
        "application/x-www-form-urlencoded".to_owned(),
    );
    if let Some((_, key)) = sign {
        headers.insert(
            "x-twilio-signature".to_owned(),
            signature(key, signed_url, &pairs),
        );
    }
    ProviderRequest {
        url: url.to_owned(),
        headers,
        body: body.into_bytes(),
    }
}

async fn adapter() -> Twilio {
    Twilio::new(
        TwilioConfig::new("AC123", "tok3n", "http://127.0.0.1:1", 1),
        Duration::from_secs(1),
    )
}

#[tokio::test]
async fn webhooks_with_valid_signatures_are_accepted_and_others_refused() {
    let t = adapter().await;
    let fields = [
        ("CallSid", "CA9"),
        ("CallStatus", "completed"),
        ("CallDuration", "42"),
        ("AccountSid", "AC123"),
    ];
    let valid = webhook("tok3n", &fields, Some("tok3n"));
    let event = t.parse_event(&valid, Utc::now()).unwrap();
    assert_eq!(event.provider_call_id, "CA9");
    assert!(
        matches!(event.kind, CallEventKind::Ended { ref report, ref details } if report.outcome == Outcome::Completed && details.duration_seconds == 42)
    );

    let mut tampered = valid.clone();
    tampered.body = String::from_utf8(tampered.body)
        .unwrap()
        .replace("42", "4200")
        .into_bytes();
    assert_eq!(
        t.parse_event(&tampered, Utc::now()).unwrap_err(),
        ProviderEventError::BadSignature
    );

    let wrong_key = webhook("tok3n", &fields, Some("another-token"));
    assert_eq!(
        t.parse_event(&wrong_key, Utc::now()).unwrap_err(),
        ProviderEventError::BadSignature
    );

    let missing = webhook("tok3n", &fields, None);
    assert_eq!(
        t.parse_event(&missing, Utc::now()).unwrap_err(),
        ProviderEventError::BadSignature
    );

    let mut other_url = valid.clone();
    other_url.url = HOOK.replace("lead7", "lead8");
    assert_eq!(
        t.parse_event(&other_url, Utc::now()).unwrap_err(),
        ProviderEventError::BadSignature,
        "the URL (our reference) is signed"
    );

    // Twilio's signature has no timestamp: a replayed webhook verifies, and is harmless
    // because an outcome applies once (conditional on the lead calling in that attempt).
    assert!(
        t.parse_event(&valid, Utc::now() + chrono::Duration::days(1))
            .is_ok()
    );
}

#[tokio::test]
async fn progress_callbacks_are_progress_and_machine_detection_is_a_verdict() {
    let t = adapter().await;
    for status in ["queued", "initiated", "ringing", "in-progress"] {
        let hook = webhook(
            "tok3n",
            &[("CallSid", "CA9"), ("CallStatus", status)],
            Some("tok3n"),
        );
        assert_eq!(
            t.parse_event(&hook, Utc::now()).unwrap().kind,
            CallEventKind::Progress(status.into())
        );
    }
    let amd_url = format!("{HOOK}?event=amd");
    let verdict = [
        ("CallSid", "CA9"),
        ("AnsweredBy", "machine_end_beep"),
        ("MachineDetectionDuration", "3200"),
    ];
    let amd = webhook_at(&amd_url, &amd_url, &verdict, Some(("tok3n", "tok3n")));
    assert_eq!(
        t.parse_event(&amd, Utc::now()).unwrap().kind,
        CallEventKind::MachineVerdict("machine_end_beep".into())
    );
    // The verdict is read from its own URL, never guessed from a missing field: the same body
    // on the status URL is malformed (no CallStatus).
    let misplaced = webhook_at(HOOK, HOOK, &verdict, Some(("tok3n", "tok3n")));
    assert!(matches!(
        t.parse_event(&misplaced, Utc::now()),
        Err(ProviderEventError::Malformed(_))
    ));
}

#[tokio::test]
async fn the_agents_stream_callback_says_whether_the_agent_came() {
    use domain::lead::AgentStream;
    let t = adapter().await;
    let url = format!("{HOOK}?event=stream");
    let event = |fields: &[(&str, &str)]| {
        let hook = webhook_at(&url, &url, fields, Some(("tok3n", "tok3n")));
        t.parse_event(&hook, Utc::now()).map(|e| e.kind)
    };
    let started = [
        ("CallSid", "CA9"),
        ("StreamSid", "MZ1"),
        ("StreamEvent", "stream-started"),
    ];
    assert_eq!(
        event(&started),
        Ok(CallEventKind::AgentStream(AgentStream::Started))
    );
    let failed = [
        ("CallSid", "CA9"),
        ("StreamEvent", "stream-error"),
        ("StreamError", "31920 WebSocket handshake error"),
    ];
    assert_eq!(
        event(&failed),
        Ok(CallEventKind::AgentStream(AgentStream::Failed(
            "31920 WebSocket handshake error".into()
        )))
    );
    let stopped = [("CallSid", "CA9"), ("StreamEvent", "stream-stopped")];
    assert_eq!(
        event(&stopped),
        Ok(CallEventKind::Progress("stream-stopped".into()))
    );
    assert!(matches!(
        event(&[("CallSid", "CA9")]),
        Err(ProviderEventError::Malformed(_))
    ));
}

#[tokio::test]
async fn a_callback_signed_over_the_url_with_its_connection_overrides_is_accepted() {
    let t = adapter().await;
    let fields = [("CallSid", "CA9"), ("CallStatus", "busy")];
    let with_fragment = format!("{HOOK}#{OVERRIDES}");
    let hook = webhook_at(HOOK, &with_fragment, &fields, Some(("tok3n", "tok3n")));
    assert!(t.parse_event(&hook, Utc::now()).is_ok());
    let other_fragment = format!("{HOOK}#rc=5");
    let hook = webhook_at(HOOK, &other_fragment, &fields, Some(("tok3n", "tok3n")));
    assert_eq!(
        t.parse_event(&hook, Utc::now()).unwrap_err(),
        ProviderEventError::BadSignature,
        "only this account's own overrides"
    );
}

#[tokio::test]
async fn a_failed_call_reads_its_sip_response_busy_unreachable_or_temporary() {
    let t = adapter().await;
    let ended = |sip: &str| {
        let hook = webhook(
            "tok3n",
            &[
                ("CallSid", "CA9"),
                ("CallStatus", "failed"),
                ("SipResponseCode", sip),
            ],
            Some("tok3n"),
        );
        match t.parse_event(&hook, Utc::now()).unwrap().kind {
            CallEventKind::Ended { report, details } => (report, details.disposition),
            other => panic!("{other:?}"),
        }
    };
    let (report, note) = ended("503");
    assert_eq!((report.outcome, report.temporary), (Outcome::Failed, true));
    assert_eq!(note.as_deref(), Some("sip_503"));
    assert_eq!(ended("480").0.outcome, Outcome::NoAnswer);
    assert_eq!(ended("486").0.outcome, Outcome::Busy);
    let (report, note) = ended("404");
    assert_eq!((report.outcome, report.temporary), (Outcome::Failed, false));
    assert_eq!(note.as_deref(), Some("sip_404"));
}

#[test]
fn the_whole_status_and_answered_by_table_maps_to_outcomes() {
    use Outcome::*;
    let answered_by = [
        None,
        Some("human"),
        Some("unknown"),
        Some("machine_start"),
        Some("machine_end_beep"),
        Some("machine_end_silence"),
        Some("machine_end_other"),
        Some("fax"),
    ];
    for by in answered_by {
        let machine = by.is_some_and(|b| b.starts_with("machine") || b == "fax");
        assert_eq!(
            outcome_of("completed", by, 30),
            Some(if machine { Voicemail } else { Completed }),
            "{by:?}"
        );
        assert_eq!(outcome_of("busy", by, 0), Some(Busy));
        assert_eq!(outcome_of("no-answer", by, 0), Some(NoAnswer));
        assert_eq!(outcome_of("failed", by, 0), Some(Failed));
        assert_eq!(outcome_of("canceled", by, 0), Some(Canceled));
        for running in ["queued", "initiated", "ringing", "in-progress"] {
            assert_eq!(outcome_of(running, by, 0), None, "{running} {by:?}");
        }
    }
    assert_eq!(
        outcome_of("completed", None, 0),
        Some(NoAnswer),
        "a zero-second completed call never connected"
    );
    assert_eq!(outcome_of("completed", Some("human"), 0), Some(Completed));
}

#[test]
fn the_provider_guide_holds_the_refusal_and_outcome_tables_the_code_has() {
    let guide = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/providers.md"),
    )
    .unwrap();
    for (name, table) in [
        ("refusals", adapters::voice::twilio::error_table_markdown()),
        (
            "outcomes",
            adapters::voice::twilio::outcome_table_markdown(),
        ),
        (
            "Retell disconnection reasons",
            adapters::voice::retell::wire::disconnection_table_markdown(),
        ),
        (
            "Vapi ended reasons",
            adapters::voice::vapi::wire::ended_reason_table_markdown(),
        ),
    ] {
        assert!(
            guide.contains(table.trim()),
            "docs/providers.md lost the {name} table the code has; regenerate it with `cargo run -p adapters --example twilio_tables` (Twilio) or copy it from here:\n{table}"
        );
    }
}
