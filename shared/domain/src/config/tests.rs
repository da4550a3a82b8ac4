use proptest::prelude::*;

use super::*;
use crate::window::LocalRange;

fn minimal() -> CampaignSpec {
    serde_json::from_str(r#"{"name":"Spring renewals","agent_id":"agent-1"}"#).unwrap()
}

#[test]
fn a_name_and_an_agent_are_enough_and_defaults_fill_the_rest() {
    let config = CampaignConfig::parse(minimal()).unwrap();
    assert_eq!(
        config.pacing,
        Pacing {
            max_concurrent_calls: 5,
            calls_per_hour: 100
        }
    );
    assert_eq!(config.retry.max_retries(), 2);
    assert_eq!(config.retry.delay(), Duration::minutes(60));
    assert_eq!(config.default_region, DefaultRegion::us());
    assert_eq!(
        config.window.day(0),
        &[LocalRange::parse("09:00", "18:00").unwrap()]
    );
    assert!(config.window.day(5).is_empty());
    assert_eq!(
        config.call_handling.voicemail,
        Voicemail::Detect(VoicemailAction::HangUp)
    );
    assert!(!config.consent_required);
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let mut spec = minimal();
    spec.name = "  ".into();
    spec.agent_id = "no spaces allowed".into();
    spec.pacing.max_concurrent_calls = 0;
    spec.pacing.calls_per_hour = 1_000_000;
    spec.retry.max_retries = 9;
    spec.default_region = "ZZ".into();
    spec.call_handling.max_call_seconds = 5;
    spec.call_handling.voicemail_detection = false;
    spec.call_handling.voicemail_action = VoicemailAction::LeaveMessage;
    spec.schedule.window.insert("funday".into(), vec![]);
    spec.schedule.window.insert(
        "monday".into(),
        vec![RangeSpec {
            start: "18:00".into(),
            end: "09:00".into(),
        }],
    );
    let err = CampaignConfig::parse(spec).unwrap_err();
    let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "name",
            "agent_id",
            "schedule.window.funday",
            "schedule.window.monday[0]",
            "pacing.max_concurrent_calls",
            "pacing.calls_per_hour",
            "retry.max_retries",
            "default_region",
            "call_handling.max_call_seconds",
            "call_handling.voicemail_action",
        ]
    );
}

#[test]
fn an_end_before_the_start_is_refused() {
    let mut spec = minimal();
    spec.schedule.starts_at = Some("2026-06-10T00:00:00Z".parse().unwrap());
    spec.schedule.ends_at = Some("2026-06-09T00:00:00Z".parse().unwrap());
    let err = CampaignConfig::parse(spec).unwrap_err();
    assert_eq!(err.0[0].field, "schedule.ends_at");
}

#[test]
fn campaign_dates_outside_the_documented_range_are_refused_not_overflowed() {
    // The review's case: an end date so far ahead that launch's date arithmetic overflowed.
    let far: DateTime<Utc> = serde_json::from_str("\"+200000-01-01T00:00:00Z\"").unwrap();
    for (starts, ends, field) in [
        (None, Some(far), "schedule.ends_at"),
        (None, Some(DateTime::<Utc>::MAX_UTC), "schedule.ends_at"),
        (Some(DateTime::<Utc>::MIN_UTC), None, "schedule.starts_at"),
        (
            None,
            Some("2100-01-01T00:00:00Z".parse().unwrap()),
            "schedule.ends_at",
        ),
    ] {
        let mut spec = minimal();
        spec.schedule.starts_at = starts;
        spec.schedule.ends_at = ends;
        let err = CampaignConfig::parse(spec).unwrap_err();
        assert!(
            err.0.iter().any(|e| e.field == field),
            "{starts:?} {ends:?}: {err:?}"
        );
    }
    let mut spec = minimal();
    spec.schedule.ends_at = Some("2099-12-31T23:59:59Z".parse().unwrap());
    assert!(
        CampaignConfig::parse(spec).is_ok(),
        "the last accepted instant"
    );
}

