//! The permitted window: when a lead may be called.
//!
//! A lead may be called at an instant only if all of these hold, in **every** time zone the
//! lead may be in (its explicit zone, or every candidate zone of its number):
//! - the campaign's weekly call window, read in that zone's local time;
//! - the legal hours of the [`RuleSet`] for the lead's subdivisions, in that zone;
//! - the campaign's start and end instants;
//! - the campaign's blackout dates, read as that zone's local date.
//!
//! The evaluation builds, per zone, the allowed local ranges of each day as UTC intervals and
//! intersects them. Local times that do not exist (spring forward) resolve to the first instant
//! after the gap; local times that happen twice (fall back) resolve conservatively: a window
//! opens at the later of the two instants and closes at the earlier.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::legal::RuleSet;
pub use crate::local_range::{InvalidRange, LocalRange, MINUTES_PER_DAY};
use crate::phone::E164;
pub use blackout::BlackoutDates;

/// The campaign's call window: for each weekday (Monday first), sorted, non-overlapping
/// local ranges. A day without ranges has no calls.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WeeklyWindow {
    days: [Vec<LocalRange>; 7],
}

/// Two ranges of one day overlap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ranges {0} and {1} overlap")]
pub struct OverlappingRanges(pub LocalRange, pub LocalRange);

impl WeeklyWindow {
    /// Builds a window; each day's ranges are sorted and must not overlap.
    pub fn new(mut days: [Vec<LocalRange>; 7]) -> Result<Self, OverlappingRanges> {
        for day in &mut days {
            day.sort();
            for pair in day.windows(2) {
                if pair[0].end_minute() > pair[1].start_minute() {
                    return Err(OverlappingRanges(pair[0], pair[1]));
                }
            }
        }
        Ok(Self { days })
    }

    /// The same range Monday to Friday, nothing at weekends.
    pub fn weekdays(range: LocalRange) -> Self {
        let mut days: [Vec<LocalRange>; 7] = Default::default();
        for day in days.iter_mut().take(5) {
            day.push(range);
        }
        Self { days }
    }

    /// The same range every day.
    pub fn every_day(range: LocalRange) -> Self {
        Self {
            days: std::array::from_fn(|_| vec![range]),
        }
    }

    /// The ranges of a weekday (0 = Monday).
    pub fn day(&self, weekday_from_monday: usize) -> &[LocalRange] {
        self.days
            .get(weekday_from_monday)
            .map_or(&[], Vec::as_slice)
    }

    /// Whether no day has any range.
    pub fn is_closed(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }
}

/// An ISO 3166-2 subdivision such as `US-FL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Subdivision(String);

/// Not a subdivision code or US state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown state {0:?}: expected a two-letter US state code such as \"FL\" or \"US-FL\"")]
pub struct UnknownSubdivision(pub String);

const US_STATE_CODES: [&str; 51] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY",
];

impl Subdivision {
    /// Parses `FL`, `fl` or `US-FL` (US states and DC), or any `CC-XXX` ISO 3166-2 code.
    pub fn parse(s: &str) -> Result<Self, UnknownSubdivision> {
        let upper = s.trim().to_ascii_uppercase();
        if US_STATE_CODES.contains(&upper.as_str()) {
            return Ok(Self(format!("US-{upper}")));
        }
        let valid_iso = upper.len() >= 4
            && upper.len() <= 6
            && upper.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)
            && upper.as_bytes()[2] == b'-'
            && upper.as_bytes()[3..].iter().all(u8::is_ascii_alphanumeric);
        let us_ok = !upper.starts_with("US-") || US_STATE_CODES.contains(&&upper[3..]);
        if valid_iso && us_ok {
            Ok(Self(upper))
        } else {
            Err(UnknownSubdivision(s.to_owned()))
        }
    }

    /// The code, such as `US-FL`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A whole country outside the US as a jurisdiction (`CA`, `GB`, `AU`): only for a
    /// number's own country, never read from a row (where `CA` is California).
    fn country(code: &str) -> Self {
        Self(code.to_owned())
    }
}

