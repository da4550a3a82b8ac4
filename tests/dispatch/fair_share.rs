//! No tenant can take a shared provider account's seconds from the others: one tenant with a
//! huge campaign that alone fills the account's calls per second, beside two tenants with small
//! campaigns, on one account, under every fault. The small tenants' calls start within a few
//! seconds of when they were planned (their share of each second is theirs), the huge tenant
//! still gets what they leave (the account's seconds are not left idle), and every campaign
//! keeps its promises. `FAIR_HUGE_LEADS` scales the huge campaign (the figure in BENCHMARKS.md).

use std::collections::BTreeMap;

use adapters::voice::simulator::OutcomeMix;
use ports::Clock;
use system_tests::promises::{self, Observed};
use system_tests::world::contacts_in;
use system_tests::{World, WorldConfig};

use crate::scenarios::{all_week, spec, utc};

/// Leads of each small tenant.
const SMALL_LEADS: usize = 20;

/// The account's calls per second.
const CPS: u32 = 2;

fn campaign(name: &str, max_concurrent: u32) -> domain::config::CampaignSpec {
    spec(serde_json::json!({
        "name": name,
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "pacing": { "max_concurrent_calls": max_concurrent, "calls_per_hour": 20000 },
        "retry": { "max_retries": 0 },
        "call_handling": { "max_call_seconds": 300 }
    }))
}

/// The `q` quantile (0..=1) of `values`, which must not be empty.
fn quantile(values: &[i64], q: f64) -> i64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn small_tenants_get_their_share_of_the_accounts_seconds_beside_a_huge_one() {
    // A tick spreads what it leases over its minute: each of the huge tenant's two campaigns
    // plans 75 calls in the first minute, together 2.5 a second on an account that starts 2.
    // Every number is in New York, where the window is open from the start.
    let huge_leads: usize = std::env::var("FAIR_HUGE_LEADS").map_or(75, |v| v.parse().unwrap());
    let mut config = WorldConfig::calm(
        "fair-share",
        campaign("Huge", 1000),
        contacts_in(&["212", "917"], huge_leads),
        utc("2026-06-10T13:00:00Z"),
    )
    .hostile();
    config.siblings = vec![(
        campaign("Huge too", 1000),
        contacts_in(&["347"], huge_leads),
    )];
    config.calls_per_second = CPS;
    // No crashes (one between a tick's lease and enqueue holds leads two minutes: the huge
    // tenant's demand must stay steady; crashes are the other hostile worlds' business).
    config.crash_probability = 0.0;
    // One copy of each message: every copy of a waiting lead would try for the same tokens.
    config.copies = 1;
    config.other_tenants = vec![
        (campaign("Small A", 10), contacts_in(&["646"], SMALL_LEADS)),
        (campaign("Small B", 10), contacts_in(&["718"], SMALL_LEADS)),
    ];
    config.outcomes = OutcomeMix {
        completed: 0.6,
        no_answer: 0.2,
        busy: 0.1,
        voicemail: 0.1,
        failed: 0.0,
        opted_out: 0.0,
        callback: 0.0,
    };
    let mut world = World::build(config).await.unwrap();
    let stats = world.run().await.expect("the run completes");
    assert!(stats.finished, "every campaign drained: {stats:?}");
    every_campaign_keeps_its_promises(&world).await;

    // The account's seconds while the huge tenant had calls waiting: from its first start to
    // the one by which 95% of its calls had started (the rest are retries and stragglers).
    let calls = world.simulator.calls();
    let huge_starts: Vec<i64> = (calls.iter())
        .filter(|c| c.reference.campaign.tenant == world.campaign.tenant)
        .map(|c| c.placed_at.timestamp())
        .collect();
    let (first, last) = (&quantile(&huge_starts, 0.0), &quantile(&huge_starts, 0.95));
    let mut per_second: BTreeMap<i64, u32> = BTreeMap::new();
    for call in &calls {
        *per_second.entry(call.placed_at.timestamp()).or_default() += 1;
    }
    let busy = (*first..=*last)
        .filter(|s| per_second.get(s) == Some(&CPS))
        .count();
    let used = busy as f64 / (*last - *first + 1) as f64;
    let waits = &stats.start_waits;
    println!(
        "fair share: huge {} calls, 95% of them over {} s, {:.0}% of those seconds used to the account's limit; {} dial deliveries in all; waits (ms) p50/p95/max: {}",
        huge_starts.len(),
        last - first + 1,
        used * 100.0,
        stats.dial_deliveries,
        describe(waits)
    );
    for small in ["tenant-2", "tenant-3"] {
        let w = &waits[small];
        assert!(w.len() >= SMALL_LEADS * 3 / 4, "{small} called: {w:?}");
        // Its share of each second is its own: a call waits a few seconds at most past its
        // plan, whatever the huge tenant queued (44 s in this world without the shares).
        assert!(quantile(w, 1.0) <= 5_000, "{small} waited: {w:?}");
    }
    // The huge tenant, alone above its share, waits: what shows the account was contended.
    assert!(quantile(&waits["tenant-1"], 0.95) > 3_000, "{waits:?}");
    // Work-conserving: what the small tenants leave of a second goes to the huge one. A hard cap
    // at its share (1 of 2 a second) would reach the limit only in the seconds the small tenants
    // also dial; lending fills most (over 75% on a quiet machine, 72% in one loaded CI run).
    assert!(used >= 0.5, "{:.0}% of the seconds used", used * 100.0);
}

/// Checks each campaign's promises on its own calls.
pub(crate) async fn every_campaign_keeps_its_promises(world: &World) {
    for (campaign, config) in std::iter::once((&world.campaign, &world.config))
        .chain(world.siblings.iter().map(|(c, config)| (c, config)))
    {
        let observed = Observed {
            store: &world.store,
            campaign,
            config,
            simulator: &world.simulator,
            now: world.clock.now(),
            dnc_added: &world.dnc_added,
            erased: &[],
        };
        let findings = promises::check_observed(observed, true).await.unwrap();
        assert!(
            findings.violations.is_empty(),
            "{campaign}: {:#?}",
            findings.violations
        );
    }
}

/// Each tenant's waits: p50/p95/max and the calls counted.
fn describe(waits: &BTreeMap<String, Vec<i64>>) -> String {
    let each = waits.iter().map(|(t, w)| {
        let q = |p| quantile(w, p);
        format!("{t} {}/{}/{} ({} calls)", q(0.5), q(0.95), q(1.0), w.len())
    });
    each.collect::<Vec<_>>().join(", ")
}
