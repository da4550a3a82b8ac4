//! Records to leads, without any I/O: decode, parse, normalize, dedupe, build. The job
//! drives it chunk by chunk; the benchmark drives it over a whole file.

use rustc_hash::FxHashSet;

use chrono::{DateTime, Utc};
use domain::ids::{CampaignId, ImportId, LeadId, LeadIdKey};
use domain::import::RowRepairs;
use domain::import::fast_phone::PhoneCache;
use domain::import::header::HeaderMap;
use domain::import::row::{RowResult, RowSettings, parse_row};
use domain::import::{Encoding, Record, decode_field};
use domain::lead::{ImportSource, Lead, LeadState};
use domain::phone::DefaultRegion;

/// A row's fate before any write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A lead to put.
    Lead {
        line: u64,
        lead: Box<Lead>,
        /// The repairs it needed.
        repair: RowRepairs,
        /// The original values (for the report, should a later check reject it).
        raw: RawRow,
    },
    /// Rejected before any write.
    Rejected {
        line: u64,
        /// Reason code.
        reason: &'static str,
        /// The original values (empty when the row was too big to keep).
        raw: Vec<String>,
    },
}

/// A record's original bytes, kept compactly (two allocations) in case a later check rejects
/// the row and the report needs its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    bytes: Box<[u8]>,
    ends: Box<[u32]>,
    encoding: Encoding,
}

impl RawRow {
    fn of(fields: &domain::import::Fields<'_>, encoding: Encoding) -> Self {
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(fields.len());
        for field in fields.iter() {
            bytes.extend_from_slice(field);
            ends.push(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
        }
        Self {
            bytes: bytes.into_boxed_slice(),
            ends: ends.into_boxed_slice(),
            encoding,
        }
    }

    /// The values as text (bytes that are not text are shown lossily).
    pub fn values(&self) -> Vec<String> {
        let mut start = 0usize;
        self.ends
            .iter()
            .map(|end| {
                let end = *end as usize;
                let field = self.bytes.get(start..end).unwrap_or_default();
                start = end;
                decode_field(self.encoding, field).map_or_else(
                    || String::from_utf8_lossy(field).into_owned(),
                    |c| c.into_owned(),
                )
            })
            .collect()
    }
}

/// Turns records into rows, remembering the numbers it saw.
#[derive(Debug)]
pub struct RowSink {
    pub header: HeaderMap,
    settings: RowSettings,
    phones: PhoneCache,
    seen: FxHashSet<u64>,
    campaign: CampaignId,
    import: ImportId,
    now: DateTime<Utc>,
    /// The deployment's key, for a campaign with keyed lead ids; `None`: plain ids.
    lead_key: Option<LeadIdKey>,
    /// The regions the tenant may call; `None`: any (benchmarks).
    allowed: Option<Vec<DefaultRegion>>,
}

impl RowSink {
    /// A sink for one import.
    pub fn new(
        header: HeaderMap,
        settings: RowSettings,
        campaign: CampaignId,
        import: ImportId,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            header,
            settings,
            phones: PhoneCache::new(),
            seen: FxHashSet::default(),
            campaign,
            import,
            now,
            lead_key: None,
            allowed: None,
        }
    }

    /// Rejects numbers outside `regions` (`destination_not_allowed`): the tenant's countries.
    pub fn with_allowed_regions(mut self, regions: Option<Vec<DefaultRegion>>) -> Self {
        self.allowed = regions;
        self
    }

    /// Derives lead ids with `key` (a campaign with keyed ids) instead of the plain hash.
    pub fn with_lead_key(mut self, key: Option<LeadIdKey>) -> Self {
        self.lead_key = key;
        self
    }

    /// Phone numbers that took the fast path and the full parser.
    pub fn phone_paths(&self) -> (u64, u64) {
        (self.phones.fast, self.phones.full)
    }

    /// Forgets the numbers seen (duplicates across chunks are caught by the conditional put).
    pub fn forget_seen(&mut self) {
        self.seen.clear();
    }

    /// The fate of one record.
    pub fn accept(&mut self, record: &Record<'_>) -> Row {
        let fields = match &record.fields {
            Ok(f) => f,
            Err(reason) => {
                return Row::Rejected {
                    line: record.line,
                    reason,
                    raw: Vec::new(),
                };
            }
        };
        let encoding = self.settings.encoding;
        let rejected = |reason| Row::Rejected {
            line: record.line,
            reason,
            raw: RawRow::of(fields, encoding).values(),
        };
        match parse_row(&self.header, fields, &self.settings, &mut self.phones) {
            RowResult::Rejected(reason) => rejected(reason),
            RowResult::Contact(contact, repair) => {
                if let Some(allowed) = &self.allowed
                    && !contact.phone.region().is_some_and(|r| allowed.contains(&r))
                {
                    return rejected("destination_not_allowed");
                }
                if !self.seen.insert(contact.phone.as_u64()) {
                    return rejected("duplicate_in_file");
                }
                let lead = Lead {
                    id: match &self.lead_key {
                        Some(key) => LeadId::keyed(key, &self.campaign, &contact.phone),
                        None => LeadId::derive(&self.campaign, &contact.phone),
                    },
                    contact: *contact,
                    source: ImportSource {
                        import_id: self.import.clone(),
                        line: record.line,
                    },
                    state: LeadState::new(self.now),
                };
                let raw = RawRow::of(fields, encoding);
                Row::Lead {
                    line: record.line,
                    lead: Box::new(lead),
                    repair,
                    raw,
                }
            }
        }
    }
}
