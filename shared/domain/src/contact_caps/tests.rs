use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const NEW_YORK: Tz = chrono_tz::America::New_York;
const CHICAGO: Tz = chrono_tz::America::Chicago;

fn caps(day: u8, week: u8) -> ContactCaps {
    ContactCaps {
        per_local_day: day,
        per_7_days: week,
    }
}

#[test]
fn the_third_call_of_a_local_day_is_allowed_and_the_fourth_waits_for_local_midnight() {
    // 13:00, 15:00 and 17:00 in New York (EDT, UTC-4) on 10 June.
    let starts = [
        utc("2026-06-10T17:00:00Z"),
        utc("2026-06-10T19:00:00Z"),
        utc("2026-06-10T21:00:00Z"),
    ];
    let at = utc("2026-06-10T22:00:00Z");
    assert_eq!(
        decide(&starts[..2], caps(3, 7), None, &[NEW_YORK], at),
        CapDecision::Allowed(CapCounts {
            local_day: 2,
            last_7_days: 2,
            last_24h: 2
        })
    );
    assert_eq!(
        decide(&starts, caps(3, 7), None, &[NEW_YORK], at),
        CapDecision::NotBefore(utc("2026-06-11T04:00:00Z")),
        "midnight in New York"
    );
}

#[test]
fn the_local_day_is_the_contacts_not_utcs() {
    // 23:30 and 23:45 UTC on 10 June are 19:30 and 19:45 in New York: the same local day as
    // 02:00 UTC on 11 June (22:00 on 10 June there), so a cap of 2 refuses it.
    let starts = [utc("2026-06-10T23:30:00Z"), utc("2026-06-10T23:45:00Z")];
    let at = utc("2026-06-11T02:00:00Z");
    assert!(matches!(
        decide(&starts, caps(2, 7), None, &[NEW_YORK], at),
        CapDecision::NotBefore(_)
    ));
    assert!(matches!(
        decide(&starts, caps(2, 7), None, &[], at),
        CapDecision::Allowed(_)
    ));
}

#[test]
fn a_contact_in_two_zones_waits_for_the_later_midnight() {
    let starts = [utc("2026-06-10T15:00:00Z")];
    let at = utc("2026-06-10T20:00:00Z");
    assert_eq!(
        decide(&starts, caps(1, 7), None, &[NEW_YORK, CHICAGO], at),
        CapDecision::NotBefore(utc("2026-06-11T05:00:00Z")),
        "midnight in Chicago, an hour after New York's"
    );
}

#[test]
fn the_weekly_cap_waits_for_the_oldest_counted_call_to_leave_the_seven_days() {
    let day = |d: u32| utc(&format!("2026-06-{d:02}T15:00:00Z"));
    let starts: Vec<_> = (1..=7).map(day).collect();
    assert_eq!(
        decide(
            &starts,
            caps(3, 7),
            None,
            &[NEW_YORK],
            utc("2026-06-07T20:00:00Z")
        ),
        CapDecision::NotBefore(day(8))
    );
}

#[test]
fn the_state_cap_counts_any_24_hours_across_campaigns() {
    let starts = [
        utc("2026-06-10T14:00:00Z"),
        utc("2026-06-10T16:00:00Z"),
        utc("2026-06-10T18:00:00Z"),
    ];
    let at = utc("2026-06-11T13:00:00Z");
    assert!(matches!(
        decide(&starts, caps(5, 20), None, &[NEW_YORK], at),
        CapDecision::Allowed(_)
    ));
    assert_eq!(
        decide(&starts, caps(5, 20), Some(3), &[NEW_YORK], at),
        CapDecision::NotBefore(utc("2026-06-11T14:00:00Z"))
    );
}

#[test]
fn caps_outside_their_ranges_are_refused_with_the_field() {
    assert_eq!(caps(0, 7).validated(), Err(CapsError::PerDay));
    assert_eq!(caps(3, 51).validated(), Err(CapsError::PerWeek));
    assert_eq!(caps(8, 7).validated(), Err(CapsError::DayOverWeek));
    assert_eq!(ContactCaps::default().validated(), Ok(caps(3, 7)));
}

/// Every start at or before `at` in each zone's local day, any 7 days and any 24 hours, by
/// brute force: what the caps promise.
fn within_caps(starts: &[DateTime<Utc>], c: ContactCaps, cap_24h: Option<u8>, zones: &[Tz]) {
    for s in starts {
        let earlier_or_same = |span: Duration| {
            starts
                .iter()
                .filter(|t| **t <= *s && **t > *s - span)
                .count()
        };
        assert!(
            earlier_or_same(Duration::days(7)) <= usize::from(c.per_7_days),
            "7 days at {s}"
        );
        if let Some(cap) = cap_24h {
            assert!(
                earlier_or_same(Duration::hours(24)) <= usize::from(cap),
                "24 h at {s}"
            );
        }
        for zone in zones {
            let day = s.with_timezone(zone).date_naive();
            let same_day = starts
                .iter()
                .filter(|t| t.with_timezone(zone).date_naive() == day)
                .count();
            assert!(same_day <= usize::from(c.per_local_day), "{zone} {day}");
        }
    }
}

proptest! {
    /// Callers trying at random instants and taking only what `decide` allows never exceed a
    /// cap, and an instant it names is allowed while the second before it is not.
    #[test]
    fn calls_taken_as_decided_never_exceed_a_cap_and_the_named_instant_is_the_earliest(
        day in 1u8..5, extra in 0u8..10, cap_24h in proptest::option::of(1u8..4),
        gaps in proptest::collection::vec(0i64..40_000, 1..60), two_zones in any::<bool>(),
    ) {
        let c = caps(day, day + extra);
        let zones: Vec<Tz> = if two_zones { vec![NEW_YORK, CHICAGO] } else { vec![NEW_YORK] };
        let mut at = utc("2026-03-05T12:00:00Z");
        let mut starts = Vec::new();
        for gap in gaps {
            at += Duration::seconds(gap);
            match decide(&starts, c, cap_24h, &zones, at) {
                CapDecision::Allowed(counts) => {
                    prop_assert!(counts.local_day < c.per_local_day);
                    starts.push(at);
                }
                CapDecision::NotBefore(t) => {
                    prop_assert!(t > at);
                    prop_assert!(matches!(decide(&starts, c, cap_24h, &zones, t), CapDecision::Allowed(_)));
                    let before = t - Duration::seconds(1);
                    if before > at {
                        prop_assert!(matches!(decide(&starts, c, cap_24h, &zones, before), CapDecision::NotBefore(_)));
                    }
                }
            }
        }
        within_caps(&starts, c, cap_24h, &zones);
    }
}
