//! What one slow or dead endpoint may cost the worker: at most [`MAX_IN_FLIGHT`] tries at once,
//! and nothing at all once it has failed [`OPEN_AFTER`] times in a row — its circuit opens for
//! [`OPEN_FOR`], then one probe decides (a success closes it, a failure opens it again).
//!
//! Kept in the worker's memory, per endpoint, so the breaker costs no table write per try; and
//! shared through the endpoint's item, which every delivery reads anyway: the worker whose
//! circuit opens writes until when on the endpoint ([`Judgement::Opened`]), and every other
//! worker adopts it ([`EndpointGuards::adopt`]) instead of learning again with tries of its
//! own — under load, each worker's learning tries to a dead endpoint held up its batches and
//! delayed other tenants' deliveries. Once that time is up each worker's next try is a probe:
//! one failure opens the circuit again, one success closes it for everyone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// Consecutive failures (timeouts, refused connections, non-2xx answers) that open the circuit.
pub const OPEN_AFTER: u32 = 5;
/// How long an open circuit stays open before one probe is let through.
pub const OPEN_FOR: Duration = Duration::minutes(5);
/// Most tries to one endpoint in flight at once in one worker.
pub const MAX_IN_FLIGHT: u32 = 2;
/// How long a delivery waits when its endpoint already has [`MAX_IN_FLIGHT`] tries in flight.
pub const BUSY_WAIT: Duration = Duration::seconds(30);

/// Whether a delivery may be tried now.
#[derive(Debug)]
pub enum Admission {
    /// Try it; the permit is handed back through [`EndpointGuards::finished`].
    Try(Permit),
    /// The endpoint failed [`OPEN_AFTER`] times in a row: not tried before this instant.
    Open { until: DateTime<Utc>, failures: u32 },
    /// [`MAX_IN_FLIGHT`] tries are already in flight to the endpoint.
    Busy,
}

/// What judging a try changed, for the endpoint's shared state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judgement {
    /// The circuit opened (or opened again) until then.
    Opened(DateTime<Utc>),
    /// A success: the circuit is closed.
    Closed,
    /// A failure that did not open it.
    Failed,
}

/// One admitted try. Dropping it without [`EndpointGuards::finished`] (an error before the
/// request) frees its place without judging the endpoint.
#[derive(Debug)]
pub struct Permit {
    endpoint: String,
    guards: Arc<Mutex<HashMap<String, Health>>>,
    judged: bool,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.judged {
            let mut all = self.guards.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(health) = all.get_mut(&self.endpoint) {
                health.in_flight = health.in_flight.saturating_sub(1);
            }
        }
    }
}

#[derive(Debug, Default)]
struct Health {
    consecutive_failures: u32,
    open_until: Option<DateTime<Utc>>,
    in_flight: u32,
}

/// Every endpoint's health as this worker saw it.
#[derive(Debug, Default, Clone)]
pub struct EndpointGuards {
    all: Arc<Mutex<HashMap<String, Health>>>,
    /// Admit every try and never open a circuit ([`EndpointGuards::unguarded`]).
    off: bool,
}

impl EndpointGuards {
    /// Guards that admit every try: no circuit, no cap in flight. Never in a deployment; the
    /// noisy-neighbour benchmark uses them to measure what the guards are worth.
    pub fn unguarded() -> Self {
        Self {
            off: true,
            ..Self::default()
        }
    }

    /// Whether `endpoint` may be tried at `now`. A circuit whose time is up lets one probe
    /// through and stays open meanwhile (for everyone else) until the probe is judged.
    pub fn admit(&self, endpoint: &str, now: DateTime<Utc>) -> Admission {
        let mut all = self.all.lock().unwrap_or_else(|p| p.into_inner());
        let health = all.entry(endpoint.to_owned()).or_default();
        if self.off {
            // Measuring without the guards: every try goes out.
        } else if let Some(until) = health.open_until {
            if now < until {
                return Admission::Open {
                    until,
                    failures: health.consecutive_failures,
                };
            }
            // The probe: the circuit stays open for the others while it runs.
            health.open_until = Some(now + OPEN_FOR);
        } else if health.in_flight >= MAX_IN_FLIGHT {
            return Admission::Busy;
        }
        health.in_flight += 1;
        Admission::Try(Permit {
            endpoint: endpoint.to_owned(),
            guards: self.all.clone(),
            judged: false,
        })
    }

    /// Judges an admitted try: a success closes the circuit, the [`OPEN_AFTER`]th failure in a
    /// row (or a failed probe) opens it for [`OPEN_FOR`].
    pub fn finished(&self, mut permit: Permit, succeeded: bool, now: DateTime<Utc>) -> Judgement {
        permit.judged = true;
        let mut all = self.all.lock().unwrap_or_else(|p| p.into_inner());
        let health = all.entry(permit.endpoint.clone()).or_default();
        health.in_flight = health.in_flight.saturating_sub(1);
        if succeeded {
            *health = Health {
                in_flight: health.in_flight,
                ..Health::default()
            };
            return Judgement::Closed;
        }
        health.consecutive_failures += 1;
        if health.consecutive_failures >= OPEN_AFTER && !self.off {
            let until = now + OPEN_FOR;
            health.open_until = Some(until);
            return Judgement::Opened(until);
        }
        Judgement::Failed
    }

