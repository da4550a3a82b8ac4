use chrono::{DateTime, Duration, Utc};
use domain::config::CampaignSpec;
use domain::lead::SkipReason;
use domain::status::{CampaignStatus, LeadStatus};
use ports::store::CampaignStatuses;
use ports::store::{Campaigns, Leads};
use system_tests::World;
use system_tests::crash::POINTS;
use system_tests::promises;
use system_tests::world::{WorldConfig, contacts_in};

pub(crate) fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub(crate) fn spec(json: serde_json::Value) -> CampaignSpec {
    serde_json::from_value(json).unwrap()
}

pub(crate) fn all_week(start: &str, end: &str) -> serde_json::Value {
    let day = serde_json::json!([{ "start": start, "end": end }]);
    serde_json::json!({
        "monday": day, "tuesday": day, "wednesday": day, "thursday": day,
        "friday": day, "saturday": day, "sunday": day
    })
}

/// Area codes of every US time zone, split (multi-zone) area codes, and a few states with
/// stricter hours.
pub(crate) const US_AREA_CODES: &[&str] = &[
    "212", "305", "312", "214", "303", "602", "213", "907", "808", // one zone each
    "850", "270", "208", "605", "701", "541", "423", "915", // split across zones
    "317", "219", "401", "512", "617", "801", "504", "207", // states with rules
];

