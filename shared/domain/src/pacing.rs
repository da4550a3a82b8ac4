//! The pacing budget: how many leads a tick may hand to dialers this minute, and when.
//!
//! The tick proposes; the dialer enforces. A dialer only starts a call after taking a slot
//! with conditional writes (in-flight below the maximum, rolling-hour count below the cap, a
//! provider calls-per-second token), so a budget computed from a stale read can only waste a
//! lease, never exceed a limit. The budget keeps that waste small, and the offsets spread the
//! minute's calls evenly so nothing bursts.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Upper bound on leads one tick hands out, whatever the pacing says: keeps a tick well inside
/// its Lambda timeout and SQS batch limits.
pub const MAX_LEADS_PER_TICK: u32 = 600;

/// Rolling-hour counts are kept per minute; this many minutes make the hour.
pub const MINUTES_PER_HOUR: i64 = 60;

/// A campaign's pacing settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pacing {
    /// Calls in progress at once.
    pub max_concurrent_calls: u32,
    /// Calls started in any rolling hour.
    pub calls_per_hour: u32,
}

/// What the store says about the campaign's calls right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacingState {
    /// Calls started and not yet finished.
    pub in_flight: u32,
    /// Calls started within the last hour (conservatively rounded up to whole minutes).
    pub started_last_hour: u32,
}

/// The provider account's rate limit, shared by every campaign on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderLimit {
    /// Calls the account may start per second.
    pub calls_per_second: u32,
}

/// The tick's plan for this minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinutePlan {
    /// Delay of each lead's start from the beginning of the minute, ascending.
    pub offsets: Vec<Duration>,
}

impl MinutePlan {
    /// How many leads to start.
    pub fn count(&self) -> u32 {
        self.offsets.len() as u32
    }
}

impl Pacing {
    /// How many leads may be started this minute.
    pub fn budget(&self, state: PacingState, provider: ProviderLimit) -> u32 {
        let concurrency = self.max_concurrent_calls.saturating_sub(state.in_flight);
        let hourly = self.calls_per_hour.saturating_sub(state.started_last_hour);
        let provider_minute = provider.calls_per_second.saturating_mul(60);
        concurrency
            .min(hourly)
            .min(provider_minute)
            .min(MAX_LEADS_PER_TICK)
    }

    /// The budget, with `available` due leads, spread evenly over the minute: lead `i` of `n`
    /// starts at `i * 60s / n`, so no second gets more than `ceil(n / 60)` starts.
    pub fn plan_minute(
        &self,
        state: PacingState,
        provider: ProviderLimit,
        available: u32,
    ) -> MinutePlan {
        let n = self.budget(state, provider).min(available);
        MinutePlan {
            offsets: spread_over_minute(n),
        }
    }
}

/// `n` offsets evenly spread over `[0s, 60s)`.
pub fn spread_over_minute(n: u32) -> Vec<Duration> {
    (0..n)
        .map(|i| Duration::from_millis(u64::from(i) * 60_000 / u64::from(n)))
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn pacing(max_concurrent_calls: u32, calls_per_hour: u32) -> Pacing {
        Pacing {
            max_concurrent_calls,
            calls_per_hour,
        }
    }

    const CPS10: ProviderLimit = ProviderLimit {
        calls_per_second: 10,
    };

    #[test]
    fn free_slots_bound_the_budget() {
        let state = PacingState {
            in_flight: 7,
            started_last_hour: 0,
        };
        assert_eq!(pacing(10, 1000).budget(state, CPS10), 3);
    }

    #[test]
    fn the_hourly_cap_bounds_the_budget() {
        let state = PacingState {
            in_flight: 0,
            started_last_hour: 98,
        };
        assert_eq!(pacing(50, 100).budget(state, CPS10), 2);
    }

    #[test]
    fn a_full_campaign_gets_nothing_even_when_counts_overshoot() {
        let state = PacingState {
            in_flight: 12,
            started_last_hour: 120,
        };
        assert_eq!(pacing(10, 100).budget(state, CPS10), 0);
    }

    #[test]
    fn the_provider_rate_bounds_the_budget() {
        let slow = ProviderLimit {
            calls_per_second: 1,
        };
        assert_eq!(
            pacing(500, 100_000).budget(PacingState::default(), slow),
            60
        );
    }

    #[test]
    fn the_minute_is_spread_evenly() {
        let plan = pacing(4, 100).plan_minute(PacingState::default(), CPS10, 100);
        let secs: Vec<u64> = plan.offsets.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, vec![0, 15, 30, 45]);
    }

    #[test]
    fn fewer_due_leads_than_budget_start_only_those() {
        let plan = pacing(40, 1000).plan_minute(PacingState::default(), CPS10, 3);
        assert_eq!(plan.count(), 3);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn a_minute_plan_never_exceeds_any_limit_and_never_bursts(
            max_concurrent in 1u32..1000, per_hour in 1u32..20_000,
            in_flight in 0u32..1200, started in 0u32..25_000,
            cps in 1u32..50, available in 0u32..5000,
        ) {
            let p = pacing(max_concurrent, per_hour);
            let state = PacingState { in_flight, started_last_hour: started };
            let provider = ProviderLimit { calls_per_second: cps };
            let plan = p.plan_minute(state, provider, available);
            let n = plan.count();
            prop_assert!(in_flight + n <= max_concurrent.max(in_flight));
            prop_assert!(started + n <= per_hour.max(started));
            prop_assert!(n <= available);
            prop_assert!(n <= MAX_LEADS_PER_TICK);
            // Offsets ascend inside the minute, and no second holds more than the CPS.
            let mut per_second = std::collections::HashMap::<u64, u32>::new();
            for pair in plan.offsets.windows(2) {
                prop_assert!(pair[0] < pair[1]);
            }
            for offset in &plan.offsets {
                prop_assert!(*offset < Duration::from_secs(60));
                *per_second.entry(offset.as_secs()).or_default() += 1;
            }
            prop_assert!(per_second.values().all(|&c| c <= cps), "{per_second:?}");
            // Spacing is even: consecutive gaps differ by at most a millisecond.
            if n >= 2 {
                let gaps: Vec<u128> = plan.offsets.windows(2).map(|w| (w[1] - w[0]).as_millis()).collect();
                let (lo, hi) = (gaps.iter().min().unwrap(), gaps.iter().max().unwrap());
                prop_assert!(hi - lo <= 1, "{gaps:?}");
            }
        }

        #[test]
        fn the_budget_uses_every_free_slot_when_nothing_else_binds(
            max_concurrent in 1u32..600, in_flight in 0u32..600,
        ) {
            let p = pacing(max_concurrent, 1_000_000);
            let state = PacingState { in_flight, started_last_hour: 0 };
            let budget = p.budget(state, ProviderLimit { calls_per_second: 1000 });
            prop_assert_eq!(budget, max_concurrent.saturating_sub(in_flight));
        }
    }
}
