//! Guardrails in the hostile world: each trigger (failed attempts, provider throttling,
//! opt-outs, DNC hits, missed disclosures) pauses a campaign under four dialers, three copies of every message,
//! duplicate ticks, crashes and provider faults; no call is claimed after the pause; every other
//! promise still holds; a resume clears the reason and judges a fresh window.

use adapters::voice::simulator::OutcomeMix;
use chrono::{DateTime, Duration, Utc};
use domain::guardrails::{Guardrail, PauseReason};
use domain::status::CampaignStatus;
use ports::Clock;
use ports::store::CampaignStatuses;
use ports::store::{Campaigns, Counters};
use system_tests::promises;
use system_tests::world::contacts_in;
use system_tests::{RunStats, World, WorldConfig};

use crate::scenarios::{all_week, spec, utc};

fn campaign() -> domain::config::CampaignSpec {
    spec(serde_json::json!({
        "name": "Guarded",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "pacing": { "max_concurrent_calls": 8, "calls_per_hour": 600 },
        "retry": { "max_retries": 1, "delay_minutes": 5, "retry_on": ["no_answer", "busy"] },
        "call_handling": { "max_call_seconds": 300 }
    }))
}

/// A hostile world of 150 leads, changed by `tweak`, that stops 30 virtual minutes after a
/// guardrail pauses its campaign.
async fn hostile_world(label: &str, seed: u64, tweak: impl FnOnce(&mut WorldConfig)) -> World {
    let contacts = contacts_in(&["212", "312"], 150);
    let mut config =
        WorldConfig::calm(label, campaign(), contacts, utc("2026-06-10T14:00:00Z")).hostile();
    config.seed = seed;
    config.max_virtual = Duration::hours(6);
    config.stop_after_pause = Some(Duration::minutes(30));
    tweak(&mut config);
    World::build(config).await.unwrap()
}

/// Runs the world until a guardrail trips; checks the trip, that nothing was claimed after it,
/// and every promise; returns the reason.
async fn runs_until_paused_by(world: &mut World, expected: Guardrail) -> (RunStats, PauseReason) {
    let stats = world.run().await.expect("the run completes");
    println!("stats: {stats:#?}");
    let record = world
        .store
        .get_campaign(&world.campaign)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, CampaignStatus::Paused, "{stats:?}");
    let reason = record.pause_reason.expect("a guardrail's reason is kept");
    println!("pause reason: {reason:#?}");
    assert_eq!(reason.guardrail, expected, "{}", reason.message);
    assert_eq!(
        stats.guardrail_trips.len(),
        1,
        "one pause, whatever the duplicate ticks: {:?}",
        stats.guardrail_trips
    );
    let limits = &world.config.guardrails;
    assert!(reason.sample >= limits.min_sample, "{reason:?}");
    assert!(
        reason.count * 100 > i64::from(limits.limit(expected)) * reason.sample,
        "{reason:?}"
    );
    let late = claims_after(world, reason.at).await;
    assert!(late.is_empty(), "calls claimed after the pause: {late:?}");
    let findings = promises::check(world, false).await.unwrap();
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    (stats, reason)
}

/// Attempts started (claimed) after `at`.
async fn claims_after(world: &World, at: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    started_since(world, at + chrono::Duration::milliseconds(1)).await
}

