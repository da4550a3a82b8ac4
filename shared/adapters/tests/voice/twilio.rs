use std::time::Duration;

use adapters::voice::twilio::{Twilio, TwilioConfig, classify_error};
use domain::config::Voicemail;
use domain::retry::Outcome;
use ports::voice::{CallLookup, PlaceCallError, VoiceProvider};
use wiremock::matchers::{basic_auth, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{handling_options, request};

fn twilio(server: &MockServer) -> Twilio {
    Twilio::new(
        TwilioConfig::new("AC123", "tok3n", &server.uri(), 5),
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
    assert!(twiml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Connect><Stream url=\"wss://agents.example.com/stream?agent=ava&amp;x=1\" statusCallback=\"https://hooks.example.com/v1/call-events/p/acme/c1/lead7/2?event=stream#rc=3&amp;rp=4xx,5xx,ct,rt\" statusCallbackMethod=\"POST\">"), "{twiml}");
    for parameter in [
        "<Parameter name=\"tenant\" value=\"acme\"/>",
        "<Parameter name=\"campaign\" value=\"c1\"/>",
        "<Parameter name=\"lead\" value=\"lead7\"/>",
        "<Parameter name=\"attempt\" value=\"2\"/>",
        "<Parameter name=\"var_name\" value=\"Ann Lee\"/>",
        "<Parameter name=\"var_plan\" value=\"gold\"/>",
        "<Parameter name=\"report_url\" value=\"https://hooks.example.com/v1/call-reports\"/>",
        "<Parameter name=\"report_token\" value=\"ct1.acme.c1.lead7.2.1800000000.abcd\"/>",
    ] {
        assert!(twiml.contains(parameter), "{label}: {parameter} in {twiml}");
    }
    assert!(
        !twiml.contains("<Dial"),
        "{label}: never dials by itself: {twiml}"
    );
    assert!(
        !twiml.contains("voicemail_message"),
        "{label}: the engine plays the message itself: {twiml}"
    );
    let end = match transfer {
        Some(_) => {
            "</Connect><Redirect method=\"POST\">https://hooks.example.com/v1/call-flow/p/acme/c1/lead7/2#rc=3&amp;rp=4xx,5xx,ct,rt</Redirect></Response>"
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
            Some(
                "https://hooks.example.com/v1/call-events/p/acme/c1/lead7/2#rc=3&rp=4xx,5xx,ct,rt"
            ),
            "the status callback carries the connection overrides"
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
                assert_eq!(
                    get("AsyncAmdStatusCallback"),
                    Some(
                        "https://hooks.example.com/v1/call-events/p/acme/c1/lead7/2?event=amd#rc=3&rp=4xx,5xx,ct,rt"
                    ),
                    "the verdict has its own URL"
                );
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
            PlaceCallError::AccountProblem {
                problem: "Twilio refused the call: error 20003 (Permission denied (authentication)): check the Twilio account SID and auth token in the provider secret".into(),
                credentials: true,
            },
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
            PlaceCallError::AccountProblem {
                problem: "Twilio refused the call: error 21215 (Geo Permission configuration is not permitting call): enable the destination country in Twilio's Voice Geographic Permissions".into(),
                credentials: false,
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

    let closed = TwilioConfig::new("AC1", "t", "http://127.0.0.1:1", 1);
    let err = Twilio::new(closed, Duration::from_secs(1))
        .place_call(&request(Voicemail::NotDetected, None))
        .await
        .unwrap_err();
    assert_eq!(err, PlaceCallError::Unavailable);
}

#[test]
fn every_known_code_lands_in_its_class_and_unknown_ones_by_status() {
    use adapters::voice::twilio::errors::{Class, KNOWN_ERRORS};
    for error in KNOWN_ERRORS {
        let got = classify_error(400, Some(error.code), None);
        let ok = match error.class {
            Class::Contact => {
                got == PlaceCallError::Rejected {
                    reason: format!("twilio_{}", error.code),
                }
            }
            Class::Account => {
                matches!(&got, PlaceCallError::AccountProblem { problem, .. } if problem.contains(&error.code.to_string()) && problem.contains(error.fix))
            }
            Class::Temporary => matches!(got, PlaceCallError::RateLimited { .. }),
        };
        assert!(ok, "{}: {got:?}", error.code);
    }
    // Each geo-permission code, the unverified caller, the trial account: the account's.
    for code in [21215, 13227, 32205, 21210, 21219, 20404] {
        assert!(
            matches!(
                classify_error(400, Some(code), None),
                PlaceCallError::AccountProblem { .. }
            ),
            "{code}"
        );
    }
    assert!(matches!(
        classify_error(403, None, None),
        PlaceCallError::AccountProblem {
            credentials: true,
            ..
        }
    ));
    assert!(matches!(
        classify_error(404, None, None),
        PlaceCallError::AccountProblem { .. }
    ));
    assert!(matches!(
        classify_error(400, Some(99999), None),
        PlaceCallError::Rejected { .. }
    ));
    assert!(matches!(
        classify_error(400, None, None),
        PlaceCallError::Rejected { .. }
    ));
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
    // Twilio's list of calls to the number: an earlier attempt's call (created before this
    // attempt was claimed) and this attempt's, newest first.
    Mock::given(method("GET"))
        .and(path("/2010-04-01/Accounts/AC123/Calls.json"))
        .and(query_param("To", "+12125550100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"calls": [
            {"sid": "CA7", "status": "in-progress", "date_created": "Wed, 10 Jun 2026 12:20:03 +0000"},
            {"sid": "CA6", "status": "completed", "answered_by": "human", "duration": "40",
             "date_created": "Wed, 10 Jun 2026 11:58:00 +0000"},
        ]})))
        .mount(&server)
        .await;
    let t = twilio(&server);
    let r = request(Voicemail::NotDetected, None);
    match t
        .lookup_call(&r.reference, Some("CA9"), &r.to, claimed("12:20:01"))
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
        t.lookup_call(&r.reference, Some("CA404"), &r.to, claimed("12:20:01"))
            .await
            .unwrap(),
        CallLookup::NotFound
    );
    assert_eq!(
        t.lookup_call(&r.reference, None, &r.to, claimed("12:20:01"))
            .await
            .unwrap(),
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
        by_number
            .url
            .query()
            .unwrap()
            .contains("StartTime%3E=2026-06-10"),
        "Twilio filters StartTime by day: {:?}",
        by_number.url
    );
}

