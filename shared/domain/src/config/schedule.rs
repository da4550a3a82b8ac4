//! The schedule's validation: the weekly window, the campaign's dates and blackout days.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::{
    EARLIEST_DATE, Errors, LATEST_DATE, MAX_RANGES_PER_DAY, RangeSpec, ScheduleSpec, WEEKDAYS,
    date_in_range,
};
use crate::local_range::LocalRange;
use crate::window::{BlackoutDates, WeeklyWindow};

/// A blackout day or an inclusive range of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BlackoutSpec {
    /// The first day (`YYYY-MM-DD`).
    pub from: NaiveDate,
    /// The last day, inclusive, on or after `from`; at most 62 days in all. Default: `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
}

/// At most this many blackout entries.
pub const MAX_BLACKOUTS: usize = 50;
/// A blackout range spans at most this many days.
pub const MAX_BLACKOUT_DAYS: i64 = 62;

/// Campaign dates within the documented range, the end after the start.
pub(super) fn check_dates(schedule: &ScheduleSpec, errors: &mut Errors) {
    for (field, date) in [
        ("schedule.starts_at", schedule.starts_at),
        ("schedule.ends_at", schedule.ends_at),
    ] {
        if date.is_some_and(|d| !date_in_range(d)) {
            errors.add(
                field,
                format!("must be on or after {EARLIEST_DATE} and before {LATEST_DATE}"),
            );
        }
    }
    if let (Some(start), Some(end)) = (schedule.starts_at, schedule.ends_at)
        && end <= start
    {
        errors.add("schedule.ends_at", "must be after schedule.starts_at");
    }
}

pub(super) fn parse_window(
    days: &BTreeMap<String, Vec<RangeSpec>>,
    errors: &mut Errors,
) -> Option<WeeklyWindow> {
    let mut parsed: [Vec<LocalRange>; 7] = Default::default();
    let before = errors.0.len();
    for (key, ranges) in days {
        let Some(index) = WEEKDAYS.iter().position(|d| d.eq_ignore_ascii_case(key)) else {
            errors.add(
                format!("schedule.window.{key}"),
                "unknown day: expected monday..sunday",
            );
            continue;
        };
        if ranges.len() > MAX_RANGES_PER_DAY {
            errors.add(
                format!("schedule.window.{key}"),
                format!("at most {MAX_RANGES_PER_DAY} ranges a day"),
            );
            continue;
        }
        for (i, range) in ranges.iter().enumerate() {
            let field = format!("schedule.window.{key}[{i}]");
            if let Some(r) = errors.check(&field, LocalRange::parse(&range.start, &range.end)) {
                parsed[index].push(r);
            }
        }
    }
    if errors.0.len() != before {
        return None;
    }
    let window = errors.check("schedule.window", WeeklyWindow::new(parsed))?;
    if window.is_closed() {
        errors.add("schedule.window", "has no calling hours on any day");
        return None;
    }
    Some(window)
}

/// Blackout days: within the service's dates, each range in order and at most
/// [`MAX_BLACKOUT_DAYS`] long, at most [`MAX_BLACKOUTS`] entries.
pub(super) fn parse_blackout(specs: &[BlackoutSpec], errors: &mut Errors) -> BlackoutDates {
    if specs.len() > MAX_BLACKOUTS {
        errors.add(
            "schedule.blackout",
            format!("at most {MAX_BLACKOUTS} entries"),
        );
        return BlackoutDates::default();
    }
    let in_range =
        |d: chrono::NaiveDate| date_in_range(Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)));
    let mut ranges = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let field = format!("schedule.blackout[{i}]");
        let to = spec.to.unwrap_or(spec.from);
        if !in_range(spec.from) || !in_range(to) {
            errors.add(
                field,
                format!(
                    "dates must be on or after {} and before {}",
                    &EARLIEST_DATE[..10],
                    &LATEST_DATE[..10]
                ),
            );
        } else if to < spec.from {
            errors.add(field, "`to` must be on or after `from`");
        } else if (to - spec.from).num_days() >= MAX_BLACKOUT_DAYS {
            errors.add(
                field,
                format!("at most {MAX_BLACKOUT_DAYS} days in one range"),
            );
        } else {
            ranges.push((spec.from, to));
        }
    }
    BlackoutDates::new(ranges)
}