#[test]
fn a_window_with_no_hours_is_refused() {
    let mut spec = minimal();
    spec.schedule.window.clear();
    assert_eq!(
        CampaignConfig::parse(spec).unwrap_err().0[0].field,
        "schedule.window"
    );
}

#[test]
fn the_transfer_number_is_normalized_with_the_default_region() {
    let mut spec = minimal();
    spec.call_handling.transfer_number = Some("(415) 555-2671".into());
    let config = CampaignConfig::parse(spec).unwrap();
    assert_eq!(
        config
            .call_handling
            .transfer_number
            .as_ref()
            .unwrap()
            .as_str(),
        "+14155552671"
    );
    assert_eq!(
        config.spec().call_handling.transfer_number.as_deref(),
        Some("+14155552671")
    );
}

#[test]
fn a_premium_rate_transfer_number_is_refused_on_its_field() {
    let mut spec = minimal();
    spec.call_handling.transfer_number = Some("+1 900 443 3030".into());
    let err = CampaignConfig::parse(spec).unwrap_err();
    let error = err
        .0
        .iter()
        .find(|e| e.field == "call_handling.transfer_number")
        .expect("the transfer number's field is named");
    assert!(error.message.contains("premium-rate"), "{}", error.message);
}

#[test]
fn unknown_fields_are_refused_rather_than_ignored() {
    let err = serde_json::from_str::<CampaignSpec>(r#"{"name":"x","agent_id":"a","pacin":{}}"#);
    assert!(err.is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// What is stored (the normalized spec) parses back to the same configuration.
    #[test]
    fn a_parsed_config_round_trips_through_its_spec(
        concurrency in 1u32..=1000, per_hour in 1u32..=100_000, retries in 0u32..=5,
        delay in 1u32..=43_200, seconds in 30u32..=14_400, start_hour in 0u16..23, len in 1u16..10,
    ) {
        let mut spec = minimal();
        spec.pacing = PacingSpec { max_concurrent_calls: concurrency, calls_per_hour: per_hour };
        spec.retry.max_retries = retries;
        spec.retry.delay_minutes = delay;
        spec.call_handling.max_call_seconds = seconds;
        let end = (start_hour + len).min(24);
        spec.schedule.window.insert(
            "saturday".into(),
            vec![RangeSpec { start: format!("{start_hour:02}:00"), end: format!("{end:02}:00") }],
        );
        let config = CampaignConfig::parse(spec).unwrap();
        let json = serde_json::to_string(config.spec()).unwrap();
        let again = CampaignConfig::parse(serde_json::from_str(&json).unwrap()).unwrap();
        prop_assert_eq!(again, config);
    }
}

#[test]
fn blackout_days_are_kept_merged_and_each_bad_entry_is_named() {
    let mut spec = minimal();
    spec.schedule.blackout = serde_json::from_str(
        r#"[{"from":"2026-12-24","to":"2026-12-26"},{"from":"2026-07-04"},{"from":"2026-12-26"}]"#,
    )
    .unwrap();
    let config = CampaignConfig::parse(spec.clone()).unwrap();
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    assert_eq!(
        config.blackout.ranges(),
        [
            (day("2026-07-04"), day("2026-07-04")),
            (day("2026-12-24"), day("2026-12-26"))
        ]
    );
    assert_eq!(
        config.spec().schedule.blackout,
        spec.schedule.blackout,
        "stored as given"
    );

    spec.schedule.blackout = serde_json::from_str(
        r#"[{"from":"2026-07-04"},{"from":"2026-07-05","to":"2026-07-01"},{"from":"2026-01-01","to":"2026-03-04"},{"from":"1999-12-31"}]"#,
    )
    .unwrap();
    let errors = CampaignConfig::parse(spec.clone()).unwrap_err().0;
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "schedule.blackout[1]",
            "schedule.blackout[2]",
            "schedule.blackout[3]"
        ]
    );

    spec.schedule.blackout = vec![
        BlackoutSpec {
            from: day("2026-07-04"),
            to: None
        };
        51
    ];
    let errors = CampaignConfig::parse(spec).unwrap_err().0;
    assert_eq!(errors[0].field, "schedule.blackout");
}
