//! `./infra/run.sh --provider retell|vapi`, as tests: the local runner with the platform's
//! adapter against its fake (the simulated network deciding each call's fate, with its faults),
//! a campaign on an agent of that platform run through the API to Completed, every promise
//! checked, and every event the platform sent accepted (authenticated, bound to its attempt).

use std::time::Duration;

use adapters::voice::simulator::{FaultMix, SimulatorConfig};
use campaigns_cli::ApiClient;
use domain::ids::{CampaignId, CampaignRef, TenantId};
use local_runner::{LocalProvider, Runner, RunnerConfig};
use ports::Clock;
use ports::store::{Campaigns, Leads};
use serde_json::json;
use system_tests::promises::{Observed, check_observed};

use crate::support::wait_for;

fn contacts(n: usize) -> Vec<u8> {
    let mut csv = String::from("phone,first_name\n");
    for i in 0..n {
        csv.push_str(&format!("(212) 555-{:04},Lead {i}\n", 2000 + i));
    }
    csv.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_campaign_on_a_retell_agent_runs_to_completion_through_the_fake_retell() {
    campaign_through(LocalProvider::Retell).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_campaign_on_a_vapi_assistant_runs_to_completion_through_the_fake_vapi() {
    campaign_through(LocalProvider::Vapi).await;
}

async fn campaign_through(provider: LocalProvider) {
    let tenant = format!("{}-e2e", provider.name());
    let mut simulator = SimulatorConfig::new(23, "platform-e2e-secret");
    simulator.faults = FaultMix::hostile();
    let runner = Runner::start(RunnerConfig {
        port: 0,
        speed: 300.0,
        start_at: "2026-06-08T14:00:00Z".parse().unwrap(),
        simulator,
        dialers: 2,
        prefix: emulator::unique_prefix("e2er"),
        tenant_requests_per_second: None,
        table_access: crate::support::table_access(),
        isolation: Default::default(),
        provider,
    })
    .await
    .expect("the runner starts with the platform's fake");
    let key = local_runner::demo::demo_tenant(&runner, &tenant)
        .await
        .unwrap();
    let api = ApiClient::new(&runner.base_url, &key);
    let now = runner.clock.now();
    let (id, report) = local_runner::demo::prepare(&api, provider.name(), &contacts(30), now)
        .await
        .unwrap();
    assert_eq!(report["imported"], 30, "{report}");
    let launched = api
        .post(&format!("/v1/campaigns/{id}/launch"), &json!({}))
        .await
        .unwrap();
    assert_eq!(launched["status"], "active");
    wait_for("completion", Duration::from_secs(600), || {
        let (api, path) = (api.clone(), format!("/v1/campaigns/{id}/progress"));
        async move {
            let p = api.get(&path).await.ok()?;
            (p["status"] == "completed" && p["in_flight"] == 0).then_some(p)
        }
    })
    .await;
    let c = CampaignRef {
        tenant: TenantId::parse(tenant).unwrap(),
        campaign: CampaignId::parse(id.clone()).unwrap(),
    };
    let config = runner.store.get_campaign(&c).await.unwrap().unwrap().config;
    let findings = check_observed(
        Observed {
            store: &runner.store,
            campaign: &c,
            config: &config,
            simulator: &runner.simulator,
            now: runner.clock.now(),
            dnc_added: &[],
            erased: &[],
        },
        true,
    )
    .await
    .unwrap();
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    assert!(findings.figures["calls"] >= 30, "{:?}", findings.figures);
    // Every attempt's call id came back from the fake's create answer or its list.
    let leads = runner.store.all_leads(&c).await.unwrap();
    let ids = leads.iter().flat_map(|l| {
        l.state
            .log
            .iter()
            .filter_map(|r| r.provider_call_id.clone())
    });
    assert!(ids.count() >= 30);
    // The network's faults duplicate and delay events, never forge them: the platform's format
    // and authentication were accepted every time.
    let refused = runner.refused_provider_events.reasons();
    assert!(refused.is_empty(), "{refused:#?}");
    crate::support::shutdown(runner).await;
}
