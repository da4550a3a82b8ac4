//! The schedule's validation: the weekly window and the campaign's dates.

use std::collections::BTreeMap;

use super::{
    EARLIEST_DATE, Errors, LATEST_DATE, MAX_RANGES_PER_DAY, RangeSpec, ScheduleSpec, WEEKDAYS,
    date_in_range,
};
use crate::local_range::LocalRange;
use crate::window::WeeklyWindow;

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
