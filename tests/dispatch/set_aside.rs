//! One bad item never holds a campaign open: lead items damaged as a bad migration leaves them
//! (`status` and `state` overwritten), in Draft and while the campaign runs under fire, are set
//! aside; they leave every count they were in, are never called, and the campaign completes
//! with counters that equal what the readable leads say.

use chrono::Duration;
use domain::status::{CampaignStatus, LeadStatus};
use ports::store::{Counters, Quarantine, QuarantineOwner};
use system_tests::World;
use system_tests::world::{Damage, WorldConfig, contacts_in};

use crate::scenarios::{all_week, run_and_check, spec, utc};

const LEADS: usize = 30;

fn damage(at: Option<i64>, status: &'static str) -> Damage {
    Damage {
        at: at.map(Duration::minutes),
        victim: LeadStatus::Pending,
        status,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn leads_damaged_in_draft_and_while_active_are_set_aside_and_the_campaign_completes() {
    let campaign = spec(serde_json::json!({
        "name": "Set aside",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        // One call a minute: leads are still waiting their turn when the damage comes.
        "pacing": { "max_concurrent_calls": 4, "calls_per_hour": 60 },
        "retry": { "max_retries": 1, "delay_minutes": 20, "retry_on": ["no_answer", "busy"] }
    }));
    let contacts = contacts_in(&["212", "312", "213"], LEADS);
    let mut config =
        WorldConfig::calm("set-aside", campaign, contacts, utc("2026-06-10T15:00:00Z")).hostile();
    // Room for a lead's whole life: a callback may be asked for up to 48 h ahead on each call.
    config.max_virtual = Duration::days(8);
    // A word that is no status, and a status that lies, in Draft and twice while Active.
    config.damage = vec![
        damage(None, "migrated"),
        damage(None, "completed"),
        damage(Some(10), "garbage"),
        damage(Some(10), "completed"),
        damage(Some(15), "skipped"),
    ];
    let damaged = config.damage.len();
    let (world, stats, findings) = run_and_check(World::build(config).await.unwrap()).await;

    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    assert_eq!(
        world.damaged.len(),
        damaged,
        "every planned damage happened"
    );
    assert!(stats.finished, "the campaign drained: {stats:?}");
    assert_eq!(world.status().await.unwrap(), CampaignStatus::Completed);

    // They left every count: only the readable leads are counted, none open.
    let counters = world.store.counters(&world.campaign).await.unwrap();
    assert_eq!(counters.quarantined, damaged as i64);
    assert_eq!(counters.total(), (LEADS - damaged) as i64, "{counters:?}");
    assert_eq!(
        (counters.open(), counters.in_flight),
        (0, 0),
        "{counters:?}"
    );
    assert_eq!(world.leads().await.unwrap().len(), LEADS - damaged);

    // Listed once each, never called.
    let listed = (world.store)
        .quarantined(QuarantineOwner::Campaign(&world.campaign))
        .await
        .unwrap();
    assert_eq!(listed.len(), damaged, "{listed:?}");
    let called: Vec<_> = world.simulator.calls().into_iter().map(|c| c.to).collect();
    for lead in &world.damaged {
        assert!(
            listed
                .iter()
                .any(|item| item.key.ends_with(lead.id.as_str())),
            "{} is listed",
            lead.id
        );
        assert!(
            !called.contains(&lead.contact.phone),
            "{} was called",
            lead.id
        );
    }
}
