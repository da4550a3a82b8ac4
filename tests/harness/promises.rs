//! The promises of docs/ARCHITECTURE.md, checked from the simulated network's record of every call it was
//! asked to place and from the final state of the store.

use std::collections::{BTreeMap, HashMap};

use adapters::store::DynamoStore;
use adapters::voice::simulator::{SimulatedCall, Simulator};
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use domain::config::CampaignConfig;
use domain::ids::CampaignRef;
use domain::lead::{Lead, status_index};
use domain::legal::RuleSet;
use domain::phone::E164;
use domain::results::{Analytics, Tally, hourly_from_leads};
use domain::retry::Outcome;
use domain::status::LeadStatus;
use domain::window::{LeadLocation, Subdivision};
use ports::Clock;
use ports::store::{CampaignCounters, Campaigns, Counters, Leads, Reports};

use crate::World;

mod account;
mod caller;

/// What the checks found; empty means every promise held.
#[derive(Debug, Default)]
pub struct Findings {
    /// One line per broken promise instance.
    pub violations: Vec<String>,
    /// Figures worth printing.
    pub figures: BTreeMap<&'static str, i64>,
}

impl Findings {
    fn fail(&mut self, promise: &str, detail: String) {
        if self.violations.len() < 50 {
            self.violations.push(format!("{promise}: {detail}"));
        }
    }
}

/// What the promises are checked against: the network's record and the store.
pub struct Observed<'a> {
    pub store: &'a DynamoStore,
    pub campaign: &'a CampaignRef,
    /// Its configuration.
    pub config: &'a CampaignConfig,
    /// The simulated network (its record of every call it was asked to place).
    pub simulator: &'a Simulator,
    /// The time now.
    pub now: DateTime<Utc>,
    /// Numbers put on the DNC list by the test, and when.
    pub dnc_added: &'a [(E164, DateTime<Utc>)],
    /// Numbers erased by the test, and when: their calls before then left no record (the
    /// erasure deleted it, at the person's request; its own record counts the attempts).
    pub erased: &'a [(E164, DateTime<Utc>)],
}

/// Checks every promise. `finished`: the run drained the campaign, so every lead must be final.
pub async fn check(world: &World, finished: bool) -> anyhow::Result<Findings> {
    let mut f = check_observed(
        Observed {
            store: &world.store,
            campaign: &world.campaign,
            config: &world.config,
            simulator: &world.simulator,
            now: world.clock.now(),
            dnc_added: &world.dnc_added,
            erased: world.erased_numbers(),
        },
        finished,
    )
    .await?;
    if let Some((account, lines)) = world.account_lines() {
        account::lines_held(&mut f, world, &account, lines).await?;
    }
    caller::caller_limits_held(&mut f, &world.simulator.calls(), world.caller_limits());
    Ok(f)
}

/// [`check`] for any run (the dispatch harness, the local runner end to end): reads the
/// network's record and the store once, then checks each promise in its own function.
pub async fn check_observed(o: Observed<'_>, finished: bool) -> anyhow::Result<Findings> {
    use ports::voice::VoiceProvider;
    let mut f = Findings::default();
    // This campaign's calls (a world may run several campaigns on one network).
    let calls: Vec<SimulatedCall> = (o.simulator.calls().into_iter())
        .filter(|c| c.reference.campaign == *o.campaign)
        .collect();
    let leads = o.store.all_leads(o.campaign).await?;
    let counters = o.store.counters(o.campaign).await?;
    f.figures.insert("calls", calls.len() as i64);
    f.figures.insert("leads", leads.len() as i64);
    never_double_dial(&mut f, &calls);
    // A paused campaign's leads wait for the resume; its calls must still settle.
    let paused = o.store.get_campaign(o.campaign).await?.map(|c| c.status)
        == Some(domain::status::CampaignStatus::Paused);
    no_lead_stuck(&mut f, &leads, o.now, finished, paused);
    no_leaked_slot(&mut f, &leads, &counters);
    let cps = o.simulator.account().calls_per_second;
    pacing_never_exceeded(&mut f, &calls, o.config, cps);
    account::calls_per_second_held(&mut f, &o.simulator.calls(), cps);
    counters_tell_the_truth(&mut f, &leads, &counters);
    if finished {
        analytics_agree_with_the_leads(&mut f, &o, &leads, &counters).await?;
    }
    outcomes_true_to_the_line(&mut f, &calls, &leads);
    never_a_dnc_number(&mut f, &calls, &leads, o.dnc_added);
    never_outside_the_window(&mut f, &calls, &leads, o.config);
    let kept: Vec<SimulatedCall> = (calls.into_iter())
        .filter(|c| {
            !o.erased
                .iter()
                .any(|(n, at)| *n == c.to && c.placed_at <= *at)
        })
        .collect();
    every_call_is_cleared(&mut f, &kept, &leads, o.config);
    Ok(f)
}

