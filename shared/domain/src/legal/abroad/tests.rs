//! The rules abroad, and an oracle per country across its daylight-saving change: a number of
//! the country is allowed exactly the local hours the table says, in its own zone.

use chrono::{DateTime, NaiveDate, Utc};

use crate::legal::RuleSet;
use crate::local_range::LocalRange;
use crate::phone::E164;
use crate::window::{BlackoutDates, CallingPolicy, LeadLocation, WeeklyWindow};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn allowed(day: NaiveDate, jurisdictions: &[&str]) -> Option<String> {
    (RuleSet::current().allowed_on(day, jurisdictions.iter().copied())).map(|r| r.to_string())
}

/// Whether a number may be called at `instant`, by the legal rules alone (a window open all day).
fn open(number: &str, instant: &str) -> bool {
    let weekly = WeeklyWindow::every_day(LocalRange::parse("00:00", "24:00").unwrap());
    let blackout = BlackoutDates::default();
    let policy = CallingPolicy {
        weekly: &weekly,
        starts_at: None,
        ends_at: None,
        rules: RuleSet::current(),
        blackout: &blackout,
    };
    let location = LeadLocation::of(&E164::parse_strict(number).unwrap(), None, None);
    policy.evaluate(&location, utc(instant)).is_open()
}

#[test]
fn every_rule_abroad_cites_a_source_and_names_a_country_or_province() {
    for rule in RuleSet::current().abroad {
        assert!(!rule.source.is_empty(), "{}", rule.jurisdiction);
        let country = &rule.jurisdiction[..2];
        assert!(
            ["CA", "GB", "AU"].contains(&country),
            "{}",
            rule.jurisdiction
        );
        assert!(rule.jurisdiction.len() == 2 || rule.jurisdiction.as_bytes()[2] == b'-');
    }
}

#[test]
fn each_country_has_its_hours_held_to_the_baseline() {
    let (wednesday, saturday, sunday) = (date(2026, 6, 10), date(2026, 6, 13), date(2026, 6, 14));
    let cases = [
        // Canada: 9:00-21:30 weekdays is held to the baseline's 21:00; weekends 10-18.
        (&["CA", "CA-ON"][..], wednesday, Some("09:00-21:00")),
        (&["CA", "CA-ON"][..], saturday, Some("10:00-18:00")),
        (&["CA", "CA-ON"][..], sunday, Some("10:00-18:00")),
        (&["GB"][..], wednesday, Some("08:00-21:00")),
        (&["GB"][..], sunday, Some("09:00-21:00")),
        (&["AU"][..], wednesday, Some("09:00-20:00")),
        (&["AU"][..], saturday, Some("09:00-17:00")),
        (&["AU"][..], sunday, None),
    ];
    for (jurisdictions, day, want) in cases {
        assert_eq!(
            allowed(day, jurisdictions).as_deref(),
            want,
            "{jurisdictions:?} {day}"
        );
    }
}

#[test]
fn holidays_abroad_ban_the_day_and_australia_its_substitute() {
    // Anzac Day 2026 is a Saturday: banned, and so are the Monday and Tuesday after.
    assert_eq!(allowed(date(2026, 4, 25), &["AU"]), None);
    assert_eq!(allowed(date(2026, 4, 27), &["AU"]), None);
    assert_eq!(
        allowed(date(2026, 4, 29), &["AU"]).as_deref(),
        Some("09:00-20:00")
    );
    // Easter Monday 2026 (April 6), Boxing Day 2026 (a Saturday; Monday 28 its substitute).
    assert_eq!(allowed(date(2026, 4, 6), &["AU"]), None);
    assert_eq!(allowed(date(2026, 12, 28), &["AU"]), None);
    // British Columbia: Canada Day and Truth and Reconciliation; Ontario calls on both.
    for day in [date(2026, 7, 1), date(2026, 9, 30), date(2026, 5, 18)] {
        assert_eq!(allowed(day, &["CA", "CA-BC"]), None, "{day}");
        assert!(allowed(day, &["CA", "CA-ON"]).is_some(), "{day}");
    }
}

#[test]
fn a_number_abroad_carries_its_country_and_a_us_number_does_not() {
    let of = |n: &str| -> Vec<String> {
        let location = LeadLocation::of(&E164::parse_strict(n).unwrap(), None, None);
        location
            .subdivisions
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect()
    };
    assert_eq!(of("+14165550123"), ["CA", "CA-ON"]);
    assert_eq!(of("+442079460958"), ["GB"]);
    assert_eq!(of("+61291234567"), ["AU"]);
    assert_eq!(of("+12125550123"), ["US-NY"]);
    assert!(
        of("+33142685300").is_empty(),
        "no rules of its own: the baseline"
    );
}

#[test]
fn toronto_across_spring_forward_opens_at_nine_local() {
    // 2026-03-08: EST -> EDT. Monday 9 March, 09:00 EDT = 13:00Z; the Monday before,
    // 09:00 EST = 14:00Z.
    let toronto = "+14165550123";
    assert!(!open(toronto, "2026-03-02T13:59:00Z"));
    assert!(open(toronto, "2026-03-02T14:00:00Z"));
    assert!(!open(toronto, "2026-03-09T12:59:00Z"));
    assert!(open(toronto, "2026-03-09T13:00:00Z"));
    // Saturday 14 March: 10:00-18:00 EDT = 14:00Z-22:00Z.
    assert!(open(toronto, "2026-03-14T21:59:00Z"));
    assert!(!open(toronto, "2026-03-14T22:00:00Z"));
}

#[test]
fn london_across_the_start_of_summer_time() {
    // 2026-03-29: GMT -> BST. Weekday 08:00 local: 08:00Z on the 27th, 07:00Z on the 30th.
    let london = "+442079460958";
    assert!(!open(london, "2026-03-27T07:59:00Z"));
    assert!(open(london, "2026-03-27T08:00:00Z"));
    assert!(!open(london, "2026-03-30T06:59:00Z"));
    assert!(open(london, "2026-03-30T07:00:00Z"));
    // Sunday 29th: 09:00 BST = 08:00Z.
    assert!(!open(london, "2026-03-29T07:59:00Z"));
    assert!(open(london, "2026-03-29T08:00:00Z"));
}

#[test]
fn sydney_across_the_end_of_daylight_time_and_never_on_sunday() {
    // 2026-04-05: AEDT (+11) -> AEST (+10). Monday 6 April is Easter Monday (banned); Tuesday
    // 7 April 09:00 AEST = 23:00Z on the 6th. The Tuesday before, 31 March, 09:00 AEDT = 22:00Z
    // on the 30th.
    let sydney = "+61291234567";
    assert!(!open(sydney, "2026-03-30T21:59:00Z"));
    assert!(open(sydney, "2026-03-30T22:00:00Z"));
    assert!(!open(sydney, "2026-04-06T22:59:00Z"));
    assert!(open(sydney, "2026-04-06T23:00:00Z"));
    // Sunday 12 April, noon in Sydney (02:00Z): never.
    assert!(!open(sydney, "2026-04-12T02:00:00Z"));
    // Saturday 11 April: 09:00-17:00 AEST = 23:00Z (10th) to 07:00Z.
    assert!(open(sydney, "2026-04-11T06:59:00Z"));
    assert!(!open(sydney, "2026-04-11T07:00:00Z"));
}
