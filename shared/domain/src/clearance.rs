//! Why a call was allowed: the evidence recorded with every attempt at the moment the dialer
//! committed to it (in the claim's own transaction), compact enough to live on the lead, and
//! complete enough that a reader — an auditor, or [`verify`] — can re-check the decision from
//! the record and the published rules alone, without the engine.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::config::CampaignConfig;
use crate::contact_caps::{CapCounts, ContactCaps};
use crate::lead::Lead;
use crate::legal::RuleSet;
use crate::local_range::LocalRange;
use crate::window::Subdivision;

/// What allowed one attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallClearance {
    /// The legal rule set's version the decision used.
    pub rules: String,
    /// When the dialer decided (the attempt's start).
    pub at: DateTime<Utc>,
    /// Every zone the lead may be in, with its local time and the ranges that allowed it.
    pub zones: Vec<ZoneClearance>,
    /// The subdivisions whose rules applied (area-code state, address state).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subdivisions: Vec<String>,
    /// When the number was checked against the Do-Not-Call list (a condition of the claim's
    /// transaction, so the same instant).
    pub dnc_checked_at: DateTime<Utc>,
    /// The consent the campaign required: `none`, `consent`, `evidence`, or for a telemarketing
    /// campaign `express_written` (with source, time and the agreement's reference).
    pub consent_rule: String,
    /// The campaign's purpose: `informational` or `telemarketing`.
    #[serde(default = "informational")]
    pub purpose: String,
    /// The consent the lead's row gives (`none`, `express`, `express_written`), relied on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_type: Option<String>,
    /// For written consent, the agreement's reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_reference: Option<String>,
    /// The lead's consent evidence, as imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_at: Option<DateTime<Utc>>,
    /// Calls to the number in the 24 hours before (by the whole tenant where `tenant_calls` is
    /// recorded, else by this campaign), and the strictest per-24-hour cap that applied
    /// (absent: no cap).
    pub calls_in_24h: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_per_24h: Option<u8>,
    /// The caller number used.
    pub caller_number: String,
    /// Why that number, when it was chosen from a pool ("same area code 212").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_reason: Option<String>,
    /// Calls to the number by every campaign of the tenant, as the claim read them from the
    /// number's ledger, and the tenant's caps then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_calls: Option<TenantCalls>,
    /// For a telemarketing call to a number in a registry's country: the registry and the
    /// extract the number was checked against (in the claim's transaction), or the exemption
    /// relied on instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<RegistryClearance>,
}

/// A clearance's registry part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryClearance {
    /// The registry's code (`us_national_dnc`, ...).
    pub registry: String,
    /// The extract checked: its upload's id and the day it was downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract_downloaded_on: Option<chrono::NaiveDate>,
    /// Instead of a check: why the listed number could be called (`ebr_until ...`,
    /// `consent express_written`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption: Option<String>,
}

impl RegistryClearance {
    /// What a registry check recorded (`None` when the call owed the registries nothing).
    pub fn of(check: &crate::registry::RegistryCheck) -> Option<Self> {
        use crate::registry::RegistryCheck;
        match check {
            RegistryCheck::Check { registry, extract } => Some(Self {
                registry: registry.code().to_owned(),
                extract_id: Some(extract.id.clone()),
                extract_downloaded_on: Some(extract.downloaded_on),
                exemption: None,
            }),
            RegistryCheck::Exempt {
                registry,
                exemption,
            } => Some(Self {
                registry: registry.code().to_owned(),
                extract_id: None,
                extract_downloaded_on: None,
                exemption: Some(exemption.describe()),
            }),
            RegistryCheck::NotNeeded | RegistryCheck::NoFreshExtract { .. } => None,
        }
    }

    /// What does not hold of it at `at`: an unknown registry, or an extract too old (or none)
    /// without an exemption.
    fn findings(&self, at: DateTime<Utc>) -> Option<String> {
        let Some(registry) = crate::registry::Registry::parse(&self.registry) else {
            return Some(format!("unknown registry {:?}", self.registry));
        };
        if self.exemption.is_some() {
            return None;
        }
        match self.extract_downloaded_on {
            None => Some(format!(
                "{} was neither checked nor exempt",
                registry.code()
            )),
            Some(day) if (at.date_naive() - day).num_days() > registry.max_age_days() as i64 => {
                Some(format!(
                    "the {} extract of {day} was older than {} days",
                    registry.code(),
                    registry.max_age_days()
                ))
            }
            Some(_) => None,
        }
    }
}

/// A clearance's tenant-wide frequency part: flat and short, since it is stored with every
/// attempt on the lead item (the 24 hours' count is `calls_in_24h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantCalls {
    /// Calls before this one on the contact's local day, and the tenant's cap.
    pub local_day: u8,
    pub per_local_day: u8,
    /// Calls in the 7 days before, and the tenant's cap.
    pub last_7_days: u8,
    pub per_7_days: u8,
}

