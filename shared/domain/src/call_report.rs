//! What the AI agent reports about a call it is on (or has just finished): a disposition, an
//! opt-out, a callback time, a transfer request and the campaign's own result fields.
//!
//! Reports are merged, never replaced: an agent may report in several requests (an opt-out the
//! moment it is said, the disposition and results after the call), and a repeated report
//! changes nothing. A field already reported with another value is a conflict — the first
//! answer stands and the second is refused, so a retried request can never rewrite history.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The dispositions every campaign understands (analytics group by them). A tenant may use its
/// own labels as well: any other name of the same shape ([`Disposition::parse`]).
pub const STANDARD_DISPOSITIONS: [&str; 8] = [
    "interested",
    "not_interested",
    "callback",
    "do_not_call",
    "wrong_number",
    "already_customer",
    "voicemail",
    "no_decision",
];

/// Most result fields on one attempt.
pub const MAX_RESULT_FIELDS: usize = 20;
/// Longest result field name.
pub const MAX_RESULT_NAME: usize = 40;
/// Longest result field value (characters).
pub const MAX_RESULT_VALUE: usize = 500;
/// Most bytes of an attempt's results as stored (their JSON: names, values, quotes and
/// escapes), over every report merged into it. With at most 12 attempts a lead, this keeps a
/// lead's reports under 50 KiB however they are written — a dial message (SQS: 256 KiB) and
/// the lead's item (DynamoDB: 400 KB) always have room.
pub const MAX_RESULT_BYTES: usize = 4096;
/// Longest disposition label.
pub const MAX_DISPOSITION: usize = 40;

/// A disposition label: lowercase letters, digits and `_`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Disposition(String);

impl Disposition {
    /// Parses a label (standard or the tenant's own).
    pub fn parse(label: &str) -> Result<Self, InvalidReport> {
        if is_label(label, MAX_DISPOSITION) {
            Ok(Self(label.to_owned()))
        } else {
            Err(InvalidReport::new(
                "disposition",
                "must be 1-40 characters of a-z, 0-9 and '_', starting with a letter",
            ))
        }
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it is one of [`STANDARD_DISPOSITIONS`] (else the tenant's own label).
    pub fn is_standard(&self) -> bool {
        STANDARD_DISPOSITIONS.contains(&self.0.as_str())
    }
}

fn is_label(s: &str, max: usize) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= max
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

/// A report that is not acceptable, naming the field (dotted path) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidReport {
    /// Dotted path of the field (`results.plan`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl InvalidReport {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A field reported twice with different values: the first stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} was already reported with another value")]
pub struct ReportConflict {
    /// Dotted path of the field.
    pub field: String,
}

/// What the agent has reported about one attempt (all of its reports merged).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AgentReport {
    /// The call's result in a word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Disposition>,
    /// The person asked not to be called again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub opt_out: bool,
    /// The person asked to be called back then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_at: Option<DateTime<Utc>>,
    /// The agent asked for the call to be handed to the campaign's transfer number.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transfer: bool,
    /// When the agent identified the business it calls for (and that it is an automated voice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identified_at: Option<DateTime<Utc>>,
    /// When the agent offered the person a way to stop the calls (the opt-out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_out_offered_at: Option<DateTime<Utc>>,
    /// The campaign's own result fields (bounded: [`MAX_RESULT_FIELDS`] and friends).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub results: BTreeMap<String, String>,
}

impl AgentReport {
    /// Checks a report's own fields: result names and sizes, and that it does not both opt out
    /// and ask for a callback.
    pub fn validate(&self) -> Result<(), InvalidReport> {
        if self.opt_out && self.callback_at.is_some() {
            return Err(InvalidReport::new(
                "callback_at",
                "a person who opted out is not called back",
            ));
        }
        if self.results.len() > MAX_RESULT_FIELDS {
            return Err(InvalidReport::new(
                "results",
                format!("at most {MAX_RESULT_FIELDS} fields"),
            ));
        }
        for (name, value) in &self.results {
            if !is_label(name, MAX_RESULT_NAME) {
                return Err(InvalidReport::new(
                    format!("results.{name}"),
                    "names are 1-40 characters of a-z, 0-9 and '_', starting with a letter",
                ));
            }
            if value.chars().count() > MAX_RESULT_VALUE {
                return Err(InvalidReport::new(
                    format!("results.{name}"),
                    format!("at most {MAX_RESULT_VALUE} characters"),
                ));
            }
        }
        let bytes = serde_json::to_string(&self.results).map_or(usize::MAX, |j| j.len());
        if bytes > MAX_RESULT_BYTES {
            return Err(InvalidReport::new(
                "results",
                format!(
                    "at most {MAX_RESULT_BYTES} bytes in all as JSON (these are {bytes}); \
                     keep long text in your own system and report its id"
                ),
            ));
        }
        Ok(())
    }

