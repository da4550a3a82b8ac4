use std::collections::BTreeMap;
use std::time::Duration;

use adapters::voice::twilio::{Twilio, TwilioConfig, classify_error, outcome_of, signature};
use adapters::voice::{
    CallEventKind, CallLookup, PlaceCallError, VoiceProvider, WebhookError, WebhookRequest,
};
use chrono::Utc;
use domain::config::Voicemail;
use domain::retry::Outcome;
use wiremock::matchers::{basic_auth, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{handling_options, request};

fn twilio(server: &MockServer) -> Twilio {
    Twilio::new(
        TwilioConfig {
            account_sid: "AC123".into(),
            auth_token: "tok3n".into(),
            api_base: server.uri(),
            calls_per_second: 5,
        },
        Duration::from_millis(500),
    )
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Places one call through the adapter against a mock of Twilio's API (which answers 201
/// once) and returns the form fields the adapter posted.
async fn posted_form(
    voicemail: Voicemail,
    transfer: Option<&str>,
    label: &str,
) -> Vec<(String, String)> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2010-04-01/Accounts/AC123/Calls.json"))
        .and(basic_auth("AC123", "tok3n"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(serde_json::json!({"sid": "CA9", "status": "queued"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let placed = twilio(&server)
        .place_call(&request(voicemail, transfer))
        .await
        .unwrap();
    assert_eq!(placed.provider_call_id, "CA9", "{label}");
    let sent = &server.received_requests().await.unwrap()[0];
    form(&sent.body)
}

/// The TwiML connects the agent's stream with the call's parameters (escaped) and the agent
/// report API's URL and token. Then it hangs up, or — with a transfer number — redirects to the
/// call-flow endpoint (which dials only on the agent's request): it never `<Dial>`s by itself.
fn assert_twiml(twiml: &str, transfer: Option<&str>, label: &str) {
    assert!(twiml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Connect><Stream url=\"wss://agents.example.com/stream?agent=ava&amp;x=1\">"), "{twiml}");
    for parameter in [
        "<Parameter name=\"tenant\" value=\"acme\"/>",
        "<Parameter name=\"campaign\" value=\"c1\"/>",
        "<Parameter name=\"lead\" value=\"lead7\"/>",
        "<Parameter name=\"attempt\" value=\"2\"/>",
        "<Parameter name=\"var_name\" value=\"Ann Lee\"/>",
        "<Parameter name=\"var_plan\" value=\"gold\"/>",
        "<Parameter name=\"voicemail_message\" value=\"Hi, it&apos;s Ava &lt;from&gt; Acme &amp; co\"/>",
        "<Parameter name=\"report_url\" value=\"https://hooks.example.com/v1/call-reports\"/>",
        "<Parameter name=\"report_token\" value=\"ct1.acme.c1.lead7.2.1800000000.abcd\"/>",
    ] {
        assert!(twiml.contains(parameter), "{label}: {parameter} in {twiml}");
    }
    assert!(
        !twiml.contains("<Dial"),
        "{label}: never dials by itself: {twiml}"
    );
    let end = match transfer {
        Some(_) => {
            "</Connect><Redirect method=\"POST\">https://hooks.example.com/v1/call-flow/p/acme/c1/lead7/2</Redirect></Response>"
        }
        None => "</Connect><Hangup/></Response>",
    };
    assert!(twiml.ends_with(end), "{label}: {twiml}");
    if let Some(number) = transfer {
        let parameter = format!("<Parameter name=\"transfer_number\" value=\"{number}\"/>");
        assert!(twiml.contains(&parameter), "{label}: {twiml}");
    }
}

#[tokio::test]
async fn create_call_posts_every_field_for_each_call_handling_option() {
    for (label, voicemail, transfer) in handling_options() {
        let fields = posted_form(voicemail, transfer, label).await;
        let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("To"), Some("+12125550100"), "{label}");
        assert_eq!(get("From"), Some("+14155550199"));
        assert_eq!(
            get("StatusCallback"),
            Some("https://hooks.example.com/v1/call-events/p/acme/c1/lead7/2")
        );
        assert_eq!(get("StatusCallbackMethod"), Some("POST"));
        let events: Vec<&str> = fields
            .iter()
            .filter(|(k, _)| k == "StatusCallbackEvent")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(events, ["completed"], "only the callback that moves state");
        assert_eq!(get("TimeLimit"), Some("600"));
        assert_eq!(get("Timeout"), Some("30"));
        assert_twiml(get("Twiml").unwrap(), transfer, label);
        match voicemail {
            Voicemail::NotDetected => {
                assert!(
                    !names.contains(&"MachineDetection") && !names.contains(&"AsyncAmd"),
                    "{label}: {names:?}"
                );
            }
            Voicemail::Detect(action) => {
                let mode = if matches!(action, domain::config::VoicemailAction::LeaveMessage) {
                    "DetectMessageEnd"
                } else {
                    "Enable"
                };
                assert_eq!(get("MachineDetection"), Some(mode), "{label}");
                assert_eq!(get("AsyncAmd"), Some("true"));
                assert_eq!(get("AsyncAmdStatusCallback"), get("StatusCallback"));
                assert_eq!(get("AsyncAmdStatusCallbackMethod"), Some("POST"));
            }
        }
        let expected_fields = 8 + if matches!(voicemail, Voicemail::NotDetected) {
            0
        } else {
            4
        };
        assert_eq!(
            fields.len(),
            expected_fields,
            "{label}: no other field is sent: {names:?}"
        );
    }
}

#[tokio::test]
async fn refusals_map_to_backoff_unavailable_uncertain_or_permanent() {
    let cases: Vec<(u16, serde_json::Value, Option<&str>, PlaceCallError)> = vec![
        (
            429,
            serde_json::json!({"code": 20429, "message": "Too Many Requests"}),
            Some("7"),
            PlaceCallError::RateLimited {
                retry_after: Some(Duration::from_secs(7)),
            },
        ),
        (
            503,
            serde_json::json!({}),
            None,
            PlaceCallError::Unavailable,
        ),
        (
            401,
            serde_json::json!({"code": 20003, "message": "Authenticate"}),
            None,
            PlaceCallError::Unavailable,
        ),
        (500, serde_json::json!({}), None, PlaceCallError::Uncertain),
        (502, serde_json::json!({}), None, PlaceCallError::Uncertain),
        (
            400,
            serde_json::json!({"code": 21211, "message": "Invalid 'To' Phone Number"}),
            None,
            PlaceCallError::Rejected {
                reason: "twilio_21211".into(),
            },
        ),
        (
            400,
            serde_json::json!({"code": 21214, "message": "'To' phone number cannot be reached"}),
            None,
            PlaceCallError::Rejected {
                reason: "twilio_21214".into(),
            },
        ),
        (
            400,
            serde_json::json!({"code": 21215, "message": "Geo permission"}),
            None,
            PlaceCallError::Rejected {
                reason: "twilio_21215".into(),
            },
        ),
    ];
    for (status, body, retry_after, expected) in cases {
        let server = MockServer::start().await;
        let mut response = ResponseTemplate::new(status).set_body_json(body);
        if let Some(seconds) = retry_after {
            response = response.insert_header("retry-after", seconds);
        }
        Mock::given(method("POST"))
            .respond_with(response)
            .mount(&server)
            .await;
        let err = twilio(&server)
            .place_call(&request(Voicemail::NotDetected, None))
            .await
            .unwrap_err();
        assert_eq!(err, expected, "HTTP {status}");
    }
}

#[tokio::test]
async fn a_timeout_is_uncertain_and_a_refused_connection_is_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let err = twilio(&server)
        .place_call(&request(Voicemail::NotDetected, None))
        .await
        .unwrap_err();
    assert_eq!(err, PlaceCallError::Uncertain);

    let closed = TwilioConfig {
        account_sid: "AC1".into(),
        auth_token: "t".into(),
        api_base: "http://127.0.0.1:1".into(),
        calls_per_second: 1,
    };
    let err = Twilio::new(closed, Duration::from_secs(1))
        .place_call(&request(Voicemail::NotDetected, None))
        .await
        .unwrap_err();
    assert_eq!(err, PlaceCallError::Unavailable);
}

#[test]
fn classify_error_is_total_over_statuses() {
    assert!(matches!(
        classify_error(404, None, None),
        PlaceCallError::Rejected { .. }
    ));
    assert!(matches!(
        classify_error(400, Some(20429), None),
        PlaceCallError::RateLimited { .. }
    ));
}

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

fn webhook(token: &str, fields: &[(&str, &str)], sign_with: Option<&str>) -> WebhookRequest {
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
    if let Some(key) = sign_with {
        headers.insert(
            "x-twilio-signature".to_owned(),
            signature(key, HOOK, &pairs),
        );
    }
    let _ = token;
    WebhookRequest {
        url: HOOK.to_owned(),
        headers,
        body: body.into_bytes(),
    }
}

async fn adapter() -> Twilio {
    Twilio::new(
        TwilioConfig {
            account_sid: "AC123".into(),
            auth_token: "tok3n".into(),
            api_base: "http://127.0.0.1:1".into(),
            calls_per_second: 1,
        },
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
    let event = t.parse_webhook(&valid, Utc::now()).unwrap();
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
        t.parse_webhook(&tampered, Utc::now()).unwrap_err(),
        WebhookError::BadSignature
    );

    let wrong_key = webhook("tok3n", &fields, Some("another-token"));
    assert_eq!(
        t.parse_webhook(&wrong_key, Utc::now()).unwrap_err(),
        WebhookError::BadSignature
    );

    let missing = webhook("tok3n", &fields, None);
    assert_eq!(
        t.parse_webhook(&missing, Utc::now()).unwrap_err(),
        WebhookError::BadSignature
    );

    let mut other_url = valid.clone();
    other_url.url = HOOK.replace("lead7", "lead8");
    assert_eq!(
        t.parse_webhook(&other_url, Utc::now()).unwrap_err(),
        WebhookError::BadSignature,
        "the URL (our reference) is signed"
    );

    // Twilio's signature has no timestamp: a replayed webhook verifies, and is harmless
    // because an outcome applies once (conditional on the lead calling in that attempt).
    assert!(
        t.parse_webhook(&valid, Utc::now() + chrono::Duration::days(1))
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
            t.parse_webhook(&hook, Utc::now()).unwrap().kind,
            CallEventKind::Progress(status.into())
        );
    }
    let amd = webhook(
        "tok3n",
        &[
            ("CallSid", "CA9"),
            ("AnsweredBy", "machine_end_beep"),
            ("MachineDetectionDuration", "3200"),
        ],
        Some("tok3n"),
    );
    assert_eq!(
        t.parse_webhook(&amd, Utc::now()).unwrap().kind,
        CallEventKind::MachineVerdict("machine_end_beep".into())
    );
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

#[tokio::test]
async fn lookup_by_sid_and_by_number_reads_the_call_resource() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2010-04-01/Accounts/AC123/Calls/CA9.json"))
        .and(basic_auth("AC123", "tok3n"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"sid": "CA9", "status": "completed", "answered_by": "machine_end_beep", "duration": "31"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2010-04-01/Accounts/AC123/Calls/CA404.json"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({"code": 20404})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2010-04-01/Accounts/AC123/Calls.json"))
        .and(query_param("To", "+12125550100"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"calls": [{"sid": "CA7", "status": "in-progress"}]}),
            ),
        )
        .mount(&server)
        .await;
    let t = twilio(&server);
    let r = request(Voicemail::NotDetected, None);
    match t
        .lookup_call(&r.reference, Some("CA9"), &r.to)
        .await
        .unwrap()
    {
        CallLookup::Ended { report, details } => {
            assert_eq!(report.outcome, Outcome::Voicemail);
            assert_eq!(details.duration_seconds, 31);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        t.lookup_call(&r.reference, Some("CA404"), &r.to)
            .await
            .unwrap(),
        CallLookup::NotFound
    );
    assert_eq!(
        t.lookup_call(&r.reference, None, &r.to).await.unwrap(),
        CallLookup::InProgress {
            provider_call_id: "CA7".into()
        }
    );
    let sent = server.received_requests().await.unwrap();
    let by_number = sent
        .iter()
        .find(|s| s.url.path().ends_with("/Calls.json"))
        .unwrap();
    assert!(
        by_number.url.query().unwrap().contains("StartTime%3E="),
        "{:?}",
        by_number.url
    );
}

#[tokio::test]
async fn a_failed_lookup_by_number_says_nothing_of_the_number() {
    // Twilio answers with a body that is not the call list, and a closed port refuses: both
    // errors end up in logs; neither may carry the number (the URL's `To=` or the message).
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("To=+12125550100 <html>"))
        .mount(&server)
        .await;
    let closed = TwilioConfig {
        account_sid: "AC1".into(),
        auth_token: "t".into(),
        api_base: "http://127.0.0.1:1".into(),
        calls_per_second: 1,
    };
    let r = request(Voicemail::NotDetected, None);
    for adapter in [twilio(&server), Twilio::new(closed, Duration::from_secs(1))] {
        let err = adapter
            .lookup_call(&r.reference, None, &r.to)
            .await
            .unwrap_err();
        let text = format!("{err} {err:?}");
        let digits = r.to.digits();
        assert!(!text.contains(&digits[1..]), "{text}");
        assert!(!text.contains(&digits[digits.len() - 7..]), "{text}");
    }
}

