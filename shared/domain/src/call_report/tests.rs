use super::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn report(disposition: &str) -> AgentReport {
    AgentReport {
        disposition: Some(Disposition::parse(disposition).unwrap()),
        ..AgentReport::default()
    }
}

#[test]
fn a_repeated_report_changes_nothing_and_a_new_field_is_added() {
    let mut known = report("interested");
    assert_eq!(known.merge(&report("interested")), Ok(false));
    let mut more = report("interested");
    more.results.insert("plan".into(), "gold".into());
    assert_eq!(known.merge(&more), Ok(true));
    assert_eq!(known.results["plan"], "gold");
    assert_eq!(known.merge(&more), Ok(false));
}

#[test]
fn a_field_reported_again_with_another_value_is_a_conflict_and_the_first_stands() {
    let mut known = report("interested");
    let err = known.merge(&report("not_interested")).unwrap_err();
    assert_eq!(err.field, "disposition");
    assert_eq!(known, report("interested"));
    let mut a = AgentReport::default();
    a.results.insert("plan".into(), "gold".into());
    known.merge(&a).unwrap();
    let mut b = AgentReport::default();
    b.results.insert("plan".into(), "silver".into());
    assert_eq!(known.merge(&b).unwrap_err().field, "results.plan");
    assert_eq!(known.results["plan"], "gold");
}

#[test]
fn a_platforms_findings_keep_the_opt_out_when_another_field_is_invalid() {
    let now = at("2026-06-10T12:00:00Z");
    let mut results = BTreeMap::new();
    results.insert("notes".to_owned(), "x".repeat(5000));
    let body = ReportBody {
        opt_out: true,
        callback_at: Some(at("2020-01-01T00:00:00Z")),
        results,
        ..ReportBody::default()
    };
    let (report, dropped) = body.into_report_dropping_invalid(now);
    let report = report.expect("the opt-out stands");
    assert!(report.opt_out);
    assert_eq!((report.callback_at, report.results.len()), (None, 0));
    let fields: Vec<&str> = dropped.iter().map(|d| d.field.as_str()).collect();
    assert!(
        fields.iter().any(|f| f.starts_with("callback_at")),
        "{fields:?}"
    );
    assert!(
        fields.iter().any(|f| f.starts_with("results")),
        "{fields:?}"
    );
    // Nothing valid left: nothing to apply.
    let past = ReportBody {
        callback_at: Some(at("2020-01-01T00:00:00Z")),
        ..ReportBody::default()
    };
    assert_eq!(past.into_report_dropping_invalid(now).0, None);
}

#[test]
fn merging_what_fits_keeps_the_opt_out_beside_a_conflicting_result() {
    let mut known = AgentReport::default();
    known.results.insert("plan".into(), "gold".into());
    let mut learnt = AgentReport {
        opt_out: true,
        ..AgentReport::default()
    };
    learnt.results.insert("plan".into(), "silver".into());
    learnt.results.insert("seats".into(), "3".into());
    let left_out = known.merge_what_fits(&learnt);
    assert!(known.opt_out);
    assert_eq!(known.results["plan"], "gold", "the first stands");
    assert_eq!(known.results["seats"], "3");
    let fields: Vec<&str> = left_out.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["results.plan"]);
}

fn body_with_callback(at: DateTime<Utc>) -> ReportBody {
    ReportBody {
        callback_at: Some(at),
        ..ReportBody::default()
    }
}

