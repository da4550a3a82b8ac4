use std::sync::Arc;
use std::time::Duration;

use adapters::voice::http_agent::{HttpAgent, HttpAgentConfig, Signed, signature, verify};
use chrono::{DateTime, Utc};
use domain::config::{Voicemail, VoicemailAction};
use domain::retry::Outcome;
use ports::ManualClock;
use ports::voice::{
    CallEventKind, CallLookup, PlaceCallError, ProviderEventError, ProviderRequest, VoiceProvider,
};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{handling_options, request};

fn now() -> DateTime<Utc> {
    "2026-06-10T14:00:00Z".parse().unwrap()
}

/// The URL the adapter called (wiremock records its own host as `localhost`).
fn as_called(base: &str, path: &str, query: Option<&str>) -> String {
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{base}{path}{query}")
}

fn agent(base: &str) -> HttpAgent {
    HttpAgent::new(
        HttpAgentConfig {
            base_url: base.into(),
            api_key: "k3y".into(),
            signing_secret: "s3cr3t".into(),
            calls_per_second: 10,
        },
        Duration::from_millis(500),
        Arc::new(ManualClock::at(now())),
    )
}

#[tokio::test]
async fn create_call_sends_the_signed_json_request_for_each_call_handling_option() {
    for (label, voicemail, transfer) in handling_options() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/calls"))
            .and(header("authorization", "Bearer k3y"))
            .and(header("content-type", "application/json"))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"call_id": "ag-1"})))
            .expect(1)
            .mount(&server)
            .await;
        let placed = agent(&server.uri())
            .place_call(&request(voicemail, transfer))
            .await
            .unwrap();
        assert_eq!(placed.provider_call_id, "ag-1");
        let sent = &server.received_requests().await.unwrap()[0];
        let body: Value = serde_json::from_slice(&sent.body).unwrap();
        let (detect, action) = match voicemail {
            Voicemail::NotDetected => (false, Value::Null),
            Voicemail::Detect(VoicemailAction::HangUp) => (true, json!("hang_up")),
            Voicemail::Detect(VoicemailAction::LeaveMessage) => (true, json!("leave_message")),
        };
        assert_eq!(
            body,
            json!({
                "reference": "acme/c1/lead7/2",
                "to": "+12125550100",
                "from": "+14155550199",
                "agent": "wss://agents.example.com/stream?agent=ava&x=1",
                "variables": {"name": "Ann Lee", "plan": "gold"},
                "max_duration_seconds": 600,
                "voicemail": {"detect": detect, "action": action, "message": "Hi, it's Ava <from> Acme & co"},
                "transfer_number": transfer,
                "callback_url": "https://hooks.example.com/v1/call-events/p/acme/c1/lead7/2",
                "report": {
                    "url": "https://hooks.example.com/v1/call-reports",
                    "token": "ct1.acme.c1.lead7.2.1800000000.abcd",
                },
            }),
            "{label}"
        );
        let sig = sent
            .headers
            .get("x-agent-signature")
            .unwrap()
            .to_str()
            .unwrap();
        let url = as_called(&server.uri(), sent.url.path(), sent.url.query());
        let signed = Signed {
            method: "POST",
            url: &url,
            body: &sent.body,
        };
        assert_eq!(sig, signature("s3cr3t", now().timestamp(), signed));
        assert!(verify("s3cr3t", sig, signed, now()).is_ok());
    }
}

#[tokio::test]
async fn refusals_map_to_backoff_unavailable_uncertain_or_permanent() {
    let cases = [
        (
            429,
            json!({}),
            PlaceCallError::RateLimited {
                retry_after: Some(Duration::from_secs(3)),
            },
        ),
        (503, json!({}), PlaceCallError::Unavailable),
        (500, json!({}), PlaceCallError::Uncertain),
        (
            422,
            json!({"code": "invalid_number"}),
            PlaceCallError::Rejected {
                reason: "invalid_number".into(),
            },
        ),
        (
            400,
            json!({}),
            PlaceCallError::Rejected {
                reason: "http_400".into(),
            },
        ),
    ];
    for (status, body, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(body)
                    .insert_header("retry-after", "3"),
            )
            .mount(&server)
            .await;
        let err = agent(&server.uri())
            .place_call(&request(Voicemail::NotDetected, None))
            .await
            .unwrap_err();
        assert_eq!(err, expected, "HTTP {status}");
    }
}