pub(crate) fn scale(default: usize) -> usize {
    std::env::var("SIM_LEADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The dial message a tick would send for `lead` of the world's campaign (its current
/// configuration version), planned to start at `not_before`: for the tests that dial by hand.
pub(crate) async fn dial_message_now(
    world: &World,
    lead: domain::lead::Lead,
    not_before: DateTime<Utc>,
) -> engine::messages::DialMessage {
    let version = (world.store.get_campaign(&world.campaign).await.unwrap())
        .unwrap()
        .config_version;
    engine::messages::DialMessage {
        campaign: world.campaign.clone(),
        config_version: version,
        lead,
        call: engine::messages::CallSettings::from_number(
            "simulator",
            domain::phone::E164::parse_strict("+14155552671").unwrap(),
            "ava",
        ),
        not_before,
    }
}

/// Pauses the world's Active campaign at `at`, as the API's pause does.
pub(crate) async fn pause(world: &World, at: DateTime<Utc>) {
    world
        .store
        .set_campaign_status(
            &world.campaign,
            CampaignStatus::Active,
            CampaignStatus::Paused,
            at,
        )
        .await
        .unwrap();
}

/// Noon in New York, when the hand-driven tests below start.
pub(crate) fn noon() -> DateTime<Utc> {
    utc("2026-06-10T16:00:00Z")
}

/// A calm world at noon in New York: `leads` New York numbers, all due now, in a campaign open
/// 08:00-21:00 every day. For the tests that drive ticks and dials by hand.
pub(crate) async fn noon_world(label: &str, leads: usize) -> World {
    let campaign = spec(serde_json::json!({
        "name": label,
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") }
    }));
    let contacts = contacts_in(&["212"], leads);
    World::build(WorldConfig::calm(label, campaign, contacts, noon()))
        .await
        .unwrap()
}

pub(crate) async fn run_and_check(
    mut world: World,
) -> (World, system_tests::RunStats, promises::Findings) {
    let stats = world.run().await.expect("the run completes");
    let findings = promises::check(&world, stats.finished)
        .await
        .expect("the checks run");
    println!("stats: {stats:#?}");
    println!("figures: {:#?}", findings.figures);
    println!("crashes fired: {:#?}", world.crashes.fired());
    println!("requests: {:#?}", world.requests.snapshot());
    (world, stats, findings)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_promise_holds_under_duplicates_concurrency_crashes_and_provider_faults() {
    // `SIM_WORLDS` independent worlds (fresh tables, different seeds) of `SIM_LEADS` leads.
    let worlds = std::env::var("SIM_WORLDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1u64);
    let leads = scale(60);
    let mut total_attempts = 0;
    for w in 0..worlds {
        let campaign = spec(serde_json::json!({
            "name": "Under fire",
            "agent_id": "agent-1",
            "schedule": { "window": all_week("08:00", "21:00") },
            "pacing": { "max_concurrent_calls": 12, "calls_per_hour": 200 },
            "retry": { "max_retries": 2, "delay_minutes": 20, "retry_on": ["no_answer", "busy", "voicemail"] },
            "call_handling": { "max_call_seconds": 300 }
        }));
        let contacts = contacts_in(US_AREA_CODES, leads);
        let mut config =
            WorldConfig::calm("fire", campaign, contacts, utc("2026-06-10T12:00:00Z")).hostile();
        config.crash_probability = 0.04;
        config.calls_per_second = 1;
        config.seed = 42 + w;
        let (world, stats, findings) = run_and_check(World::build(config).await.unwrap()).await;

        assert!(
            findings.violations.is_empty(),
            "world {w}: {:#?}",
            findings.violations
        );
        assert!(stats.finished, "the campaign drained: {stats:?}");
        assert_eq!(world.status().await.unwrap(), CampaignStatus::Completed);
        // The run really was hostile: duplicates were refused, crashes happened at every step.
        assert!(
            stats.dial_outcomes.get("lease lost").copied().unwrap_or(0) > 0,
            "{stats:?}"
        );
        let fired = world.crashes.fired();
        let missing: Vec<_> = POINTS.iter().filter(|p| !fired.contains_key(*p)).collect();
        assert!(
            missing.is_empty(),
            "crash points never fired: {missing:?}; reached: {:?}",
            world.crashes.reached()
        );
        total_attempts += stats.create_requests;
    }
    println!("attempts (create-call requests) over {worlds} worlds: {total_attempts}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_call_lands_outside_the_window_across_the_spring_forward_day_in_new_york() {
    // Saturday 2026-03-07 to Tuesday 2026-03-10: clocks move forward on Sunday the 8th.
    let campaign = spec(serde_json::json!({
        "name": "DST",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00"), "ends_at": "2026-03-10T12:00:00Z" },
        "pacing": { "max_concurrent_calls": 3, "calls_per_hour": 12 },
        "retry": { "max_retries": 3, "delay_minutes": 180, "retry_on": ["no_answer", "busy", "voicemail"] },
        "call_handling": { "max_call_seconds": 300 }
    }));
    let contacts = contacts_in(&["212", "718", "917", "646"], 28);
    let mut config =
        WorldConfig::calm("dst", campaign, contacts, utc("2026-03-07T20:00:00Z")).hostile();
    config.crash_probability = 0.01;
    let (world, stats, findings) = run_and_check(World::build(config).await.unwrap()).await;
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    assert!(stats.finished, "{stats:?}");
    // Calls happened on the change day itself, within 08:00-21:00 EDT.
    let on_change_day = world
        .simulator
        .calls()
        .iter()
        .filter(|c| {
            c.placed_at.date_naive() == chrono::NaiveDate::from_ymd_opt(2026, 3, 8).unwrap()
        })
        .count();
    assert!(on_change_day > 0, "no call on the change day");
}

/// Every claim (the dialer's transaction) takes ten virtual minutes, from 20:45 in New York:
/// most decisions to call are taken while the window is open and would reach the network
/// after it closed (at 21:00, or at the campaign's end when `ends_at` comes first).
async fn slow_claims_near_the_close(label: &str, ends_at: Option<&str>) -> promises::Findings {
    let campaign = spec(serde_json::json!({
        "name": "Slow claims",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00"), "ends_at": ends_at },
        "pacing": { "max_concurrent_calls": 2, "calls_per_hour": 1000 },
        "retry": { "max_retries": 1, "delay_minutes": 30, "retry_on": ["no_answer", "busy"] },
        "call_handling": { "max_call_seconds": 120 }
    }));
    let contacts = contacts_in(&["212"], 12);
    let mut config = WorldConfig::calm(label, campaign, contacts, utc("2026-06-10T00:45:00Z"));
    config.stalls = vec![("dial.after_claim", Duration::minutes(10))];
    let (_, stats, findings) = run_and_check(World::build(config).await.unwrap()).await;
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    assert!(stats.finished, "{stats:?}");
    let given_back: u64 = stats
        .dial_outcomes
        .iter()
        .filter(|(what, _)| what.ends_with("released"))
        .map(|(_, n)| n)
        .sum();
    assert!(
        given_back > 0,
        "some claims outlasted the window: {:?}",
        stats.dial_outcomes
    );
    findings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_that_outlasts_the_window_gives_the_call_back_instead_of_calling_late() {
    let findings = slow_claims_near_the_close("slow-claim-window", None).await;
    assert!(findings.figures["calls"] > 0, "{:?}", findings.figures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_that_outlasts_the_campaign_end_gives_the_call_back_instead_of_calling_late() {
    slow_claims_near_the_close("slow-claim-end", Some("2026-06-10T00:58:00Z")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_call_lands_outside_the_window_in_any_us_zone_or_split_area_code() {
    // Friday 17:00 in New York: the weekday window closes in the east first; the weekend
    // is closed; Monday opens east to west.
    let campaign = spec(serde_json::json!({
        "name": "Every zone",
        "agent_id": "agent-1",
        "pacing": { "max_concurrent_calls": 8, "calls_per_hour": 120 },
        "retry": { "max_retries": 1, "delay_minutes": 60, "retry_on": ["no_answer", "busy"] },
        "call_handling": { "max_call_seconds": 300 }
    }));
    let contacts = contacts_in(US_AREA_CODES, 2 * US_AREA_CODES.len());
    let mut config =
        WorldConfig::calm("zones", campaign, contacts, utc("2026-06-12T21:00:00Z")).hostile();
    config.crash_probability = 0.01;
    let (world, stats, findings) = run_and_check(World::build(config).await.unwrap()).await;
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    assert!(stats.finished, "{stats:?}");
    // Every area code was reached (or its leads skipped for a reason), none left open.
    let leads = world.leads().await.unwrap();
    assert!(leads.iter().all(|l| l.state.status.is_final()));
    let called: std::collections::BTreeSet<String> = world
        .simulator
        .calls()
        .iter()
        .map(|c| c.to.as_str()[2..5].to_owned())
        .collect();
    assert!(
        called.len() >= US_AREA_CODES.len() - 2,
        "area codes called: {called:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_number_added_to_the_dnc_list_is_never_called_after_it_was_added() {
    // A third of this list joins the DNC list on purpose: the DNC-hit guardrail would pause
    // the campaign (tests/dispatch/guardrails.rs), and this test is about every number after it.
    let campaign = spec(serde_json::json!({
        "name": "DNC",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "pacing": { "max_concurrent_calls": 4, "calls_per_hour": 100 },
        "retry": { "max_retries": 3, "delay_minutes": 15, "retry_on": ["no_answer", "busy", "voicemail"] },
        "call_handling": { "max_call_seconds": 300 },
        "guardrails": { "max_dnc_hit_percent": 100 }
    }));
    let contacts = contacts_in(&["212"], 30);
    let mut config = WorldConfig::calm(
        "dnc",
        campaign,
        contacts.clone(),
        utc("2026-06-10T14:00:00Z"),
    )
    .hostile();
    config.crash_probability = 0.01;
    // Some numbers join the list before they can be called, some mid-campaign.
    config.dnc_additions = contacts
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 == 0)
        .map(|(i, c)| {
            (
                Duration::minutes(if i < 12 { 0 } else { 7 + i as i64 }),
                c.phone.clone(),
            )
        })
        .collect();
    let (world, stats, findings) = run_and_check(World::build(config).await.unwrap()).await;
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    assert!(stats.finished, "{stats:?}");
    let leads = world.leads().await.unwrap();
    let first = &leads
        .iter()
        .find(|l| l.contact.phone == contacts[0].phone)
        .unwrap()
        .state;
    assert_eq!(
        (first.status, first.skip_reason),
        (LeadStatus::Skipped, Some(SkipReason::DoNotCall))
    );
    assert_eq!(
        first.attempts, 0,
        "added before the first tick: never called"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tick_under_a_quiet_hint_reads_no_due_shard() {
    let start = noon();
    let world = noon_world("quiet-reads", 3).await;
    let first = world.engine.tick(&world.campaign).await.unwrap();
    assert_eq!(first.enqueued, 3);
    // Every due lead is leased and nothing else is due: quiet for the whole horizon (a lease
    // whose dialer died is offered again when the hint runs out).
    let until = first
        .quiet_until
        .expect("the tick dealt with every due lead");
    assert_eq!(until, start + Duration::minutes(5));

    world.clock.set(start + Duration::minutes(1));
    world.requests.reset();
    let second = world.engine.tick(&world.campaign).await.unwrap();
    assert!(second.quiet, "{second:?}");
    assert_eq!(world.requests.count("dynamodb", &["Query"]), 0);
    assert_eq!(
        world.requests.dynamodb_reads(),
        1,
        "the campaign and its counters, in one request"
    );

    // Once the hint runs out, the index is read again and the lapsed leases (no dialer took
    // these messages) offered again.
    world.clock.set(until);
    world.requests.reset();
    let third = world.engine.tick(&world.campaign).await.unwrap();
    assert!(!third.quiet);
    assert!(world.requests.count("dynamodb", &["Query"]) >= 1);
    assert_eq!(third.enqueued, 3, "{third:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lead_due_before_the_next_tick_is_taken_now_and_starts_when_it_falls_due() {
    let start = noon();
    let world = noon_world("on-time", 2).await;
    // Both leads are due ninety seconds from now (as a retry or a callback would be).
    let due = start + Duration::seconds(90);
    let mut shards = std::collections::BTreeSet::new();
    for lead in world.leads().await.unwrap() {
        shards.insert(lead.id.shard(ports::store::LEAD_SHARDS));
        let mut later = lead.state.clone();
        later.defer(due).unwrap();
        world
            .store
            .write_transition(ports::store::LeadWrite {
                lead: &domain::ids::LeadRef {
                    campaign: world.campaign.clone(),
                    lead: lead.id.clone(),
                },
                expected_version: lead.state.version,
                state: &later,
                counters: &Default::default(),
                guards: Default::default(),
            })
            .await
            .unwrap();
    }
    // Due after the next tick: not this tick's. It leaves a hint that nothing is due before.
    let early = world.engine.tick(&world.campaign).await.unwrap();
    assert_eq!(early.enqueued, 0, "{early:?}");
    assert_eq!(early.quiet_until, Some(due));

    // A minute later they are due before the next tick: taken now (the hint does not hide
    // them), leased from the moment they fall due, not from now. Only their shards are read:
    // the hint says the others hold nothing due.
    world.clock.set(start + Duration::minutes(1));
    world.requests.reset();
    let taken = world.engine.tick(&world.campaign).await.unwrap();
    assert!(!taken.quiet, "{taken:?}");
    assert_eq!(taken.enqueued, 2, "{taken:?}");
    assert_eq!(
        world.requests.count("dynamodb", &["Query"]),
        shards.len() as u64,
        "only the due shards of the two leads: {shards:?}"
    );
    for lead in world.leads().await.unwrap() {
        let lease = lead.state.lease.expect("leased");
        assert!(lease.until >= due + Duration::minutes(2), "{lease:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_callback_asked_for_outside_the_window_is_scheduled_at_its_next_opening() {
    // Everyone asks to be called back, at random times over the next two days, most of them
    // at night or on the window's edge for some zone.
    let campaign = spec(serde_json::json!({
        "name": "Callbacks",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("09:00", "17:00") },
        "pacing": { "max_concurrent_calls": 20, "calls_per_hour": 1000 },
        "call_handling": { "max_call_seconds": 300 }
    }));
    let mut config = WorldConfig::calm(
        "callbacks",
        campaign,
        contacts_in(&["212", "312", "213", "808"], 16),
        utc("2026-06-10T19:00:00Z"),
    );
    config.outcomes = adapters::voice::simulator::OutcomeMix {
        completed: 0.0,
        no_answer: 0.0,
        busy: 0.0,
        voicemail: 0.0,
        failed: 0.0,
        opted_out: 0.0,
        callback: 1.0,
    };
    let (world, stats, findings) = run_and_check(World::build(config).await.unwrap()).await;
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    assert!(stats.finished, "{stats:?}");
    let callbacks: usize = world
        .leads()
        .await
        .unwrap()
        .iter()
        .map(|l| usize::from(l.state.callbacks_used))
        .sum();
    assert!(callbacks >= 16, "callbacks were asked for: {callbacks}");
    // Only first calls can find a lead outside its window (Honolulu opens hours after the
    // others); every callback was put at a time its window is open.
    let leads_in_honolulu = 4;
    assert!(
        stats.deferred_by_ticks <= leads_in_honolulu,
        "ticks had to move callbacks: {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dial_after_a_pause_hands_the_lead_back_even_with_the_campaign_cached_as_active() {
    let start = noon();
    let world = noon_world("paused", 2).await;
    assert_eq!(
        world.engine.tick(&world.campaign).await.unwrap().enqueued,
        2
    );
    let leads = world.leads().await.unwrap();
    let first = dial_message_now(&world, leads[0].clone(), start).await;
    let second = dial_message_now(&world, leads[1].clone(), start).await;
    // The first dial caches the campaign as Active and calls.
    let first = world.engine.dial(&first).await.unwrap();
    assert_eq!(first, engine::dial::DialOutcome::Done("called"));

    // Paused, and the cache entry is older than its TTL: the dialer may still take the cached
    // version for the second lead, but the claim's condition refuses and the lead goes back.
    pause(&world, start).await;
    world.clock.set(start + Duration::seconds(45));
    let second = world.engine.dial(&second).await.unwrap();
    assert_eq!(
        second,
        engine::dial::DialOutcome::Done("campaign not active: handed back")
    );
    assert_eq!(world.simulator.calls().len(), 1, "no call after the pause");
    let handed_back = world
        .leads()
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.id == leads[1].id)
        .unwrap();
    assert_eq!(
        (handed_back.state.status, handed_back.state.lease),
        (LeadStatus::Pending, None)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_that_falls_due_under_a_quiet_hint_is_still_dialed_when_due() {
    // Half the calls talk for minutes, half ring out and are retried a minute later. Hints may
    // reach an hour ahead here, so a retry that did not lift the hint would visibly wait for it.
    let campaign = spec(serde_json::json!({
        "name": "Quiet",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "pacing": { "max_concurrent_calls": 50, "calls_per_hour": 1000 },
        "retry": { "max_retries": 3, "delay_minutes": 1, "retry_on": ["no_answer"] },
        "call_handling": { "max_call_seconds": 600 }
    }));
    // 09:00 in Los Angeles, 06:00 in Honolulu: the Hawaiian lead waits two hours for its
    // window, so while every other lead is on a call the campaign has nothing due for a while.
    let mut contacts = contacts_in(&["212", "312", "213"], 12);
    contacts.extend(contacts_in(&["808"], 1));
    let mut config = WorldConfig::calm("quiet", campaign, contacts, utc("2026-06-10T16:00:00Z"));
    config.outcomes = adapters::voice::simulator::OutcomeMix {
        completed: 0.5,
        no_answer: 0.5,
        busy: 0.0,
        voicemail: 0.0,
        failed: 0.0,
        opted_out: 0.0,
        callback: 0.0,
    };
    // Half the outcomes reach us minutes late, so calls stay open across quiet ticks.
    config.faults.late_event = 0.5;
    config.quiet_horizon = Duration::minutes(60);
    let (world, stats, findings) = run_and_check(World::build(config).await.unwrap()).await;
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    assert!(stats.finished, "{stats:?}");
    assert!(
        stats.quiet_ticks > 0,
        "hints were left and honoured: {stats:?}"
    );

    // Each retry is due a minute after its attempt's outcome; it is placed at the first tick
    // after that (a minute at most) plus its start offset within that minute (under another).
    let mut retries = 0;
    for lead in world.leads().await.unwrap() {
        for pair in lead.state.log.windows(2) {
            let due = pair[0].ended_at + Duration::minutes(1);
            let lag = pair[1].started_at - due;
            assert!(
                lag <= Duration::minutes(2),
                "attempt {} of {} placed {lag} after it was due",
                pair[1].attempt,
                lead.id
            );
            retries += 1;
        }
    }
    assert!(retries >= 6, "enough retries to try: {retries}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_call_lands_on_a_blackout_day_in_the_contacts_local_date_under_faults() {
    // Friday July 3 to Monday July 6, 2026; July 4 is a blackout day, in each contact's own
    // date (Honolulu's July 4 ends ten hours after UTC's). Slow pacing and retries carry leads
    // across it.
    let campaign = spec(serde_json::json!({
        "name": "Blackout",
        "agent_id": "agent-1",
        "schedule": {
            "window": all_week("08:00", "21:00"),
            "ends_at": "2026-07-06T12:00:00Z",
            "blackout": [{ "from": "2026-07-04" }]
        },
        "pacing": { "max_concurrent_calls": 3, "calls_per_hour": 4 },
        "retry": { "max_retries": 4, "delay_minutes": 240, "retry_on": ["no_answer", "busy", "voicemail"] },
        "call_handling": { "max_call_seconds": 300 }
    }));
    let contacts = contacts_in(&["212", "808", "213", "907"], 30);
    let mut config =
        WorldConfig::calm("blackout", campaign, contacts, utc("2026-07-03T18:00:00Z")).hostile();
    config.crash_probability = 0.01;
    let (world, stats, findings) = run_and_check(World::build(config).await.unwrap()).await;
    // The checker reads each call's start on every zone's clock, blackout days included.
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    assert!(stats.finished, "{stats:?}");
    let july = |d| chrono::NaiveDate::from_ymd_opt(2026, 7, d).unwrap();
    let calls = world.simulator.calls();
    let before = calls
        .iter()
        .filter(|c| c.placed_at.date_naive() <= july(3))
        .count();
    let after = calls
        .iter()
        .filter(|c| c.placed_at.date_naive() >= july(5))
        .count();
    assert!(
        before > 0 && after > 0,
        "calls before ({before}) and after ({after}) the blackout"
    );
    println!(
        "blackout world: {} calls, {before} before July 4, {after} after",
        calls.len()
    );
}
