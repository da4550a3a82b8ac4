//! The time, as a port: every handler asks a [`Clock`], so tests and the local runner can run
//! hours of a campaign in seconds.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// The time. Everything that depends on the time asks this, so tests and the local runner can
/// run hours of a campaign in seconds.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to (tests, discrete-event simulation).
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Sets the time (never backwards).
    pub fn set(&self, at: DateTime<Utc>) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if at > *now {
            *now = at;
        }
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A clock that runs `speed` times faster than real time from a starting instant (the local
/// runner's `--speed`).
#[derive(Debug, Clone)]
pub struct ScaledClock {
    origin_real: std::time::Instant,
    origin_virtual: DateTime<Utc>,
    speed: f64,
}

impl ScaledClock {
    /// Starts at `origin`, running `speed` times real time.
    pub fn new(origin: DateTime<Utc>, speed: f64) -> Self {
        Self {
            origin_real: std::time::Instant::now(),
            origin_virtual: origin,
            speed: speed.max(0.001),
        }
    }

    /// How many times faster than real time.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Real time that corresponds to a virtual duration.
    pub fn real(&self, virtual_duration: std::time::Duration) -> std::time::Duration {
        virtual_duration.div_f64(self.speed)
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = self.origin_real.elapsed().mul_f64(self.speed);
        self.origin_virtual + Duration::from_std(elapsed).unwrap_or_else(|_| Duration::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_forward_and_only_when_told() {
        let t = DateTime::parse_from_rfc3339("2026-06-10T15:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = ManualClock::at(t);
        assert_eq!(clock.now(), t);
        clock.advance(Duration::seconds(30));
        assert_eq!(clock.now(), t + Duration::seconds(30));
        clock.set(t);
        assert_eq!(clock.now(), t + Duration::seconds(30), "never backwards");
    }

    #[test]
    fn a_scaled_clock_runs_faster_than_real_time() {
        let t = DateTime::parse_from_rfc3339("2026-06-10T15:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = ScaledClock::new(t, 3600.0);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let elapsed = clock.now() - t;
        assert!(elapsed >= Duration::seconds(60), "{elapsed}");
        assert_eq!(
            clock.real(std::time::Duration::from_secs(3600)),
            std::time::Duration::from_secs(1)
        );
    }
}
