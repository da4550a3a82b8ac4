//! The caller numbers' limits (`domain::caller_limits`): no number starts more calls in a UTC
//! hour or day than its limits allow, over every campaign of a tenant, counted from the
//! network's own record of the calls it was asked to place.

use std::collections::BTreeMap;

use adapters::voice::simulator::SimulatedCall;
use chrono::{DurationRound, TimeDelta};
use domain::caller_limits::CallerLimits;

use super::Findings;

/// Checks the limits and records the busiest number's hour and day as figures.
pub(super) fn caller_limits_held(
    f: &mut Findings,
    every_call: &[SimulatedCall],
    limits: CallerLimits,
) {
    let mut hours = BTreeMap::new();
    let mut days = BTreeMap::new();
    for call in every_call {
        let hour = (call.placed_at)
            .duration_trunc(TimeDelta::hours(1))
            .unwrap_or(call.placed_at);
        // A number is counted per tenant (each tenant's ledger is its own).
        let number = format!("{} of {}", call.from, call.reference.campaign.tenant);
        *hours.entry((number.clone(), hour)).or_insert(0u32) += 1;
        *days
            .entry((number, call.placed_at.date_naive()))
            .or_insert(0u32) += 1;
    }
    let peak_hour = hours.values().copied().max().unwrap_or(0);
    let peak_day = days.values().copied().max().unwrap_or(0);
    f.figures
        .insert("peak_calls_per_number_hour", i64::from(peak_hour));
    f.figures
        .insert("peak_calls_per_number_day", i64::from(peak_day));
    for ((number, hour), count) in hours {
        if count > limits.per_hour {
            f.fail(
                "caller limits",
                format!(
                    "{number} started {count} calls in the hour from {hour}, limit {}",
                    limits.per_hour
                ),
            );
        }
    }
    for ((number, day), count) in days {
        if count > limits.per_day {
            f.fail(
                "caller limits",
                format!(
                    "{number} started {count} calls on {day}, limit {}",
                    limits.per_day
                ),
            );
        }
    }
}
