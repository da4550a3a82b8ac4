//! Launch → first create-call request, as a new user feels it: the local runner at 1× (real
//! time), a fresh campaign of five New York contacts each time, 20 launches; the time from
//! sending the launch request to the simulated network receiving the campaign's first call.
//! Launch runs the campaign's first tick in the request, so this is not "the next minute".
//!
//!   ./infra/bench.sh first-call

use std::time::{Duration, Instant};

use campaigns_cli::ApiClient;
use chrono::{DateTime, Utc};
use local_runner::{Runner, RunnerConfig};
use serde_json::json;

/// Five New York contacts for launch `n`, numbers no other launch uses: the tenant's
/// frequency caps count calls to a number across all its campaigns, so reusing the numbers
/// would have the later launches refused by the caps rather than measured.
fn contacts(n: usize) -> Vec<u8> {
    let mut csv = String::from("phone,name\n");
    for i in 0..5 {
        csv.push_str(&format!("+1212555{:04},Contact {i}\n", 1000 + n * 5 + i));
    }
    csv.into_bytes()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() -> anyhow::Result<()> {
    let start: DateTime<Utc> = "2026-06-10T16:00:00Z".parse()?; // noon in New York, a Wednesday
    let runner = Runner::start(RunnerConfig {
        port: 0,
        speed: 1.0,
        start_at: start,
        simulator: adapters::voice::simulator::SimulatorConfig::new(7, "bench-secret"),
        dialers: 4,
        prefix: emulator::unique_prefix("first-call"),
        tenant_requests_per_second: None,
        table_access: None,
        isolation: Default::default(),
        provider: Default::default(),
    })
    .await?;
    let key = local_runner::demo::demo_tenant(&runner, "bench").await?;
    let api = ApiClient::new(&runner.base_url, &key);
    let mut samples = Vec::new();
    for n in 0..20 {
        let now = ports::Clock::now(runner.clock.as_ref());
        let (id, _) = local_runner::demo::prepare(&api, "simulator", &contacts(n), now).await?;
        let before = runner.simulator.calls().len();
        let sent = Instant::now();
        api.post(&format!("/v1/campaigns/{id}/launch"), &json!({}))
            .await?;
        loop {
            let calls = runner.simulator.calls();
            if calls[before..]
                .iter()
                .any(|c| c.reference.campaign.campaign.as_str() == id)
            {
                break;
            }
            anyhow::ensure!(
                sent.elapsed() < Duration::from_secs(120),
                "no call within 120 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        samples.push(sent.elapsed().as_secs_f64());
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!("\n## Launch → first create-call request (local runner at 1×, 20 launches)\n");
    println!("| p50 | p95 | max |\n|---:|---:|---:|");
    println!(
        "| {:.2} s | {:.2} s | {:.2} s |",
        at(0.5),
        at(0.95),
        samples[samples.len() - 1]
    );
    runner.shutdown().await;
    Ok(())
}
