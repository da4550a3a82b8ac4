//! Fault injection: the crash points between a handler's steps.

/// A crash injected by a test between two steps of a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("injected crash at {0}")]
pub struct InjectedCrash(pub &'static str);

/// Fault injection: handlers call [`Faults::crash_point`] between consecutive steps, and a
/// test's implementation may make any of them fail as if the process died there.
pub trait Faults: Send + Sync {
    /// Returns an error when the test wants the process to die at `point`.
    fn crash_point(&self, point: &'static str) -> Result<(), InjectedCrash>;
}

/// No faults (production).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFaults;

impl Faults for NoFaults {
    fn crash_point(&self, _: &'static str) -> Result<(), InjectedCrash> {
        Ok(())
    }
}
