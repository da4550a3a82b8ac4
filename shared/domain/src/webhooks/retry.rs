//! When a failed delivery is tried again: backoff for a day, then the delivery is given up
//! (it stays in the endpoint's log and can be redelivered by hand).

use chrono::Duration;

/// The waits after the 1st, 2nd, ... failed attempt: 24 hours 42 minutes in all, ten attempts.
const WAITS_MINUTES: [i64; 9] = [1, 2, 10, 30, 60, 120, 240, 480, 540];

/// How long to wait after `failures` failed attempts before the next, or `None`: give up.
pub fn next_wait(failures: u32) -> Option<Duration> {
    let index = usize::try_from(failures).ok()?.checked_sub(1)?;
    WAITS_MINUTES.get(index).map(|m| Duration::minutes(*m))
}

/// Most attempts of one delivery.
pub const MAX_ATTEMPTS: u32 = WAITS_MINUTES.len() as u32 + 1;

/// How long a request may take before it counts as failed (connect and answer).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
