//! AWS requests per dial attempt and per tick, counted by an SDK interceptor against the local
//! emulator. Prints a Markdown table (for BENCHMARKS.md). Request counts, not times, are the
//! figures: the emulator's speed says nothing about DynamoDB's.
//!
//!   ./infra/bench.sh dispatch            (starts the emulator; 1,000 and 100,000 leads)
//!   BENCH_LARGE=20000 ./infra/bench.sh dispatch   (a smaller second size)

use std::time::Instant;

#[path = "support/item_size.rs"]
mod item_size;

use chrono::{DateTime, Utc};
use domain::config::CampaignSpec;
use system_tests::World;
use system_tests::world::{PhaseRequests, WorldConfig, contacts_in};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn campaign(max_concurrent: u32) -> CampaignSpec {
    let day = serde_json::json!([{ "start": "08:00", "end": "21:00" }]);
    serde_json::from_value(serde_json::json!({
        "name": "Bench", "agent_id": "agent-1",
        "schedule": { "window": {
            "monday": day, "tuesday": day, "wednesday": day, "thursday": day,
            "friday": day, "saturday": day, "sunday": day } },
        "pacing": { "max_concurrent_calls": max_concurrent, "calls_per_hour": 100000 },
        "retry": { "max_retries": 0, "delay_minutes": 60, "retry_on": [] },
        "call_handling": { "max_call_seconds": 300 }
    }))
    .unwrap()
}

/// A campaign run to completion with no faults: requests per attempt by phase.
async fn per_attempt(leads: usize, max_concurrent: u32) -> anyhow::Result<()> {
    let mut config = WorldConfig::calm(
        "bench-attempt",
        campaign(max_concurrent),
        contacts_in(&["212"], leads),
        utc("2026-06-10T13:00:00Z"),
    );
    config.calls_per_second = 10;
    let mut world = World::build(config).await?;
    let started = Instant::now();
    let stats = world.run().await?;
    let attempts = stats.create_requests as f64;
    println!(
        "\n## Requests per dial attempt ({leads} leads, {max_concurrent} concurrent calls, one attempt each, no faults; {:.0} s)\n",
        started.elapsed().as_secs_f64()
    );
    println!("| phase | DynamoDB writes | DynamoDB reads | SQS |");
    println!("|---|---:|---:|---:|");
    let mut total = PhaseRequests::default();
    for (phase, r) in &stats.requests {
        println!(
            "| {phase} | {:.2} | {:.2} | {:.2} |",
            r.dynamodb_writes as f64 / attempts,
            r.dynamodb_reads as f64 / attempts,
            r.sqs as f64 / attempts
        );
        if *phase != "poll" {
            total.dynamodb_writes += r.dynamodb_writes;
            total.dynamodb_reads += r.dynamodb_reads;
            total.sqs += r.sqs;
        }
    }
    println!(
        "| **tick + dial + event + report** | **{:.2}** | **{:.2}** | {:.2} |",
        total.dynamodb_writes as f64 / attempts,
        total.dynamodb_reads as f64 / attempts,
        total.sqs as f64 / attempts
    );
    println!(
        "\nattempts: {attempts}, ticks: {}, finished: {}, agent reports: {} ({} recorded something new)",
        stats.ticks, stats.finished, stats.agent_reports, stats.agent_reports_recorded
    );
    println!("\n| service | operation | requests |\n|---|---|---:|");
    for ((service, operation), n) in world.requests.snapshot() {
        println!("| {service} | {operation} | {n} |");
    }
    item_size::print_item_sizes(world.store.client(), world.store.table()).await?;
    Ok(())
}

/// One tick of a campaign whose leads are all due: requests, by campaign size.
async fn per_tick(sizes: &[usize]) -> anyhow::Result<()> {
    println!("\n## Requests per tick by campaign size (all leads due, budget 50)\n");
    println!("| leads | DynamoDB writes | DynamoDB reads | SQS | leads enqueued | seed time |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut totals = Vec::new();
    for &n in sizes {
        let mut config = WorldConfig::calm(
            "bench-tick",
            campaign(50),
            contacts_in(&["212", "312", "415"], n),
            utc("2026-06-10T16:00:00Z"),
        );
        config.bulk_seed = true;
        config.calls_per_second = 10;
        let started = Instant::now();
        let world = World::build(config).await?;
        let seed = started.elapsed().as_secs_f64();
        world.requests.reset();
        let report = world.engine.tick(&world.campaign).await?;
        let writes = world.requests.dynamodb_writes();
        let reads = world.requests.dynamodb_reads();
        let sqs = world.requests.count("sqs", &["SendMessageBatch"]);
        println!(
            "| {n} | {writes} | {reads} | {sqs} | {} | {seed:.0} s |",
            report.enqueued
        );
        totals.push(writes + reads + sqs);
    }
    if let [small, .., large] = totals.as_slice() {
        println!(
            "\nratio of requests per tick, largest / smallest campaign: {:.3}",
            *large as f64 / *small as f64
        );
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() -> anyhow::Result<()> {
    let large = std::env::var("BENCH_LARGE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    per_attempt(300, 25).await?;
    per_attempt(2_000, 200).await?;
    per_tick(&[1_000, large]).await?;
    Ok(())
}