impl TryFrom<String> for Subdivision {
    type Error = UnknownSubdivision;
    fn try_from(s: String) -> Result<Self, UnknownSubdivision> {
        Self::parse(&s)
    }
}

impl From<Subdivision> for String {
    fn from(s: Subdivision) -> String {
        s.0
    }
}

/// Where a lead may be: the zones and subdivisions whose rules apply to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadLocation {
    /// Every zone the lead may be in. Empty means unknown: never permitted.
    pub zones: Vec<Tz>,
    /// Every subdivision whose rules apply (area-code state, address state).
    pub subdivisions: Vec<Subdivision>,
}

impl LeadLocation {
    /// The location of a lead: its explicit zone if it has one, else every candidate zone of
    /// its number; the number's area-code state and the address state, both when both known.
    pub fn of(
        number: &E164,
        explicit_zone: Option<Tz>,
        address_state: Option<&Subdivision>,
    ) -> Self {
        let zones = match explicit_zone {
            Some(zone) => vec![zone],
            None => number.candidate_zones().to_vec(),
        };
        let mut subdivisions = Vec::new();
        // A number of a country abroad with rules of its own carries the country (a US number
        // answers its region without a parse).
        if let Some(region) = number.region().map(|r| r.code())
            && region != "US"
            && crate::legal::RuleSet::current()
                .country_rule(&region)
                .is_some()
        {
            subdivisions.push(Subdivision::country(&region));
        }
        if let Some(code) = number.nanp_subdivision()
            && let Ok(sub) = Subdivision::parse(code)
        {
            subdivisions.push(sub);
        }
        if let Some(state) = address_state
            && !subdivisions.contains(state)
        {
            subdivisions.push(state.clone());
        }
        Self {
            zones,
            subdivisions,
        }
    }
}

/// Everything about a campaign that bounds when it may call.
#[derive(Debug, Clone, Copy)]
pub struct CallingPolicy<'a> {
    /// The campaign's weekly window in the contact's local time.
    pub weekly: &'a WeeklyWindow,
    /// No call before this instant.
    pub starts_at: Option<DateTime<Utc>>,
    /// No call at or after this instant.
    pub ends_at: Option<DateTime<Utc>>,
    /// The legal rules.
    pub rules: &'a RuleSet,
    /// Local dates with no calls.
    pub blackout: &'a BlackoutDates,
}

/// Why a lead can never be called in this campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeverReason {
    /// The lead's time zone is unknown, so its local time cannot be known.
    UnknownTimeZone,
    /// The campaign's end has passed.
    CampaignEnded,
    /// The window does not open before the end date (or within the search horizon).
    WindowNeverOpens,
}

impl NeverReason {
    /// A stable code for reports and the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::UnknownTimeZone => "unknown_time_zone",
            Self::CampaignEnded => "campaign_ended",
            Self::WindowNeverOpens => "window_never_opens",
        }
    }
}

/// Whether a lead may be called now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowDecision {
    /// Permitted now, at least until the instant given.
    Open {
        /// The window stays open at least until here.
        until: DateTime<Utc>,
    },
    /// Not now; permitted from this instant.
    OpensAt(DateTime<Utc>),
    /// Not now and not later.
    Never(NeverReason),
}

impl WindowDecision {
    /// Whether calling now is permitted.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Open { .. })
    }
}

/// Interval lists are built for this long before giving up on a next opening. Weekly windows
/// repeat, so a window that does not open in five weeks (holidays included) never opens.
const SEARCH_HORIZONS_DAYS: [i64; 2] = [8, 36];

type Interval = (DateTime<Utc>, DateTime<Utc>);

