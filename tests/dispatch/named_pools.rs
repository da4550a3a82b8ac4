//! Named caller pools: an agent or a campaign calls from a pool of the tenant's numbers by
//! name. The pool replaces the agent's own numbers, a campaign's pool wins over its agent's,
//! a change to the pool reaches the next dial, and a pool that is gone pauses the campaign
//! without spending an attempt — never a call from a number outside the pool.

use chrono::Duration;
use domain::agent::CallerNumberText;
use domain::caller_pool::{CallerPool, CallerPoolSpec};
use domain::ids::AgentId;
use domain::phone::E164;
use domain::status::CampaignStatus;
use ports::Clock;
use ports::store::{AgentRecord, Agents, CallerNumbers, TenantPolicies};
use system_tests::World;
use system_tests::world::{WorldConfig, contacts_in};

use crate::scenarios::{all_week, dial_message_now, noon, noon_world, spec};

const DEFAULT: &str = "+14155552671";
const NEW_YORK: &str = "+12125550100";
const CHICAGO: &str = "+13125550104";
const LOS_ANGELES: &str = "+12135550100";

fn pool(numbers: &[&str]) -> CallerPool {
    let spec = CallerPoolSpec {
        numbers: numbers.iter().map(|n| CallerNumberText::from(*n)).collect(),
        default: None,
        limits: None,
        health: None,
    };
    spec.parse(|_| true).unwrap()
}

/// Registers every number above for the world's tenant, keeps `pools` on it, and makes the
/// agent call from the pool `agent_pool` (its own pool emptied).
async fn with_pools(world: &World, pools: &[(&str, &[&str])], agent_pool: &str) {
    let tenant = world.campaign.tenant.clone();
    let registered: Vec<E164> = [DEFAULT, NEW_YORK, CHICAGO, LOS_ANGELES]
        .iter()
        .map(|n| E164::parse_strict(n).unwrap())
        .collect();
    let countries = ["US".to_owned()];
    let store = &world.store;
    assert!(
        store
            .set_tenant_policy(&tenant, &registered, &countries)
            .await
            .unwrap()
    );
    for (name, numbers) in pools {
        assert!(
            store
                .put_caller_pool(&tenant, name, &pool(numbers), 20)
                .await
                .unwrap()
        );
    }
    let id = AgentId::parse("agent-1").unwrap();
    let mut agent: AgentRecord = store.get_agent(&tenant, &id).await.unwrap().unwrap();
    agent.spec.caller_pool = Vec::new();
    agent.spec.named_pool = Some(agent_pool.to_owned());
    store.put_agent(&agent, Some(agent.version)).await.unwrap();
}

/// Every attempt's caller number and reason, with its contact's area code.
async fn attempts(world: &World) -> Vec<(String, String, Option<String>)> {
    let mut seen = Vec::new();
    for lead in world.leads().await.unwrap() {
        for record in &lead.state.log {
            let clearance = record.clearance.as_ref().expect("every attempt is cleared");
            seen.push((
                lead.contact.phone.as_str()[2..5].to_owned(),
                clearance.caller_number.clone(),
                clearance.caller_reason.clone(),
            ));
        }
    }
    seen
}

fn world_config(label: &str, campaign_pool: Option<&str>) -> WorldConfig {
    let mut campaign = serde_json::json!({
        "name": label,
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "retry": { "max_retries": 0 }
    });
    if let Some(name) = campaign_pool {
        campaign["named_pool"] = serde_json::json!(name);
    }
    let contacts = contacts_in(&["212", "312", "808"], 6);
    WorldConfig::calm(label, spec(campaign), contacts, noon())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_naming_a_pool_calls_from_the_pools_nearest_number_never_its_own() {
    let mut world = World::build(world_config("named-pool-agent", None))
        .await
        .unwrap();
    with_pools(&world, &[("east", &[NEW_YORK, CHICAGO])], "east").await;
    let stats = world.run().await.unwrap();
    assert!(stats.finished, "{stats:?}");
    let seen = attempts(&world).await;
    assert!(seen.len() >= 6, "every lead at least once: {seen:?}");
    for (area, from, why) in seen {
        let (want, reason) = match area.as_str() {
            "212" => (NEW_YORK, "same area code 212"),
            "312" => (CHICAGO, "same area code 312"),
            // Honolulu: nothing near, so the pool's default (its first number), not the
            // agent's own San Francisco number.
            _ => (NEW_YORK, "the pool's default"),
        };
        assert_eq!(
            (from.as_str(), why.as_deref()),
            (want, Some(reason)),
            "{area}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_campaigns_pool_wins_over_its_agents_pool() {
    let config = world_config("named-pool-campaign", Some("west"));
    let mut world = World::build(config).await.unwrap();
    let pools: [(&str, &[&str]); 2] = [("east", &[NEW_YORK, CHICAGO]), ("west", &[LOS_ANGELES])];
    with_pools(&world, &pools, "east").await;
    let stats = world.run().await.unwrap();
    assert!(stats.finished, "{stats:?}");
    let seen = attempts(&world).await;
    assert!(seen.len() >= 6, "{seen:?}");
    assert!(
        seen.iter().all(|(_, from, _)| from == LOS_ANGELES),
        "{seen:?}"
    );
}

/// The message the tick sends for a lead of an agent calling from the pool `east`.
async fn pooled(
    world: &World,
    lead: domain::lead::Lead,
    at: chrono::DateTime<chrono::Utc>,
) -> engine::messages::DialMessage {
    let mut message = dial_message_now(world, lead, at).await;
    message.call.named_pool = Some("east".into());
    message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pool_changed_reaches_the_next_dial_and_a_pool_gone_pauses_unspent() {
    let world = noon_world("named-pool-change", 3).await;
    with_pools(&world, &[("east", &[NEW_YORK])], "east").await;
    assert_eq!(
        world.engine.tick(&world.campaign).await.unwrap().enqueued,
        3
    );
    let leads = world.leads().await.unwrap();
    let message = |i: usize, at| pooled(&world, leads[i].clone(), at);
    world.engine.dial(&message(0, noon()).await).await.unwrap();
    let tenant = world.campaign.tenant.clone();
    // The pool now holds another number; the dialers' cached tenant lapses.
    (world
        .store
        .put_caller_pool(&tenant, "east", &pool(&[CHICAGO]), 20)
        .await)
        .unwrap();
    world.clock.set(noon() + Duration::seconds(31));
    world
        .engine
        .dial(&message(1, world.clock.now()).await)
        .await
        .unwrap();
    let from: Vec<String> = (world.simulator.calls().iter())
        .map(|c| c.from.to_string())
        .collect();
    assert_eq!(from, [NEW_YORK, CHICAGO]);

    // The pool is removed under a running campaign: it pauses and says why; no call.
    assert!(
        world
            .store
            .remove_caller_pool(&tenant, "east")
            .await
            .unwrap()
    );
    world.clock.set(noon() + Duration::seconds(62));
    world
        .engine
        .dial(&message(2, world.clock.now()).await)
        .await
        .unwrap();
    assert_eq!(world.simulator.calls().len(), 2, "no call without its pool");
    let record = world.record().await.unwrap();
    assert_eq!(record.status, CampaignStatus::Paused);
    let reason = record.pause_reason.expect("the pause says why");
    assert!(reason.message.contains("'east'"), "{reason:?}");
    let lead = (world.leads().await.unwrap().into_iter())
        .find(|l| l.id == leads[2].id)
        .unwrap();
    assert_eq!(lead.state.attempts, 0, "no attempt spent: {lead:?}");
}
