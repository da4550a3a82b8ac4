use std::collections::BTreeMap;
use std::time::Duration;

use domain::config::{Voicemail, VoicemailAction};
use domain::phone::E164;
use domain::retry::Outcome;
use ports::voice::{
    CallEventKind, CallReference, CallRequest, ProviderRequest, ToolResult, VoiceProvider,
};
use serde_json::json;

use super::wire::{self, Ending};
use super::*;

fn request() -> CallRequest {
    CallRequest {
        reference: CallReference::from_segments("t1", "c1", "lead1", "2").unwrap(),
        to: E164::parse_strict("+14155550100").unwrap(),
        from: E164::parse_strict("+14155550199").unwrap(),
        agent_ref: "asst_123".into(),
        callback_url: "https://hooks.example/v1/call-events/vapi/t1/c1/lead1/2".into(),
        call_flow_url: String::new(),
        report_url: "https://hooks.example/v1/call-reports".into(),
        report_token: "tok".into(),
        max_duration: Duration::from_secs(5),
        voicemail: Voicemail::Detect(VoicemailAction::LeaveMessage),
        voicemail_message: Some("Call us back".into()),
        transfer_number: None,
        variables: BTreeMap::from([("first_name".into(), "Ada".into())]),
    }
}

fn vapi() -> Vapi {
    Vapi::new(
        VapiConfig {
            api_key: "key".into(),
            api_base: "http://unused".into(),
            phone_number_ids: BTreeMap::from([("+14155550199".into(), "pn_1".into())]),
            calls_per_second: 1,
        },
        Duration::from_secs(1),
    )
}

#[test]
fn the_create_body_uses_vapis_documented_fields() {
    let body = wire::create_call_body(&request(), "pn_1", "s3cret");
    assert_eq!(body["assistantId"], "asst_123");
    assert_eq!(body["phoneNumberId"], "pn_1");
    assert_eq!(body["customer"]["number"], "+14155550100");
    let o = &body["assistantOverrides"];
    assert_eq!(o["variableValues"]["first_name"], "Ada");
    assert_eq!(o["variableValues"]["report_token"], "tok");
    // 5 s is below Vapi's minimum of 10 s.
    assert_eq!(o["maxDurationSeconds"], 10);
    assert_eq!(o["voicemailDetection"]["provider"], "vapi");
    assert_eq!(o["voicemailMessage"], "Call us back");
    assert_eq!(o["metadata"]["reference"], "t1/c1/lead1/2");
    assert_eq!(o["server"]["url"], request().callback_url);
    assert_eq!(o["server"]["headers"][SECRET_HEADER], "s3cret");
    let mut off = request();
    off.voicemail = Voicemail::NotDetected;
    let body = wire::create_call_body(&off, "pn_1", "s");
    assert_eq!(body["assistantOverrides"]["voicemailDetection"], "off");
    assert!(body["assistantOverrides"].get("voicemailMessage").is_none());
}

#[test]
fn every_documented_ended_reason_is_read_and_a_new_family_member_follows_its_prefix() {
    let listed = include_str!("../../../../../docs/research/vapi-ended-reasons.txt");
    let reasons: Vec<&str> = listed
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(reasons.len() > 500, "{}", reasons.len());
    let unread: Vec<&&str> = reasons
        .iter()
        .filter(|r| wire::meaning(r) == "unknown")
        .collect();
    assert!(unread.is_empty(), "{unread:?}");
    assert_eq!(
        wire::ending("customer-did-not-answer"),
        Ending::Final {
            outcome: Outcome::NoAnswer,
            temporary: false
        }
    );
    assert_eq!(wire::ending("customer-ended-call"), Ending::Conversation);
    assert_eq!(
        wire::ending("call.start.error-subscription-concurrency-limit-reached"),
        Ending::Final {
            outcome: Outcome::AgentUnavailable,
            temporary: false
        }
    );
    assert_eq!(
        wire::ending("call.start.error-subscription-insufficient-credits"),
        Ending::Final {
            outcome: Outcome::Failed,
            temporary: true
        }
    );
    assert_eq!(
        wire::ending("pipeline-error-some-new-llm-failed"),
        Ending::Final {
            outcome: Outcome::AgentUnavailable,
            temporary: false
        }
    );
    assert_eq!(
        wire::ending("a-reason-from-next-year"),
        Ending::Final {
            outcome: Outcome::Unknown,
            temporary: false
        }
    );
}

fn message(kind: &str, reference: &str, extra: serde_json::Value) -> Vec<u8> {
    let mut m = json!({"type": kind, "call": {
        "id": "call_1", "status": "in-progress",
        "assistantOverrides": {"metadata": {"reference": reference}}}});
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    serde_json::to_vec(&json!({ "message": m })).unwrap()
}

fn delivered(body: Vec<u8>, url_reference: &str, secret: Option<String>) -> ProviderRequest {
    let mut headers = BTreeMap::new();
    if let Some(s) = secret {
        headers.insert(SECRET_HEADER.to_owned(), s);
    }
    ProviderRequest {
        url: format!("https://hooks.example/v1/call-events/vapi/{url_reference}"),
        headers,
        body,
    }
}

