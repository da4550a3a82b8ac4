//! Legal calling hours: a versioned table of rules, each citing its source.
//!
//! A rule says, per weekday, the local hours in which calls are allowed in a jurisdiction, which
//! holidays are banned (or restricted), and from when it applies. The [`RuleSet`] applies the
//! baseline rule to every number and, on top, the rule of every US state the lead may be in (the
//! area code's state and the address state when both are known: both apply). Intersecting the
//! allowed hours of all of them is the conservative reading of overlapping laws.
//!
//! Abroad, a number of a country in the table carries the country as a jurisdiction (`CA`,
//! `GB`, `AU`), and a Canadian area code its province (`CA-BC`), so their rules apply the same
//! way, on top of the baseline (which stays: it is the conservative default everywhere).
//!
//! The data lives in [`us`] and [`abroad`]; to add or change a rule, edit that table, bump
//! [`us::RULESET_VERSION`], and add an example test for the new rule.

pub mod abroad;
pub mod us;

use chrono::{Datelike, NaiveDate};

use crate::holidays::{self, Holiday};
use crate::local_range::LocalRange;

/// How sure we are of a rule's text and reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    /// Statute or regulation text read in the source.
    High,
    /// A law firm, vendor or repository quoting the statute.
    Medium,
    /// Not confirmed; applied anyway because it is stricter.
    Unverified,
}

/// One jurisdiction's calling-hour rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallingRule {
    /// `US` for the baseline, else an ISO 3166-2 subdivision such as `US-FL`.
    pub jurisdiction: &'static str,
    /// Allowed local hours Monday..Sunday; `None` means no calls that day.
    pub hours: [Option<LocalRange>; 7],
    /// Holidays with other hours (or none).
    pub holidays: &'static [Holiday],
    /// The hours on those holidays; `None` means no calls.
    pub holiday_hours: Option<LocalRange>,
    /// Most calls to one number in 24 hours, where the law caps it.
    pub max_calls_per_24h: Option<u8>,
    /// A fixed-date holiday on a weekend also bans the Monday and Tuesday after (where the law
    /// moves it to the next weekdays, as Australia's substitute days).
    pub holidays_move_to_weekdays: bool,
    /// The first day the rule applies; `None` when it is older than any campaign.
    pub effective_from: Option<(i32, u32, u32)>,
    /// The citation.
    pub source: &'static str,
    /// How sure we are.
    pub confidence: Confidence,
    /// What the rule covers, where that is narrower than all calls.
    pub scope: &'static str,
}

impl CallingRule {
    /// Whether the rule is in force on `date`.
    pub fn in_force(&self, date: NaiveDate) -> bool {
        match self.effective_from {
            None => true,
            Some((y, m, d)) => NaiveDate::from_ymd_opt(y, m, d).is_none_or(|from| date >= from),
        }
    }

    /// The allowed local hours on `date` (already in the called party's zone), or `None`.
    pub fn hours_on(&self, date: NaiveDate) -> Option<LocalRange> {
        let substitute =
            self.holidays_move_to_weekdays && holidays::substitutes_any(self.holidays, date);
        if !self.holidays.is_empty() && (holidays::is_any(self.holidays, date) || substitute) {
            let day = self.hours[date.weekday().num_days_from_monday() as usize]?;
            return self.holiday_hours.and_then(|h| day.intersect(h));
        }
        self.hours[date.weekday().num_days_from_monday() as usize]
    }
}

/// A versioned set of rules.
#[derive(Debug, Clone, Copy)]
pub struct RuleSet {
    /// The table's version; recorded with decisions so they can be explained later.
    pub version: &'static str,
    /// Applied to every number.
    pub baseline: &'static CallingRule,
    /// Applied when the lead may be in the rule's jurisdiction.
    pub subdivisions: &'static [CallingRule],
    /// Countries outside the US (`CA`, `GB`, `AU`) and their provinces (`CA-BC`), applied the
    /// same way: a number of the country carries the country as a jurisdiction.
    pub abroad: &'static [CallingRule],
}

impl RuleSet {
    /// The rule set in force: the US federal baseline and the state table.
    pub fn current() -> &'static RuleSet {
        &us::RULES
    }

    /// The rule for a subdivision such as `US-FL`, if it has one.
    pub fn rule_for(&self, subdivision: &str) -> Option<&'static CallingRule> {
        (self.subdivisions.iter().chain(self.abroad))
            .find(|r| r.jurisdiction.eq_ignore_ascii_case(subdivision))
    }

    /// The rule of a country outside the US (`CA`, `GB`, `AU`), if the table has one.
    pub fn country_rule(&self, country: &str) -> Option<&'static CallingRule> {
        (self.abroad.iter()).find(|r| r.jurisdiction.len() == 2 && r.jurisdiction == country)
    }

    /// The local hours allowed on `date` for a lead that may be in any of `subdivisions`:
    /// the baseline intersected with every applicable rule in force that day.
    pub fn allowed_on<'s>(
        &self,
        date: NaiveDate,
        subdivisions: impl IntoIterator<Item = &'s str>,
    ) -> Option<LocalRange> {
        let mut allowed = self.baseline.hours_on(date)?;
        for sub in subdivisions {
            if let Some(rule) = self.rule_for(sub).filter(|r| r.in_force(date)) {
                allowed = allowed.intersect(rule.hours_on(date)?)?;
            }
        }
        Some(allowed)
    }

    /// The strictest per-24-hour call cap among the applicable rules.
    pub fn max_calls_per_24h<'s>(
        &self,
        subdivisions: impl IntoIterator<Item = &'s str>,
    ) -> Option<u8> {
        subdivisions
            .into_iter()
            .filter_map(|s| self.rule_for(s).and_then(|r| r.max_calls_per_24h))
            .min()
    }
}

#[cfg(test)]
mod tests;
