//! Frequency caps per contact, across campaigns: how often one tenant may call one number, over
//! every campaign it runs. A person does not care which campaign rings them: three campaigns
//! each within their own limits can still call someone nine times a day. The tenant's caps
//! (per local day, per rolling 7 days) and the state rules' per-24-hour caps are counted here
//! from the number's call ledger — every call start the tenant's claims wrote for it — and the
//! claim that writes the next start is conditional on the ledger being the one counted, so two
//! campaigns dialing the same number at once cannot both take its last call.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How far back a ledger must remember: the 7-day span, plus a day for the local-day count
/// (a local day can begin up to 14 hours before its UTC date).
pub const LEDGER_SPAN: Duration = Duration::days(8);
/// The rolling span of the weekly cap.
const WEEK: Duration = Duration::days(7);

/// A tenant's caps on calls to one number, over all its campaigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactCaps {
    /// Calls per number per day, the day as the contact's local calendar has it (1-20; default 3).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 20))]
    pub per_local_day: u8,
    /// Calls per number in any 7 days (1-50; default 7, as Regulation F's "7 in 7").
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    pub per_7_days: u8,
}

impl Default for ContactCaps {
    fn default() -> Self {
        Self {
            per_local_day: 3,
            per_7_days: 7,
        }
    }
}

/// Why caps were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapsError {
    #[error("per_local_day must be 1-20")]
    PerDay,
    #[error("per_7_days must be 1-50")]
    PerWeek,
    #[error("per_local_day cannot exceed per_7_days")]
    DayOverWeek,
}

impl ContactCaps {
    /// The caps, if they are within the documented ranges.
    pub fn validated(self) -> Result<Self, CapsError> {
        if !(1..=20).contains(&self.per_local_day) {
            return Err(CapsError::PerDay);
        }
        if !(1..=50).contains(&self.per_7_days) {
            return Err(CapsError::PerWeek);
        }
        if self.per_local_day > self.per_7_days {
            return Err(CapsError::DayOverWeek);
        }
        Ok(self)
    }
}

/// Calls to one number by the whole tenant before a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CapCounts {
    /// On the contact's local day (the most in any of its zones).
    pub local_day: u8,
    /// In the 7 days before.
    pub last_7_days: u8,
    /// In the 24 hours before.
    pub last_24h: u8,
}

/// Whether one more call may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapDecision {
    /// It may, with these counts before it.
    Allowed(CapCounts),
    /// Not before this instant.
    NotBefore(DateTime<Utc>),
}

/// Whether one more call to a number may start at `at`, given the tenant's earlier `starts` to
/// it, its `caps`, the state rules' per-24-hour cap, and the contact's candidate `zones` (its
/// local day is each zone's; none known: UTC's). When not, the earliest instant all caps allow.
pub fn decide(
    starts: &[DateTime<Utc>],
    caps: ContactCaps,
    cap_24h: Option<u8>,
    zones: &[Tz],
    at: DateTime<Utc>,
) -> CapDecision {
    let zones: Vec<Tz> = if zones.is_empty() {
        vec![Tz::UTC]
    } else {
        zones.to_vec()
    };
    let mut sorted = starts.to_vec();
    sorted.sort();
    let mut candidate = at;
    // Each cap can only push the instant later; a few rounds reach one all of them allow.
    for _ in 0..16 {
        let pushes = [
            earliest_within_span(&sorted, caps.per_7_days, WEEK, candidate),
            cap_24h.map_or(candidate, |cap| {
                earliest_within_span(&sorted, cap, Duration::hours(24), candidate)
            }),
            earliest_within_local_day(&sorted, caps.per_local_day, &zones, candidate),
        ];
        let next = pushes.into_iter().max().unwrap_or(candidate);
        if next == candidate {
            break;
        }
        candidate = next;
    }
    if candidate > at {
        return CapDecision::NotBefore(candidate);
    }
    CapDecision::Allowed(CapCounts {
        local_day: saturate(zones.iter().map(|z| on_local_day(&sorted, *z, at)).max()),
        last_7_days: saturate(Some(within(&sorted, WEEK, at))),
        last_24h: saturate(Some(within(&sorted, Duration::hours(24), at))),
    })
}

/// The starts a ledger keeps at `at`: those young enough to count for any cap.
pub fn still_counted(start: DateTime<Utc>, at: DateTime<Utc>) -> bool {
    start > at - LEDGER_SPAN
}

/// The earliest instant at or after `at` when `sorted` starts leave room for one more within
/// `max_calls` per `span` (rolling).
pub fn earliest_within_span(
    sorted: &[DateTime<Utc>],
    max_calls: u8,
    span: Duration,
    at: DateTime<Utc>,
) -> DateTime<Utc> {
    let cap = usize::from(max_calls);
    if cap == 0 {
        return at;
    }
    let recent: Vec<&DateTime<Utc>> = sorted.iter().filter(|s| **s > at - span).collect();
    if recent.len() < cap {
        return at;
    }
    // Room for one more once the start `cap` places from the newest leaves the span.
    (*recent[recent.len() - cap] + span).max(at)
}

/// The earliest instant at or after `at` when the contact's local day, in every zone, has had
/// fewer than `max_calls` starts.
fn earliest_within_local_day(
    sorted: &[DateTime<Utc>],
    max_calls: u8,
    zones: &[Tz],
    at: DateTime<Utc>,
) -> DateTime<Utc> {
    zones
        .iter()
        .filter(|zone| on_local_day(sorted, **zone, at) >= usize::from(max_calls))
        .map(|zone| next_local_midnight(*zone, at))
        .max()
        .unwrap_or(at)
}

fn on_local_day(sorted: &[DateTime<Utc>], zone: Tz, at: DateTime<Utc>) -> usize {
    let day = at.with_timezone(&zone).date_naive();
    sorted
        .iter()
        .filter(|s| **s <= at && s.with_timezone(&zone).date_naive() == day)
        .count()
}

fn within(sorted: &[DateTime<Utc>], span: Duration, at: DateTime<Utc>) -> usize {
    sorted
        .iter()
        .filter(|s| **s > at - span && **s <= at)
        .count()
}

/// The first instant of the local day after `at`'s in `zone` (where midnight is skipped by a
/// clock change, the first instant that exists after it).
fn next_local_midnight(zone: Tz, at: DateTime<Utc>) -> DateTime<Utc> {
    let next_day = at.with_timezone(&zone).date_naive() + Duration::days(1);
    (0..24)
        .find_map(|hour| {
            let time = NaiveTime::from_hms_opt(hour, 0, 0)?;
            zone.from_local_datetime(&next_day.and_time(time))
                .earliest()
        })
        .map_or(at + Duration::days(1), |t| t.with_timezone(&Utc))
}

fn saturate(n: Option<usize>) -> u8 {
    u8::try_from(n.unwrap_or(0)).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests;