#[test]
fn a_server_message_needs_its_calls_secret_and_its_own_reference() {
    let vapi = vapi();
    let now = chrono::Utc::now();
    let r = "t1/c1/lead1/2";
    let secret = || Some(call_secret("key", r));
    let ended = message(
        "status-update",
        r,
        json!({"status": "ended", "endedReason": "customer-busy"}),
    );
    let event = vapi
        .parse_event(&delivered(ended.clone(), r, secret()), now)
        .unwrap();
    assert!(
        matches!(event.kind, CallEventKind::Ended { ref report, .. } if report.outcome == Outcome::Busy)
    );
    assert!(
        vapi.parse_event(&delivered(ended.clone(), r, None), now)
            .is_err()
    );
    assert!(
        vapi.parse_event(
            &delivered(ended.clone(), r, Some(call_secret("other", r))),
            now
        )
        .is_err()
    );
    // Another attempt's secret and URL, with this attempt's message in the body.
    let other = "t1/c1/lead1/3";
    assert!(
        vapi.parse_event(
            &delivered(ended, other, Some(call_secret("key", other))),
            now
        )
        .is_err()
    );
}

#[test]
fn a_conversation_ends_on_its_end_of_call_report_with_what_the_analysis_learnt() {
    let vapi = vapi();
    let now = chrono::Utc::now();
    let r = "t1/c1/lead1/2";
    let secret = Some(call_secret("key", r));
    let ended = message(
        "status-update",
        r,
        json!({"status": "ended", "endedReason": "customer-ended-call"}),
    );
    let event = vapi
        .parse_event(&delivered(ended, r, secret.clone()), now)
        .unwrap();
    assert_eq!(event.kind, CallEventKind::Progress("status-update".into()));
    let report = message(
        "end-of-call-report",
        r,
        json!({
            "endedReason": "customer-ended-call",
            "startedAt": "2026-06-10T12:00:00Z", "endedAt": "2026-06-10T12:01:30Z",
            "analysis": {"structuredData": {"callback_at": "2026-06-11T15:00:00Z", "disposition": "later"}},
        }),
    );
    let event = vapi
        .parse_event(&delivered(report, r, secret.clone()), now)
        .unwrap();
    let CallEventKind::Ended { report, details } = event.kind else {
        panic!("{:?}", event.kind)
    };
    assert_eq!(
        report.outcome,
        Outcome::Completed,
        "the engine applies what was learnt"
    );
    let learnt = details
        .learnt
        .expect("the structured data, as a report body");
    assert_eq!(
        learnt.callback_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-06-11T15:00:00+00:00")
    );
    assert!(
        learnt.results.is_empty(),
        "the disposition is the attempt's own"
    );
    assert_eq!(details.duration_seconds, 90);
    assert_eq!(details.disposition.as_deref(), Some("later"));
    let opted = message(
        "end-of-call-report",
        r,
        json!({
            "endedReason": "assistant-ended-call", "analysis": {"structuredData": {"opt_out": true}},
        }),
    );
    let event = vapi
        .parse_event(&delivered(opted, r, secret.clone()), now)
        .unwrap();
    assert!(
        matches!(event.kind, CallEventKind::Ended { ref details, .. }
        if details.learnt.as_ref().is_some_and(|l| l.opt_out))
    );
    let forwarded = message(
        "end-of-call-report",
        r,
        json!({"endedReason": "assistant-forwarded-call", "analysis": {}}),
    );
    let event = vapi
        .parse_event(&delivered(forwarded, r, secret.clone()), now)
        .unwrap();
    assert!(matches!(event.kind, CallEventKind::Ended { ref details, .. } if details.transferred));
    assert!(!format!("{vapi:?}").contains("\"key\""));
}

#[test]
fn the_report_tools_calls_are_read_in_every_documented_shape_and_answered_by_id() {
    let vapi = vapi();
    let r = "t1/c1/lead1/2";
    let secret = Some(call_secret("key", r));
    let now = chrono::Utc::now();
    // The SDK's shape (arguments a JSON string), the docs' shapes (an object in `arguments` or
    // `parameters`), a tool we do not run, and arguments that are no report.
    let tool = message(
        "tool-calls",
        r,
        json!({"toolCallList": [
            {"id": "tc1", "type": "function",
             "function": {"name": "call_report", "arguments": "{\"opt_out\": true}"}},
            {"id": "tc2", "name": "call_report", "arguments": {"disposition": "interested"}},
            {"id": "tc3", "name": "call_report", "parameters": {"results": {"plan": "pro"}}},
            {"id": "tc4", "type": "function", "function": {"name": "book_meeting", "arguments": "{}"}},
            {"id": "tc5", "name": "call_report", "arguments": {"opt_out": "maybe"}},
        ]}),
    );
    let event = vapi.parse_event(&delivered(tool, r, secret), now).unwrap();
    let CallEventKind::ToolCalls(calls) = event.kind else {
        panic!("{:?}", event.kind)
    };
    let ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["tc1", "tc2", "tc3", "tc4", "tc5"]);
    assert!(calls[0].report.as_ref().unwrap().opt_out);
    assert_eq!(
        calls[1].report.as_ref().unwrap().disposition.as_deref(),
        Some("interested")
    );
    assert_eq!(calls[2].report.as_ref().unwrap().results["plan"], "pro");
    assert!(
        calls[3]
            .report
            .as_ref()
            .unwrap_err()
            .contains("book_meeting")
    );
    assert!(calls[4].report.is_err());
    // The answer names each call by its id: a result, or an error.
    let results = [
        ToolResult {
            id: "tc1".into(),
            name: "call_report".into(),
            outcome: Ok("recorded".into()),
        },
        ToolResult {
            id: "tc4".into(),
            name: "book_meeting".into(),
            outcome: Err("no".into()),
        },
    ];
    let (content_type, body) = vapi.tool_answer(&results).unwrap();
    assert_eq!(content_type, "application/json");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({"results": [
            {"toolCallId": "tc1", "name": "call_report", "result": "recorded"},
            {"toolCallId": "tc4", "name": "book_meeting", "error": "no"},
        ]})
    );
}