    /// Takes on what another worker learnt of `endpoint` (its item's open circuit, `shared`):
    /// while that holds, nothing is tried; after it, the next try is a probe whose failure
    /// opens the circuit again at once. A circuit this worker opened itself is kept.
    pub fn adopt(&self, endpoint: &str, shared: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        let Some(until) = shared else { return };
        if self.off {
            return;
        }
        let mut all = self.all.lock().unwrap_or_else(|p| p.into_inner());
        let health = all.entry(endpoint.to_owned()).or_default();
        health.consecutive_failures = health.consecutive_failures.max(OPEN_AFTER);
        if until > now && health.open_until.is_none_or(|mine| mine < until) {
            health.open_until = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        "2026-06-10T12:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minutes)
    }

    fn try_now(guards: &EndpointGuards, endpoint: &str, now: DateTime<Utc>) -> Permit {
        match guards.admit(endpoint, now) {
            Admission::Try(permit) => permit,
            other => panic!("{endpoint} not admitted at {now}: {other:?}"),
        }
    }

    #[test]
    fn unguarded_admits_every_try_and_never_opens() {
        let guards = EndpointGuards::unguarded();
        for _ in 0..(OPEN_AFTER * 2) {
            let permit = try_now(&guards, "dead", at(0));
            guards.finished(permit, false, at(0));
        }
        let held: Vec<Permit> = (0..MAX_IN_FLIGHT + 1)
            .map(|_| try_now(&guards, "dead", at(1)))
            .collect();
        assert_eq!(held.len() as u32, MAX_IN_FLIGHT + 1);
    }

    #[test]
    fn five_failures_in_a_row_open_the_circuit_and_one_probe_decides() {
        let guards = EndpointGuards::default();
        for _ in 0..OPEN_AFTER {
            let permit = try_now(&guards, "dead", at(0));
            guards.finished(permit, false, at(0));
        }
        assert!(matches!(
            guards.admit("dead", at(1)),
            Admission::Open { failures: 5, .. }
        ));
        // Another endpoint of the same tenant is untouched.
        let permit = try_now(&guards, "alive", at(1));
        guards.finished(permit, true, at(1));
        // Time is up: one probe, the others still wait.
        let probe = try_now(&guards, "dead", at(5));
        assert!(matches!(
            guards.admit("dead", at(5)),
            Admission::Open { .. }
        ));
        guards.finished(probe, false, at(5));
        assert!(matches!(
            guards.admit("dead", at(9)),
            Admission::Open { .. }
        ));
        let probe = try_now(&guards, "dead", at(10));
        guards.finished(probe, true, at(10));
        let permit = try_now(&guards, "dead", at(10));
        guards.finished(permit, false, at(10));
        let permit = try_now(&guards, "dead", at(10));
        guards.finished(permit, true, at(10));
    }

    #[test]
    fn a_circuit_another_worker_opened_is_adopted_and_its_probe_decides_at_once() {
        let (opener, other) = (EndpointGuards::default(), EndpointGuards::default());
        let mut judged = Vec::new();
        for _ in 0..OPEN_AFTER {
            let permit = try_now(&opener, "dead", at(0));
            judged.push(opener.finished(permit, false, at(0)));
        }
        let until = at(0) + OPEN_FOR;
        assert_eq!(judged.last(), Some(&Judgement::Opened(until)));
        assert!(
            judged[..judged.len() - 1]
                .iter()
                .all(|j| *j == Judgement::Failed)
        );
        // The other worker never tried it: it adopts the circuit from the endpoint's item.
        other.adopt("dead", Some(until), at(1));
        assert!(matches!(other.admit("dead", at(1)), Admission::Open { .. }));
        // Time is up: its probe fails once and the circuit opens again.
        other.adopt("dead", Some(until), at(6));
        let probe = try_now(&other, "dead", at(6));
        assert_eq!(
            other.finished(probe, false, at(6)),
            Judgement::Opened(at(6) + OPEN_FOR)
        );
        // A worker whose probe succeeds closes it.
        let third = EndpointGuards::default();
        third.adopt("dead", Some(until), at(6));
        let probe = try_now(&third, "dead", at(6));
        assert_eq!(third.finished(probe, true, at(6)), Judgement::Closed);
        let _ = try_now(&third, "dead", at(6));
        // Unguarded workers adopt nothing.
        let off = EndpointGuards::unguarded();
        off.adopt("dead", Some(until), at(1));
        let _ = try_now(&off, "dead", at(1));
    }

    #[test]
    fn a_success_between_failures_keeps_the_circuit_closed() {
        let guards = EndpointGuards::default();
        for succeeded in [false, false, false, false, true, false, false, false, false] {
            let permit = try_now(&guards, "flaky", at(0));
            guards.finished(permit, succeeded, at(0));
        }
        let _ = try_now(&guards, "flaky", at(0));
    }

    #[test]
    fn at_most_two_tries_at_once_and_a_dropped_permit_frees_its_place() {
        let guards = EndpointGuards::default();
        let first = try_now(&guards, "slow", at(0));
        let second = try_now(&guards, "slow", at(0));
        assert!(matches!(guards.admit("slow", at(0)), Admission::Busy));
        drop(first);
        let third = try_now(&guards, "slow", at(0));
        guards.finished(second, true, at(0));
        guards.finished(third, true, at(0));
        let _ = try_now(&guards, "slow", at(0));
    }
}
