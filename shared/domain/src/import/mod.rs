//! Reading contact CSVs: every row accounted for, whatever Excel did to the file.
//!
//! The parser is push-based and resumable, so the importer can stream an object from S3 in
//! pieces and continue a large file in a fresh invocation from a checkpoint:
//!
//! 1. [`sniff`] the first bytes: encoding (UTF-8 with or without BOM, UTF-16 with BOM,
//!    Windows-1252 when the bytes are not UTF-8) and delimiter (`,` `;` tab `|`);
//! 2. [`header::HeaderMap::parse`] the header row: `phone` is required (aliases such as
//!    "Phone Number", "mobile", "tel"), the known optional columns, and every other column a
//!    custom field;
//! 3. feed bytes to a [`RecordReader`]; each record comes out with its line number and the
//!    source byte offset after it (the checkpoint), or as a rejection when it is longer than the
//!    row limit or wider than the column limit;
//! 4. [`row::parse_row`] turns a record into a [`crate::lead::Contact`] or a rejection reason.
//!
//! Blank lines are not rows. Rows read = imported + rejected, always.

pub mod fast_phone;
pub mod header;
pub mod numbers;
mod records;
pub mod row;
mod sniff;
mod transcode;

pub use records::{Fields, Record, RecordReader};
pub use row::RowRepairs;
pub use sniff::{SNIFF_BYTES, sniff};

use serde::{Deserialize, Serialize};

/// Limits on what one row may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Bytes in one record (quoted newlines included).
    pub max_row_bytes: usize,
    /// Fields in one record.
    pub max_columns: usize,
    /// Characters in one field.
    pub max_field_chars: usize,
}

/// Bytes of a lead's custom fields in all, names and values (UTF-8): they travel with the lead
/// in every dial message and to the agent, and a lead item must stay far below DynamoDB's
/// 400 KB. A row over it is rejected (`custom_fields_too_large`).
pub const MAX_CUSTOM_FIELDS_BYTES: usize = 8 * 1024;

/// Characters in a custom column's name; a longer header refuses the file (`bad_header`).
pub const MAX_CUSTOM_FIELD_NAME_CHARS: usize = 64;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_row_bytes: 64 * 1024,
            max_columns: 512,
            max_field_chars: 4096,
        }
    }
}

/// A file's text encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// UTF-8 without a byte order mark.
    Utf8,
    /// UTF-8 with a byte order mark (Excel's "CSV UTF-8").
    Utf8Bom,
    /// UTF-16 little endian with a byte order mark (Excel's "Unicode Text").
    Utf16Le,
    /// UTF-16 big endian with a byte order mark.
    Utf16Be,
    /// Windows-1252 (Excel's plain "CSV" on Western systems), used when the bytes are not UTF-8.
    Windows1252,
}

impl Encoding {
    /// Bytes of byte order mark at the start of the file.
    pub fn bom_len(self) -> u64 {
        match self {
            Self::Utf8Bom => 3,
            Self::Utf16Le | Self::Utf16Be => 2,
            Self::Utf8 | Self::Windows1252 => 0,
        }
    }

    /// Whether the CSV reader sees transcoded UTF-8 rather than the source bytes.
    pub fn is_utf16(self) -> bool {
        matches!(self, Self::Utf16Le | Self::Utf16Be)
    }
}

/// What the first bytes say about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sniffed {
    pub encoding: Encoding,
    /// The field delimiter.
    pub delimiter: u8,
}

/// Why a whole file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", content = "detail", rename_all = "snake_case")]
pub enum FileRefusal {
    /// No bytes, or only blank lines.
    #[error("the file is empty")]
    EmptyFile,
    /// NUL bytes in a file that is not UTF-16: not a CSV.
    #[error("the file is not text (it contains NUL bytes)")]
    BinaryFile,
    /// No column is a phone number.
    #[error("no phone column: name one `phone` (or \"Phone Number\", \"mobile\", \"tel\", ...)")]
    NoPhoneColumn,
    /// Two columns have the same name (or mean the same field).
    #[error("duplicate header: {0}")]
    DuplicateHeader(String),
    /// The header row breaks the row limits or is not text.
    #[error("the header row is unreadable: {0}")]
    BadHeader(String),
    /// The object is larger than allowed.
    #[error("the file is larger than the limit of {0} bytes")]
    FileTooLarge(u64),
    /// The key does not name a campaign of the tenant that accepts contacts.
    #[error("{0}")]
    CampaignNotAccepting(String),
    /// Another file was uploaded to the same URL after the import started: nothing of it is
    /// read (what was imported before stays); upload it with a new import.
    #[error("the file was replaced while it was being imported; upload it again as a new import")]
    FileChanged,
}

impl FileRefusal {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyFile => "empty_file",
            Self::BinaryFile => "binary_file",
            Self::NoPhoneColumn => "no_phone_column",
            Self::DuplicateHeader(_) => "duplicate_header",
            Self::BadHeader(_) => "bad_header",
            Self::FileTooLarge(_) => "file_too_large",
            Self::CampaignNotAccepting(_) => "campaign_not_accepting_contacts",
            Self::FileChanged => "file_changed",
        }
    }
}

/// Decodes one field's bytes: UTF-8 streams must be valid UTF-8 (`None` if not);
/// Windows-1252 always decodes.
pub fn decode_field(encoding: Encoding, bytes: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    match encoding {
        Encoding::Windows1252 => Some(
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0,
        ),
        _ => std::str::from_utf8(bytes)
            .ok()
            .map(std::borrow::Cow::Borrowed),
    }
}

#[cfg(test)]
mod tests;