/// Every call the network saw has its attempt's clearance, and the clearance alone — re-checked
/// against the published rules and the campaign — allowed it; its zones are the lead's and its
/// instant the attempt's start.
fn every_call_is_cleared(
    f: &mut Findings,
    calls: &[SimulatedCall],
    leads: &[Lead],
    config: &CampaignConfig,
) {
    let by_id: HashMap<String, &Lead> = leads.iter().map(|l| (l.id.to_string(), l)).collect();
    let mut verified = 0;
    for call in calls {
        let Some(lead) = by_id.get(call.reference.lead.as_str()) else {
            continue; // reported by the window check
        };
        let attempt = call.reference.attempt;
        let found = lead
            .state
            .log
            .iter()
            .find(|r| r.attempt == attempt)
            .map(|r| (r.started_at, r.clearance.as_ref()))
            .or_else(|| {
                lead.state
                    .call
                    .as_ref()
                    .filter(|c| c.attempt == attempt)
                    .map(|c| (c.started_at, c.clearance.as_ref()))
            });
        let what = format!("{} attempt {attempt}", lead.contact.phone);
        let Some((started_at, Some(record))) = found else {
            f.fail("clearance", format!("{what}: no clearance recorded"));
            continue;
        };
        let mut findings = domain::clearance::verify(record, config);
        let zones: Vec<&str> = record.zones.iter().map(|z| z.zone.as_str()).collect();
        let expected: Vec<&str> = lead
            .contact
            .location()
            .zones
            .iter()
            .map(|z| z.name())
            .collect();
        if zones != expected {
            findings.push(format!("zones {zones:?} are not the lead's {expected:?}"));
        }
        let telemarketing = config.purpose == domain::config::Purpose::Telemarketing;
        if telemarketing
            && domain::registry::Registry::for_number(&lead.contact.phone).is_some()
            && record.registry.is_none()
        {
            findings.push("telemarketing without its registry's check or exemption".into());
        }
        if record.at != started_at {
            findings.push(format!(
                "decided at {} but started at {started_at}",
                record.at
            ));
        }
        for finding in findings {
            f.fail("clearance", format!("{what}: {finding}"));
        }
        verified += 1;
    }
    f.figures.insert("clearances verified", verified);
}

/// Promise 1, never double-dial: at most one call per (lead, attempt).
fn never_double_dial(f: &mut Findings, calls: &[SimulatedCall]) {
    let mut per_attempt: BTreeMap<(String, u8), u32> = BTreeMap::new();
    for call in calls {
        *per_attempt
            .entry((call.reference.lead.to_string(), call.reference.attempt))
            .or_default() += 1;
    }
    for ((lead, attempt), n) in &per_attempt {
        if *n > 1 {
            f.fail(
                "double dial",
                format!("lead {lead} attempt {attempt} was called {n} times"),
            );
        }
    }
}

/// Promise 5, no lead lost or stuck: every non-final lead has a deadline not long past, and a
/// drained campaign has only final leads.
fn no_lead_stuck(
    f: &mut Findings,
    leads: &[Lead],
    now: DateTime<Utc>,
    finished: bool,
    paused: bool,
) {
    for lead in leads {
        match lead.state.due() {
            Some((domain::lead::DueKind::Dial, _)) if paused => {}
            None if !lead.state.status.is_final() => f.fail(
                "stuck",
                format!("{} is {} with no deadline", lead.id, lead.state.status),
            ),
            Some((_, at)) if at < now - Duration::minutes(3) => f.fail(
                "stuck",
                format!(
                    "{} is {} and its deadline {at} passed (now {now})",
                    lead.id, lead.state.status
                ),
            ),
            _ => {}
        }
        if finished && !lead.state.status.is_final() {
            f.fail(
                "stuck",
                format!(
                    "{} is still {} after the campaign drained",
                    lead.id, lead.state.status
                ),
            );
        }
    }
}

/// Promise 4, no leaked pacing slot: the in-flight counter equals the leads on a call.
fn no_leaked_slot(f: &mut Findings, leads: &[Lead], counters: &CampaignCounters) {
    let calling = leads
        .iter()
        .filter(|l| l.state.status == LeadStatus::Calling)
        .count() as i64;
    if counters.in_flight != calling {
        f.fail(
            "leaked slot",
            format!(
                "in_flight = {} but {calling} leads are calling",
                counters.in_flight
            ),
        );
    }
}

