//! The hostile run with a real adapter between the engine and the network: each adapter's
//! requests go over HTTP to a local fake of its provider's API, the network's webhooks (and the
//! simulated agent's reports) come back in the provider's format and signature scheme.

use domain::status::CampaignStatus;
use system_tests::World;
use system_tests::fake_providers::ProviderKind;
use system_tests::world::{WorldConfig, contacts_in};

use crate::scenarios::{US_AREA_CODES, all_week, run_and_check, scale, spec, utc};

/// The hostile run with a real adapter between the engine and the network: the adapter's
/// requests go over HTTP to a local fake of its provider's API, the network's webhooks come
/// back in the provider's format and signature scheme.
async fn every_promise_holds_through(kind: ProviderKind) {
    let metrics = std::sync::Arc::new(ports::metrics::RecordingSink::default());
    ports::metrics::install(metrics.clone());
    let campaign = spec(serde_json::json!({
        "name": "Through a real adapter",
        "agent_id": "agent-1",
        "schedule": { "window": all_week("08:00", "21:00") },
        "pacing": { "max_concurrent_calls": 8, "calls_per_hour": 200 },
        "retry": { "max_retries": 2, "delay_minutes": 20, "retry_on": ["no_answer", "busy", "voicemail"] },
        "call_handling": { "max_call_seconds": 300, "voicemail_detection": true,
            "voicemail_action": "leave_message", "transfer_number": "+13125550123" }
    }));
    let contacts = contacts_in(US_AREA_CODES, scale(40));
    let mut config =
        WorldConfig::calm(kind.name(), campaign, contacts, utc("2026-06-10T12:00:00Z")).hostile();
    config.crash_probability = 0.02;
    config.calls_per_second = 2;
    config.provider = kind;
    // The hosted platforms sell lines: fewer than the campaign's own concurrency.
    if matches!(kind, ProviderKind::Retell | ProviderKind::Vapi) {
        config.account_lines = Some(4);
    }
    let (world, stats, findings) = run_and_check(World::build(config).await.unwrap()).await;
    assert!(
        findings.violations.is_empty(),
        "{kind:?}: {:#?}",
        findings.violations
    );
    assert!(stats.finished, "the campaign drained: {stats:?}");
    assert_eq!(world.status().await.unwrap(), CampaignStatus::Completed);
    assert!(
        stats.calls_placed > 20,
        "calls went through the adapter: {stats:?}"
    );
    // The agent never asked for a transfer: no call was bridged, however its stream ended.
    assert_eq!(stats.transfers, 0, "{stats:?}");
    if kind == ProviderKind::Twilio {
        assert!(
            stats.call_flows > 0,
            "the redirect was exercised: {stats:?}"
        );
    }
    assert!(
        stats.agent_reports_recorded > 0,
        "the agent reported through the report API: {stats:?}"
    );
    // Every opt-out the agent reported is on the attempt (the network saw completed calls).
    let opted_out = world
        .simulator
        .calls()
        .iter()
        .filter(|c| c.report.outcome == domain::retry::Outcome::OptedOut)
        .count();
    let recorded = leads_opted_out(&world).await;
    assert!(
        opted_out > 0 && recorded > 0,
        "{opted_out} fates, {recorded} recorded"
    );
    let leads = world.leads().await.unwrap();
    let ids: Vec<String> = leads
        .iter()
        .flat_map(|l| {
            l.state
                .log
                .iter()
                .filter_map(|r| r.provider_call_id.clone())
        })
        .collect();
    assert!(
        ids.iter().all(|id| id.starts_with("SIM")),
        "call ids came back through the fake API: {ids:?}"
    );
}

/// Leads whose log has an opted-out attempt.
async fn leads_opted_out(world: &World) -> usize {
    world
        .leads()
        .await
        .unwrap()
        .iter()
        .filter(|l| {
            l.state
                .log
                .iter()
                .any(|r| r.outcome == domain::retry::Outcome::OptedOut)
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_promise_holds_with_the_twilio_adapter_behind_a_fake_twilio() {
    every_promise_holds_through(ProviderKind::Twilio).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_promise_holds_with_the_http_agent_adapter_behind_a_fake_platform() {
    every_promise_holds_through(ProviderKind::HttpAgent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_promise_holds_with_the_retell_adapter_behind_a_fake_retell() {
    every_promise_holds_through(ProviderKind::Retell).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_promise_holds_with_the_vapi_adapter_behind_a_fake_vapi() {
    every_promise_holds_through(ProviderKind::Vapi).await;
}