    /// Whether it says nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Merges `other` into this report; `Ok(true)` when something new was added, `Ok(false)`
    /// when `other` repeats what is known. A field known with another value, or a merge that
    /// would break [`Self::validate`], is a conflict and leaves this report unchanged.
    pub fn merge(&mut self, other: &AgentReport) -> Result<bool, ReportConflict> {
        let mut merged = self.clone();
        set_once(&mut merged.disposition, &other.disposition, "disposition")?;
        set_once(&mut merged.callback_at, &other.callback_at, "callback_at")?;
        set_once(
            &mut merged.identified_at,
            &other.identified_at,
            "identified_at",
        )?;
        set_once(
            &mut merged.opt_out_offered_at,
            &other.opt_out_offered_at,
            "opt_out_offered_at",
        )?;
        merged.opt_out |= other.opt_out;
        merged.transfer |= other.transfer;
        for (name, value) in &other.results {
            match merged.results.get(name) {
                Some(known) if known != value => {
                    return Err(ReportConflict {
                        field: format!("results.{name}"),
                    });
                }
                _ => {
                    merged.results.insert(name.clone(), value.clone());
                }
            }
        }
        if let Err(invalid) = merged.validate() {
            return Err(ReportConflict {
                field: invalid.field,
            });
        }
        let changed = merged != *self;
        *self = merged;
        Ok(changed)
    }
}

impl AgentReport {
    /// Merges `other` as [`Self::merge`] does, but field by field: a field that conflicts with
    /// what is known (the first stands) or would make the report invalid is left out and named,
    /// and the rest is merged — for a report that cannot be sent back for a fix (what a
    /// platform's analysis learnt), so an opt-out is never lost to another field.
    pub fn merge_what_fits(&mut self, other: &AgentReport) -> Vec<ReportConflict> {
        let mut other = other.clone();
        let mut left_out = Vec::new();
        loop {
            let Err(conflict) = self.merge(&other) else {
                return left_out;
            };
            let removed = match conflict.field.split_once('.') {
                Some(("results", name)) => other.results.remove(name).is_some(),
                _ => match conflict.field.as_str() {
                    "results" => !std::mem::take(&mut other.results).is_empty(),
                    "disposition" => other.disposition.take().is_some(),
                    "callback_at" => other.callback_at.take().is_some(),
                    "identified_at" => other.identified_at.take().is_some(),
                    "opt_out_offered_at" => other.opt_out_offered_at.take().is_some(),
                    _ => false,
                },
            };
            left_out.push(conflict);
            if !removed {
                return left_out;
            }
        }
    }
}

fn set_once<T: Clone + PartialEq>(
    known: &mut Option<T>,
    new: &Option<T>,
    field: &str,
) -> Result<(), ReportConflict> {
    match (known.as_ref(), new) {
        (_, None) => Ok(()),
        (None, Some(value)) => {
            *known = Some(value.clone());
            Ok(())
        }
        (Some(k), Some(value)) if k == value => Ok(()),
        (Some(_), Some(_)) => Err(ReportConflict {
            field: field.to_owned(),
        }),
    }
}

/// The furthest ahead a callback may be asked for.
pub const MAX_CALLBACK_DAYS: i64 = 90;

/// How far in the past a callback time may be and still be taken as "now": the agent's clock
/// and ours may differ by this much. Anything earlier is a mistake (a year typed wrong, a time
/// zone dropped), not a request to be called back at once.
pub const CALLBACK_CLOCK_SKEW_SECONDS: i64 = 120;

/// Checks a requested callback time against `now`: not earlier than the clock skew allows, not
/// later than [`MAX_CALLBACK_DAYS`] ahead. The report API refuses a time outside it; a
/// provider's event (a call that happened) has its time brought inside it by the retry plan.
pub fn check_callback_at(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), InvalidReport> {
    if at < now - chrono::Duration::seconds(CALLBACK_CLOCK_SKEW_SECONDS) {
        return Err(InvalidReport::new(
            "callback_at",
            "is in the past: a callback time is when to call again, later than now",
        ));
    }
    if at > now + chrono::Duration::days(MAX_CALLBACK_DAYS) {
        return Err(InvalidReport::new("callback_at", "at most 90 days ahead"));
    }
    Ok(())
}

/// The agent report API's request body (every field optional; see the module's merge rules).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// A standard disposition or the tenant's own label.
    #[serde(default)]
    pub disposition: Option<String>,
    /// The person asked not to be called again.
    #[serde(default)]
    pub opt_out: bool,
    /// The person asked to be called back then (RFC 3339): not in the past (two minutes of
    /// clock skew are allowed), at most 90 days ahead.
    #[serde(default)]
    pub callback_at: Option<DateTime<Utc>>,
    /// Hand the call to the campaign's transfer number when the agent's part ends.
    #[serde(default)]
    pub transfer: bool,
    /// When the agent identified the business (and that it is an automated voice), RFC 3339:
    /// report it as it happens, at the start of the call.
    #[serde(default)]
    pub identified_at: Option<DateTime<Utc>>,
    /// When the agent offered the person a way to stop the calls, RFC 3339.
    #[serde(default)]
    pub opt_out_offered_at: Option<DateTime<Utc>>,
    /// The campaign's own result fields.
    #[serde(default)]
    pub results: BTreeMap<String, String>,
}