/// Promise 4, pacing never exceeded: concurrency, the rolling hour and the provider's calls per
/// second, from the network's own timestamps.
fn pacing_never_exceeded(
    f: &mut Findings,
    calls: &[SimulatedCall],
    config: &CampaignConfig,
    cps: u32,
) {
    let peak = account::peak_live(calls);
    f.figures.insert("peak_concurrency", peak);
    if peak > i64::from(config.pacing.max_concurrent_calls) {
        f.fail(
            "pacing",
            format!(
                "{peak} calls at once, limit {}",
                config.pacing.max_concurrent_calls
            ),
        );
    }
    let mut starts: Vec<DateTime<Utc>> = calls.iter().map(|c| c.placed_at).collect();
    starts.sort();
    let mut window_start = 0;
    let mut peak_hour = 0;
    for (i, t) in starts.iter().enumerate() {
        while starts[window_start] <= *t - Duration::hours(1) {
            window_start += 1;
        }
        peak_hour = peak_hour.max(i + 1 - window_start);
    }
    f.figures.insert("peak_rolling_hour", peak_hour as i64);
    if peak_hour > config.pacing.calls_per_hour as usize {
        f.fail(
            "pacing",
            format!(
                "{peak_hour} calls in a rolling hour, cap {}",
                config.pacing.calls_per_hour
            ),
        );
    }
    let peak_second = account::peak_per_second(calls);
    f.figures
        .insert("peak_calls_per_second", i64::from(peak_second));
    if peak_second > cps {
        f.fail(
            "pacing",
            format!("{peak_second} calls started in one second, provider limit {cps}"),
        );
    }
}

/// Promise 8, counters tell the truth: status counts, attempts, outcomes and talk time equal what
/// the leads say.
fn counters_tell_the_truth(f: &mut Findings, leads: &[Lead], counters: &CampaignCounters) {
    for status in LeadStatus::ALL {
        let actual = leads.iter().filter(|l| l.state.status == status).count() as i64;
        if counters.by_status[status_index(status)] != actual {
            f.fail(
                "counters",
                format!(
                    "{status}: counter {} but {actual} leads",
                    counters.by_status[status_index(status)]
                ),
            );
        }
    }
    let attempts: i64 = leads.iter().map(|l| i64::from(l.state.attempts)).sum();
    if counters.attempts != attempts {
        f.fail(
            "counters",
            format!(
                "attempts counter {} but leads made {attempts}",
                counters.attempts
            ),
        );
    }
    let mut outcomes: BTreeMap<Outcome, i64> = BTreeMap::new();
    let mut talk = 0i64;
    for record in leads.iter().flat_map(|l| &l.state.log) {
        *outcomes.entry(record.outcome).or_default() += 1;
        talk += i64::from(record.duration_seconds);
    }
    let stored: BTreeMap<Outcome, i64> = counters
        .outcomes
        .iter()
        .filter(|(_, n)| **n != 0)
        .map(|(o, n)| (*o, *n))
        .collect();
    if stored != outcomes {
        f.fail(
            "counters",
            format!("outcome counters {stored:?} but attempt logs say {outcomes:?}"),
        );
    }
    if counters.talk_seconds != talk {
        f.fail(
            "counters",
            format!("talk seconds {} but logs say {talk}", counters.talk_seconds),
        );
    }
}

/// Promise 8, as users see it: analytics served from counters and hourly items equal analytics
/// recomputed from the leads, and a reconciliation finds no drift.
async fn analytics_agree_with_the_leads(
    f: &mut Findings,
    o: &Observed<'_>,
    leads: &[Lead],
    counters: &CampaignCounters,
) -> anyhow::Result<()> {
    let hours = o.store.hourly_counters(o.campaign).await?;
    let served = Analytics::compute(&counters.tally(), &hours, o.now);
    let states: Vec<_> = leads.iter().map(|l| &l.state).collect();
    let truth = Analytics::compute(
        &Tally::of(states.iter().copied()),
        &hourly_from_leads(states.iter().copied()),
        o.now,
    );
    if served != truth {
        f.fail(
            "analytics",
            format!("served {served:?} but the leads say {truth:?}"),
        );
    }
    let report = engine::results::reconcile(o.store, o.campaign, false, o.now).await?;
    if !report.drift.is_empty() {
        f.fail("reconcile", format!("drift found: {:?}", report.drift));
    }
    Ok(())
}

