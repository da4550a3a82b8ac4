//! Records to leads, without any I/O: decode, parse, normalize, dedupe, build. The job
//! drives it chunk by chunk; the benchmark drives it over a whole file.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::ids::{CampaignId, ImportId, LeadId};
use domain::import::fast_phone::PhoneCache;
use domain::import::header::HeaderMap;
use domain::import::row::{RowResult, RowSettings, parse_row};
use domain::import::{Record, decode_field};
use domain::lead::{ImportSource, Lead, LeadState};
use domain::phone::{E164, Repair};

/// A row's fate before any write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A lead to put.
    Lead {
        /// The line.
        line: u64,
        /// The lead.
        lead: Box<Lead>,
        /// The repair its number needed.
        repair: Option<Repair>,
        /// The original values (for the report, should a later check reject it).
        raw: Vec<String>,
    },
    /// Rejected before any write.
    Rejected {
        /// The line.
        line: u64,
        /// Reason code.
        reason: &'static str,
        /// The original values (empty when the row was too big to keep).
        raw: Vec<String>,
    },
}

/// Turns records into rows, remembering the numbers it saw.
#[derive(Debug)]
pub struct RowSink {
    /// The header.
    pub header: HeaderMap,
    settings: RowSettings,
    phones: PhoneCache,
    seen: HashMap<E164, u64>,
    campaign: CampaignId,
    import: ImportId,
    now: DateTime<Utc>,
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
            seen: HashMap::new(),
            campaign,
            import,
            now,
        }
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
        let raw = || -> Vec<String> {
            fields
                .iter()
                .map(|f| {
                    decode_field(encoding, f).map_or_else(
                        || String::from_utf8_lossy(f).into_owned(),
                        |c| c.into_owned(),
                    )
                })
                .collect()
        };
        let rejected = |reason| Row::Rejected {
            line: record.line,
            reason,
            raw: raw(),
        };
        match parse_row(&self.header, fields, &self.settings, &mut self.phones) {
            RowResult::Rejected(reason) => rejected(reason),
            RowResult::Contact(contact, repair) => {
                if self
                    .seen
                    .insert(contact.phone.clone(), record.line)
                    .is_some()
                {
                    return rejected("duplicate_in_file");
                }
                let lead = Lead {
                    id: LeadId::derive(&self.campaign, &contact.phone),
                    contact: *contact,
                    source: ImportSource {
                        import_id: self.import.clone(),
                        line: record.line,
                    },
                    state: LeadState::new(self.now),
                };
                Row::Lead {
                    line: record.line,
                    lead: Box::new(lead),
                    repair,
                    raw: raw(),
                }
            }
        }
    }
}
