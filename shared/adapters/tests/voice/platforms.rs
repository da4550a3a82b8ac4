//! Vapi and Retell against wiremock: each documented create-call answer read as the dialer
//! must act on it (429 retried, a refused key pauses, 503 unavailable, 500 uncertain), and the
//! lookups of a call whose create answer was lost, in the requests their references document
//! (docs/research/vapi-retell.md) — Vapi's list halved while full, never "not found" unsure.

use std::collections::BTreeMap;
use std::time::Duration;

use adapters::voice::retell::{Retell, RetellConfig};
use adapters::voice::vapi::{Vapi, VapiConfig};
use chrono::{DateTime, Utc};
use domain::config::Voicemail;
use ports::voice::{CallLookup, PlaceCallError, VoiceProvider};
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::request;

fn vapi(server: &MockServer) -> Vapi {
    let config = VapiConfig {
        api_key: "vapi-key".into(),
        api_base: server.uri(),
        phone_number_ids: BTreeMap::from([("+14155550199".to_owned(), "pn_1".to_owned())]),
        calls_per_second: 5,
    };
    Vapi::new(config, Duration::from_secs(5))
}

fn retell(server: &MockServer) -> Retell {
    let config = RetellConfig {
        api_key: "retell-key".into(),
        api_base: server.uri(),
        calls_per_second: 5,
    };
    Retell::new(config, Duration::from_secs(5))
}

/// What each create answer means to the dialer, in words the assertion can compare.
fn meaning(result: Result<ports::voice::PlacedCall, PlaceCallError>) -> String {
    match result {
        Ok(placed) => format!("placed {}", placed.provider_call_id),
        Err(PlaceCallError::RateLimited { .. }) => "rate limited".into(),
        Err(PlaceCallError::Unavailable) => "unavailable".into(),
        Err(PlaceCallError::Uncertain) => "uncertain".into(),
        Err(PlaceCallError::AccountProblem { credentials, .. }) => {
            format!("account problem (credentials {credentials})")
        }
        Err(PlaceCallError::Rejected { reason }) => format!("rejected {reason}"),
    }
}

#[tokio::test]
async fn each_create_answer_of_vapi_and_retell_means_what_their_references_say() {
    let cases: [(u16, serde_json::Value, &str, &str); 9] = [
        (
            201,
            json!({"id": "v1", "call_id": "r1"}),
            "placed v1",
            "placed r1",
        ),
        (201, json!({}), "uncertain", "uncertain"),
        (429, json!({}), "rate limited", "rate limited"),
        (
            401,
            json!({}),
            "account problem (credentials true)",
            "account problem (credentials true)",
        ),
        (
            403,
            json!({}),
            "account problem (credentials true)",
            "account problem (credentials true)",
        ),
        (
            402,
            json!({}),
            "rejected vapi_http_402",
            "account problem (credentials false)",
        ),
        (503, json!({}), "unavailable", "unavailable"),
        (500, json!({}), "uncertain", "uncertain"),
        (
            400,
            json!({}),
            "rejected vapi_http_400",
            "rejected retell_http_400",
        ),
    ];
    for (status, body, vapi_means, retell_means) in cases {
        let server = MockServer::start().await;
        let answer = ResponseTemplate::new(status).set_body_json(body.clone());
        Mock::given(method("POST"))
            .and(path("/call"))
            .respond_with(answer.clone())
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/v2/create-phone-call"))
            .respond_with(answer)
            .mount(&server)
            .await;
        let call = request(Voicemail::NotDetected, None);
        let vapi_said = meaning(vapi(&server).place_call(&call).await);
        let retell_said = meaning(retell(&server).place_call(&call).await);
        assert_eq!(
            (vapi_said.as_str(), retell_said.as_str()),
            (vapi_means, retell_means),
            "HTTP {status}"
        );
    }
}

fn millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A Vapi call object naming `reference` (the metadata our create sends).
fn vapi_call(id: &str, reference: &str) -> serde_json::Value {
    json!({"id": id, "status": "in-progress",
           "assistantOverrides": {"metadata": {"reference": reference}}})
}

#[tokio::test]
async fn a_lost_vapi_create_is_looked_for_in_the_claims_window_halved_while_the_list_is_full() {
    let server = MockServer::start().await;
    let call = request(Voicemail::NotDetected, None);
    let wanted = call.reference.path();
    let claimed: DateTime<Utc> = "2026-06-10T12:00:00Z".parse().unwrap();
    let from = claimed - chrono::Duration::minutes(2);
    let to = claimed + chrono::Duration::days(1);
    let middle = from + (to - from) / 2;
    // The whole window answers a full list of other calls; its first half nothing; its second
    // half the call.
    let others: Vec<_> = (0..1000)
        .map(|i| vapi_call(&format!("o{i}"), "t/c/l/1"))
        .collect();
    let list = |ge: DateTime<Utc>, le: DateTime<Utc>| {
        Mock::given(method("GET"))
            .and(path("/call"))
            .and(query_param("createdAtGe", millis(ge)))
            .and(query_param("createdAtLe", millis(le)))
            .and(query_param("limit", "1000"))
    };
    list(from, to)
        .respond_with(ResponseTemplate::new(200).set_body_json(&others))
        .expect(1)
        .mount(&server)
        .await;
    list(from, middle)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    list(middle, to)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([vapi_call("v9", &wanted)])))
        .expect(1)
        .mount(&server)
        .await;
    let found = (vapi(&server).lookup_call(&call.reference, None, &call.to, claimed))
        .await
        .unwrap();
    assert_eq!(
        found,
        CallLookup::InProgress {
            provider_call_id: "v9".into()
        }
    );

    // A window that stays full however far it is halved is not "not found" (which would
    // release a call that may exist): the lookup fails, to be tried again.
    let crowded = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/call"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&others))
        .mount(&crowded)
        .await;
    let unsure = vapi(&crowded)
        .lookup_call(&call.reference, None, &call.to, claimed)
        .await;
    assert!(unsure.is_err(), "{unsure:?}");
}

#[tokio::test]
async fn a_lost_retell_create_is_looked_for_by_its_reference_in_the_metadata_filter() {
    let server = MockServer::start().await;
    let call = request(Voicemail::NotDetected, None);
    let wanted = call.reference.path();
    let filter = json!({"filter_criteria": {"metadata": [
        {"key": "reference", "type": "string", "op": "eq", "value": wanted}]}});
    let item =
        json!({"call_id": "r7", "call_status": "ongoing", "metadata": {"reference": wanted}});
    Mock::given(method("POST"))
        .and(path("/v3/list-calls"))
        .and(body_partial_json(filter))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": [item]})))
        .expect(1)
        .mount(&server)
        .await;
    let claimed: DateTime<Utc> = "2026-06-10T12:00:00Z".parse().unwrap();
    let found = (retell(&server).lookup_call(&call.reference, None, &call.to, claimed))
        .await
        .unwrap();
    assert_eq!(
        found,
        CallLookup::InProgress {
            provider_call_id: "r7".into()
        }
    );
}
