//! A caller number is the tenant's only while it is registered for it: one withdrawn while a
//! campaign runs stops being used within the dialers' cache, without spending a contact's
//! attempt, and the campaign pauses saying why. An agent with a pool calls each contact from the
//! nearest of its registered numbers, and each attempt's clearance says which and why.

use chrono::Duration;
use domain::status::{CampaignStatus, LeadStatus};
use ports::Clock;
use ports::store::TenantPolicies;

use domain::caller_limits::CallerLimits;
use domain::ids::AgentId;
use domain::phone::E164;
use ports::store::{AgentRecord, Agents};
use system_tests::World;
use system_tests::world::{WorldConfig, contacts_in};

use crate::scenarios::{all_week, dial_message_now, noon, noon_world, spec};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_caller_number_withdrawn_mid_campaign_places_no_more_calls_and_pauses_it() {
    let world = noon_world("caller-withdrawn", 2).await;
    assert_eq!(
        world.engine.tick(&world.campaign).await.unwrap().enqueued,
        2
    );
    let leads = world.leads().await.unwrap();
    let first = dial_message_now(&world, leads[0].clone(), noon()).await;
    world.engine.dial(&first).await.unwrap();
    assert_eq!(
        world.simulator.calls().len(),
        1,
        "the number was the tenant's"
    );

    // The operators give the number up; the dialers' cached terms lapse.
    let tenant = &world.campaign.tenant;
    assert!(
        world
            .store
            .set_tenant_policy(tenant, &[], &["US".into()])
            .await
            .unwrap()
    );
    world.clock.set(noon() + Duration::seconds(31));
    let second = dial_message_now(&world, leads[1].clone(), noon()).await;
    world.engine.dial(&second).await.unwrap();

    assert_eq!(
        world.simulator.calls().len(),
        1,
        "no call from a withdrawn number"
    );
    let record = world.record().await.unwrap();
    assert_eq!(record.status, CampaignStatus::Paused);
    let reason = record.pause_reason.expect("the pause says why");
    assert!(reason.message.contains("+14155552671"), "{reason:?}");
    let lead = (world.leads().await.unwrap().into_iter())
        .find(|l| l.id == leads[1].id)
        .unwrap();
    assert_eq!(lead.state.status, LeadStatus::Pending);
    assert_eq!(lead.state.attempts, 0, "no attempt spent");
    assert!(world.clock.now() > noon());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_call_goes_out_from_the_pools_nearest_registered_number_and_says_why() {
    let campaign = spec(serde_json::json!({
        "name": "Local presence",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "retry": { "max_retries": 0 }
    }));
    let contacts = contacts_in(&["212", "312", "808"], 6);
    let config = WorldConfig::calm("local-presence", campaign, contacts, noon());
    let mut world = World::build(config).await.unwrap();
    // The agent calls from San Francisco by default, with a New York and a Chicago number.
    let (default, new_york, chicago) = ("+14155552671", "+12125550100", "+13125550104");
    let tenant = world.campaign.tenant.clone();
    let registered: Vec<E164> = [default, new_york, chicago]
        .iter()
        .map(|n| E164::parse_strict(n).unwrap())
        .collect();
    let countries = ["US".to_owned()];
    assert!(
        world
            .store
            .set_tenant_policy(&tenant, &registered, &countries)
            .await
            .unwrap()
    );
    let id = AgentId::parse("agent-1").unwrap();
    let mut agent: AgentRecord = world.store.get_agent(&tenant, &id).await.unwrap().unwrap();
    agent.spec.caller_pool = vec![new_york.into(), chicago.into()];
    world
        .store
        .put_agent(&agent, Some(agent.version))
        .await
        .unwrap();

    let stats = world.run().await.unwrap();
    assert!(stats.finished, "{stats:?}");
    let mut seen = 0;
    for lead in world.leads().await.unwrap() {
        for record in &lead.state.log {
            let clearance = record.clearance.as_ref().expect("every attempt is cleared");
            let area = &lead.contact.phone.as_str()[2..5];
            let (from, why) = match area {
                "212" => (new_york, "same area code 212".to_owned()),
                "312" => (chicago, "same area code 312".to_owned()),
                // Honolulu: nothing near, so the pool's default.
                _ => (default, "the pool's default".to_owned()),
            };
            assert_eq!(clearance.caller_number, from, "{lead:?}");
            assert_eq!(clearance.caller_reason.as_deref(), Some(why.as_str()));
            seen += 1;
        }
    }
    // Every lead at least once (a callback the simulated person asks for is a second call).
    assert!(seen >= 6, "{seen} attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_number_at_its_limit_is_skipped_for_the_next_and_a_full_pool_waits_unspent() {
    let world = noon_world("caller-limits", 3).await;
    let (default, new_york) = ("+14155552671", "+12125550100");
    let numbers: Vec<E164> = [default, new_york]
        .iter()
        .map(|n| E164::parse_strict(n).unwrap())
        .collect();
    let tenant = &world.campaign.tenant;
    let countries = ["US".to_owned()];
    assert!(
        (world.store.set_tenant_policy(tenant, &numbers, &countries))
            .await
            .unwrap()
    );
    let limits = CallerLimits {
        per_hour: 1,
        per_day: 2,
    };
    let pool = vec![numbers[1].clone()];
    let message = |lead, at| {
        let (world, pool) = (&world, pool.clone());
        async move {
            let mut message = dial_message_now(world, lead, at).await;
            message.call.pool = pool;
            message.call.limits = limits;
            message
        }
    };
    assert_eq!(
        world.engine.tick(&world.campaign).await.unwrap().enqueued,
        3
    );
    let leads = world.leads().await.unwrap();
    for lead in &leads {
        world
            .engine
            .dial(&message(lead.clone(), noon()).await)
            .await
            .unwrap();
    }
    // New York first (the contacts are in 212), then, New York at its hour's limit, the
    // default; the third waits for the next hour, its attempt unspent.
    let from: Vec<String> = (world.simulator.calls().iter())
        .map(|c| c.from.to_string())
        .collect();
    assert_eq!(from, [new_york, default]);
    let waiting = (world.leads().await.unwrap().into_iter())
        .find(|l| l.id == leads[2].id)
        .unwrap();
    assert_eq!(waiting.state.attempts, 0, "no attempt spent");
    let next_hour = noon() + Duration::hours(1);
    assert_eq!(waiting.state.due().map(|(_, at)| at), Some(next_hour));

    // In the next hour New York has room again (one call of its two a day).
    world.clock.set(next_hour);
    assert_eq!(
        world.engine.tick(&world.campaign).await.unwrap().enqueued,
        1
    );
    let waiting = (world.leads().await.unwrap().into_iter())
        .find(|l| l.id == leads[2].id)
        .unwrap();
    world
        .engine
        .dial(&message(waiting, next_hour).await)
        .await
        .unwrap();
    let calls = world.simulator.calls();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[2].from.as_str(), new_york);
}
