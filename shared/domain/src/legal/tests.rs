use chrono::NaiveDate;

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn hours(range: Option<LocalRange>) -> Option<String> {
    range.map(|r| r.to_string())
}

#[test]
fn every_rule_cites_a_source_and_names_a_us_state() {
    let rules = RuleSet::current();
    assert!(!rules.baseline.source.is_empty());
    for rule in rules.subdivisions {
        assert!(
            rule.jurisdiction.starts_with("US-") && rule.jurisdiction.len() == 5,
            "{}",
            rule.jurisdiction
        );
        assert!(
            !rule.source.is_empty(),
            "{} has no source",
            rule.jurisdiction
        );
    }
}

#[test]
fn the_table_is_sorted_and_has_one_rule_per_state() {
    let codes: Vec<&str> = RuleSet::current()
        .subdivisions
        .iter()
        .map(|r| r.jurisdiction)
        .collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(codes, sorted);
}

#[test]
fn no_state_rule_is_looser_than_the_federal_baseline_once_combined() {
    let rules = RuleSet::current();
    let day = date(2026, 6, 10);
    for rule in rules.subdivisions {
        if let Some(r) = rules.allowed_on(day, [rule.jurisdiction]) {
            assert!(
                r.start_minute() >= 8 * 60 && r.end_minute() <= 21 * 60,
                "{}: {r}",
                rule.jurisdiction
            );
        }
    }
}

#[test]
fn the_baseline_is_eight_to_nine_every_day() {
    let rules = RuleSet::current();
    for d in 8..15 {
        assert_eq!(
            hours(rules.allowed_on(date(2026, 6, d), [])),
            Some("08:00-21:00".into())
        );
    }
}

#[test]
fn stricter_state_hours_apply() {
    let rules = RuleSet::current();
    let wednesday = date(2026, 6, 10);
    let sunday = date(2026, 6, 14);
    let saturday = date(2026, 6, 13);
    let cases = [
        ("US-FL", wednesday, Some("08:00-20:00")),
        ("US-CT", wednesday, Some("09:00-20:00")),
        ("US-KY", wednesday, Some("10:00-21:00")),
        ("US-TX", sunday, Some("12:00-21:00")),
        ("US-TX", wednesday, Some("09:00-21:00")),
        ("US-RI", saturday, Some("10:00-17:00")),
        ("US-RI", sunday, None),
        ("US-LA", sunday, None),
        ("US-MS", sunday, None),
        ("US-ME", saturday, None),
        ("US-NE", sunday, Some("13:00-21:00")),
        ("US-NY", wednesday, Some("08:00-21:00")),
    ];
    for (state, day, expected) in cases {
        assert_eq!(
            hours(rules.allowed_on(day, [state])),
            expected.map(String::from),
            "{state} on {day}"
        );
    }
}

#[test]
fn two_states_intersect() {
    // Florida 08-20 and Kentucky 10-21 -> 10-20.
    let rules = RuleSet::current();
    assert_eq!(
        hours(rules.allowed_on(date(2026, 6, 10), ["US-FL", "US-KY"])),
        Some("10:00-20:00".into())
    );
}

#[test]
fn holiday_rules_ban_or_restrict_their_days() {
    let rules = RuleSet::current();
    assert_eq!(
        rules.allowed_on(date(2026, 11, 26), ["US-PA"]),
        None,
        "Thanksgiving in PA"
    );
    assert_eq!(
        rules.allowed_on(date(2026, 11, 3), ["US-PA"]),
        None,
        "Election Day in PA"
    );
    assert_eq!(
        rules.allowed_on(date(2026, 8, 10), ["US-RI"]),
        None,
        "Victory Day in RI"
    );
    assert_eq!(
        rules.allowed_on(date(2026, 7, 24), ["US-UT"]),
        None,
        "Pioneer Day in UT"
    );
    assert_eq!(
        rules.allowed_on(date(2026, 2, 17), ["US-AL"]),
        None,
        "Mardi Gras in AL"
    );
    // Nebraska: automated calls on holidays only 13-21 (Labor Day 2026 is Monday Sept 7).
    assert_eq!(
        hours(rules.allowed_on(date(2026, 9, 7), ["US-NE"])),
        Some("13:00-21:00".into())
    );
    // The day after is ordinary.
    assert_eq!(
        hours(rules.allowed_on(date(2026, 11, 27), ["US-PA"])),
        Some("08:00-21:00".into())
    );
}

#[test]
fn rules_with_a_start_date_apply_only_from_it() {
    let rules = RuleSet::current();
    assert_eq!(
        hours(rules.allowed_on(date(2023, 9, 30), ["US-CT"])),
        Some("08:00-21:00".into())
    );
    assert_eq!(
        hours(rules.allowed_on(date(2023, 10, 1), ["US-CT"])),
        Some("09:00-20:00".into())
    );
    assert_eq!(
        hours(rules.allowed_on(date(2023, 12, 31), ["US-MD"])),
        Some("08:00-21:00".into())
    );
    assert_eq!(
        hours(rules.allowed_on(date(2024, 1, 1), ["US-MD"])),
        Some("08:00-20:00".into())
    );
}

#[test]
fn daily_caps_take_the_strictest_applicable_rule() {
    let rules = RuleSet::current();
    assert_eq!(rules.max_calls_per_24h(["US-FL"]), Some(3));
    assert_eq!(rules.max_calls_per_24h(["US-NY"]), None);
    assert_eq!(rules.max_calls_per_24h(["US-NY", "US-MD"]), Some(3));
}

#[test]
fn the_rule_set_carries_its_version() {
    assert_eq!(RuleSet::current().version, us::RULESET_VERSION);
}
