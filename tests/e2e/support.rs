//! What the end-to-end tests share: a runner with a tenant and an agent, waiting on the API,
//! an export's file, the last reconciliation.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use adapters::table_access::TableAccessLog;
use campaigns_cli::ApiClient;
use local_runner::{Runner, RunnerConfig};
use serde_json::{Value, json};

/// What the runners of this test process did to the table, by function.
static TABLE_ACCESS: LazyLock<TableAccessLog> = LazyLock::new(TableAccessLog::default);

/// For `RunnerConfig::table_access`: record into this process's log.
pub fn table_access() -> Option<TableAccessLog> {
    Some(TABLE_ACCESS.clone())
}

/// Stops the runner, then fails the test if any function reached the table in a way its
/// policy in template.yaml does not allow (which in the cloud would be `AccessDenied`).
pub async fn shutdown(runner: Runner) {
    runner.shutdown().await;
    let accesses = TABLE_ACCESS.accesses();
    assert!(
        accesses.iter().any(|a| a.function == "api"),
        "the run's table accesses were recorded"
    );
    let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    let refused = system_tests::table_policy::violations(&template, &accesses);
    assert!(
        refused.is_empty(),
        "template.yaml refuses these table accesses of the run: {refused:#?}"
    );
}

/// Polls until `poll` gives a value; fails the test after `limit`.
pub async fn wait_for<F, Fut>(what: &str, limit: Duration, mut poll: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = poll().await {
            return v;
        }
        assert!(
            started.elapsed() < limit,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A runner on the emulator with tenant `tenant`, an API client with its key, and an outbound
/// simulator agent.
pub async fn runner_with_agent(config: RunnerConfig, tenant: &str) -> (Runner, ApiClient, Value) {
    let (runner, api, agent, _) = runner_with_agent_and_key(config, tenant).await;
    (runner, api, agent)
}

/// The same, and the tenant's API key (for signing in to the console).
pub async fn runner_with_agent_and_key(
    config: RunnerConfig,
    tenant: &str,
) -> (Runner, ApiClient, Value, String) {
    let runner = Runner::start(config)
        .await
        .expect("the runner starts on the emulator");
    let key = local_runner::demo::demo_tenant(&runner, tenant)
        .await
        .unwrap();
    let api = ApiClient::new(&runner.base_url, &key);
    let agent = api
        .post(
            "/v1/agents",
            &json!({
                "name": "Ava", "mode": "outbound", "provider": "simulator",
                "caller_number": "+1 415 555 0199", "provider_agent_ref": "ava"
            }),
        )
        .await
        .unwrap();
    (runner, api, agent, key)
}

/// Requests an export of campaign `id`, waits for it, and downloads the file.
pub async fn export_csv(api: &ApiClient, id: &str) -> String {
    let export = api
        .post(&format!("/v1/campaigns/{id}/exports"), &json!({}))
        .await
        .unwrap();
    let path = format!(
        "/v1/campaigns/{id}/exports/{}",
        export["id"].as_str().unwrap()
    );
    let done = wait_for("the export", Duration::from_secs(120), || {
        let (api, path) = (api.clone(), path.clone());
        async move {
            let r = api.get(&path).await.ok()?;
            (r["status"] == "completed").then_some(r)
        }
    })
    .await;
    reqwest::get(done["download_url"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The campaign's last reconciliation report, once there is one.
pub async fn last_reconciliation(api: &ApiClient, id: &str) -> Value {
    wait_for("the reconciliation", Duration::from_secs(60), || {
        let (api, path) = (api.clone(), format!("/v1/campaigns/{id}/reconcile"));
        async move { api.get(&path).await.ok() }
    })
    .await
}