impl CallingPolicy<'_> {
    /// Decides whether `location` may be called at `now`, and if not, from when.
    pub fn evaluate(&self, location: &LeadLocation, now: DateTime<Utc>) -> WindowDecision {
        if location.zones.is_empty() {
            return WindowDecision::Never(NeverReason::UnknownTimeZone);
        }
        let from = self.starts_at.map_or(now, |start| start.max(now));
        if self.ends_at.is_some_and(|end| from >= end) {
            return WindowDecision::Never(NeverReason::CampaignEnded);
        }
        // Past the last blackout day the weekly pattern repeats again: search that far too.
        let past_blackout = self.blackout.last_day().map_or(0, |last| {
            (last - from.date_naive()).num_days() + SEARCH_HORIZONS_DAYS[1]
        });
        let beyond = (past_blackout > SEARCH_HORIZONS_DAYS[1]).then_some(past_blackout);
        for days in SEARCH_HORIZONS_DAYS.into_iter().chain(beyond) {
            let mut to = from + Duration::days(days);
            let mut reaches_end = false;
            if let Some(end) = self.ends_at
                && end <= to
            {
                to = end;
                reaches_end = true;
            }
            let intervals = self.permitted_intervals(location, from, to);
            if let Some(&(start, end)) = intervals.first() {
                return if start <= now {
                    WindowDecision::Open { until: end }
                } else {
                    WindowDecision::OpensAt(start)
                };
            }
            if reaches_end {
                break;
            }
        }
        WindowDecision::Never(NeverReason::WindowNeverOpens)
    }

    /// The permitted intervals within `[from, to)`, sorted and disjoint.
    fn permitted_intervals(
        &self,
        location: &LeadLocation,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<Interval> {
        let mut result: Option<Vec<Interval>> = None;
        for &zone in &location.zones {
            let zone_intervals = self.zone_intervals(zone, &location.subdivisions, from, to);
            result = Some(match result {
                None => zone_intervals,
                Some(acc) => intersect(&acc, &zone_intervals),
            });
            if result.as_ref().is_some_and(Vec::is_empty) {
                break;
            }
        }
        result.unwrap_or_default()
    }

    fn zone_intervals(
        &self,
        zone: Tz,
        subdivisions: &[Subdivision],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<Interval> {
        let first = from.with_timezone(&zone).date_naive() - Duration::days(1);
        let last = to.with_timezone(&zone).date_naive();
        let mut out: Vec<Interval> = Vec::new();
        let mut date = first;
        while date <= last {
            if !self.blackout.covers(date)
                && let Some(legal) = self
                    .rules
                    .allowed_on(date, subdivisions.iter().map(Subdivision::as_str))
            {
                let weekday = date.weekday().num_days_from_monday() as usize;
                for range in self.weekly.day(weekday) {
                    let Some(local) = range.intersect(legal) else {
                        continue;
                    };
                    let start =
                        local_instant(zone, date, local.start_minute(), Resolve::Later).max(from);
                    let end =
                        local_instant(zone, date, local.end_minute(), Resolve::Earlier).min(to);
                    if start < end {
                        match out.last_mut() {
                            Some(last) if last.1 >= start => last.1 = last.1.max(end),
                            _ => out.push((start, end)),
                        }
                    }
                }
            }
            date += Duration::days(1);
        }
        out
    }
}

#[derive(Clone, Copy)]
enum Resolve {
    Earlier,
    Later,
}

/// The UTC instant of a local wall-clock time. Missing times (in a spring-forward gap) become
/// the first instant after the gap; repeated times (fall back) take the requested occurrence.
fn local_instant(zone: Tz, date: NaiveDate, minute: u16, resolve: Resolve) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    let naive = midnight + Duration::minutes(i64::from(minute));
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(early, late) => match resolve {
            Resolve::Earlier => early.with_timezone(&Utc),
            Resolve::Later => late.with_timezone(&Utc),
        },
        LocalResult::None => {
            // Walk forward to the end of the gap (gaps are at most a few hours).
            let mut probe = naive;
            for _ in 0..(4 * 60) {
                probe += Duration::minutes(1);
                if let Some(t) = zone.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            // No zone has a gap this long; fall back to reading the time as UTC offset-free.
            Utc.from_utc_datetime(&naive)
        }
    }
}

fn intersect(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let start = a[i].0.max(b[j].0);
        let end = a[i].1.min(b[j].1);
        if start < end {
            out.push((start, end));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

mod blackout;
#[cfg(test)]
mod tests;
