use chrono::{Datelike, Timelike};
use chrono_tz::Tz;

use super::*;
use crate::holidays;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn nine_to_six() -> WeeklyWindow {
    WeeklyWindow::every_day(LocalRange::parse("09:00", "18:00").unwrap())
}

fn all_day() -> WeeklyWindow {
    WeeklyWindow::every_day(LocalRange::parse("00:00", "24:00").unwrap())
}

fn policy(weekly: &WeeklyWindow) -> CallingPolicy<'_> {
    CallingPolicy {
        weekly,
        starts_at: None,
        ends_at: None,
        rules: RuleSet::current(),
        blackout: &NO_BLACKOUT,
    }
}

static NO_BLACKOUT: BlackoutDates = BlackoutDates::EMPTY;

fn at(zone: Tz) -> LeadLocation {
    LeadLocation {
        zones: vec![zone],
        subdivisions: vec![],
    }
}

fn in_state(zone: Tz, state: &str) -> LeadLocation {
    LeadLocation {
        zones: vec![zone],
        subdivisions: vec![Subdivision::parse(state).unwrap()],
    }
}

/// Example rows: (zone, state, weekly window, now, expected decision).
fn check(rows: &[(LeadLocation, &WeeklyWindow, &str, WindowDecision)]) {
    for (i, (location, weekly, now, expected)) in rows.iter().enumerate() {
        let got = policy(weekly).evaluate(location, utc(now));
        assert_eq!(got, *expected, "row {i}: {location:?} at {now}");
    }
}

fn open_until(s: &str) -> WindowDecision {
    WindowDecision::Open { until: utc(s) }
}

fn opens_at(s: &str) -> WindowDecision {
    WindowDecision::OpensAt(utc(s))
}

#[test]
fn new_york_on_the_spring_forward_day() {
    // 2026-03-08: clocks go from 02:00 EST to 03:00 EDT. Legal 08:00-21:00 EDT = 12:00-01:00 UTC.
    let w = all_day();
    let ny = || at(Tz::America__New_York);
    check(&[
        // 07:59 EDT: closed; opens at 08:00 EDT (12:00 UTC), not 13:00 UTC as in winter.
        (
            ny(),
            &w,
            "2026-03-08T11:59:00Z",
            opens_at("2026-03-08T12:00:00Z"),
        ),
        (
            ny(),
            &w,
            "2026-03-08T12:00:00Z",
            open_until("2026-03-09T01:00:00Z"),
        ),
        // The day before (EST): 08:00 EST = 13:00 UTC.
        (
            ny(),
            &w,
            "2026-03-07T12:30:00Z",
            opens_at("2026-03-07T13:00:00Z"),
        ),
        // 21:00 EDT = 01:00 UTC next day.
        (
            ny(),
            &w,
            "2026-03-09T01:00:00Z",
            opens_at("2026-03-09T12:00:00Z"),
        ),
    ]);
}

#[test]
fn new_york_on_the_fall_back_day() {
    // 2026-11-01: clocks go from 02:00 EDT back to 01:00 EST. 08:00 EST = 13:00 UTC.
    let w = all_day();
    let ny = || at(Tz::America__New_York);
    check(&[
        (
            ny(),
            &w,
            "2026-11-01T12:30:00Z",
            opens_at("2026-11-01T13:00:00Z"),
        ),
        (
            ny(),
            &w,
            "2026-11-01T13:00:00Z",
            open_until("2026-11-02T02:00:00Z"),
        ),
        // The day before (EDT): 08:00 EDT = 12:00 UTC.
        (
            ny(),
            &w,
            "2026-10-31T12:00:00Z",
            open_until("2026-11-01T01:00:00Z"),
        ),
    ]);
}

#[test]
fn a_window_edge_inside_the_repeated_hour_is_read_conservatively() {
    // Window 01:30-09:00 on the fall-back day: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST);
    // the window opens at the later one.
    let w = WeeklyWindow::every_day(LocalRange::parse("01:30", "09:00").unwrap());
    let p = CallingPolicy {
        rules: &NO_RULES,
        ..policy(&w)
    };
    let d = p.evaluate(&at(Tz::America__New_York), utc("2026-11-01T05:45:00Z"));
    assert_eq!(d, opens_at("2026-11-01T06:30:00Z"));
}

#[test]
fn a_window_edge_inside_the_skipped_hour_opens_when_the_gap_ends() {
    // Window 02:30-09:00 on the spring-forward day: 02:30 does not exist; opens at 03:00 EDT.
    let w = WeeklyWindow::every_day(LocalRange::parse("02:30", "09:00").unwrap());
    let p = CallingPolicy {
        rules: &NO_RULES,
        ..policy(&w)
    };
    let d = p.evaluate(&at(Tz::America__New_York), utc("2026-03-08T06:00:00Z"));
    assert_eq!(d, opens_at("2026-03-08T07:00:00Z"));
}

