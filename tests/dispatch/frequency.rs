//! Frequency caps per number across campaigns: two campaigns of one tenant calling the same
//! numbers at once, under every fault, never call a number more often than the tenant's caps
//! (per local day, per 7 days) or a state's 24-hour cap allow, counted over both.

use adapters::voice::simulator::OutcomeMix;
use domain::contact_caps::ContactCaps;
use domain::status::CampaignStatus;
use ports::Clock;
use ports::store::{Campaigns, Leads, TenantPolicies};
use system_tests::frequency::frequency_caps_hold;
use system_tests::promises::{self, Observed};
use system_tests::world::contacts_in;
use system_tests::{World, WorldConfig};

use crate::scenarios::{all_week, spec, utc};

fn campaign(name: &str) -> domain::config::CampaignSpec {
    spec(serde_json::json!({
        "name": name,
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "pacing": { "max_concurrent_calls": 8, "calls_per_hour": 300 },
        "retry": { "max_retries": 2, "delay_minutes": 20, "retry_on": ["no_answer", "busy", "voicemail"] },
        "call_handling": { "max_call_seconds": 300 }
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_campaigns_sharing_numbers_never_exceed_the_tenants_caps_under_faults() {
    // Both campaigns call the same 20 numbers (New York, Chicago, Florida with its 3-in-24-hours
    // rule, Hawaii); the second also 6 of its own. Most calls go unanswered, so each campaign
    // alone wants three calls per number within the hour: six in all, over a cap of 2 a day
    // and 5 in 7 days.
    let shared = contacts_in(&["212", "312", "305", "808"], 20);
    let mut own = shared.clone();
    own.extend(contacts_in(&["213"], 26).into_iter().skip(20));
    let mut config = WorldConfig::calm(
        "caps",
        campaign("First"),
        shared,
        utc("2026-06-10T13:00:00Z"),
    )
    .hostile();
    config.siblings = vec![(campaign("Second"), own)];
    config.crash_probability = 0.02;
    config.max_virtual = chrono::Duration::days(21);
    config.outcomes = OutcomeMix {
        completed: 0.1,
        no_answer: 0.6,
        busy: 0.1,
        voicemail: 0.2,
        failed: 0.0,
        opted_out: 0.0,
        callback: 0.0,
    };
    let mut world = World::build(config).await.unwrap();
    let caps = ContactCaps {
        per_local_day: 2,
        per_7_days: 5,
    };
    assert!(
        world
            .store
            .set_contact_caps(&world.campaign.tenant, caps)
            .await
            .unwrap()
    );

    let stats = world.run().await.expect("the run completes");
    println!("stats: {stats:#?}");
    assert!(stats.finished, "both campaigns drained: {stats:?}");
    let leads = every_campaign_keeps_its_promises(&world).await;
    let found = frequency_caps_hold(&world.simulator.calls(), &leads, caps);
    println!(
        "calls: {}, cap deferrals: {}, numbers at a day's cap: {}, numbers called by both: {}",
        world.simulator.calls().len(),
        stats
            .dial_outcomes
            .get("frequency cap: deferred")
            .copied()
            .unwrap_or(0),
        found.numbers_at_day_cap,
        found.numbers_shared
    );
    assert!(found.violations.is_empty(), "{:#?}", found.violations);
    // The caps were pressed, not merely never approached.
    assert!(found.numbers_shared >= 10, "{found:?}");
    assert!(found.numbers_at_day_cap > 0, "{found:?}");
    assert!(
        stats
            .dial_outcomes
            .get("frequency cap: deferred")
            .copied()
            .unwrap_or(0)
            > 0,
        "{stats:?}"
    );
    assert!(
        stats.dial_outcomes.get("lease lost").copied().unwrap_or(0) > 0,
        "{stats:?}"
    );
}

/// Checks each campaign's promises on its own calls; every campaign's leads.
async fn every_campaign_keeps_its_promises(world: &World) -> Vec<domain::lead::Lead> {
    let mut leads = Vec::new();
    for c in world.campaigns() {
        let config = if *c == world.campaign {
            &world.config
        } else {
            &world.siblings[0].1
        };
        let findings = promises::check_observed(
            Observed {
                store: &world.store,
                campaign: c,
                config,
                simulator: &world.simulator,
                now: world.clock.now(),
                dnc_added: &world.dnc_added,
                erased: &[],
            },
            true,
        )
        .await
        .unwrap();
        assert!(
            findings.violations.is_empty(),
            "{c}: {:#?}",
            findings.violations
        );
        let status = world.store.get_campaign(c).await.unwrap().unwrap().status;
        assert_eq!(status, CampaignStatus::Completed, "{c}");
        leads.extend(world.store.all_leads(c).await.unwrap());
    }
    leads
}
