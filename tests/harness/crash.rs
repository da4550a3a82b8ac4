//! Crash injection: every crash point fires with a probability, from a seeded generator.
//! Points can also stall: the virtual clock jumps forward there, as if the step before it had
//! been slow (a congested table, a cold start).

use std::collections::BTreeMap;
use std::sync::Mutex;

use ports::{Faults, InjectedCrash, ManualClock};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Every crash point of the engine's handlers, in step order.
pub const POINTS: &[&str] = &[
    "tick.after_load",
    "tick.after_reconcile",
    "tick.after_guardrails",
    "tick.after_screen",
    "tick.after_leases",
    "tick.after_enqueue",
    "tick.after_lookup",
    "dial.before_claim",
    "dial.after_claim",
    "dial.after_place",
    "events.after_verify",
    "outcome.before_write",
    "events.after_apply",
];

/// Crashes at random points.
#[derive(Debug)]
pub struct CrashPlan {
    probability: f64,
    rng: Mutex<StdRng>,
    reached: Mutex<BTreeMap<&'static str, u64>>,
    fired: Mutex<BTreeMap<&'static str, u64>>,
    stalls: Vec<(&'static str, chrono::Duration)>,
    clock: Option<ManualClock>,
}

impl CrashPlan {
    /// Crashes each point reached with `probability`.
    pub fn new(probability: f64, seed: u64) -> Self {
        Self {
            probability,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            reached: Mutex::default(),
            fired: Mutex::default(),
            stalls: Vec::new(),
            clock: None,
        }
    }

    /// Moves `clock` forward by the given duration each time one of these points is reached.
    pub fn stalling(
        mut self,
        clock: ManualClock,
        stalls: Vec<(&'static str, chrono::Duration)>,
    ) -> Self {
        self.stalls = stalls;
        self.clock = Some(clock);
        self
    }

    /// How often each point crashed.
    pub fn fired(&self) -> BTreeMap<&'static str, u64> {
        self.fired.lock().unwrap().clone()
    }

    /// How often each point was reached.
    pub fn reached(&self) -> BTreeMap<&'static str, u64> {
        self.reached.lock().unwrap().clone()
    }
}

impl Faults for CrashPlan {
    fn crash_point(&self, point: &'static str) -> Result<(), InjectedCrash> {
        let reached = {
            let mut reached = self.reached.lock().unwrap();
            let count = reached.entry(point).or_default();
            *count += 1;
            *count
        };
        if let Some(clock) = &self.clock {
            for (_, by) in self.stalls.iter().filter(|(p, _)| *p == point) {
                clock.advance(*by);
            }
        }
        // Random crashes, plus a guaranteed one at every point (its third visit), so every
        // step boundary is crossed by a crash in every hostile run.
        let never_fired = !self.fired.lock().unwrap().contains_key(point);
        let guaranteed = self.probability > 0.0 && never_fired && reached == 3;
        if guaranteed
            || (self.probability > 0.0 && self.rng.lock().unwrap().random_bool(self.probability))
        {
            *self.fired.lock().unwrap().entry(point).or_default() += 1;
            return Err(InjectedCrash(point));
        }
        Ok(())
    }
}
