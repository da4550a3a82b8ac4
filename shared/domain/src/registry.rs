//! Do-not-call registries kept by governments, and what a telemarketing call owes them.
//!
//! A tenant uploads extracts of each registry it subscribes to (the registry's own download:
//! one number a line) with the date it downloaded them. A telemarketing call to a number in a
//! registry's country is placed only when the tenant's newest extract of that registry is no
//! older than the registry's limit and the number is not in it, unless the contact is exempt
//! (an established business relationship still running, where the registry honours one).
//! Informational calls are not telemarketing and owe the registries nothing.
//!
//! Sources (docs/research/us-calling-hours.md, docs/research/rules-abroad.md, DESIGN-NOTES
//! "Registries"): the FTC's telemarketer access pages (full list download: a flat text file, one
//! number a line, or area code and number separated by a comma), the FTC business FAQ (an
//! established business relationship runs 18 months after a purchase and 3 months after an
//! inquiry), 16 CFR 310.4(b)(3)(iv) and 47 CFR
//! 64.1200(c)(2) (a version of the registry obtained no more than 31 days before the call).
//! Abroad (docs/research/rules-abroad.md): Canada's list is bought as one file per area code
//! (`416,1234567` a line), may be relied on for 31 days, and honours a business relationship
//! (18 months after a purchase, 6 after an inquiry); the UK's TPS binds a caller 28 days after a
//! registration (PECR regulation 21(3)) and knows no business relationship, only the
//! subscriber's consent; Australia's register washes are valid for 30 days, consent aside.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Purpose;
use crate::lead::Contact;
use crate::phone::{DefaultRegion, E164};

/// A government do-not-call registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Registry {
    /// The United States' National Do Not Call Registry (FTC).
    UsNationalDnc,
    /// Canada's National Do Not Call List (CRTC).
    CaNationalDncl,
    /// The United Kingdom's Telephone Preference Service.
    UkTps,
    /// Australia's Do Not Call Register (ACMA).
    AuDncr,
}

/// Where the registry's numbers are and how old an extract may be.
struct Terms {
    code: &'static str,
    name: &'static str,
    /// The country whose national numbers the extract lists.
    country: &'static str,
    /// The regions whose numbers it covers (the US registry lists its territories' too).
    regions: &'static [&'static str],
    /// An extract older than this many days may not be relied on.
    max_age_days: u64,
    /// A running established business relationship allows the call.
    honours_relationship: bool,
}

impl Registry {
    /// Every registry.
    pub const ALL: [Registry; 4] = [
        Self::UsNationalDnc,
        Self::CaNationalDncl,
        Self::UkTps,
        Self::AuDncr,
    ];

    fn terms(self) -> Terms {
        match self {
            Self::UsNationalDnc => Terms {
                code: "us_national_dnc",
                name: "the National Do Not Call Registry",
                country: "US",
                regions: &["US", "PR", "VI", "GU", "MP", "AS"],
                max_age_days: 31,
                honours_relationship: true,
            },
            Self::CaNationalDncl => Terms {
                code: "ca_national_dncl",
                name: "the National Do Not Call List",
                country: "CA",
                regions: &["CA"],
                max_age_days: 31,
                honours_relationship: true,
            },
            Self::UkTps => Terms {
                code: "uk_tps",
                name: "the Telephone Preference Service",
                country: "GB",
                regions: &["GB"],
                max_age_days: 28,
                honours_relationship: false,
            },
            Self::AuDncr => Terms {
                code: "au_dncr",
                name: "the Do Not Call Register",
                country: "AU",
                regions: &["AU"],
                max_age_days: 30,
                honours_relationship: false,
            },
        }
    }

    /// Stable code (API paths, the clearance, the store).
    pub fn code(self) -> &'static str {
        self.terms().code
    }

    /// The registry's name, for people.
    pub fn name(self) -> &'static str {
        self.terms().name
    }

    /// The country (ISO 3166-1 alpha-2) whose numbers it lists.
    pub fn country(self) -> &'static str {
        self.terms().country
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The oldest an extract may be, in days, to be relied on.
    pub fn max_age_days(self) -> u64 {
        self.terms().max_age_days
    }

    /// The registry that lists `number`'s region, if any.
    pub fn for_number(number: &E164) -> Option<Self> {
        Self::for_region(number.region()?)
    }

    /// The registry of a campaign's default region, if any.
    pub fn for_region(region: DefaultRegion) -> Option<Self> {
        let code = region.code();
        Self::ALL
            .into_iter()
            .find(|r| r.terms().regions.contains(&code.as_str()))
    }

    /// One line of an extract: a number of the registry's country in national form, with or
    /// without separators (`2125550123`, `212,5550123`, `212-555-0123`), or in E.164. `Ok(None)`
    /// for a blank line.
    pub fn read_line(self, line: &str) -> Result<Option<E164>, BadLine> {
        let text = line.trim().trim_matches('"');
        if text.is_empty() {
            return Ok(None);
        }
        let plus = text.starts_with('+');
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let separators_only = text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ',' | '-' | ' ' | '.' | '(' | ')' | '+'));
        if digits.is_empty() || !separators_only || digits.len() > 15 {
            return Err(BadLine::NotANumber);
        }
        let country =
            DefaultRegion::parse(self.terms().country).map_err(|_| BadLine::NotANumber)?;
        let written = if plus { format!("+{digits}") } else { digits };
        let number = E164::normalize(&written, country)
            .map_err(|_| BadLine::NotANumber)?
            .e164;
        match Self::for_number(&number) {
            Some(registry) if registry == self => Ok(Some(number)),
            _ => Err(BadLine::OtherCountry),
        }
    }
}