#[test]
fn phoenix_keeps_standard_time_all_year() {
    // Arizona: UTC-7 in January and in July.
    let w = all_day();
    check(&[
        (
            at(Tz::America__Phoenix),
            &w,
            "2026-01-15T14:59:00Z",
            opens_at("2026-01-15T15:00:00Z"),
        ),
        (
            at(Tz::America__Phoenix),
            &w,
            "2026-07-15T14:59:00Z",
            opens_at("2026-07-15T15:00:00Z"),
        ),
        (
            at(Tz::America__Phoenix),
            &w,
            "2026-07-15T15:00:00Z",
            open_until("2026-07-16T04:00:00Z"),
        ),
    ]);
}

#[test]
fn honolulu_is_ten_hours_behind_utc_all_year() {
    let w = nine_to_six();
    check(&[
        (
            at(Tz::Pacific__Honolulu),
            &w,
            "2026-01-15T18:59:00Z",
            opens_at("2026-01-15T19:00:00Z"),
        ),
        (
            at(Tz::Pacific__Honolulu),
            &w,
            "2026-07-15T19:00:00Z",
            open_until("2026-07-16T04:00:00Z"),
        ),
    ]);
}

#[test]
fn indiana_knox_is_central_while_indianapolis_is_eastern() {
    let w = all_day();
    let now = "2026-06-10T12:30:00Z"; // 08:30 EDT, 07:30 CDT
    check(&[
        (
            at(Tz::America__Indiana__Indianapolis),
            &w,
            now,
            open_until("2026-06-11T01:00:00Z"),
        ),
        (
            at(Tz::America__Indiana__Knox),
            &w,
            now,
            opens_at("2026-06-10T13:00:00Z"),
        ),
    ]);
}

#[test]
fn a_multi_zone_area_code_waits_until_every_zone_is_open() {
    // 850 covers Eastern and Central Florida: 08:00 CDT (13:00Z) is the first instant legal in
    // both, and 20:00 EDT (Florida's end, 00:00Z) is the last.
    let number = E164::parse_strict("+18505550100").unwrap();
    let location = LeadLocation::of(&number, None, None);
    assert_eq!(
        location.zones,
        vec![Tz::America__Chicago, Tz::America__New_York]
    );
    assert_eq!(
        location.subdivisions,
        vec![Subdivision::parse("FL").unwrap()]
    );
    let w = all_day();
    check(&[
        (
            location.clone(),
            &w,
            "2026-06-10T12:30:00Z",
            opens_at("2026-06-10T13:00:00Z"),
        ),
        (
            location,
            &w,
            "2026-06-10T13:00:00Z",
            open_until("2026-06-11T00:00:00Z"),
        ),
    ]);
}

#[test]
fn the_campaign_window_narrows_the_legal_window() {
    // Campaign 09:00-18:00 against legal 08:00-21:00 in New York (EDT, UTC-4).
    let w = nine_to_six();
    let ny = || at(Tz::America__New_York);
    check(&[
        (
            ny(),
            &w,
            "2026-06-10T12:30:00Z",
            opens_at("2026-06-10T13:00:00Z"),
        ), // 08:30: legal only
        (
            ny(),
            &w,
            "2026-06-10T13:00:00Z",
            open_until("2026-06-10T22:00:00Z"),
        ),
        (
            ny(),
            &w,
            "2026-06-10T22:00:00Z",
            opens_at("2026-06-11T13:00:00Z"),
        ), // 18:00: campaign closed
    ]);
}

#[test]
fn the_legal_window_narrows_a_wide_campaign_window() {
    let w = WeeklyWindow::every_day(LocalRange::parse("06:00", "23:00").unwrap());
    check(&[(
        at(Tz::America__New_York),
        &w,
        "2026-06-10T11:00:00Z",
        opens_at("2026-06-10T12:00:00Z"),
    )]);
}

