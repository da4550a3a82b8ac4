use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::retry::{MAX_ATTEMPTS, next_wait};
use super::signature::{BadSignature, sign, sign_with_each, verify};
use super::target::{BadTarget, check_ip, check_url};
use super::*;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn a_signature_verifies_with_its_secret_and_body_and_nothing_else() {
    let now = at("2026-06-10T15:00:00Z");
    let body = br#"{"id":"evt_1"}"#;
    let header = sign("whsec_abc", now, body);
    assert!(header.starts_with(&format!("t={},v1=", now.timestamp())));
    let five = Duration::minutes(5);
    assert_eq!(verify("whsec_abc", &header, body, now, five), Ok(()));
    assert_eq!(
        verify("whsec_other", &header, body, now, five),
        Err(BadSignature::Mismatch)
    );
    assert_eq!(
        verify("whsec_abc", &header, br#"{"id":"evt_2"}"#, now, five),
        Err(BadSignature::Mismatch)
    );
    assert_eq!(
        verify("whsec_abc", &header, body, now + Duration::minutes(6), five),
        Err(BadSignature::Stale)
    );
    assert_eq!(
        verify("whsec_abc", "v1=00", body, now, five),
        Err(BadSignature::Malformed)
    );
}

#[test]
fn during_a_rotation_either_secret_verifies_and_no_other() {
    let now = at("2026-06-10T15:00:00Z");
    let body = br#"{"id":"evt_1"}"#;
    let header = sign_with_each(&["whsec_new", "whsec_old"], now, body);
    assert_eq!(header.matches(",v1=").count(), 2, "{header}");
    let five = Duration::minutes(5);
    assert_eq!(verify("whsec_new", &header, body, now, five), Ok(()));
    assert_eq!(verify("whsec_old", &header, body, now, five), Ok(()));
    assert_eq!(
        verify("whsec_other", &header, body, now, five),
        Err(BadSignature::Mismatch)
    );
    assert_eq!(
        sign_with_each(&["whsec_new"], now, body),
        sign("whsec_new", now, body)
    );
}

#[test]
fn the_signed_text_is_the_timestamp_a_dot_and_the_body() {
    // HMAC-SHA256("key", "1700000000.hello"), computed independently (Python's hmac module).
    let header = sign(
        "key",
        DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        b"hello",
    );
    assert_eq!(
        header,
        "t=1700000000,v1=4d583a269f4f276a3fa80ff31b5a01879a848096983222a17893d198418939aa"
    );
}

#[test]
fn retries_span_a_day_then_stop() {
    let total: i64 = (1..MAX_ATTEMPTS)
        .map(|n| next_wait(n).unwrap().num_minutes())
        .sum();
    assert!(
        (24 * 60..25 * 60).contains(&total),
        "{total} minutes of retries"
    );
    assert_eq!(next_wait(MAX_ATTEMPTS), None);
    assert_eq!(next_wait(0), None);
    let waits: Vec<i64> = (1..MAX_ATTEMPTS)
        .map(|n| next_wait(n).unwrap().num_minutes())
        .collect();
    assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
}

#[test]
fn deployments_refuse_plain_http_credentials_and_internal_addresses() {
    assert_eq!(check_url("https://hooks.example.com/in", false), Ok(()));
    assert_eq!(
        check_url("https://hooks.example.com:8443/in?x=1", false),
        Ok(())
    );
    assert_eq!(
        check_url("http://hooks.example.com/in", false),
        Err(BadTarget::NotHttps)
    );
    assert_eq!(
        check_url("https://user:pw@hooks.example.com/", false),
        Err(BadTarget::Credentials)
    );
    for url in [
        "https://127.0.0.1/",
        "https://10.1.2.3/",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]:8443/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://[::ffff:192.168.1.1]/",
        "https://100.64.0.1/",
        "https://localhost/",
        "https://metadata.google.internal/",
    ] {
        assert!(
            matches!(check_url(url, false), Err(BadTarget::Internal(_))),
            "{url}"
        );
    }
    for url in [
        "ftp://example.com/",
        "example.com",
        "https:///path",
        "https://a b/",
    ] {
        assert_eq!(check_url(url, false), Err(BadTarget::NotAUrl), "{url}");
    }
}

#[test]
fn a_local_run_allows_a_receiver_on_this_machine_only() {
    assert_eq!(check_url("http://127.0.0.1:9000/hook", true), Ok(()));
    assert_eq!(check_url("http://localhost:9000/hook", true), Ok(()));
    assert!(check_url("http://10.0.0.5/hook", true).is_err());
    assert_eq!(check_ip("::1".parse().unwrap(), true), Ok(()));
}

#[test]
fn public_addresses_pass_and_nat64_is_judged_by_the_address_it_reaches() {
    for ip in [
        "93.184.216.34",
        "2606:2800:220:1:248:1893:25c8:1946",
        "64:ff9b::5db8:d822",
    ] {
        assert_eq!(check_ip(ip.parse().unwrap(), false), Ok(()), "{ip}");
    }
    let nat64_to_private: IpAddr = "64:ff9b::a00:1".parse().unwrap();
    assert!(check_ip(nat64_to_private, false).is_err());
}

#[test]
fn an_endpoint_names_every_bad_field() {
    let spec = EndpointSpec {
        url: "http://example.com".into(),
        events: vec![EventType::CallCompleted, EventType::CallCompleted],
        description: Some("x".repeat(201)),
        enabled: true,
    };
    let fields: Vec<&str> = spec
        .validate(false)
        .unwrap_err()
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(fields, ["url", "events", "description"]);
    let none = EndpointSpec {
        url: "https://example.com/hook".into(),
        events: vec![],
        description: None,
        enabled: true,
    };
    assert_eq!(none.validate(false).unwrap_err()[0].0, "events");
}

#[test]
fn event_types_round_trip_their_wire_names() {
    for kind in EventType::ALL {
        assert_eq!(EventType::parse(kind.as_str()), Some(kind));
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{}\"", kind.as_str()));
    }
}

proptest! {
    /// Whatever the body and secret, a signature verifies, and flipping any byte of the body
    /// breaks it.
    #[test]
    fn any_changed_byte_breaks_the_signature(
        body in proptest::collection::vec(any::<u8>(), 1..200),
        secret in "[a-z0-9]{8,40}",
        flip in any::<prop::sample::Index>(),
    ) {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let header = sign(&secret, now, &body);
        prop_assert_eq!(verify(&secret, &header, &body, now, Duration::minutes(5)), Ok(()));
        let mut changed = body.clone();
        let i = flip.index(changed.len());
        changed[i] ^= 0x01;
        prop_assert_eq!(
            verify(&secret, &header, &changed, now, Duration::minutes(5)),
            Err(BadSignature::Mismatch)
        );
    }
}