/// The answer to an accepted report.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportAnswer {
    /// Whether anything new was recorded (`false`: a repeat of what was known).
    pub recorded: bool,
    /// Whether the call was still up (else the finished attempt was amended).
    pub during_call: bool,
    /// The lead's status after the report.
    pub lead_status: String,
}

impl ReportBody {
    /// The report, or every invalid field.
    pub fn into_report(self, now: DateTime<Utc>) -> Result<AgentReport, InvalidReport> {
        let disposition = self
            .disposition
            .as_deref()
            .map(Disposition::parse)
            .transpose()?;
        let report = AgentReport {
            disposition,
            opt_out: self.opt_out,
            callback_at: self.callback_at,
            transfer: self.transfer,
            identified_at: self.identified_at,
            opt_out_offered_at: self.opt_out_offered_at,
            results: self.results,
        };
        report.validate()?;
        if let Some(at) = report.callback_at {
            check_callback_at(at, now)?;
        }
        if report.is_empty() {
            return Err(InvalidReport::new("", "the report says nothing"));
        }
        Ok(report)
    }

    /// The report as [`Self::into_report`] reads it, each invalid field dropped rather than
    /// the whole refused (what a platform's analysis learnt cannot be sent back for a fix: an
    /// opt-out must not be lost to an oversized result or a callback time in the past); the
    /// fields dropped, with why. `None` when nothing valid is left.
    pub fn into_report_dropping_invalid(
        mut self,
        now: DateTime<Utc>,
    ) -> (Option<AgentReport>, Vec<InvalidReport>) {
        let mut dropped = Vec::new();
        loop {
            match self.clone().into_report(now) {
                Ok(report) => return (Some(report), dropped),
                Err(invalid) => {
                    let field = invalid
                        .field
                        .split('.')
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let cleared = match field.as_str() {
                        "results" => !std::mem::take(&mut self.results).is_empty(),
                        "callback_at" => self.callback_at.take().is_some(),
                        "disposition" => self.disposition.take().is_some(),
                        "identified_at" => self.identified_at.take().is_some(),
                        "opt_out_offered_at" => self.opt_out_offered_at.take().is_some(),
                        _ => false,
                    };
                    let said_nothing = invalid.field.is_empty();
                    if !said_nothing {
                        dropped.push(invalid);
                    }
                    if !cleared {
                        return (None, dropped);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
