//! A tenant hammering the API never holds up the providers' callbacks: with the tenant's
//! request limit low and a flood of its requests answered `429`, every provider event the network
//! delivers is still taken and the campaign runs to completion. (Deployed, the provider routes
//! are on an API of their own as well: `tests/functions/template.rs`.)

use std::time::Duration;

use adapters::voice::simulator::SimulatorConfig;
use chrono::{DateTime, Utc};
use local_runner::RunnerConfig;
use serde_json::json;
use system_tests::flood::Flood;

use super::support::{runner_with_agent_and_key, wait_for};

const LEADS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn provider_callbacks_keep_landing_while_a_tenant_floods_the_api() {
    let start: DateTime<Utc> = "2026-06-08T14:00:00Z".parse().unwrap(); // Monday 10:00 New York
    let (runner, api, agent, key) = runner_with_agent_and_key(
        RunnerConfig {
            port: 0,
            // The tenant's limit counts virtual seconds: a slow clock keeps it near real time.
            speed: 20.0,
            start_at: start,
            simulator: SimulatorConfig::new(11, "noisy-secret"),
            dialers: 2,
            prefix: emulator::unique_prefix("noisy"),
            tenant_requests_per_second: Some(1),
            table_access: crate::support::table_access(),
            isolation: Default::default(),
            provider: Default::default(),
        },
        "noisy",
    )
    .await;
    let id = launched_campaign(&api, &agent).await;

    // The same tenant's key, sending as fast as eight tasks can.
    let flood = Flood::start(&runner.base_url, &key, 8, Duration::ZERO);
    let progress = wait_for("completion", Duration::from_secs(600), || {
        let (api, path) = (api.clone(), format!("/v1/campaigns/{id}/progress"));
        async move {
            let p = api.get(&path).await.ok()?;
            (p["status"] == "completed" && p["in_flight"] == 0).then_some(p)
        }
    })
    .await;
    let (sent, limited) = flood.stop().await;
    println!("flood: {sent} requests, {limited} answered 429; progress {progress}");
    // The flood reached the tenant's limit (how much of it was refused depends on how fast
    // this machine sends against a limit counted in virtual seconds: 81% alone, 40% beside the
    // whole suite on two cores).
    assert!(
        limited > 0 && sent > 0,
        "the flood hit the tenant's limit: {limited} of {sent} answered 429"
    );
    let refused = runner.refused_provider_events.reasons();
    assert!(
        refused.is_empty(),
        "every provider callback was taken: {refused:#?}"
    );
    assert_eq!(progress["total"], LEADS as u64, "{progress}");
    assert_eq!(progress["remaining"], 0, "{progress}");
    assert_eq!(
        runner.simulator.calls().len(),
        LEADS,
        "each lead called once"
    );
    crate::support::shutdown(runner).await;
}

/// A campaign of [`LEADS`] imported leads, launched; its id. Every request is tried again on a
/// refusal (the tenant's limit is low).
async fn launched_campaign(api: &campaigns_cli::ApiClient, agent: &serde_json::Value) -> String {
    let campaign = wait_for("the campaign", Duration::from_secs(30), || {
        let api = api.clone();
        let body = json!({
            "name": "Noisy", "agent_id": agent["id"],
            "pacing": { "max_concurrent_calls": 6, "calls_per_hour": 3000 },
            "retry": { "max_retries": 0 }
        });
        async move { api.post("/v1/campaigns", &body).await.ok() }
    })
    .await;
    let id = campaign["id"].as_str().unwrap().to_owned();
    let mut csv = String::from("phone,name\n");
    for i in 0..LEADS {
        csv.push_str(&format!("(212) 555-{:04},Lead {i}\n", 300 + i));
    }
    let mut import = None;
    for _ in 0..50 {
        match api.upload_csv(&id, csv.clone().into_bytes(), |_| {}).await {
            Ok(id) => {
                import = Some(id);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let import = import.expect("the upload was taken within 50 tries");
    wait_for("the import", Duration::from_secs(120), || {
        let (api, path) = (api.clone(), format!("/v1/campaigns/{id}/imports/{import}"));
        async move { (api.get(&path).await.ok()?["status"] == "completed").then_some(json!(1)) }
    })
    .await;
    wait_for("the launch", Duration::from_secs(30), || {
        let (api, path) = (api.clone(), format!("/v1/campaigns/{id}/launch"));
        async move { api.post(&path, &json!({})).await.ok() }
    })
    .await;

    id
}
