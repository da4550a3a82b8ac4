//! Import and export jobs as the store keeps them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::ids::{CampaignRef, ExportId, ImportId};
use serde::{Deserialize, Serialize};

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// An upload URL was issued; nothing received yet.
    AwaitingUpload,
    /// Rows are being imported (in chunks).
    Processing,
    /// Every row is accounted for.
    Completed,
    /// The whole file was refused (wrong campaign, too large, no phone column, ...).
    Rejected,
    /// The import kept failing until its message reached the dead-letter queue; the reason is
    /// in `refusal` and the operators were alerted. Rows imported before stay.
    Failed,
}

/// How to read the rest of a file: what its first chunk found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportFormat {
    /// Encoding and delimiter.
    pub sniffed: domain::import::Sniffed,
    /// The header as written.
    pub header: Vec<String>,
}

/// An import job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRecord {
    /// Id.
    pub id: ImportId,
    /// Where.
    pub campaign: CampaignRef,
    /// Status.
    pub status: ImportStatus,
    /// The object key.
    pub object_key: String,
    /// Object size in bytes, once known.
    #[serde(default)]
    pub object_size: u64,
    /// The object's ETag when the import started: every read asks for exactly that version
    /// (If-Match), so a second upload to the same key cannot mix into a running import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_etag: Option<String>,
    /// Byte offset of the next chunk (the checkpoint).
    #[serde(default)]
    pub offset: u64,
    /// Rows read so far.
    #[serde(default)]
    pub rows_read: u64,
    /// Leads imported so far.
    #[serde(default)]
    pub imported: u64,
    /// Rows rejected, by reason code.
    #[serde(default)]
    pub rejected: BTreeMap<String, u64>,
    /// Rows repaired (imported after fixing spreadsheet damage), by repair.
    #[serde(default)]
    pub repaired: BTreeMap<String, u64>,
    /// Why the whole file was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// The rejected-rows CSV, once written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_key: Option<String>,
    /// Encoding, delimiter and header, once the header is read (later chunks need them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ImportFormat>,
    /// The file line the next chunk starts on.
    #[serde(default)]
    pub next_line: u64,
    /// Chunks committed (names the next rejected-rows part).
    #[serde(default)]
    pub chunks: u32,
    /// Notes for the person who uploaded (columns without a header, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Bumped by each checkpoint; checkpoints are conditional on it.
    pub version: u64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl ImportRecord {
    /// A new import of `campaign` whose file is to be uploaded to `object_key`: nothing read
    /// yet, version 1. The one place an import starts (the API's upload URL, the importer
    /// meeting a file it was not told of).
    pub fn awaiting_upload(
        id: ImportId,
        campaign: CampaignRef,
        object_key: String,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            campaign,
            status: ImportStatus::AwaitingUpload,
            object_key,
            object_size: 0,
            object_etag: None,
            offset: 0,
            rows_read: 0,
            imported: 0,
            rejected: BTreeMap::new(),
            repaired: BTreeMap::new(),
            refusal: None,
            report_key: None,
            format: None,
            next_line: 1,
            chunks: 0,
            warnings: Vec::new(),
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// Rows rejected in all.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

/// Where an export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    /// Waiting for the results worker.
    Queued,
    /// Being written.
    Running,
    /// Written; downloadable.
    Completed,
    /// Gave up (the reason is on the record).
    Failed,
    /// Written, then deleted because it held a person's data that was erased (the reason is
    /// on the record); a new export leaves the erased out.
    Withdrawn,
}

impl ExportStatus {
    /// The stored and served name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Withdrawn => "withdrawn",
        }
    }
}

/// What an export holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    /// One row per lead: its fields and what happened to it.
    #[default]
    Leads,
    /// One row per attempt and zone: what allowed each call (its clearance).
    Clearances,
}

/// An export job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRecord {
    /// The export.
    pub id: ExportId,
    /// Its campaign.
    pub campaign: CampaignRef,
    /// Where it is.
    pub status: ExportStatus,
    /// What it holds. (Stored as `contents`: `kind` names the item's type in the table.)
    #[serde(default, rename = "contents")]
    pub kind: ExportKind,
    /// The object written (`exports/{tenant}/{campaign}/{export}.csv`).
    pub object_key: String,
    /// Rows written (leads, or attempt-zone rows of a clearances export).
    #[serde(default)]
    pub rows: u64,
    /// Bytes written.
    #[serde(default)]
    pub bytes: u64,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

/// One counter that differs from what the leads say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// Which counter (`n_pending`, `attempts`, `o_busy`, `hour 2026-06-08T14 started`, ...).
    pub counter: String,
    /// What the counter said.
    pub stored: i64,
    /// What the leads say.
    pub actual: i64,
}

/// What a reconciliation found and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileReport {
    pub campaign: CampaignRef,
    /// When it ran.
    pub at: DateTime<Utc>,
    /// Leads read.
    pub leads: u64,
    /// Counters that differed from the leads (empty: no drift).
    pub drift: Vec<Drift>,
    /// Whether the counters were rewritten.
    pub repaired: bool,
    /// Why drift was not repaired, if it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
