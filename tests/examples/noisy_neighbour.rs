//! The noisy neighbour at size, with and without isolation: one tenant doing its worst (a huge
//! campaign, five webhook endpoints that never answer, a flood of API requests) beside two
//! ordinary tenants, on the local runner. Prints what the ordinary tenants felt.
//!
//!   ./infra/bench.sh noisy-neighbour
//!   NOISY_LEADS=300 ORDINARY_LEADS=20 ./infra/bench.sh noisy-neighbour   (the defaults)

#[path = "support/noisy_neighbour.rs"]
mod scenario;

use local_runner::Runner;
use local_runner::measure::Isolation;
use scenario::{NOISY, ORDINARY, Report, Size, quantile};

fn env_size(name: &str, default: usize) -> anyhow::Result<usize> {
    Ok(match std::env::var(name) {
        Ok(v) => v.parse()?,
        Err(_) => default,
    })
}

/// `p50/p99/max` of `values` in seconds.
fn seconds(values: &[i64]) -> String {
    let s = |q| quantile(values, q) as f64 / 1000.0;
    format!("{:.1} / {:.1} / {:.1}", s(0.5), s(0.99), s(1.0))
}

fn row(isolation: Isolation, report: &Report) -> String {
    let ordinary: Vec<_> = ORDINARY.iter().map(|t| &report.tenants[*t]).collect();
    let all = |f: fn(&scenario::TenantFigures) -> &Vec<i64>| -> Vec<i64> {
        ordinary.iter().flat_map(|t| f(t).iter().copied()).collect()
    };
    let (answers, limited): (u64, u64) = ordinary
        .iter()
        .fold((0, 0), |(a, l), t| (a + t.api_answers, l + t.api_limited));
    let (delivered, events): (usize, usize) = ordinary.iter().fold((0, 0), |(d, e), t| {
        (d + t.webhook_delays_ms.len(), e + t.events)
    });
    let calls: usize = report.tenants.values().map(|t| t.calls).sum();
    let leads: usize = report.tenants.values().map(|t| t.leads).sum();
    format!(
        "| {isolation:?} | {} | {delivered}/{events} | {} | {answers} / {limited} / {} ms | {} | {} / {} | {} / {} | {} | {calls}/{leads} | {} s / {:.0} s |",
        seconds(&all(|t| &t.webhook_delays_ms)),
        seconds(&all(|t| &t.start_waits_ms)),
        quantile(&all(|t| &t.api_latencies_ms), 0.99),
        seconds(&report.tenants[NOISY].start_waits_ms),
        report.tenants[NOISY].dial_tries,
        report.tenants[NOISY].calls,
        report.flood_sent,
        report.flood_limited,
        report.dead_connections,
        report.virtual_seconds,
        report.real_seconds,
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() -> anyhow::Result<()> {
    let size = Size {
        noisy_leads: env_size("NOISY_LEADS", 300)?,
        ordinary_leads: env_size("ORDINARY_LEADS", 20)?,
    };
    println!(
        "noisy neighbour: {} leads beside two tenants of {}, an account of {} calls/s, {}x",
        size.noisy_leads,
        size.ordinary_leads,
        scenario::ACCOUNT_CPS,
        scenario::SPEED
    );
    println!(
        "| isolation | ordinary webhook delay p50 / p99 / max (virtual s) | ordinary events delivered | ordinary calls' wait past plan p50 / p99 / max (virtual s) | ordinary console answers / 429 / p99 latency | noisy calls' wait p50 / p99 / max | noisy dial tries / calls | noisy flood sent / 429 | dead-endpoint tries | calls / leads | run (virtual / real) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for isolation in [Isolation::On, Isolation::Off] {
        let prefix = emulator::unique_prefix("bench-neighbour");
        let runner = Runner::start(scenario::runner_config(prefix, isolation, None)).await?;
        let report = scenario::run(&runner, size).await?;
        println!("{}", row(isolation, &report));
        eprintln!("{isolation:?}:\n{}", report.summary());
        runner.shutdown().await;
    }
    Ok(())
}
