//! A range of local wall-clock time within a day: the unit of call windows (the campaign's
//! weekly window) and of legal calling hours alike, so both can use it without depending on
//! each other.

use std::fmt;

/// Minutes in a day; a range may end at 24:00.
pub const MINUTES_PER_DAY: u16 = 24 * 60;

/// A range of local wall-clock time within one day, `[start, end)` in minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalRange {
    start: u16,
    end: u16,
}

/// A local range that is empty, reversed or past 24:00.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid time range {0}: expected HH:MM-HH:MM with start before end, within 00:00-24:00")]
pub struct InvalidRange(pub String);

impl LocalRange {
    /// Whole hours, for rule tables. Panics at compile time on a bad constant.
    pub const fn hours(start: u16, end: u16) -> Self {
        assert!(start < end && end <= 24);
        Self {
            start: start * 60,
            end: end * 60,
        }
    }

    /// A range from minutes after midnight, for tables (panics at compile time on a bad one).
    pub const fn minutes(start: u16, end: u16) -> Self {
        assert!(start < end && end <= MINUTES_PER_DAY);
        Self { start, end }
    }

    /// A range from minutes after midnight.
    pub fn from_minutes(start: u16, end: u16) -> Result<Self, InvalidRange> {
        if start < end && end <= MINUTES_PER_DAY {
            Ok(Self { start, end })
        } else {
            Err(InvalidRange(format!("{}-{}", hhmm(start), hhmm(end))))
        }
    }

    /// Parses `"09:00"` and `"18:00"`; `"24:00"` is allowed as an end.
    pub fn parse(start: &str, end: &str) -> Result<Self, InvalidRange> {
        let bad = || InvalidRange(format!("{start}-{end}"));
        let start_min = parse_hhmm(start).ok_or_else(bad)?;
        let end_min = parse_hhmm(end).ok_or_else(bad)?;
        Self::from_minutes(start_min, end_min).map_err(|_| bad())
    }

    /// First minute of the range.
    pub fn start_minute(self) -> u16 {
        self.start
    }

    /// Minute the range ends at (exclusive).
    pub fn end_minute(self) -> u16 {
        self.end
    }

    /// Whether a minute of the day is inside.
    pub fn contains_minute(self, minute: u16) -> bool {
        self.start <= minute && minute < self.end
    }

    /// The overlap of two ranges, if any.
    pub fn intersect(self, other: LocalRange) -> Option<LocalRange> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (start < end).then_some(LocalRange { start, end })
    }

    /// `HH:MM` of the start.
    pub fn start_text(self) -> String {
        hhmm(self.start)
    }

    /// `HH:MM` of the end.
    pub fn end_text(self) -> String {
        hhmm(self.end)
    }
}

impl fmt::Display for LocalRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", hhmm(self.start), hhmm(self.end))
    }
}

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}