impl TenantCalls {
    /// The part for `counts` under `caps`.
    pub fn new(counts: CapCounts, caps: ContactCaps) -> Self {
        Self {
            local_day: counts.local_day,
            per_local_day: caps.per_local_day,
            last_7_days: counts.last_7_days,
            per_7_days: caps.per_7_days,
        }
    }
}

/// One zone's part of a clearance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZoneClearance {
    /// IANA zone.
    pub zone: String,
    /// The local date and time, `YYYY-MM-DDTHH:MM` with its weekday (`Mon`).
    pub local: String,
    /// The campaign window's range it fell in (`HH:MM-HH:MM`).
    pub window: String,
    /// The legal hours of that date there (`HH:MM-HH:MM`).
    pub legal: String,
}

/// The clearance of a call to `lead` decided at `at` from `caller_number`, with the tenant's
/// calls to the number the claim counted. Ranges read `none` where nothing allowed the
/// instant (the verifier then reports it).
pub fn clearance(
    lead: &Lead,
    config: &CampaignConfig,
    at: DateTime<Utc>,
    caller_number: &str,
    tenant_calls: Option<(CapCounts, ContactCaps)>,
) -> CallClearance {
    let rules = RuleSet::current();
    let location = lead.contact.location();
    let subdivisions: Vec<&str> = location
        .subdivisions
        .iter()
        .map(Subdivision::as_str)
        .collect();
    let zones = location
        .zones
        .iter()
        .map(|zone| {
            let local = at.with_timezone(zone);
            let minute = minute_of(local.hour(), local.minute());
            let date = local.date_naive();
            let weekday = date.weekday().num_days_from_monday() as usize;
            let window = config
                .window
                .day(weekday)
                .iter()
                .find(|r| r.contains_minute(minute));
            let legal = rules.allowed_on(date, subdivisions.iter().copied());
            ZoneClearance {
                zone: zone.name().to_owned(),
                local: format!("{} {}", local.format("%Y-%m-%dT%H:%M"), local.format("%a")),
                window: range_text(window.copied()),
                legal: range_text(legal),
            }
        })
        .collect();
    let day_ago = at - Duration::hours(24);
    CallClearance {
        rules: rules.version.to_owned(),
        at,
        zones,
        subdivisions: subdivisions.iter().map(|s| (*s).to_owned()).collect(),
        dnc_checked_at: at,
        consent_rule: consent_rule(config).to_owned(),
        purpose: config.purpose.as_str().to_owned(),
        consent_type: Some(lead.contact.consent_held().as_str().to_owned()),
        consent_reference: lead.contact.consent_reference.clone(),
        consent: lead.contact.consent,
        consent_source: lead.contact.consent_source.clone(),
        consent_at: lead.contact.consent_at,
        calls_in_24h: tenant_calls.map_or_else(
            || {
                lead.state
                    .recent_starts
                    .iter()
                    .filter(|t| **t > day_ago && **t < at)
                    .count() as u8
            },
            |(counts, _)| counts.last_24h,
        ),
        cap_per_24h: rules.max_calls_per_24h(subdivisions.iter().copied()),
        caller_number: caller_number.to_owned(),
        caller_reason: None,
        tenant_calls: tenant_calls.map(|(counts, caps)| TenantCalls::new(counts, caps)),
        registry: None,
    }
}

impl CallClearance {
    /// One line for an export cell: each zone's local time and ranges, then the rest.
    pub fn summary(&self) -> String {
        let zones: Vec<String> = self
            .zones
            .iter()
            .map(|z| {
                format!(
                    "{} {} window {} legal {}",
                    z.zone, z.local, z.window, z.legal
                )
            })
            .collect();
        let cap = self.cap_per_24h.map_or(String::new(), |c| format!("/{c}"));
        let tenant = self.tenant_calls.map_or(String::new(), |t| {
            format!(
                "; tenant-wide {}/{} today, {}/{} in 7 days",
                t.local_day, t.per_local_day, t.last_7_days, t.per_7_days
            )
        });
        format!(
            "{} at {}: {}; dnc checked {}; consent {}; {}{cap} calls in 24h{tenant}; from {}",
            self.rules,
            self.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            zones.join(", "),
            self.dnc_checked_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.consent_rule,
            self.calls_in_24h,
            match &self.caller_reason {
                Some(why) => format!("{} ({why})", self.caller_number),
                None => self.caller_number.clone(),
            }
        )
    }
}

