//! The rows of the results export: one per lead, its original and custom fields, then what
//! happened to it. Every cell is neutralized against spreadsheet formula injection.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::lead::Lead;
use crate::status::LeadStatus;

/// Columns before the custom fields.
const CONTACT_COLUMNS: [&str; 11] = [
    "lead_id",
    "phone",
    "name",
    "email",
    "company",
    "timezone",
    "state",
    "consent",
    "consent_source",
    "consent_at",
    "line",
];

/// Columns after the custom fields.
const RESULT_COLUMNS: [&str; 11] = [
    "status",
    "attempts",
    "last_outcome",
    "disposition",
    "talk_seconds",
    "first_call_at",
    "last_call_at",
    "reason",
    "extra_fields",
    "call_results",
    "call_clearances",
];

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a tab / carriage
/// return that hides one) gets a leading apostrophe, which spreadsheets display as text; others
/// are unchanged. (OWASP's CSV injection advice; the apostrophe is visible in plain-text tools,
/// the price of safety in Excel.)
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// The export's columns: fixed ones around the campaign's custom fields (in the order the
/// imports named them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportLayout {
    custom: Vec<String>,
}

impl ExportLayout {
    /// A layout with these custom columns (duplicates and names that collide with a fixed
    /// column dropped; a colliding custom field still reaches the row through `extra_fields`).
    pub fn new(custom: impl IntoIterator<Item = String>) -> Self {
        let mut columns: Vec<String> = Vec::new();
        for name in custom {
            let fixed =
                CONTACT_COLUMNS.contains(&name.as_str()) || RESULT_COLUMNS.contains(&name.as_str());
            if !fixed && !columns.contains(&name) {
                columns.push(name);
            }
        }
        Self { custom: columns }
    }

    /// The header row.
    pub fn header(&self) -> Vec<String> {
        CONTACT_COLUMNS
            .iter()
            .map(|c| (*c).to_owned())
            .chain(self.custom.iter().map(|c| neutralize(c).into_owned()))
            .chain(RESULT_COLUMNS.iter().map(|c| (*c).to_owned()))
            .collect()
    }

    /// A lead's row. Times are ISO 8601 with the offset of the lead's own time zone when it is
    /// known for certain (explicit, or the number's only candidate), else UTC.
    pub fn row(&self, lead: &Lead) -> Vec<String> {
        let contact = &lead.contact;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut row: Vec<String> = vec![
            lead.id.to_string(),
            contact.phone.to_string(),
            text(&contact.name),
            text(&contact.email),
            text(&contact.company),
            contact
                .timezone
                .map(|t| t.name().to_owned())
                .unwrap_or_default(),
            contact
                .state
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            contact.consent.map(|c| c.to_string()).unwrap_or_default(),
            text(&contact.consent_source),
            contact
                .consent_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
            lead.source.line.to_string(),
        ];
        row.extend(
            self.custom
                .iter()
                .map(|c| contact.custom.get(c).cloned().unwrap_or_default()),
        );
        row.extend(progress_cells(lead));
        let extra: BTreeMap<&String, &String> = contact
            .custom
            .iter()
            .filter(|(k, _)| !self.custom.contains(k))
            .collect();
        row.push(name_value_pairs(&extra));
        // The agent's result fields over every attempt (a later attempt's value wins).
        let results: BTreeMap<&String, &String> = lead
            .state
            .log
            .iter()
            .flat_map(|r| r.report.results.iter())
            .collect();
        row.push(name_value_pairs(&results));
        // What allowed each attempt, one `attempt: summary` per attempt.
        let clearances: Vec<String> = lead
            .state
            .log
            .iter()
            .filter_map(|r| {
                r.clearance
                    .as_ref()
                    .map(|c| format!("{}: {}", r.attempt, c.summary()))
            })
            .collect();
        row.push(clearances.join(" | "));
        row.into_iter()
            .map(|cell| match neutralize(&cell) {
                Cow::Borrowed(_) => cell,
                Cow::Owned(safe) => safe,
            })
            .collect()
    }
}

/// `name=value` pairs joined by `; `, in name order.
fn name_value_pairs(map: &BTreeMap<&String, &String>) -> String {
    map.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The lead's progress: status, attempts, last outcome and disposition, talk seconds, first
/// and last call (in the contact's zone when it has one), and why it ended without a call.
fn progress_cells(lead: &Lead) -> [String; 8] {
    let state = &lead.state;
    let zones = lead.contact.location().zones;
    let only_zone = match zones.as_slice() {
        [only] => Some(*only),
        _ => None,
    };
    let zone: Option<Tz> = lead.contact.timezone.or(only_zone);
    let time = |at: DateTime<Utc>| match zone {
        Some(tz) => at.with_timezone(&tz).to_rfc3339(),
        None => at.to_rfc3339(),
    };
    let first = state
        .log
        .first()
        .map(|r| r.started_at)
        .or(state.call.as_ref().map(|c| c.started_at));
    let last = state
        .call
        .as_ref()
        .map(|c| c.started_at)
        .or(state.log.last().map(|r| r.started_at));
    let reason = match (state.status, state.skip_reason) {
        (LeadStatus::Skipped, Some(reason)) => reason.code().to_owned(),
        (LeadStatus::Failed, _) => state
            .last_outcome()
            .map(|o| o.as_str().to_owned())
            .unwrap_or_default(),
        _ => String::new(),
    };
    [
        state.status.as_str().to_owned(),
        state.attempts.to_string(),
        state
            .last_outcome()
            .map(|o| o.as_str().to_owned())
            .unwrap_or_default(),
        state
            .log
            .iter()
            .rev()
            .find_map(|r| r.shown_disposition().map(str::to_owned))
            .unwrap_or_default(),
        state
            .log
            .iter()
            .map(|r| u64::from(r.duration_seconds))
            .sum::<u64>()
            .to_string(),
        first.map(time).unwrap_or_default(),
        last.map(time).unwrap_or_default(),
        reason,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starters_are_neutralized_and_other_cells_kept() {
        for cell in ["=1+2", "+1 415", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralize(cell), format!("'{cell}"), "{cell:?}");
        }
        for cell in ["", "Ann", "1=1", " =x", "'=already"] {
            assert_eq!(neutralize(cell), cell, "{cell:?}");
        }
    }

    #[test]
    fn custom_columns_keep_their_first_order_without_duplicates_or_fixed_names() {
        let layout =
            ExportLayout::new(["plan", "status", "plan", "=evil", "note"].map(str::to_owned));
        let header = layout.header();
        let custom = &header[CONTACT_COLUMNS.len()..header.len() - RESULT_COLUMNS.len()];
        assert_eq!(custom, ["plan", "'=evil", "note"]);
        assert_eq!(header.iter().filter(|h| *h == "status").count(), 1);
    }
}