#[test]
fn a_callback_time_in_the_past_is_refused_beyond_the_clock_skew() {
    let now = at("2026-06-10T15:00:00Z");
    let refused = body_with_callback(at("2020-06-10T15:00:00Z"))
        .into_report(now)
        .unwrap_err();
    assert_eq!(refused.field, "callback_at");
    assert!(refused.message.contains("past"), "{refused}");
    let just_late = now - chrono::Duration::seconds(CALLBACK_CLOCK_SKEW_SECONDS + 1);
    assert!(body_with_callback(just_late).into_report(now).is_err());
    let skewed = now - chrono::Duration::seconds(CALLBACK_CLOCK_SKEW_SECONDS);
    assert!(body_with_callback(skewed).into_report(now).is_ok());
    assert!(
        body_with_callback(now + chrono::Duration::hours(1))
            .into_report(now)
            .is_ok()
    );
    let too_far = now + chrono::Duration::days(MAX_CALLBACK_DAYS) + chrono::Duration::seconds(1);
    assert!(body_with_callback(too_far).into_report(now).is_err());
}

#[test]
fn an_opt_out_cannot_be_merged_with_a_callback() {
    let mut known = AgentReport {
        callback_at: Some(at("2026-06-10T15:00:00Z")),
        ..AgentReport::default()
    };
    let opt_out = AgentReport {
        opt_out: true,
        ..AgentReport::default()
    };
    assert_eq!(known.merge(&opt_out).unwrap_err().field, "callback_at");
    assert!(!known.opt_out);
}

#[test]
fn result_fields_are_bounded_in_number_name_and_size() {
    let mut r = AgentReport::default();
    r.results.insert("Bad Name".into(), "x".into());
    assert_eq!(r.validate().unwrap_err().field, "results.Bad Name");
    let mut r = AgentReport::default();
    r.results
        .insert("note".into(), "é".repeat(MAX_RESULT_VALUE + 1));
    assert_eq!(r.validate().unwrap_err().field, "results.note");
    let mut r = AgentReport::default();
    for i in 0..=MAX_RESULT_FIELDS {
        r.results.insert(format!("f{i}"), "x".into());
    }
    assert_eq!(r.validate().unwrap_err().field, "results");
    let mut known = AgentReport::default();
    let mut half: AgentReport = AgentReport::default();
    for i in 0..MAX_RESULT_FIELDS {
        half.results.insert(format!("a{i}"), "x".into());
    }
    known.merge(&half).unwrap();
    let mut one_more = AgentReport::default();
    one_more.results.insert("b".into(), "x".into());
    assert_eq!(known.merge(&one_more).unwrap_err().field, "results");
}

#[test]
fn results_are_bounded_in_bytes_as_stored_over_every_merge() {
    // Twenty fields of 500 characters each pass the count and length checks; as JSON
    // (quotes, escapes of control characters) they are far past the byte bound.
    let mut r = AgentReport::default();
    r.results
        .insert("note".into(), "\u{1}".repeat(MAX_RESULT_VALUE));
    assert_eq!(r.validate(), Ok(()), "one field escapes to 3,000 bytes");
    r.results
        .insert("more".into(), "\u{1}".repeat(MAX_RESULT_VALUE));
    let err = r.validate().unwrap_err();
    assert_eq!(err.field, "results");
    assert!(err.message.contains("4096 bytes"), "{}", err.message);
    let mut known = AgentReport::default();
    let mut first = AgentReport::default();
    for i in 0..8 {
        first
            .results
            .insert(format!("a{i}"), "x".repeat(MAX_RESULT_VALUE));
    }
    known.merge(&first).unwrap();
    let mut more = AgentReport::default();
    more.results
        .insert("b".into(), "x".repeat(MAX_RESULT_VALUE));
    assert_eq!(known.merge(&more).unwrap_err().field, "results");
    assert_eq!(
        known.results.len(),
        8,
        "the refused merge left the report as it was"
    );
}

#[test]
fn dispositions_are_standard_or_the_tenants_own_labels() {
    assert!(Disposition::parse("interested").unwrap().is_standard());
    let own = Disposition::parse("wants_demo_2").unwrap();
    assert!(!own.is_standard());
    for bad in ["", "Interested", "2fast", "has space", &"a".repeat(41)] {
        assert!(Disposition::parse(bad).is_err(), "{bad}");
    }
}