/// Whether the record's consent rule is the campaign's and the consent it relied on meets it.
fn consent_met(record: &CallClearance, config: &CampaignConfig) -> bool {
    // The consent relied on (records from before consent types: a plain yes is express).
    let held = match (&record.consent_type, record.consent) {
        (Some(kind), _) => kind.as_str(),
        (None, Some(true)) => "express",
        (None, _) => "none",
    };
    let evidence = record.consent_source.is_some() && record.consent_at.is_some();
    record.consent_rule == consent_rule(config)
        && match record.consent_rule.as_str() {
            "none" => true,
            "consent" => held != "none",
            "evidence" => held != "none" && evidence,
            "express_written" => {
                held == "express_written" && evidence && record.consent_reference.is_some()
            }
            _ => false,
        }
}

fn informational() -> String {
    "informational".into()
}

fn consent_rule(config: &CampaignConfig) -> &'static str {
    if config.purpose == crate::config::Purpose::Telemarketing {
        "express_written"
    } else if config.consent_evidence_required {
        "evidence"
    } else if config.consent_required {
        "consent"
    } else {
        "none"
    }
}

fn minute_of(hour: u32, minute: u32) -> u16 {
    (hour * 60 + minute) as u16
}

fn range_text(range: Option<LocalRange>) -> String {
    range.map_or_else(|| "none".to_owned(), |r| r.to_string())
}

/// Re-checks a clearance from the record alone against the published rules and the campaign's
/// configuration; each finding says what does not hold. Empty: the call was allowed.
pub fn verify(record: &CallClearance, config: &CampaignConfig) -> Vec<String> {
    let mut findings = Vec::new();
    let mut fail = |what: String| findings.push(what);
    let rules = RuleSet::current();
    if record.rules != rules.version {
        fail(format!(
            "rules {} are not the published {}",
            record.rules, rules.version
        ));
    }
    if record.zones.is_empty() {
        fail("no zone: the lead's local time was unknown".into());
    }
    let subdivisions: Vec<&str> = record.subdivisions.iter().map(String::as_str).collect();
    for z in &record.zones {
        for finding in verify_zone(z, record.at, &subdivisions, config) {
            fail(format!("{}: {finding}", z.zone));
        }
    }
    if config.starts_at.is_some_and(|s| record.at < s)
        || config.ends_at.is_some_and(|e| record.at >= e)
    {
        fail(format!("{} is outside the campaign's dates", record.at));
    }
    if record.dnc_checked_at != record.at {
        fail(format!(
            "the Do-Not-Call check at {} is not the decision's",
            record.dnc_checked_at
        ));
    }
    if !consent_met(record, config) {
        fail(format!(
            "consent rule {:?} is not met or not the campaign's",
            record.consent_rule
        ));
    }
    if record.cap_per_24h != rules.max_calls_per_24h(subdivisions.iter().copied()) {
        fail("the 24-hour cap recorded is not the rules'".into());
    }
    if record
        .cap_per_24h
        .is_some_and(|cap| record.calls_in_24h >= cap)
    {
        fail(format!(
            "{} calls in 24 hours reached the cap",
            record.calls_in_24h
        ));
    }
    if let Some(finding) = (record.registry.as_ref()).and_then(|r| r.findings(record.at)) {
        fail(finding);
    }
    match record.tenant_calls {
        None => fail("no tenant-wide call counts: the frequency caps were not checked".into()),
        Some(t) => {
            if t.local_day >= t.per_local_day {
                fail(format!(
                    "{} calls on the local day reached its cap",
                    t.local_day
                ));
            }
            if t.last_7_days >= t.per_7_days {
                fail(format!("{} calls in 7 days reached the cap", t.last_7_days));
            }
        }
    }
    findings
}

fn verify_zone(
    z: &ZoneClearance,
    at: DateTime<Utc>,
    subdivisions: &[&str],
    config: &CampaignConfig,
) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(zone) = z.zone.parse::<Tz>() else {
        return vec!["not a time zone".into()];
    };
    let local = at.with_timezone(&zone);
    let expected = format!("{} {}", local.format("%Y-%m-%dT%H:%M"), local.format("%a"));
    if z.local != expected {
        out.push(format!("local time {} is not {expected}", z.local));
    }
    let minute = minute_of(local.hour(), local.minute());
    let date = local.date_naive();
    let weekday = date.weekday().num_days_from_monday() as usize;
    let window_ok = config
        .window
        .day(weekday)
        .iter()
        .any(|r| r.to_string() == z.window && r.contains_minute(minute));
    if !window_ok {
        out.push(format!(
            "{} is not in the campaign's window range {}",
            z.local, z.window
        ));
    }
    let legal = RuleSet::current().allowed_on(date, subdivisions.iter().copied());
    if range_text(legal) != z.legal || !legal.is_some_and(|r| r.contains_minute(minute)) {
        out.push(format!("{} is not in the legal hours {}", z.local, z.legal));
    }
    if config.blackout.covers(date) {
        out.push(format!("{date} is a blackout day"));
    }
    out
}

#[cfg(test)]
mod tests;