#[test]
fn stricter_states_narrow_the_federal_window() {
    let w = all_day();
    check(&[
        // Florida: 08:00-20:00. 20:00 EDT = 00:00Z.
        (
            in_state(Tz::America__New_York, "FL"),
            &w,
            "2026-06-10T23:59:00Z",
            open_until("2026-06-11T00:00:00Z"),
        ),
        (
            in_state(Tz::America__New_York, "FL"),
            &w,
            "2026-06-11T00:00:00Z",
            opens_at("2026-06-11T12:00:00Z"),
        ),
        // Kentucky: from 10:00.
        (
            in_state(Tz::America__New_York, "KY"),
            &w,
            "2026-06-10T13:00:00Z",
            opens_at("2026-06-10T14:00:00Z"),
        ),
        // Texas on a Sunday: from noon. 2026-06-14 is a Sunday; 12:00 CDT = 17:00Z.
        (
            in_state(Tz::America__Chicago, "TX"),
            &w,
            "2026-06-14T15:00:00Z",
            opens_at("2026-06-14T17:00:00Z"),
        ),
        // Rhode Island on a Sunday: closed until Monday 09:00 EDT (13:00Z).
        (
            in_state(Tz::America__New_York, "RI"),
            &w,
            "2026-06-14T15:00:00Z",
            opens_at("2026-06-15T13:00:00Z"),
        ),
        // Rhode Island on Saturday: 10:00-17:00.
        (
            in_state(Tz::America__New_York, "RI"),
            &w,
            "2026-06-13T20:59:00Z",
            open_until("2026-06-13T21:00:00Z"),
        ),
    ]);
}

#[test]
fn holiday_bans_skip_to_the_next_permitted_day() {
    // Pennsylvania on Thanksgiving 2026 (Thursday Nov 26): closed until Friday 08:00 EST.
    let w = all_day();
    check(&[(
        in_state(Tz::America__New_York, "PA"),
        &w,
        "2026-11-26T15:00:00Z",
        opens_at("2026-11-27T13:00:00Z"),
    )]);
    // Louisiana on Mardi Gras 2026 (Tuesday Feb 17).
    check(&[(
        in_state(Tz::America__Chicago, "LA"),
        &w,
        "2026-02-17T16:00:00Z",
        opens_at("2026-02-18T14:00:00Z"),
    )]);
}

#[test]
fn a_rule_not_yet_in_force_does_not_apply() {
    // Connecticut moved to 09:00 on 2023-10-01.
    let w = all_day();
    check(&[
        (
            in_state(Tz::America__New_York, "CT"),
            &w,
            "2023-09-12T12:30:00Z",
            open_until("2023-09-13T01:00:00Z"),
        ),
        (
            in_state(Tz::America__New_York, "CT"),
            &w,
            "2023-10-12T12:30:00Z",
            opens_at("2023-10-12T13:00:00Z"),
        ),
    ]);
}

#[test]
fn area_code_state_and_address_state_both_apply() {
    // A Florida number (8-20) whose address is in Kentucky (10-21): 10:00-20:00.
    let number = E164::parse_strict("+13055550100").unwrap();
    let ky = Subdivision::parse("KY").unwrap();
    let location = LeadLocation::of(&number, Some(Tz::America__New_York), Some(&ky));
    assert_eq!(location.subdivisions.len(), 2);
    let w = all_day();
    check(&[
        (
            location.clone(),
            &w,
            "2026-06-10T13:00:00Z",
            opens_at("2026-06-10T14:00:00Z"),
        ),
        (
            location,
            &w,
            "2026-06-10T14:00:00Z",
            open_until("2026-06-11T00:00:00Z"),
        ),
    ]);
}

#[test]
fn an_explicit_zone_replaces_the_numbers_candidates() {
    let number = E164::parse_strict("+12125550100").unwrap(); // New York number
    let location = LeadLocation::of(&number, Some(Tz::America__Los_Angeles), None);
    assert_eq!(location.zones, vec![Tz::America__Los_Angeles]);
}

#[test]
fn campaign_dates_bound_the_window() {
    let w = all_day();
    let start = utc("2026-06-12T00:00:00Z");
    let end = utc("2026-06-13T00:00:00Z");
    let p = CallingPolicy {
        starts_at: Some(start),
        ends_at: Some(end),
        ..policy(&w)
    };
    let ny = at(Tz::America__New_York);
    // The start (00:00Z) is 20:00 in New York: inside the legal window, so it opens at once.
    assert_eq!(
        p.evaluate(&ny, utc("2026-06-10T15:00:00Z")),
        opens_at("2026-06-12T00:00:00Z")
    );
    assert_eq!(
        p.evaluate(&ny, utc("2026-06-12T00:30:00Z")),
        open_until("2026-06-12T01:00:00Z")
    );
    assert_eq!(
        p.evaluate(&ny, utc("2026-06-12T01:00:00Z")),
        opens_at("2026-06-12T12:00:00Z")
    );
    assert_eq!(
        p.evaluate(&ny, utc("2026-06-12T20:00:00Z")),
        open_until("2026-06-13T00:00:00Z")
    );
    assert_eq!(
        p.evaluate(&ny, utc("2026-06-13T00:00:00Z")),
        WindowDecision::Never(NeverReason::CampaignEnded)
    );
}

