//! Blackout dates: days a campaign makes no calls (holidays, events), read as the contact's
//! local date — a lead in Honolulu is still on July 4 when New York is on July 5.

use chrono::NaiveDate;

/// A campaign's blackout days: sorted, merged, inclusive date ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlackoutDates {
    ranges: Vec<(NaiveDate, NaiveDate)>,
}

impl BlackoutDates {
    /// No blackout days.
    pub const EMPTY: BlackoutDates = BlackoutDates { ranges: Vec::new() };

    /// The days of `ranges` (each `(first, last)`, inclusive; a reversed range is read as its
    /// reverse), sorted and with overlapping or adjacent ranges merged.
    pub fn new(ranges: impl IntoIterator<Item = (NaiveDate, NaiveDate)>) -> Self {
        let mut sorted: Vec<(NaiveDate, NaiveDate)> = ranges
            .into_iter()
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect();
        sorted.sort();
        let mut merged: Vec<(NaiveDate, NaiveDate)> = Vec::with_capacity(sorted.len());
        for (first, last) in sorted {
            match merged.last_mut() {
                Some(prev) if prev.1.succ_opt().is_some_and(|next| next >= first) => {
                    prev.1 = prev.1.max(last);
                }
                _ => merged.push((first, last)),
            }
        }
        Self { ranges: merged }
    }

    /// Whether `date` (a local date) is a blackout day.
    pub fn covers(&self, date: NaiveDate) -> bool {
        let i = self.ranges.partition_point(|&(first, _)| first <= date);
        i > 0 && self.ranges[i - 1].1 >= date
    }

    /// The last blackout day, if any.
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.ranges.last().map(|&(_, last)| last)
    }

    /// The ranges, sorted and merged.
    pub fn ranges(&self) -> &[(NaiveDate, NaiveDate)] {
        &self.ranges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn covers_every_day_of_each_range_and_no_other() {
        let b = BlackoutDates::new([
            (d("2026-12-24"), d("2026-12-26")),
            (d("2026-07-04"), d("2026-07-04")),
        ]);
        for day in ["2026-07-04", "2026-12-24", "2026-12-25", "2026-12-26"] {
            assert!(b.covers(d(day)), "{day}");
        }
        for day in [
            "2026-07-03",
            "2026-07-05",
            "2026-12-23",
            "2026-12-27",
            "2025-12-25",
        ] {
            assert!(!b.covers(d(day)), "{day}");
        }
    }

    #[test]
    fn overlapping_adjacent_and_reversed_ranges_merge() {
        let b = BlackoutDates::new([
            (d("2026-01-05"), d("2026-01-03")),
            (d("2026-01-06"), d("2026-01-07")),
            (d("2026-01-01"), d("2026-01-04")),
            (d("2026-02-01"), d("2026-02-01")),
        ]);
        assert_eq!(
            b.ranges(),
            [
                (d("2026-01-01"), d("2026-01-07")),
                (d("2026-02-01"), d("2026-02-01"))
            ]
        );
        assert_eq!(b.last_day(), Some(d("2026-02-01")));
        assert_eq!(BlackoutDates::default().last_day(), None);
    }
}