/// Promise 12, outcomes true to the line, from the network's own record of each call's fate:
/// no attempt is recorded for a call the network never placed (a refusal, an account problem
/// spends no contact's attempt); a call the agent never came to is never recorded as reaching
/// the person; a call that did reach the person is never recorded as the agent's absence.
fn outcomes_true_to_the_line(f: &mut Findings, calls: &[SimulatedCall], leads: &[Lead]) {
    let placed: HashMap<(String, u8), &SimulatedCall> = calls
        .iter()
        .map(|c| ((c.reference.lead.to_string(), c.reference.attempt), c))
        .collect();
    let reached = |o: Outcome| {
        matches!(
            o,
            Outcome::Completed | Outcome::OptedOut | Outcome::CallbackRequested
        )
    };
    let mut agent_misses = 0;
    for lead in leads {
        for record in &lead.state.log {
            let Some(call) = placed.get(&(lead.id.to_string(), record.attempt)) else {
                f.fail(
                    "true to the line",
                    format!(
                        "{}#{} was recorded ({}) but never placed",
                        lead.id,
                        record.attempt,
                        record.outcome.as_str()
                    ),
                );
                continue;
            };
            let truth = call.report.outcome;
            agent_misses += i64::from(truth == Outcome::AgentUnavailable);
            if truth == Outcome::AgentUnavailable && reached(record.outcome) {
                f.fail(
                    "true to the line",
                    format!(
                        "{}#{}: the agent never came, yet recorded {}",
                        lead.id,
                        record.attempt,
                        record.outcome.as_str()
                    ),
                );
            }
            if reached(truth) && record.outcome == Outcome::AgentUnavailable {
                f.fail(
                    "true to the line",
                    format!(
                        "{}#{}: the person talked to the agent, yet recorded agent_unavailable",
                        lead.id, record.attempt
                    ),
                );
            }
        }
    }
    f.figures.insert("agent_unavailable_calls", agent_misses);
}

/// Promise 3, never a DNC number: nothing placed after the number joined the list (by the API or by
/// an opt-out during a call).
fn never_a_dnc_number(
    f: &mut Findings,
    calls: &[SimulatedCall],
    leads: &[Lead],
    dnc_added: &[(E164, DateTime<Utc>)],
) {
    let mut dnc: Vec<(String, DateTime<Utc>)> =
        dnc_added.iter().map(|(n, t)| (n.to_string(), *t)).collect();
    for lead in leads {
        for record in &lead.state.log {
            if record.outcome == Outcome::OptedOut {
                dnc.push((lead.contact.phone.to_string(), record.ended_at));
            }
        }
    }
    f.figures.insert("dnc_numbers", dnc.len() as i64);
    for (number, since) in &dnc {
        for call in calls
            .iter()
            .filter(|c| c.to.as_str() == number && c.placed_at > *since)
        {
            f.fail(
                "dnc",
                format!(
                    "{number} was called at {} after joining the list at {since}",
                    call.placed_at
                ),
            );
        }
    }
}

/// Promise 2, never outside the window: each call's start, read on every zone's local clock.
fn never_outside_the_window(
    f: &mut Findings,
    calls: &[SimulatedCall],
    leads: &[Lead],
    config: &CampaignConfig,
) {
    let by_id: HashMap<String, &Lead> = leads.iter().map(|l| (l.id.to_string(), l)).collect();
    for call in calls {
        let Some(lead) = by_id.get(call.reference.lead.as_str()) else {
            f.fail(
                "unknown lead",
                format!(
                    "the network called {} for a lead the store does not have",
                    call.reference
                ),
            );
            continue;
        };
        let location = lead.contact.location();
        if !permitted(config, &location, call.placed_at) {
            f.fail(
                "window",
                format!(
                    "{} ({:?}) called at {}",
                    lead.contact.phone, location.zones, call.placed_at
                ),
            );
        }
    }
}

/// Whether calling `location` at `at` is inside the campaign window and the legal hours in
/// every zone, on none of its blackout days there, and inside the campaign dates: read directly from local clocks, independently of
/// the engine's interval arithmetic.
pub fn permitted(config: &CampaignConfig, location: &LeadLocation, at: DateTime<Utc>) -> bool {
    if location.zones.is_empty()
        || config.starts_at.is_some_and(|s| at < s)
        || config.ends_at.is_some_and(|e| at >= e)
    {
        return false;
    }
    location.zones.iter().all(|zone| {
        let local = at.with_timezone(zone);
        let minute = (local.hour() * 60 + local.minute()) as u16;
        let date = local.date_naive();
        let weekday = date.weekday().num_days_from_monday() as usize;
        let campaign = config
            .window
            .day(weekday)
            .iter()
            .any(|r| r.contains_minute(minute));
        let legal = RuleSet::current()
            .allowed_on(date, location.subdivisions.iter().map(Subdivision::as_str))
            .is_some_and(|r| r.contains_minute(minute));
        campaign && legal && !config.blackout.covers(date)
    })
}

impl World {
    /// The network's calls-per-second limit.
    pub fn simulator_cps(&self) -> u32 {
        use ports::voice::VoiceProvider;
        self.simulator.account().calls_per_second
    }
}