const HOOK_URL: &str = "https://hooks.example.com/v1/call-events/http/acme/c1/lead7/2";

fn hook(body: &Value, signed_at: Option<DateTime<Utc>>, secret: &str) -> ProviderRequest {
    let body = serde_json::to_vec(body).unwrap();
    let mut headers = std::collections::BTreeMap::new();
    if let Some(at) = signed_at {
        headers.insert(
            "x-agent-signature".to_owned(),
            signature(secret, at.timestamp(), posted(HOOK_URL, &body)),
        );
    }
    ProviderRequest {
        url: HOOK_URL.into(),
        headers,
        body,
    }
}

fn posted<'a>(url: &'a str, body: &'a [u8]) -> Signed<'a> {
    Signed {
        method: "POST",
        url,
        body,
    }
}

#[test]
fn provider_events_need_a_fresh_signature_by_the_shared_secret() {
    let a = agent("http://127.0.0.1:1");
    let ended = json!({"call_id": "ag-1", "status": "completed", "duration_seconds": 75, "disposition": "interested"});
    let event = a
        .parse_event(&hook(&ended, Some(now()), "s3cr3t"), now())
        .unwrap();
    assert!(
        matches!(event.kind, CallEventKind::Ended { ref report, ref details }
        if report.outcome == Outcome::Completed && details.duration_seconds == 75 && details.disposition.as_deref() == Some("interested"))
    );

    let mut tampered = hook(&ended, Some(now()), "s3cr3t");
    tampered.body = serde_json::to_vec(
        &json!({"call_id": "ag-1", "status": "completed", "duration_seconds": 7500}),
    )
    .unwrap();
    assert_eq!(
        a.parse_event(&tampered, now()).unwrap_err(),
        ProviderEventError::BadSignature
    );
    assert_eq!(
        a.parse_event(&hook(&ended, Some(now()), "wrong"), now())
            .unwrap_err(),
        ProviderEventError::BadSignature
    );
    assert_eq!(
        a.parse_event(&hook(&ended, None, "s3cr3t"), now())
            .unwrap_err(),
        ProviderEventError::BadSignature
    );
    let replayed = hook(&ended, Some(now() - chrono::Duration::minutes(6)), "s3cr3t");
    assert_eq!(
        a.parse_event(&replayed, now()).unwrap_err(),
        ProviderEventError::BadSignature,
        "older than 5 minutes"
    );
    let recent = hook(&ended, Some(now() - chrono::Duration::minutes(4)), "s3cr3t");
    assert!(a.parse_event(&recent, now()).is_ok());
    let garbage = ProviderRequest {
        body: b"{not json".to_vec(),
        ..hook(&ended, Some(now()), "s3cr3t")
    };
    let mut garbage = garbage;
    garbage.headers.insert(
        "x-agent-signature".into(),
        signature("s3cr3t", now().timestamp(), posted(HOOK_URL, b"{not json")),
    );
    assert!(matches!(
        a.parse_event(&garbage, now()).unwrap_err(),
        ProviderEventError::Malformed(_)
    ));
}

