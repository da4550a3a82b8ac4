//! The frequency-cap promise, checked across every campaign of a tenant from the network's
//! record: no number called more than the tenant's caps allow on a local day or in any 7 days,
//! nor more than a state rule's cap in any 24 hours — whichever campaigns made the calls.
//! Each call is placed at the instant its claim decided (the attempt's start, from the lead),
//! read by brute force on local clocks, independently of `domain::contact_caps`.

use std::collections::{BTreeMap, HashMap};

use adapters::voice::simulator::SimulatedCall;
use chrono::{DateTime, Duration, Utc};
use domain::contact_caps::ContactCaps;
use domain::lead::Lead;
use domain::legal::RuleSet;
use domain::phone::E164;
use domain::window::Subdivision;

/// What the check found: broken caps (empty: the promise held), and the numbers that reached a
/// cap (the caps were tested, not merely never approached).
#[derive(Debug, Default)]
pub struct CapFindings {
    pub violations: Vec<String>,
    /// Numbers with as many calls on some local day as the day's cap.
    pub numbers_at_day_cap: usize,
    /// Numbers called by more than one campaign.
    pub numbers_shared: usize,
}

/// A call's start, its campaign, and its lead.
type Started<'a> = (DateTime<Utc>, String, &'a Lead);

/// Checks `calls` (every campaign's) against `caps`; `leads` are every campaign's leads.
pub fn frequency_caps_hold(
    calls: &[SimulatedCall],
    leads: &[Lead],
    caps: ContactCaps,
) -> CapFindings {
    // Lead ids are derived from the campaign and the number: unique across campaigns.
    let by_id: HashMap<String, &Lead> = leads.iter().map(|l| (l.id.to_string(), l)).collect();
    let mut per_number: BTreeMap<E164, Vec<Started<'_>>> = BTreeMap::new();
    for call in calls {
        let Some(lead) = by_id.get(call.reference.lead.as_str()) else {
            continue; // the per-campaign checks report unknown leads
        };
        let started = attempt_start(lead, call.reference.attempt).unwrap_or(call.placed_at);
        let campaign = call.reference.campaign.campaign.to_string();
        per_number
            .entry(call.to.clone())
            .or_default()
            .push((started, campaign, lead));
    }
    let mut found = CapFindings::default();
    for (number, starts) in &per_number {
        let campaigns: std::collections::BTreeSet<&str> =
            starts.iter().map(|(_, c, _)| c.as_str()).collect();
        found.numbers_shared += usize::from(campaigns.len() > 1);
        let location = starts[0].2.contact.location();
        let cap_24h = RuleSet::current()
            .max_calls_per_24h(location.subdivisions.iter().map(Subdivision::as_str));
        let times: Vec<DateTime<Utc>> = starts.iter().map(|(t, _, _)| *t).collect();
        let mut at_day_cap = false;
        for t in &times {
            let in_span = |span: Duration| {
                times
                    .iter()
                    .filter(|s| **s <= *t && **s > *t - span)
                    .count()
            };
            if in_span(Duration::days(7)) > usize::from(caps.per_7_days) {
                found.violations.push(format!(
                    "{number}: over {} calls in the 7 days to {t}",
                    caps.per_7_days
                ));
            }
            if let Some(cap) =
                cap_24h.filter(|cap| in_span(Duration::hours(24)) > usize::from(*cap))
            {
                found.violations.push(format!(
                    "{number}: over the state's {cap} calls in the 24 hours to {t}"
                ));
            }
            for zone in &location.zones {
                let day = t.with_timezone(zone).date_naive();
                let same_day = times
                    .iter()
                    .filter(|s| s.with_timezone(zone).date_naive() == day)
                    .count();
                if same_day > usize::from(caps.per_local_day) {
                    found
                        .violations
                        .push(format!("{number}: {same_day} calls on {day} in {zone}"));
                }
                at_day_cap |= same_day == usize::from(caps.per_local_day);
            }
        }
        found.numbers_at_day_cap += usize::from(at_day_cap);
    }
    found.violations.sort();
    found.violations.dedup();
    found
}

/// When the lead's attempt `attempt` was claimed.
fn attempt_start(lead: &Lead, attempt: u8) -> Option<DateTime<Utc>> {
    (lead.state.log.iter())
        .find(|r| r.attempt == attempt)
        .map(|r| r.started_at)
        .or_else(|| {
            (lead.state.call.as_ref())
                .filter(|c| c.attempt == attempt)
                .map(|c| c.started_at)
        })
}
