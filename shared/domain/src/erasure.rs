//! Erasing a person from a tenant's data (`POST /v1/privacy/erase`): what stays behind (a keyed
//! marker of the number, so it is never called again), how a file's row is recognised as
//! naming the number, and the record of what an erasure removed.
//!
//! A row names the number when one of its fields is the number written any usual way: with or
//! without the country code, after a national trunk `0`, after an international prefix `00` or
//! `011`.
//!
//! The marker is HMAC-SHA-256 under the deployment's lead id key over the tenant and the
//! number: the dialer can ask "was this number erased?" of any number it is about to call,
//! while the stored marker says nothing of the number to anyone without the key (a plain hash
//! of a phone number is reversed by trying the ten billion numbers of a country).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CampaignId, ErasureId, ExportId, ImportId, LeadId, LeadIdKey, TenantId};
use crate::phone::E164;
use crate::status::LeadStatus;

/// The stored marker of an erased number of `tenant`.
pub fn number_marker(key: &LeadIdKey, tenant: &TenantId, number: &E164) -> String {
    key.mac_hex(&["erased-number", tenant.as_str(), number.as_str()])
}

/// Whether a CSV row (its fields as written) names `number`: some field's digits are the
/// number's, with or without its country calling code (`(212) 555-0100`, `+1 212-555-0100`,
/// `12125550100`). A field of other digits around it (an order number that contains the
/// digits) does not match: the whole field's digits must be the number.
pub fn row_names_number<'a>(fields: impl IntoIterator<Item = &'a str>, number: &E164) -> bool {
    let full = number.digits();
    let national = number.national_digits();
    fields.into_iter().any(|field| {
        let digits: String = field.chars().filter(char::is_ascii_digit).collect();
        let national_match = national
            .is_some_and(|n| digits == n || digits.strip_prefix('0').is_some_and(|rest| rest == n));
        let international = ["00", "011"]
            .iter()
            .any(|prefix| digits.strip_prefix(prefix) == Some(full));
        !digits.is_empty() && (digits == full || national_match || international)
    })
}

/// Where an erasure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureStatus {
    /// Accepted: the number is on the DNC list; the results worker is removing its data.
    Running,
    /// Every item and file the number was found in is erased.
    Completed,
    /// The worker kept failing until its job was given up (the reason is on the record);
    /// what `erased` lists was erased, and asking again finishes the rest.
    Failed,
}

impl ErasureStatus {
    /// The stored and served name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

/// One lead erased: which, and what it had reached (never its number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasedLead {
    pub campaign: CampaignId,
    pub lead: LeadId,
    /// Its status when it was erased.
    pub status: LeadStatus,
    /// Its calls, now out of the campaign's counters and analytics.
    pub attempts: u8,
}

/// A file of a campaign's that named the number and was deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasedFile {
    pub campaign: CampaignId,
    /// The object's key in the data bucket.
    pub key: String,
}

/// What an erasure removed (none of it names the number).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Erased {
    /// Leads deleted, with their counts taken out of their campaigns' counters.
    pub leads: Vec<ErasedLead>,
    /// Exports of those campaigns, deleted (their records say `withdrawn`).
    pub exports: Vec<ExportId>,
    /// Rejected-rows reports that had a row naming the number, deleted.
    pub import_reports: Vec<ErasedFile>,
    /// Uploaded contact files of finished imports where the number was found, deleted.
    pub uploads: Vec<ErasedFile>,
    /// Imports whose files were deleted (their records no longer point at them).
    pub imports: Vec<ImportId>,
    /// The number's entry on the DNC list, replaced by its keyed marker.
    pub dnc_entry: bool,
    /// Entries of the DNC list's removal log that named the number, deleted.
    pub dnc_log_entries: u32,
    /// The number's call ledger (frequency caps), deleted.
    pub call_ledger: bool,
}

/// An erasure as recorded on the tenant (it never holds the number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureRecord {
    pub id: ErasureId,
    pub tenant: TenantId,
    pub status: ErasureStatus,
    pub requested_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub erased: Erased,
}

impl ErasureRecord {
    /// A new erasure, accepted at `now`.
    pub fn accepted(id: ErasureId, tenant: TenantId, now: DateTime<Utc>) -> Self {
        Self {
            id,
            tenant,
            status: ErasureStatus::Running,
            requested_at: now,
            finished_at: None,
            error: None,
            erased: Erased::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(s: &str) -> E164 {
        E164::parse_strict(s).unwrap()
    }

    #[test]
    fn a_field_names_the_number_in_any_spelling_with_or_without_its_country_code() {
        let n = number("+12125550100");
        for spelling in [
            "+12125550100",
            "(212) 555-0100",
            "1-212-555-0100",
            "212.555.0100",
        ] {
            assert!(row_names_number(["Ann", spelling], &n), "{spelling}");
        }
    }

    #[test]
    fn a_field_with_more_or_other_digits_does_not_name_the_number() {
        let n = number("+12125550100");
        for other in ["order 21255501001", "+12125550101", "2125550", "", "Ann"] {
            assert!(!row_names_number([other], &n), "{other}");
        }
        let uk = number("+442079460000");
        for spelling in [
            "020 7946 0000",
            "+44 20 7946 0000",
            "0044 20 7946 0000",
            "011 44 20 7946 0000",
        ] {
            assert!(row_names_number([spelling], &uk), "{spelling}");
        }
        assert!(!row_names_number(["0 20 7946 0001"], &uk));
    }

    #[test]
    fn the_marker_names_tenant_and_number_and_changes_with_the_key() {
        let key = LeadIdKey::new("erasure-tests-key-0001").unwrap();
        let other_key = LeadIdKey::new("erasure-tests-key-0002").unwrap();
        let (a, b) = (TenantId::parse("a").unwrap(), TenantId::parse("b").unwrap());
        let n = number("+12125550100");
        let marker = number_marker(&key, &a, &n);
        assert_eq!(marker.len(), 64);
        assert!(!marker.contains("2125550100"));
        assert_eq!(marker, number_marker(&key, &a, &n));
        assert_ne!(marker, number_marker(&key, &b, &n));
        assert_ne!(marker, number_marker(&other_key, &a, &n));
        assert_ne!(marker, number_marker(&key, &a, &number("+12125550101")));
    }
}