#[tokio::test]
async fn a_call_still_queued_at_twilio_is_in_progress_not_lost() {
    // Twilio holds the call past the account's calls per second: it has no start time yet, so
    // the day filter does not list it; the queued list does.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2010-04-01/Accounts/AC123/Calls.json"))
        .and(query_param("Status", "queued"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"calls": [
            {"sid": "CA8", "status": "queued", "date_created": "Wed, 10 Jun 2026 12:20:02 +0000"},
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2010-04-01/Accounts/AC123/Calls.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"calls": []})))
        .mount(&server)
        .await;
    let r = request(Voicemail::NotDetected, None);
    assert_eq!(
        twilio(&server)
            .lookup_call(&r.reference, None, &r.to, claimed("12:20:01"))
            .await
            .unwrap(),
        CallLookup::InProgress {
            provider_call_id: "CA8".into()
        }
    );
}

/// A claim time on the day of the listed calls.
fn claimed(time: &str) -> chrono::DateTime<chrono::Utc> {
    format!("2026-06-10T{time}Z").parse().unwrap()
}

#[tokio::test]
async fn a_call_created_before_the_attempt_was_claimed_is_never_taken_for_it() {
    // The dialer died before asking for attempt 2 (or its answer was lost and no call was
    // made): the only call to the number is attempt 1's, and its outcome is not attempt 2's.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2010-04-01/Accounts/AC123/Calls.json"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"calls": [
                {"sid": "CA6", "status": "completed", "answered_by": "human", "duration": "40",
                 "date_created": "Wed, 10 Jun 2026 11:58:00 +0000"},
                {"sid": "CA5", "status": "completed", "duration": "9"},
            ]})),
        )
        .mount(&server)
        .await;
    let r = request(Voicemail::NotDetected, None);
    assert_eq!(
        twilio(&server)
            .lookup_call(&r.reference, None, &r.to, claimed("12:20:01"))
            .await
            .unwrap(),
        CallLookup::NotFound
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
    let closed = TwilioConfig::new("AC1", "t", "http://127.0.0.1:1", 1);
    let r = request(Voicemail::NotDetected, None);
    for adapter in [twilio(&server), Twilio::new(closed, Duration::from_secs(1))] {
        let err = adapter
            .lookup_call(&r.reference, None, &r.to, chrono::Utc::now())
            .await
            .unwrap_err();
        let text = format!("{err} {err:?}");
        let digits = r.to.digits();
        assert!(!text.contains(&digits[1..]), "{text}");
        assert!(!text.contains(&digits[digits.len() - 7..]), "{text}");
    }
}