/// Why a line of an extract was not read as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadLine {
    /// The line is not a phone number.
    #[error("not a phone number")]
    NotANumber,
    /// The number is not in the registry's country.
    #[error("a number outside the registry's country")]
    OtherCountry,
}

/// A loaded extract of a registry, as the tenant's record keeps its newest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryExtract {
    /// The upload's id.
    pub id: String,
    /// The day the tenant downloaded it from the registry (the age counts from here).
    pub downloaded_on: NaiveDate,
    /// Numbers loaded.
    pub numbers: u64,
    /// When the last number was loaded.
    pub loaded_at: DateTime<Utc>,
}

impl RegistryExtract {
    /// Whole days from its download to `now`'s UTC date.
    pub fn age_days(&self, now: DateTime<Utc>) -> i64 {
        (now.date_naive() - self.downloaded_on).num_days()
    }

    /// Whether `registry`'s limit still allows relying on it at `now`.
    pub fn fresh_at(&self, registry: Registry, now: DateTime<Utc>) -> bool {
        self.age_days(now) <= registry.max_age_days() as i64
    }

    /// When its entries may be dropped from the store: twice the registry's limit after the
    /// download, when no fresh extract can be this one any more. A number a later extract no
    /// longer lists stays blocked until then (the safe side).
    pub fn entries_expire_at(downloaded_on: NaiveDate, registry: Registry) -> DateTime<Utc> {
        let days = Days::new(2 * registry.max_age_days() + 1);
        let day = downloaded_on
            .checked_add_days(days)
            .unwrap_or(NaiveDate::MAX);
        day.and_time(chrono::NaiveTime::MIN).and_utc()
    }
}

/// Why a listed number may still be called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Exemption {
    /// An established business relationship that runs until this instant (`ebr_until`).
    EstablishedBusinessRelationship { until: DateTime<Utc> },
}

impl Exemption {
    /// For the clearance and its export: `ebr_until 2027-01-31T00:00:00+00:00`.
    pub fn describe(&self) -> String {
        match self {
            Self::EstablishedBusinessRelationship { until } => {
                format!("ebr_until {}", until.to_rfc3339())
            }
        }
    }
}

/// What a call owes the registries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryCheck {
    /// Nothing: not telemarketing, or no registry lists the number's country.
    NotNeeded,
    /// The number is in a registry's country but the contact is exempt.
    Exempt {
        registry: Registry,
        exemption: Exemption,
    },
    /// The call may be placed only if the number is not in this extract of the registry.
    Check {
        registry: Registry,
        extract: RegistryExtract,
    },
    /// No extract of the registry may be relied on (none, or the newest is too old): no
    /// telemarketing call to its country may be placed.
    NoFreshExtract {
        registry: Registry,
        newest: Option<RegistryExtract>,
    },
}

/// What a `purpose` call to `contact` at `now` owes the registries, given the tenant's newest
/// extracts.
pub fn check(
    purpose: Purpose,
    contact: &Contact,
    extracts: &BTreeMap<Registry, RegistryExtract>,
    now: DateTime<Utc>,
) -> RegistryCheck {
    if purpose != Purpose::Telemarketing {
        return RegistryCheck::NotNeeded;
    }
    let Some(registry) = Registry::for_number(&contact.phone) else {
        return RegistryCheck::NotNeeded;
    };
    if let Some(exemption) = exemption(registry, contact, now) {
        return RegistryCheck::Exempt {
            registry,
            exemption,
        };
    }
    match extracts.get(&registry) {
        Some(extract) if extract.fresh_at(registry, now) => RegistryCheck::Check {
            registry,
            extract: extract.clone(),
        },
        newest => RegistryCheck::NoFreshExtract {
            registry,
            newest: newest.cloned(),
        },
    }
}

/// The contact's exemption from `registry` at `now`, if it has one: a business relationship
/// still running, where the registry honours one. Consent is deliberately no exemption here:
/// the US rule accepts only a signed agreement naming the seller, which a row's consent columns
/// cannot prove, so a listed number is not called on them (the safe side).
fn exemption(registry: Registry, contact: &Contact, now: DateTime<Utc>) -> Option<Exemption> {
    let until = contact.ebr_until.filter(|until| *until > now)?;
    registry
        .terms()
        .honours_relationship
        .then_some(Exemption::EstablishedBusinessRelationship { until })
}

/// Why no telemarketing call to the registry's country may be placed, for a person.
pub fn no_fresh_extract_message(
    registry: Registry,
    newest: Option<&RegistryExtract>,
    now: DateTime<Utc>,
) -> String {
    match newest {
        None => format!(
            "no extract of {} ({}) was uploaded; telemarketing calls to its numbers need one \
             downloaded within {} days",
            registry.name(),
            registry.code(),
            registry.max_age_days()
        ),
        Some(extract) => format!(
            "the newest extract of {} ({}) was downloaded on {}, {} days ago (limit {} days); \
             upload a fresh one",
            registry.name(),
            registry.code(),
            extract.downloaded_on,
            extract.age_days(now),
            registry.max_age_days()
        ),
    }
}

#[cfg(test)]
mod tests;
