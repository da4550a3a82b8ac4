//! One tenant doing its worst never costs the others: a huge campaign wanting more of the
//! shared provider account's seconds than there are, five webhook endpoints that never answer
//! and a flood of API requests, beside two ordinary tenants. The ordinary tenants' calls go
//! out beside the huge campaign's, not after them, each of their webhook events is delivered on its first try,
//! their API answers are never a 429, and nothing is lost: every lead of every tenant is called
//! once. The delays themselves (virtual time on a real clock, so this machine's load shows in
//! them) are printed, and measured at size in BENCHMARKS.md.
//! The scenario is `tests/examples/support/noisy_neighbour.rs`; the benchmark runs it larger,
//! with and without isolation (`./infra/bench.sh noisy-neighbour`).

use engine::webhooks::guard::{OPEN_AFTER, OPEN_FOR};
use local_runner::Runner;
use local_runner::measure::Isolation;

use crate::noisy_scenario::{self as scenario, DEAD_ENDPOINTS, NOISY, ORDINARY, Size};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ordinary_tenants_keep_their_seconds_webhooks_and_api_beside_a_noisy_neighbour() {
    let mut config = scenario::runner_config(
        emulator::unique_prefix("neighbour"),
        Isolation::On,
        crate::support::table_access(),
    );
    // Half the benchmark's speed: on a loaded machine the single-threaded emulator falls
    // behind a 3x clock, and its backlog, not the isolation, then delays every tenant.
    config.speed = scenario::SPEED / 2.0;
    let runner = Runner::start(config).await.expect("the runner starts");
    let size = Size {
        noisy_leads: 120,
        ordinary_leads: 10,
    };
    let report = scenario::run(&runner, size).await.expect("the run ends");
    let summary = report.summary();
    println!("noisy neighbour:\n{summary}");

    // Nothing lost: every lead of every tenant called once (no retries in this run).
    for (tenant, figures) in &report.tenants {
        assert_eq!(figures.calls, figures.leads, "{tenant}:\n{summary}");
    }
    let noisy = &report.tenants[NOISY];
    for tenant in ORDINARY {
        let t = &report.tenants[tenant];
        // Every event delivered on its first try: none waited behind the noisy tenant's
        // endpoints (a delivery that had would carry a "not tried" or failed attempt).
        assert_eq!(t.events, t.calls, "{tenant}: one event a call");
        assert_eq!(
            t.first_try_deliveries, t.events,
            "{tenant}: {:#?}\n{summary}",
            t.retried
        );
        // Its calls went out beside the huge campaign's, not after it: most of them had
        // started before the noisy tenant's last call. (That each gets its share of every
        // second is proved on the virtual clock, where this machine's load cannot blur it:
        // `tests/dispatch/fair_share.rs`.)
        assert_eq!(t.start_waits_ms.len(), t.calls, "{tenant}: every plan seen");
        assert!(t.call_at_p50 < noisy.last_call_at, "{tenant}:\n{summary}");
        // The console was answered, never refused for another tenant's requests.
        assert!(t.api_answers > 0, "{tenant}'s console got answers");
        assert_eq!(t.api_limited, 0, "{tenant}'s console got a 429:\n{summary}");
    }
    // The noisy tenant met its own limits: its flood refused, its dead endpoints dropped once
    // their circuits opened (a probe every OPEN_FOR after).
    assert!(report.flood_limited > 0, "{summary}");
    let probes = report.virtual_seconds / OPEN_FOR.num_seconds() + 1;
    let bound = DEAD_ENDPOINTS as u64 * (u64::from(OPEN_AFTER) + 1 + probes as u64);
    assert!(
        report.dead_connections <= bound,
        "{} tries of dead endpoints (bound {bound})",
        report.dead_connections
    );
    crate::support::shutdown(runner).await;
}
