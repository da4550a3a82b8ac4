use std::collections::BTreeMap;
use std::time::Duration;

use chrono::TimeZone;
use domain::config::{Voicemail, VoicemailAction};
use domain::phone::E164;
use domain::retry::Outcome;
use ports::voice::{CallEventKind, CallReference, CallRequest, ProviderRequest, VoiceProvider};
use serde_json::json;

use super::wire::{self, Ending};
use super::*;

fn at_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).unwrap()
}

fn reference() -> CallReference {
    CallReference::from_segments("t1", "c1", "lead1", "2").unwrap()
}

fn request() -> CallRequest {
    CallRequest {
        reference: reference(),
        to: E164::parse_strict("+14155550100").unwrap(),
        from: E164::parse_strict("+14155550199").unwrap(),
        agent_ref: "agent_abc".into(),
        callback_url: "https://hooks.example/v1/call-events/retell/t1/c1/lead1/2".into(),
        call_flow_url: String::new(),
        report_url: "https://hooks.example/v1/call-reports".into(),
        report_token: "tok".into(),
        max_duration: Duration::from_secs(30),
        voicemail: Voicemail::Detect(VoicemailAction::LeaveMessage),
        voicemail_message: Some("Call us back".into()),
        transfer_number: None,
        variables: BTreeMap::from([("first_name".into(), "Ada".into())]),
    }
}

#[test]
fn the_signature_is_hmac_sha256_of_the_body_then_the_milliseconds_under_the_api_key() {
    // Computed independently: HMAC-SHA256("key_abc", body + "1767225600000"), lowercase hex.
    let body = br#"{"event":"call_started"}"#;
    assert_eq!(
        wire::signature("key_abc", body, 1_767_225_600_000),
        "v=1767225600000,d=9f13678a7f81d16aa8e1d1e1bc0cda26059673dd9db837e301fccc6a43fb77f9"
    );
}

