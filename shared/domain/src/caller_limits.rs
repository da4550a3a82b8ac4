//! How many calls one caller number may make: per UTC hour and per UTC day. A number that
//! places thousands of calls a day is what carriers' analytics label "Spam Likely"; a pool
//! spreads the calls, and these limits make sure it does. The dialer counts every call in the
//! number's ledger for the day, in the claim's own transaction, so the limits hold across every
//! campaign and dialer using the number; a number at its limit is skipped for the next closest
//! of the pool, and when all are, the lead waits (no attempt spent).

use chrono::{DateTime, Duration, DurationRound, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::config::FieldError;

/// The most calls per hour a limit may allow: one a second.
pub const MAX_PER_HOUR: u32 = 3_600;
/// The most calls per day a limit may allow: one a second.
pub const MAX_PER_DAY: u32 = 86_400;

/// Calls one caller number may start, per UTC hour and per UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CallerLimits {
    /// Calls a number may start in one UTC hour, 1-3600. Default 30.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3600))]
    #[serde(deserialize_with = "crate::config::whole_number::u32")]
    pub per_hour: u32,
    /// Calls a number may start in one UTC day, 1-86400, at least `per_hour`. Default 150.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 86400))]
    #[serde(deserialize_with = "crate::config::whole_number::u32")]
    pub per_day: u32,
}

impl Default for CallerLimits {
    /// A cautious default: a number that stays near a person's own calling volume (tens an
    /// hour, a hundred or two a day) is far less likely to be labelled than one carrying a
    /// campaign alone. Raise it per agent where numbers are many and the list is warm.
    fn default() -> Self {
        Self {
            per_hour: 30,
            per_day: 150,
        }
    }
}

impl CallerLimits {
    /// Every problem with the limits, each named `{field}.per_hour` / `{field}.per_day`.
    pub fn check(&self, field: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut bad = |name: &str, message: String| {
            errors.push(FieldError {
                field: format!("{field}.{name}"),
                message,
            })
        };
        if !(1..=MAX_PER_HOUR).contains(&self.per_hour) {
            bad("per_hour", format!("must be 1-{MAX_PER_HOUR}"));
        }
        if !(1..=MAX_PER_DAY).contains(&self.per_day) {
            bad("per_day", format!("must be 1-{MAX_PER_DAY}"));
        } else if self.per_day < self.per_hour {
            bad("per_day", "must be at least per_hour".into());
        }
        errors
    }
}

/// The UTC day a call's start counts in (the ledger's item).
pub fn ledger_day(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}

/// The hour of the day a call's start counts in (0-23, UTC).
pub fn ledger_hour(at: DateTime<Utc>) -> u32 {
    at.hour()
}

/// When a number refused for its limits may next have room: the next UTC hour (an hour's
/// count resets then; a day's limit is tried again each hour, which costs one refused claim).
pub fn next_room(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::hours(1)).unwrap_or(at) + Duration::hours(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_out_of_range_or_a_day_below_the_hour_are_refused_by_field() {
        assert!(CallerLimits::default().check("caller_limits").is_empty());
        let fields = |l: CallerLimits| -> Vec<String> {
            l.check("caller_limits")
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        let zero = CallerLimits {
            per_hour: 0,
            per_day: 0,
        };
        assert_eq!(
            fields(zero),
            ["caller_limits.per_hour", "caller_limits.per_day"]
        );
        let upside_down = CallerLimits {
            per_hour: 50,
            per_day: 40,
        };
        assert_eq!(fields(upside_down), ["caller_limits.per_day"]);
        let too_many = CallerLimits {
            per_hour: MAX_PER_HOUR + 1,
            per_day: MAX_PER_DAY,
        };
        assert_eq!(fields(too_many), ["caller_limits.per_hour"]);
    }

    #[test]
    fn a_refused_number_is_tried_again_at_the_next_utc_hour() {
        let at = "2026-03-02T14:59:59Z".parse::<DateTime<Utc>>().unwrap();
        let next = "2026-03-02T15:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(next_room(at), next);
        assert_eq!(next_room(next), next + Duration::hours(1));
        assert_eq!(ledger_hour(at), 14);
        assert_eq!(ledger_day(at).to_string(), "2026-03-02");
    }
}