#[test]
fn a_window_that_cannot_open_before_the_end_is_never() {
    let w = WeeklyWindow::weekdays(LocalRange::parse("09:00", "17:00").unwrap());
    // Saturday to Sunday night only.
    let p = CallingPolicy {
        starts_at: Some(utc("2026-06-13T00:00:00Z")),
        ends_at: Some(utc("2026-06-15T00:00:00Z")),
        ..policy(&w)
    };
    assert_eq!(
        p.evaluate(&at(Tz::America__New_York), utc("2026-06-10T00:00:00Z")),
        WindowDecision::Never(NeverReason::WindowNeverOpens)
    );
}

#[test]
fn unknown_zones_are_never_permitted() {
    let w = all_day();
    let nowhere = LeadLocation {
        zones: vec![],
        subdivisions: vec![],
    };
    assert_eq!(
        policy(&w).evaluate(&nowhere, utc("2026-06-10T15:00:00Z")),
        WindowDecision::Never(NeverReason::UnknownTimeZone)
    );
}

#[test]
fn local_ranges_parse_and_refuse_nonsense() {
    assert_eq!(
        LocalRange::parse("09:00", "18:30").unwrap().to_string(),
        "09:00-18:30"
    );
    assert!(LocalRange::parse("00:00", "24:00").is_ok());
    for (s, e) in [
        ("18:00", "09:00"),
        ("09:00", "09:00"),
        ("9:00", "18:00"),
        ("24:30", "25:00"),
        ("09:60", "10:00"),
    ] {
        assert!(LocalRange::parse(s, e).is_err(), "{s}-{e}");
    }
}

#[test]
fn overlapping_ranges_in_a_day_are_refused() {
    let a = LocalRange::parse("09:00", "12:00").unwrap();
    let b = LocalRange::parse("11:00", "13:00").unwrap();
    let mut days: [Vec<LocalRange>; 7] = Default::default();
    days[0] = vec![b, a];
    assert_eq!(WeeklyWindow::new(days), Err(OverlappingRanges(a, b)));
}

static NO_RULES_BASELINE: crate::legal::CallingRule = crate::legal::CallingRule {
    hours: [Some(LocalRange::hours(0, 24)); 7],
    ..crate::legal::us::FEDERAL_BASELINE
};
static NO_RULES: RuleSet = RuleSet {
    version: "test-none",
    baseline: &NO_RULES_BASELINE,
    subdivisions: &[],
    abroad: &[],
};

#[test]
fn holidays_module_is_consulted_by_rules() {
    // Sanity link between the oracle and the rule table: Utah bans Pioneer Day.
    let date = chrono::NaiveDate::from_ymd_opt(2026, 7, 24).unwrap();
    assert!(holidays::Holiday::PioneerDay.covers(date));
    assert_eq!(RuleSet::current().allowed_on(date, ["US-UT"]), None);
}

mod properties;

#[test]
fn a_blackout_day_is_read_in_each_contacts_local_date() {
    let w = all_day();
    let july_4 = NaiveDate::from_ymd_opt(2026, 7, 4).unwrap();
    let blackout = BlackoutDates::new([(july_4, july_4)]);
    let p = CallingPolicy {
        rules: &NO_RULES,
        blackout: &blackout,
        ..policy(&w)
    };
    // 05:00Z on July 5: still July 4 (19:00) in Honolulu, already July 5 (01:00) in New York.
    let now = utc("2026-07-05T05:00:00Z");
    assert_eq!(
        p.evaluate(&at(Tz::Pacific__Honolulu), now),
        opens_at("2026-07-05T10:00:00Z"),
        "Honolulu opens at its own midnight"
    );
    assert!(p.evaluate(&at(Tz::America__New_York), now).is_open());
    // A lead that may be in either zone waits for both.
    let both = LeadLocation {
        zones: vec![Tz::America__New_York, Tz::Pacific__Honolulu],
        subdivisions: vec![],
    };
    assert_eq!(p.evaluate(&both, now), opens_at("2026-07-05T10:00:00Z"));
}

#[test]
fn a_blackout_longer_than_the_search_horizon_still_opens_after_it() {
    let w = WeeklyWindow::weekdays(LocalRange::parse("09:00", "17:00").unwrap());
    let first = NaiveDate::from_ymd_opt(2026, 6, 8).unwrap();
    let last = NaiveDate::from_ymd_opt(2026, 8, 8).unwrap();
    let blackout = BlackoutDates::new([(first, last)]);
    let p = CallingPolicy {
        blackout: &blackout,
        ..policy(&w)
    };
    // The day after is a Sunday: Monday August 10, 09:00 in New York.
    let d = p.evaluate(&at(Tz::America__New_York), utc("2026-06-08T14:00:00Z"));
    assert_eq!(d, opens_at("2026-08-10T13:00:00Z"));
}
