//! What listings and inserts answer: lead pages, Do-Not-Call entries, set-aside items.

use chrono::{DateTime, Utc};
use domain::ids::{CampaignRef, LeadId, TenantId};
use domain::lead::ImportSource;
use domain::phone::E164;

use super::LEAD_SHARDS;

/// One query's worth of a lead shard: the leads read, the sort key to continue after, and
/// whether the shard has nothing after it.
#[derive(Debug, Clone, Default)]
pub struct ShardPage {
    pub leads: Vec<domain::lead::Lead>,
    pub after: Option<String>,
    pub exhausted: bool,
}

/// Where a page of leads ends: the shard and the last lead id read in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadCursor {
    /// The shard to continue in.
    pub shard: u8,
    /// The last lead id read in that shard.
    pub after: Option<String>,
}

impl LeadCursor {
    /// Opaque text form for APIs: `{shard}.{lead id}`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.shard, self.after.as_deref().unwrap_or(""))
    }

    /// Parses [`LeadCursor::encode`].
    pub fn decode(text: &str) -> Option<Self> {
        let (shard, after) = text.split_once('.')?;
        let shard: u8 = shard.parse().ok().filter(|s| *s < LEAD_SHARDS)?;
        let after = (!after.is_empty()).then(|| after.to_owned());
        if let Some(id) = &after {
            LeadId::parse(id.clone()).ok()?;
        }
        Some(Self { shard, after })
    }
}

/// What a conditional insert found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    /// The lead is new and was written.
    Inserted,
    /// A lead with this number already exists in the campaign; it was left as it is.
    Exists {
        /// Where the existing lead came from (a retried import recognises its own rows).
        source: ImportSource,
    },
    /// A lead with this number exists but its stored item does not decode: it was quarantined
    /// and left as it is.
    ExistsUnreadable,
}

/// A number on a tenant's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DncEntry {
    /// The number.
    pub number: E164,
    /// `api`, `csv` or `opt_out`.
    pub source: String,
    /// When it was added, if recorded.
    pub added_at: Option<String>,
}

/// A number taken off a tenant's list: an opt-out removed is recorded, never silent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DncRemoval {
    /// The number.
    pub number: E164,
    /// How it had got on the list (`api`, `csv`, `opt_out`).
    pub source: String,
    /// Who removed it (the API key's id, or the admin command).
    pub removed_by: String,
    /// When.
    pub removed_at: DateTime<Utc>,
}

/// A stored item that could not be read back, as listed for its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedItem {
    /// What it is: `lead`, `import`, `campaign`, `agent`, `dnc`.
    pub kind: String,
    /// Its table key, `pk/sk` (ids only: no phone number is part of a lead's key).
    pub key: String,
    /// Why it does not decode.
    pub reason: String,
    /// When it was first met (wall-clock, RFC 3339).
    pub found_at: String,
}

/// Whose set-aside items to list.
#[derive(Debug, Clone, Copy)]
pub enum QuarantineOwner<'a> {
    /// A campaign's leads and imports.
    Campaign(&'a CampaignRef),
    /// A tenant's campaigns, agents and DNC entries.
    Tenant(&'a TenantId),
}