/// Start instants of every attempt at or after `from`.
async fn started_since(world: &World, from: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let leads = world.leads().await.unwrap();
    leads
        .iter()
        .flat_map(|l| {
            let log = l.state.log.iter().map(|r| r.started_at);
            log.chain(l.state.call.as_ref().map(|c| c.started_at))
        })
        .filter(|started| *started >= from)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failing_calls_pause_the_campaign_and_a_resume_judges_a_fresh_window() {
    let mut world = hostile_world("guard-failed", 31, |c| {
        c.outcomes = OutcomeMix {
            completed: 0.2,
            no_answer: 0.05,
            busy: 0.0,
            voicemail: 0.05,
            failed: 0.7,
            opted_out: 0.0,
            callback: 0.0,
        };
    })
    .await;
    let (_, first) = runs_until_paused_by(&mut world, Guardrail::FailedAttempts).await;

    let resumed_at = world.clock.now();
    world
        .store
        .set_campaign_status(
            &world.campaign,
            CampaignStatus::Paused,
            CampaignStatus::Active,
            resumed_at,
        )
        .await
        .unwrap();
    let resumed = world.store.get_campaign(&world.campaign).await.unwrap();
    assert_eq!(resumed.unwrap().pause_reason, None, "resume clears it");

    let (_, second) = runs_until_paused_by(&mut world, Guardrail::FailedAttempts).await;
    let since_resume = started_since(&world, resumed_at).await.len() as i64;
    println!(
        "first: {}; second: {}; attempts since resume: {since_resume}",
        first.message, second.message
    );
    assert!(second.at > resumed_at);
    assert!(
        second.sample <= since_resume,
        "the second window counts only calls since the resume ({since_resume}): {second:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_provider_that_keeps_refusing_calls_pauses_the_campaign() {
    let mut world = hostile_world("guard-throttled", 32, |c| {
        c.faults.rate_limited = 0.6;
        c.faults.unavailable = 0.1;
    })
    .await;
    runs_until_paused_by(&mut world, Guardrail::ProviderThrottling).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_people_opting_out_pause_the_campaign() {
    let mut world = hostile_world("guard-opt-outs", 33, |c| {
        c.outcomes = OutcomeMix {
            completed: 0.3,
            no_answer: 0.2,
            busy: 0.0,
            voicemail: 0.0,
            failed: 0.0,
            opted_out: 0.5,
            callback: 0.0,
        };
    })
    .await;
    runs_until_paused_by(&mut world, Guardrail::OptOuts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_list_full_of_do_not_call_numbers_pauses_the_campaign() {
    let mut world = hostile_world("guard-dnc", 34, |c| {
        // Two in five numbers join the DNC list after the import, before their call.
        c.dnc_additions = c
            .contacts
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 5 < 2)
            .map(|(_, contact)| (Duration::zero(), contact.phone.clone()))
            .collect();
    })
    .await;
    let (_, reason) = runs_until_paused_by(&mut world, Guardrail::DncHits).await;
    let progress_hits = world
        .store
        .counters(&world.campaign)
        .await
        .unwrap()
        .dnc_hits;
    assert!(progress_hits >= reason.count, "the counters hold every hit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_that_forgets_its_disclosures_pauses_the_campaign_and_one_that_does_not_finishes()
{
    let mut world = hostile_world("guard-disclosures", 34, |c| {
        c.reports_disclosures = true;
        c.disclosures_forgotten = 0.5;
        c.campaign.guardrails.max_missed_disclosure_percent = 20;
    })
    .await;
    let (_, reason) = runs_until_paused_by(&mut world, Guardrail::MissedDisclosures).await;
    assert!(
        reason.message.contains("missed a required disclosure"),
        "{reason:?}"
    );

    // The same campaign whose agent always discloses runs to its end, never paused.
    let mut campaign = campaign();
    campaign.guardrails.max_missed_disclosure_percent = 5;
    let contacts = contacts_in(&["212"], 60);
    let mut calm = WorldConfig::calm(
        "guard-disclosed",
        campaign,
        contacts,
        utc("2026-06-10T14:00:00Z"),
    );
    calm.reports_disclosures = true;
    let mut world = World::build(calm).await.unwrap();
    let stats = world.run().await.unwrap();
    assert!(
        stats.finished && stats.guardrail_trips.is_empty(),
        "{stats:?}"
    );
    let counters = world.store.counters(&world.campaign).await.unwrap();
    assert!(
        counters.disclosures_due >= 20,
        "judged over enough calls: {counters:?}"
    );
    assert_eq!(counters.disclosures_missed, 0);
}
