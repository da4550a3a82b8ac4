//! Properties of the window, checked against a brute-force oracle that reads the local clock
//! directly.

use proptest::prelude::*;

use super::*;

/// Zones a US campaign meets, including ones without DST and the oddities.
const ZONES: &[Tz] = &[
    Tz::America__New_York,
    Tz::America__Chicago,
    Tz::America__Denver,
    Tz::America__Phoenix,
    Tz::America__Los_Angeles,
    Tz::America__Anchorage,
    Tz::Pacific__Honolulu,
    Tz::America__Indiana__Knox,
    Tz::America__Indiana__Indianapolis,
    Tz::America__Boise,
    Tz::America__Puerto_Rico,
    Tz::Pacific__Guam,
    Tz::America__St_Johns,
    Tz::Europe__London,
    Tz::Asia__Kolkata,
    Tz::Australia__Lord_Howe,
];

const STATES: &[&str] = &[
    "FL", "TX", "RI", "PA", "LA", "NE", "KY", "CT", "UT", "ME", "NY",
];

/// Is `now` permitted, by reading each zone's local clock? Independent of the interval code.
fn oracle(p: &CallingPolicy<'_>, location: &LeadLocation, now: DateTime<Utc>) -> bool {
    if location.zones.is_empty() {
        return false;
    }
    if p.starts_at.is_some_and(|s| now < s) || p.ends_at.is_some_and(|e| now >= e) {
        return false;
    }
    location.zones.iter().all(|zone| {
        let local = now.with_timezone(zone);
        let date = local.date_naive();
        let minute = (local.hour() * 60 + local.minute()) as u16;
        let weekday = date.weekday().num_days_from_monday() as usize;
        let campaign_ok = p
            .weekly
            .day(weekday)
            .iter()
            .any(|r| r.contains_minute(minute));
        let legal_ok = p
            .rules
            .allowed_on(date, location.subdivisions.iter().map(Subdivision::as_str))
            .is_some_and(|r| r.contains_minute(minute));
        campaign_ok && legal_ok && !p.blackout.covers(date)
    })
}

/// Within two hours of a UTC offset change in any of the zones (where conservative rounding
/// of repeated local times may refuse a minute the local clock would allow).
fn near_transition(location: &LeadLocation, now: DateTime<Utc>) -> bool {
    use chrono::Offset;
    location.zones.iter().any(|zone| {
        let before = (now - Duration::hours(2))
            .with_timezone(zone)
            .offset()
            .fix();
        let after = (now + Duration::hours(2))
            .with_timezone(zone)
            .offset()
            .fix();
        before != after
    })
}

fn arb_range() -> impl Strategy<Value = LocalRange> {
    (0u16..96, 1u16..96).prop_map(|(start, len)| {
        let start = start * 15;
        let end = (start + len * 15).min(MINUTES_PER_DAY);
        LocalRange::from_minutes(start, end.max(start + 15)).unwrap()
    })
}

fn arb_weekly() -> impl Strategy<Value = WeeklyWindow> {
    proptest::array::uniform7(proptest::option::weighted(0.85, arb_range()))
        .prop_map(|days| WeeklyWindow::new(days.map(|d| d.into_iter().collect())).unwrap())
}

fn arb_location() -> impl Strategy<Value = LeadLocation> {
    (
        proptest::sample::subsequence(ZONES.to_vec(), 1..=3),
        proptest::sample::subsequence(STATES.to_vec(), 0..=2),
    )
        .prop_map(|(zones, states)| LeadLocation {
            zones,
            subdivisions: states
                .into_iter()
                .map(|s| Subdivision::parse(s).unwrap())
                .collect(),
        })
}

fn arb_instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 2023-01-01 .. 2028-12-31, minute resolution.
    (1_672_531_200i64..1_861_920_000).prop_map(|s| Utc.timestamp_opt(s - s % 60, 0).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn open_means_every_zone_is_inside_every_window(
        weekly in arb_weekly(), location in arb_location(), now in arb_instant(),
    ) {
        let p = policy(&weekly);
        let decision = p.evaluate(&location, now);
        let truth = oracle(&p, &location, now);
        if decision.is_open() {
            prop_assert!(truth, "said open but the local clock says no: {decision:?}");
        } else if !near_transition(&location, now) {
            prop_assert!(!truth, "said {decision:?} but the local clock allows it");
        }
    }

    #[test]
    fn the_next_opening_is_open_and_nothing_before_it_is(
        weekly in arb_weekly(), location in arb_location(), now in arb_instant(),
    ) {
        let p = policy(&weekly);
        match p.evaluate(&location, now) {
            WindowDecision::OpensAt(t) => {
                prop_assert!(t > now);
                prop_assert!(oracle(&p, &location, t), "opening {t} is not permitted");
                prop_assert!(p.evaluate(&location, t).is_open());
                // Sample instants before the opening: none is permitted.
                let span = (t - now).num_minutes();
                for k in 0..40i64 {
                    let probe = now + Duration::minutes(span * k / 40);
                    prop_assert!(!p.evaluate(&location, probe).is_open(), "open at {probe} before {t}");
                }
            }
            WindowDecision::Open { until } => {
                prop_assert!(until > now);
                let last = until - Duration::minutes(1);
                prop_assert!(oracle(&p, &location, last.max(now)), "closed before {until}");
            }
            WindowDecision::Never(_) => {
                // Never within the horizon: sample the next five weeks.
                for k in 0..(5 * 7 * 24) {
                    let probe = now + Duration::hours(k);
                    prop_assert!(!oracle(&p, &location, probe), "permitted at {probe}");
                }
            }
        }
    }

    #[test]
    fn campaign_dates_are_never_crossed(
        weekly in arb_weekly(), location in arb_location(), now in arb_instant(),
        start_offset in -3i64..10, length in 1i64..20,
    ) {
        let start = now + Duration::days(start_offset);
        let end = start + Duration::days(length);
        let p = CallingPolicy { starts_at: Some(start), ends_at: Some(end), ..policy(&weekly) };
        match p.evaluate(&location, now) {
            WindowDecision::Open { until } => prop_assert!(now >= start && until <= end),
            WindowDecision::OpensAt(t) => prop_assert!(t >= start && t < end),
            WindowDecision::Never(_) => {}
        }
    }

    #[test]
    fn no_call_falls_on_a_blackout_day_in_any_zone_of_the_lead(
        weekly in arb_weekly(), location in arb_location(), now in arb_instant(),
        first in -2i64..10, length in 0i64..5,
    ) {
        let day = now.date_naive() + Duration::days(first);
        let blackout = BlackoutDates::new([(day, day + Duration::days(length))]);
        let p = CallingPolicy { blackout: &blackout, ..policy(&weekly) };
        let on_blackout = |t: DateTime<Utc>| {
            location.zones.iter().any(|z| blackout.covers(t.with_timezone(z).date_naive()))
        };
        match p.evaluate(&location, now) {
            WindowDecision::Open { until } => {
                let mut probe = now;
                while probe < until {
                    prop_assert!(!on_blackout(probe), "open at {probe} on a blackout day");
                    probe += Duration::minutes(30);
                }
                prop_assert!(!on_blackout(until - Duration::minutes(1)));
            }
            WindowDecision::OpensAt(t) => {
                prop_assert!(!on_blackout(t), "opens at {t} on a blackout day");
                prop_assert!(oracle(&p, &location, t) || near_transition(&location, t));
            }
            WindowDecision::Never(_) => {}
        }
    }
}
