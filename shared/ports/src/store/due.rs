//! A read of the due index and what it found.

use chrono::{DateTime, Utc};
use domain::lead::{DueKind, Lead};

/// How many due leads to read: a tick wants at least `enough` (its budget) and takes up to
/// `most` (more than the budget, since some due leads turn out to be outside their window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueBatch {
    /// Stop reading further shards once this many are found.
    pub enough: usize,
    /// Never return more than this.
    pub most: usize,
}

impl DueBatch {
    /// Up to `n`, reading shards until `n` are found.
    pub fn up_to(n: usize) -> Self {
        Self { enough: n, most: n }
    }
}

/// A read of the due index: the leads due for `kind` by `due_by`, looking ahead to
/// `look_until` for the next due time of each shard.
#[derive(Debug, Clone, Copy)]
pub struct DueRead<'a> {
    /// Which deadline.
    pub kind: DueKind,
    /// Leads due at or before this are returned.
    pub due_by: DateTime<Utc>,
    /// How far to look for each shard's next due time (no further than needed: every lead
    /// seen is read capacity).
    pub look_until: DateTime<Utc>,
    /// How many to take.
    pub batch: DueBatch,
    /// The shard the round-robin starts from.
    pub first_shard: u8,
    /// Shards not to read (index = shard; missing entries are read).
    pub skip: &'a [bool],
}

/// What a look at the due index found.
#[derive(Debug, Clone, Default)]
pub struct DueScan {
    /// Leads due at the time asked, in due order.
    pub due: Vec<Lead>,
    /// How far each due shard was read (index = shard).
    pub shards: Vec<ShardRead>,
}

impl DueScan {
    /// `due` holds every lead due at the time asked: every shard was read past it.
    pub fn complete(&self) -> bool {
        self.shards
            .iter()
            .all(|shard| matches!(shard, ShardRead::ReadOut(_)))
    }

    /// The earliest due time after the time asked that the look-ahead saw.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.shards
            .iter()
            .filter_map(|shard| match shard {
                ShardRead::ReadOut(next) => *next,
                _ => None,
            })
            .min()
    }
}

/// How far a scan read one due shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardRead {
    /// Not read: skipped as asked, or spared once enough leads were found.
    NotRead,
    /// Read, but the batch filled before the time asked.
    Partial,
    /// Read past the time asked: it holds no other lead due by then. The earliest later due time
    /// it holds within the look-ahead, if any.
    ReadOut(Option<DateTime<Utc>>),
}
