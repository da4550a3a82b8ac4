//! The clearances export: one row per attempt and zone, saying what allowed the call and what
//! the agent disclosed on it (as it reported: the business identified, the opt-out offered) and,
//! for telemarketing, the registry extract checked or the exemption relied on — for an
//! auditor's spreadsheet, or a script that re-checks every call. Cells are neutralized like
//! the results export's.

use chrono::SecondsFormat;

use super::export::neutralize;
use crate::clearance::{RegistryClearance, TenantCalls};
use crate::lead::Lead;

/// The columns, in order.
pub const CLEARANCE_COLUMNS: [&str; 32] = [
    "lead_id",
    "phone",
    "attempt",
    "started_at",
    "outcome",
    "rules",
    "zone",
    "local_time",
    "window_range",
    "legal_range",
    "subdivisions",
    "dnc_checked_at",
    "purpose",
    "consent_rule",
    "consent_type",
    "consent",
    "consent_source",
    "consent_at",
    "consent_reference",
    "calls_in_24h",
    "cap_per_24h",
    "tenant_calls_local_day",
    "tenant_cap_per_local_day",
    "tenant_calls_in_7_days",
    "tenant_cap_per_7_days",
    "caller_number",
    "caller_reason",
    "identified_at",
    "opt_out_offered_at",
    "registry",
    "registry_extract_downloaded_on",
    "registry_exemption",
];

/// The header row.
pub fn clearance_header() -> Vec<String> {
    CLEARANCE_COLUMNS.iter().map(|c| (*c).to_owned()).collect()
}

/// A lead's rows: for each finished attempt with a clearance, one row per zone it considered.
pub fn clearance_rows(lead: &Lead) -> Vec<Vec<String>> {
    let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut rows = Vec::new();
    for record in &lead.state.log {
        let Some(c) = &record.clearance else {
            continue;
        };
        let tenant = |field: fn(&TenantCalls) -> u8| {
            c.tenant_calls
                .as_ref()
                .map(|t| field(t).to_string())
                .unwrap_or_default()
        };
        let registry = |field: fn(&RegistryClearance) -> Option<String>| {
            c.registry.as_ref().and_then(field).unwrap_or_default()
        };
        for zone in &c.zones {
            let row = [
                lead.id.to_string(),
                lead.contact.phone.to_string(),
                record.attempt.to_string(),
                time(record.started_at),
                record.outcome.as_str().to_owned(),
                c.rules.clone(),
                zone.zone.clone(),
                zone.local.clone(),
                zone.window.clone(),
                zone.legal.clone(),
                c.subdivisions.join(" "),
                time(c.dnc_checked_at),
                c.purpose.clone(),
                c.consent_rule.clone(),
                c.consent_type.clone().unwrap_or_default(),
                c.consent.map(|b| b.to_string()).unwrap_or_default(),
                c.consent_source.clone().unwrap_or_default(),
                c.consent_at.map(time).unwrap_or_default(),
                c.consent_reference.clone().unwrap_or_default(),
                c.calls_in_24h.to_string(),
                c.cap_per_24h.map(|n| n.to_string()).unwrap_or_default(),
                tenant(|t| t.local_day),
                tenant(|t| t.per_local_day),
                tenant(|t| t.last_7_days),
                tenant(|t| t.per_7_days),
                c.caller_number.clone(),
                c.caller_reason.clone().unwrap_or_default(),
                record.report.identified_at.map(time).unwrap_or_default(),
                record
                    .report
                    .opt_out_offered_at
                    .map(time)
                    .unwrap_or_default(),
                registry(|r| Some(r.registry.clone())),
                registry(|r| r.extract_downloaded_on.map(|d| d.to_string())),
                registry(|r| r.exemption.clone()),
            ];
            rows.push(
                row.iter()
                    .map(|cell| neutralize(cell).into_owned())
                    .collect(),
            );
        }
    }
    rows
}