#[test]
fn a_signature_is_refused_when_tampered_stale_from_the_future_or_misshapen() {
    let body = br#"{"event":"call_ended"}"#;
    let t = 1_767_225_600_000;
    let good = wire::signature("k", body, t);
    assert!(wire::verify("k", body, &good, at_ms(t + 299_000)).is_ok());
    assert!(
        wire::verify(
            "k",
            body,
            &good
                .to_uppercase()
                .replace("V=", "v=")
                .replace(",D=", ",d="),
            at_ms(t)
        )
        .is_ok()
    );
    assert!(wire::verify("other", body, &good, at_ms(t)).is_err());
    assert!(wire::verify("k", br#"{"event":"call_started"}"#, &good, at_ms(t)).is_err());
    assert!(wire::verify("k", body, &good, at_ms(t + 301_000)).is_err());
    assert!(wire::verify("k", body, &good, at_ms(t - 301_000)).is_err());
    for bad in [
        "",
        "v=1,d=",
        "d=ab,v=1",
        "v=x,d=00",
        &good[..good.len() - 2],
    ] {
        assert!(wire::verify("k", body, bad, at_ms(t)).is_err(), "{bad}");
    }
}

#[test]
fn the_create_body_uses_retells_documented_fields() {
    let body = wire::create_call_body(&request());
    assert_eq!(body["from_number"], "+14155550199");
    assert_eq!(body["to_number"], "+14155550100");
    assert_eq!(body["override_agent_id"], "agent_abc");
    assert_eq!(body["retell_llm_dynamic_variables"]["first_name"], "Ada");
    assert_eq!(body["retell_llm_dynamic_variables"]["report_token"], "tok");
    assert_eq!(body["metadata"]["reference"], "t1/c1/lead1/2");
    let agent = &body["agent_override"]["agent"];
    assert_eq!(agent["webhook_url"], request().callback_url);
    // 30 s is below Retell's minimum of 60 s.
    assert_eq!(agent["max_call_duration_ms"], 60_000);
    assert_eq!(
        agent["voicemail_option"],
        json!({"action": {"type": "static_text", "text": "Call us back"}})
    );
    let mut hang_up = request();
    hang_up.voicemail = Voicemail::Detect(VoicemailAction::HangUp);
    let body = wire::create_call_body(&hang_up);
    assert_eq!(
        body["agent_override"]["agent"]["voicemail_option"]["action"]["type"],
        "hangup"
    );
    hang_up.voicemail = Voicemail::NotDetected;
    let body = wire::create_call_body(&hang_up);
    assert!(body["agent_override"]["agent"]["voicemail_option"].is_null());
}

#[test]
fn every_documented_disconnection_reason_has_a_meaning_and_a_new_one_is_unknown() {
    assert_eq!(wire::DISCONNECTION_REASONS.len(), 34);
    for (reason, meaning) in wire::DISCONNECTION_REASONS {
        let ending = wire::ending(reason);
        if *meaning != "unknown" {
            assert_ne!(
                ending,
                Ending::Final {
                    outcome: Outcome::Unknown,
                    temporary: false
                },
                "{reason}"
            );
        }
    }
    assert_eq!(
        wire::ending("dial_no_answer"),
        Ending::Final {
            outcome: Outcome::NoAnswer,
            temporary: false
        }
    );
    assert_eq!(
        wire::ending("concurrency_limit_reached"),
        Ending::Final {
            outcome: Outcome::AgentUnavailable,
            temporary: false
        }
    );
    assert_eq!(wire::ending("user_hangup"), Ending::Conversation);
    assert_eq!(
        wire::ending("a_reason_added_next_year"),
        Ending::Final {
            outcome: Outcome::Unknown,
            temporary: false
        }
    );
}

fn call(reason: &str, analysis: serde_json::Value) -> RetellCall {
    serde_json::from_value(json!({
        "call_id": "call_1", "call_status": "ended", "disconnection_reason": reason,
        "duration_ms": 42_000, "metadata": {"reference": "t1/c1/lead1/2"},
        "call_analysis": analysis,
    }))
    .unwrap()
}

#[test]
fn a_conversation_waits_for_its_analysis_which_says_opt_out_callback_or_voicemail() {
    assert!(wire::report_of(&call("user_hangup", json!(null)), true).is_none());
    let plain = wire::report_of(&call("user_hangup", json!(null)), false).unwrap();
    assert_eq!(plain.outcome, Outcome::Completed);
    // What the agent learnt is a report body, applied by the report API's rules (the engine
    // turns the completed call into an opt-out or a callback from it).
    let opted = call(
        "agent_hangup",
        json!({"custom_analysis_data": {"opt_out": true}}),
    );
    assert_eq!(
        wire::report_of(&opted, true).unwrap().outcome,
        Outcome::Completed
    );
    assert!(wire::details_of(&opted).learnt.unwrap().opt_out);
    let callback = call(
        "user_hangup",
        json!({"custom_analysis_data": {"callback_at": "2026-06-11T15:00:00Z",
            "disposition": "busy_now", "plan": "gold", "seats": 12}}),
    );
    let learnt = wire::details_of(&callback).learnt.unwrap();
    assert_eq!(
        learnt.callback_at.unwrap().to_rfc3339(),
        "2026-06-11T15:00:00+00:00"
    );
    let results: Vec<(&str, &str)> = (learnt.results.iter())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        results,
        [("plan", "gold"), ("seats", "12")],
        "structured results kept"
    );
    // Retell's transfer tool handed the call on.
    assert!(wire::details_of(&call("call_transfer", json!(null))).transferred);
    assert!(!wire::details_of(&callback).transferred);
    assert_eq!(
        wire::details_of(&callback).disposition.as_deref(),
        Some("busy_now")
    );
    assert_eq!(wire::details_of(&callback).duration_seconds, 42);
    let machine = call("user_hangup", json!({"in_voicemail": true}));
    assert_eq!(
        wire::report_of(&machine, true).unwrap().outcome,
        Outcome::Voicemail
    );
    // A final reason needs no analysis.
    assert_eq!(
        wire::report_of(&call("dial_busy", json!(null)), true)
            .unwrap()
            .outcome,
        Outcome::Busy
    );
}

fn webhook(
    event: &str,
    reference: &str,
    url_reference: &str,
    now: DateTime<Utc>,
) -> ProviderRequest {
    let body = serde_json::to_vec(&json!({"event": event, "call": {
        "call_id": "call_1", "call_status": "ended", "disconnection_reason": "dial_no_answer",
        "metadata": {"reference": reference}}}))
    .unwrap();
    let mut headers = std::collections::BTreeMap::new();
    headers.insert(
        SIGNATURE_HEADER.into(),
        wire::signature("key", &body, now.timestamp_millis()),
    );
    ProviderRequest {
        url: format!("https://hooks.example/v1/call-events/retell/{url_reference}"),
        headers,
        body,
    }
}

#[test]
fn a_webhook_is_bound_to_the_attempt_its_signed_metadata_names() {
    let retell = Retell::new(
        RetellConfig {
            api_key: "key".into(),
            api_base: "http://unused".into(),
            calls_per_second: 1,
        },
        Duration::from_secs(1),
    );
    let now = at_ms(1_767_225_600_000);
    let ok = retell
        .parse_event(
            &webhook("call_ended", "t1/c1/lead1/2", "t1/c1/lead1/2", now),
            now,
        )
        .unwrap();
    assert_eq!(ok.provider_call_id, "call_1");
    assert!(
        matches!(ok.kind, CallEventKind::Ended { ref report, .. } if report.outcome == Outcome::NoAnswer)
    );
    // The same signed event posted to another attempt's URL.
    assert!(
        retell
            .parse_event(
                &webhook("call_ended", "t1/c1/lead1/2", "t1/c1/lead1/3", now),
                now
            )
            .is_err()
    );
    let mut unsigned = webhook("call_ended", "t1/c1/lead1/2", "t1/c1/lead1/2", now);
    unsigned.headers.clear();
    assert!(retell.parse_event(&unsigned, now).is_err());
    let started = retell
        .parse_event(
            &webhook("call_started", "t1/c1/lead1/2", "t1/c1/lead1/2", now),
            now,
        )
        .unwrap();
    assert_eq!(started.kind, CallEventKind::Progress("call_started".into()));
    // The key never shows in the adapter's debug output.
    assert!(!format!("{retell:?}").contains("\"key\""));
}
