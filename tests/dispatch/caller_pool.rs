//! A pool of caller numbers under fire: many dialers, duplicate deliveries, crashes and
//! provider faults, and one number the network labels "Spam Likely" (the simulator's answer
//! model: nobody picks up a call from it). The checker proves that no number starts more calls
//! per hour or day than its limits allow, the health rule rests the labelled number (once, with
//! its event), no call goes out from it while it rests, and the campaign's answer rate recovers.

use adapters::voice::simulator::{AnswerModel, SimulatedCall};
use domain::caller_health::{HealthRule, answered};
use domain::caller_limits::CallerLimits;
use domain::phone::E164;
use ports::store::{Tenants, WebhookEvents};
use system_tests::World;
use system_tests::world::{WorldConfig, contacts_in};

use crate::scenarios::{all_week, run_and_check, scale, spec, utc};

/// Two New York numbers beside the agent's San Francisco default; the second is labelled.
const CLEAN: &str = "+12125550101";
const LABELLED: &str = "+12125550102";

fn number(text: &str) -> E164 {
    E164::parse_strict(text).unwrap()
}

/// The share of `calls` a person picked up.
fn answer_rate<'a>(calls: impl Iterator<Item = &'a SimulatedCall>) -> f64 {
    let (mut n, mut yes) = (0.0, 0.0);
    for call in calls {
        n += 1.0;
        yes += f64::from(u8::from(answered(call.report.outcome)));
    }
    yes / f64::max(n, 1.0)
}

/// The hostile world: a campaign of New York contacts, a pool with one labelled number.
fn pool_world(limits: CallerLimits) -> WorldConfig {
    let campaign = spec(serde_json::json!({
        "name": "Pool",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "pacing": { "max_concurrent_calls": 6, "calls_per_hour": 2000 },
        "retry": { "max_retries": 1, "delay_minutes": 30, "retry_on": ["no_answer", "busy"] },
        "call_handling": { "max_call_seconds": 300 }
    }));
    let mut config = WorldConfig::calm(
        "caller-pool",
        campaign,
        contacts_in(&["212"], scale(100)),
        utc("2026-06-10T13:00:00Z"),
    )
    .hostile();
    config.caller_pool = vec![number(CLEAN), number(LABELLED)];
    config.caller_limits = limits;
    config.caller_health = HealthRule {
        min_calls: 20,
        below_percent: 50,
        rest_hours: 24,
    };
    config.answers = AnswerModel {
        labelled: vec![number(LABELLED)],
        labelled_answer: 0.0,
        ..AnswerModel::default()
    };
    config.webhook_outbox = true;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_labelled_number_is_rested_and_the_pool_keeps_its_limits_under_fire() {
    let limits = CallerLimits {
        per_hour: 20,
        per_day: 120,
    };
    let config = pool_world(limits);
    let (world, stats, findings) = run_and_check(World::build(config).await.unwrap()).await;
    assert!(stats.finished, "the campaign drained: {stats:?}");
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    // The limits bound: the busiest number used its whole hour, and no more.
    assert_eq!(
        findings.figures["peak_calls_per_number_hour"],
        i64::from(limits.per_hour)
    );

    let tenant = world
        .store
        .get_tenant(&world.campaign.tenant)
        .await
        .unwrap()
        .unwrap();
    let rest = tenant
        .rested
        .get(LABELLED)
        .expect("the labelled number rests");
    assert!(
        !rest.by_hand && rest.reason.contains("answered"),
        "{rest:?}"
    );
    assert_eq!(
        tenant.rested.len(),
        1,
        "only the labelled number: {:?}",
        tenant.rested
    );
    let calls = world.simulator.calls();
    let during_rest = (calls.iter())
        .filter(|c| c.from.as_str() == LABELLED && rest.holds_at(c.placed_at))
        .count();
    assert_eq!(during_rest, 0, "no call from a resting number");

    let before = answer_rate(calls.iter().filter(|c| c.placed_at < rest.since));
    let after = answer_rate(calls.iter().filter(|c| c.placed_at >= rest.since));
    let labelled = answer_rate(calls.iter().filter(|c| c.from.as_str() == LABELLED));
    println!(
        "answer rate: before the rest {before:.3}, after {after:.3}, the labelled number {labelled:.3}; calls {}",
        calls.len()
    );
    assert!(
        after > before,
        "the answer rate recovers: {before:.3} -> {after:.3}"
    );
    assert_eq!(labelled, 0.0);
    let events = (world.store)
        .recent_events(&world.campaign.tenant, 10_000)
        .await
        .unwrap();
    let told = (events.iter())
        .filter(|(e, _)| e.kind == domain::webhooks::EventType::CallerNumberRested)
        .count();
    assert_eq!(told, 1, "one caller_number.rested event");
}

/// One calm world of New York, Chicago and Los Angeles contacts called from `pool` (beside the
/// San Francisco default), where people answer a distant number half as often and never a
/// labelled one; the answer rate over every call.
async fn answer_rate_of(label: &str, pool: &[&str], health: HealthRule) -> f64 {
    let campaign = spec(serde_json::json!({
        "name": label,
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "pacing": { "max_concurrent_calls": 20, "calls_per_hour": 5000 },
        "retry": { "max_retries": 0 },
        "call_handling": { "max_call_seconds": 300 }
    }));
    let contacts = contacts_in(&["212", "312", "213"], scale(120));
    let mut config = WorldConfig::calm(label, campaign, contacts, utc("2026-06-10T13:00:00Z"));
    config.caller_pool = pool.iter().map(|n| number(n)).collect();
    config.caller_health = health;
    config.answers = AnswerModel {
        distant: 0.5,
        labelled: vec![number(LABELLED)],
        labelled_answer: 0.0,
    };
    let mut world = World::build(config).await.unwrap();
    let stats = world.run().await.unwrap();
    assert!(stats.finished, "{label}: {stats:?}");
    answer_rate(world.simulator.calls().iter())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_presence_and_the_health_rule_each_raise_the_answer_rate() {
    let never = HealthRule {
        min_calls: 10_000,
        ..HealthRule::default()
    };
    let judged = HealthRule {
        min_calls: 10,
        ..HealthRule::default()
    };
    let local = [CLEAN, LABELLED, "+13125550101", "+12135550101"];
    let one = answer_rate_of("answers-one-number", &[], never).await;
    let pool = answer_rate_of("answers-pool", &local, never).await;
    let rested = answer_rate_of("answers-pool-health", &local, judged).await;
    println!(
        "answer rate: one distant number {one:.3}, a local pool with a labelled number {pool:.3}, the same with the health rule {rested:.3}"
    );
    // Local presence doubles the answers from a distant number's; the labelled number's
    // calls are lost until the rule rests it.
    assert!(pool > one, "{one:.3} -> {pool:.3}");
    assert!(rested > one, "{one:.3} -> {rested:.3}");
}
