//! The quiet hint a tick leaves (see the module docs of the tick).

use chrono::{DateTime, Utc};
use ports::store::LEAD_SHARDS;
use ports::store::{DueScan, QuietHint, ShardRead};

/// What a tick can promise about its campaign's due index once it has dealt with what it read.
pub(super) struct Quiet {
    /// Every lead due by the next tick was read, and each one so far was moved by this tick.
    pub(super) holds: bool,
    /// Per due shard: no lead in it is due before this (the earliest later due time seen, or
    /// moved to), but for leases this tick wrote whose dialer dies (see where leases are
    /// counted).
    pub(super) until: Vec<DateTime<Utc>>,
}

impl Quiet {
    /// What the scan showed: a shard read out holds nothing before its next due time (or the
    /// look-ahead's end); a shard skipped as quiet keeps the time of the hint that let it be
    /// skipped (still true: no due change since); any other shard may hold due leads unread.
    pub(super) fn after(
        scan: &DueScan,
        skipped: &[bool],
        hint: &Option<QuietHint>,
        look_until: DateTime<Utc>,
    ) -> Self {
        let mut quiet = Quiet {
            holds: true,
            until: vec![look_until; usize::from(LEAD_SHARDS)],
        };
        for (shard, until) in quiet.until.iter_mut().enumerate() {
            let kept = hint.as_ref().and_then(|h| h.until.get(shard).copied());
            match (scan.shards.get(shard), kept) {
                (Some(ShardRead::ReadOut(next)), _) => {
                    *until = next.unwrap_or(look_until).min(look_until)
                }
                (_, Some(at)) if skipped.get(shard).copied().unwrap_or(false) => *until = at,
                _ => quiet.holds = false,
            }
        }
        quiet
    }

    /// A due lead of `shard` this tick moved (to be due again at `due_again`, if ever) or
    /// failed to move.
    pub(super) fn leaves(&mut self, shard: u8, moved: bool, due_again: Option<DateTime<Utc>>) {
        self.holds &= moved;
        if let (Some(at), Some(until)) = (due_again, self.until.get_mut(usize::from(shard))) {
            *until = (*until).min(at);
        }
    }
}