#[test]
fn every_field_that_fits_reaches_the_agent_and_the_twiml_stays_within_twilios_limit() {
    use adapters::voice::twilio::{TWIML_MAX_CHARS, twiml};
    let mut r = request(Voicemail::NotDetected, Some("+14155550100"));
    // 8 KiB of custom fields (the import's limit): more than Twilio takes in one TwiML.
    for i in 0..16 {
        r.variables.insert(format!("field{i:02}"), "x".repeat(500));
    }
    let xml = twiml(&r);
    assert!(
        xml.chars().count() <= TWIML_MAX_CHARS,
        "{} chars",
        xml.chars().count()
    );
    assert!(xml.ends_with("</Redirect></Response>"), "{xml}");
    for must in [
        "\"report_token\"",
        "\"report_url\"",
        "\"tenant\"",
        "\"lead\"",
        "\"attempt\"",
        "\"transfer_number\"",
        "\"var_name\"",
    ] {
        assert!(xml.contains(must), "{must} is always there");
    }
    // Fields go in name order until the next would not fit: a prefix of the names is present.
    let present: Vec<bool> = (0..16)
        .map(|i| xml.contains(&format!("\"var_field{i:02}\"")))
        .collect();
    assert!(present[0] && !present[15], "{present:?}");
    assert!(present.windows(2).all(|w| w[0] || !w[1]), "{present:?}");
    // The fields left out are named, for the attempt's record.
    let (_, left_out) = adapters::voice::twilio::twiml_and_left_out(&r);
    let expected: Vec<String> = r
        .variables
        .keys()
        .filter(|name| !xml.contains(&format!("\"var_{name}\"")))
        .cloned()
        .collect();
    assert!(expected.contains(&"field15".to_owned()), "{expected:?}");
    assert_eq!(left_out, expected);

    // A lead whose fields fit keeps them all.
    let small = request(Voicemail::NotDetected, None);
    let xml = twiml(&small);
    assert!(xml.contains("\"var_name\"") && xml.contains("\"var_plan\""));
}