#[test]
fn statuses_and_dispositions_map_to_outcomes() {
    let a = agent("http://127.0.0.1:1");
    let callback_at = "2026-06-11T15:00:00Z";
    let cases = [
        (
            json!({"status": "completed", "disposition": "interested"}),
            Some(Outcome::Completed),
        ),
        (
            json!({"status": "completed", "disposition": "not_interested"}),
            Some(Outcome::Completed),
        ),
        (
            json!({"status": "completed", "disposition": "transferred"}),
            Some(Outcome::Completed),
        ),
        (
            json!({"status": "completed", "disposition": "opted_out"}),
            Some(Outcome::OptedOut),
        ),
        (
            json!({"status": "completed", "disposition": "callback", "callback_at": callback_at}),
            Some(Outcome::CallbackRequested),
        ),
        (
            json!({"status": "completed", "disposition": "callback"}),
            Some(Outcome::Completed),
        ),
        (json!({"status": "no_answer"}), Some(Outcome::NoAnswer)),
        (json!({"status": "busy"}), Some(Outcome::Busy)),
        (
            json!({"status": "voicemail", "voicemail_left": true}),
            Some(Outcome::Voicemail),
        ),
        (json!({"status": "failed"}), Some(Outcome::Failed)),
        (json!({"status": "canceled"}), Some(Outcome::Canceled)),
        (json!({"status": "ringing"}), None),
        (json!({"status": "answered"}), None),
    ];
    for (mut body, expected) in cases {
        body["call_id"] = json!("ag-1");
        let event = a
            .parse_event(&hook(&body, Some(now()), "s3cr3t"), now())
            .unwrap();
        match (event.kind, expected) {
            (CallEventKind::Ended { report, .. }, Some(outcome)) => {
                assert_eq!(report.outcome, outcome, "{body}");
                if outcome == Outcome::CallbackRequested {
                    assert_eq!(report.callback_at, Some(callback_at.parse().unwrap()));
                }
                if outcome == Outcome::Voicemail {
                    assert!(report.voicemail_left);
                }
            }
            (CallEventKind::Progress(status), None) => assert_eq!(json!(status), body["status"]),
            (kind, expected) => panic!("{body}: {kind:?} vs {expected:?}"),
        }
    }
}

#[tokio::test]
async fn lookup_reads_the_call_by_id_or_by_reference() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/calls/ag-1"))
        .and(header("authorization", "Bearer k3y"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"call_id": "ag-1", "status": "busy"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/calls"))
        .and(query_param("reference", "acme/c1/lead7/2"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let a = agent(&server.uri());
    let r = request(Voicemail::NotDetected, None);
    assert!(
        matches!(a.lookup_call(&r.reference, Some("ag-1"), &r.to, chrono::Utc::now()).await.unwrap(), CallLookup::Ended { report, .. } if report.outcome == Outcome::Busy)
    );
    assert_eq!(
        a.lookup_call(&r.reference, None, &r.to, chrono::Utc::now())
            .await
            .unwrap(),
        CallLookup::NotFound
    );
    for sent in server.received_requests().await.unwrap() {
        let sig = sent
            .headers
            .get("x-agent-signature")
            .unwrap()
            .to_str()
            .unwrap();
        let url = as_called(&server.uri(), sent.url.path(), sent.url.query());
        let signed = Signed {
            method: "GET",
            url: &url,
            body: b"",
        };
        assert!(verify("s3cr3t", sig, signed, now()).is_ok());
    }
}

#[test]
fn a_signed_report_replayed_to_another_leads_url_is_refused() {
    let a = agent("http://agents.invalid");
    let opted_out = json!({"call_id": "ag-1", "status": "completed", "duration_seconds": 30,
        "disposition": "opted_out"});
    let genuine = hook(&opted_out, Some(now()), "s3cr3t");
    assert!(a.parse_event(&genuine, now()).is_ok());
    // The same signed body and header, posted to another lead's (or attempt's) URL.
    for url in [
        "https://hooks.example.com/v1/call-events/http/acme/c1/stranger/2",
        "https://hooks.example.com/v1/call-events/http/acme/c1/lead7/3",
        "https://hooks.example.com/v1/call-events/http/other/c1/lead7/2",
    ] {
        let replayed = ProviderRequest {
            url: url.into(),
            ..genuine.clone()
        };
        assert_eq!(
            a.parse_event(&replayed, now()).unwrap_err(),
            ProviderEventError::BadSignature,
            "{url}"
        );
    }
}
