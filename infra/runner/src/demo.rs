//! The demo: a tenant, an agent, a campaign over the sample contacts, imported through the
//! presigned upload URL, launched, watched to the end, and its results.

use std::time::Duration;

use campaigns_cli::ApiClient;
use chrono::Utc;
use domain::ids::TenantId;
use domain::plan::Plan;
use serde_json::{Value, json};

use crate::Runner;

/// The sample contact list (infra/sample/contacts.csv).
pub const SAMPLE_CSV: &[u8] = include_bytes!("../../sample/contacts.csv");

/// The number the demo's agents call from, registered for the demo tenant.
pub const DEMO_CALLER_NUMBER: &str = "+14155550199";

/// The demo agent's caller pool beside [`DEMO_CALLER_NUMBER`] (San Francisco): New York and
/// Chicago numbers, so the sample's contacts there are called from a local number.
pub const DEMO_CALLER_POOL: [&str; 2] = ["+12125550199", "+13125550199"];

/// The demo tenant's named caller pool: [`DEMO_CALLER_NUMBER`] (the default) and
/// [`DEMO_CALLER_POOL`], which the demo agent calls from.
pub const DEMO_POOL: &str = "local";

/// A tenant and its key on the runner, with [`DEMO_CALLER_NUMBER`] and [`DEMO_CALLER_POOL`]
/// registered.
pub async fn demo_tenant(runner: &Runner, id: &str) -> anyhow::Result<String> {
    let tenant = TenantId::parse(id)?;
    match api::admin::create_tenant(
        runner.store.as_ref(),
        tenant.clone(),
        "Demo tenant",
        Plan::Enterprise,
        Utc::now(),
    )
    .await
    {
        Ok(_) | Err(api::admin::AdminError::TenantExists(_)) => {}
        Err(e) => return Err(e.into()),
    }
    // The operators' part: the numbers the demo agent calls from are the tenant's.
    let numbers: Vec<String> = std::iter::once(DEMO_CALLER_NUMBER)
        .chain(DEMO_CALLER_POOL)
        .map(str::to_owned)
        .collect();
    api::admin::set_caller_numbers(runner.store.as_ref(), &tenant, &numbers).await?;
    let (_, key) =
        api::admin::issue_key(runner.store.as_ref(), &tenant, "demo", Utc::now()).await?;
    Ok(key)
}

/// The demo campaign's configuration: one calling day from `now` (leads still waiting for a
/// retry or a callback when it ends are skipped, reason "campaign ended").
pub fn campaign_spec(agent: &str, now: chrono::DateTime<Utc>) -> Value {
    json!({
        "name": "Spring renewals (demo)",
        "description": "Renewal reminders to the sample contacts",
        "agent_id": agent,
        "schedule": { "ends_at": now + chrono::Duration::hours(12) },
        "pacing": { "max_concurrent_calls": 10, "calls_per_hour": 600 },
        "retry": { "max_retries": 2, "delay_minutes": 30, "retry_on": ["no_answer", "busy", "voicemail"] },
        "call_handling": { "max_call_seconds": 600, "voicemail_detection": true, "voicemail_action": "leave_message" }
    })
}

/// Creates an agent on `provider` and a campaign, uploads and imports `csv`; returns the campaign id and the
/// import report.
pub async fn prepare(
    client: &ApiClient,
    provider: &str,
    csv: &[u8],
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<(String, Value)> {
    // Local presence from a named pool of the tenant's numbers; limits above the defaults,
    // for a small, warm sample list.
    let numbers: Vec<&str> = std::iter::once(DEMO_CALLER_NUMBER)
        .chain(DEMO_CALLER_POOL)
        .collect();
    let pool = json!({ "numbers": numbers, "limits": { "per_hour": 300, "per_day": 2000 } });
    client
        .put(&format!("/v1/caller-pools/{DEMO_POOL}"), &pool)
        .await?;
    let agent = client
        .post(
            "/v1/agents",
            &json!({
                "name": "Ava", "mode": "outbound", "provider": provider,
                "caller_number": "+1 415 555 0199", "provider_agent_ref": "ava-renewals",
                "named_pool": DEMO_POOL,
                "voicemail_message": "Hi, this is Ava about your renewal. I'll try again later."
            }),
        )
        .await?;
    let campaign = client
        .post(
            "/v1/campaigns",
            &campaign_spec(agent["id"].as_str().unwrap_or_default(), now),
        )
        .await?;
    let id = campaign["id"].as_str().unwrap_or_default().to_owned();
    let import = client.upload_csv(&id, csv.to_vec(), |_| {}).await?;
    let report = loop {
        let report = client
            .get(&format!("/v1/campaigns/{id}/imports/{import}"))
            .await?;
        if matches!(
            report["status"].as_str(),
            Some("completed" | "rejected" | "failed")
        ) {
            break report;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    Ok((id, report))
}

/// The whole demo, printing as it goes.
pub async fn run(runner: &Runner) -> anyhow::Result<()> {
    let key = demo_tenant(runner, "demo").await?;
    let client = ApiClient::new(&runner.base_url, &key);
    println!("API: {}  key: {key}", runner.base_url);
    println!(
        "Console: {}/  (sign in with the key above to watch the campaign)",
        runner.base_url
    );
    let (campaign, report) = prepare(
        &client,
        runner.provider.name(),
        SAMPLE_CSV,
        ports::Clock::now(runner.clock.as_ref()),
    )
    .await?;
    println!(
        "imported {} of {} rows ({} rejected: {}) — report: {}",
        report["imported"],
        report["rows_read"],
        report["rejected_total"],
        report["rejected"],
        report["report_url"].as_str().unwrap_or("none")
    );
    let launched = client
        .post(&format!("/v1/campaigns/{campaign}/launch"), &json!({}))
        .await?;
    println!("campaign {campaign} launched: {}", launched["status"]);
    let last = campaigns_cli::watch::watch(&client, &campaign, Duration::from_millis(500)).await?;
    println!(
        "\n{}: {} of {} leads reached, {} failed, {} skipped; {} calls, average {:.0}s",
        last["status"].as_str().unwrap_or("?"),
        last["completed"],
        last["total"],
        last["by_status"]["failed"],
        last["by_status"]["skipped"],
        last["calls_placed"],
        last["average_call_seconds"].as_f64().unwrap_or(0.0)
    );
    let analytics = client
        .get(&format!("/v1/campaigns/{campaign}/analytics"))
        .await?;
    print_analytics(&analytics);
    let export = client
        .post(&format!("/v1/campaigns/{campaign}/exports"), &json!({}))
        .await?;
    let id = export["id"].as_str().unwrap_or_default().to_owned();
    for _ in 0..600 {
        let status = client
            .get(&format!("/v1/campaigns/{campaign}/exports/{id}"))
            .await?;
        match status["status"].as_str() {
            Some("completed") => {
                println!(
                    "\nexport: {} rows -> {}",
                    status["rows"],
                    status["download_url"].as_str().unwrap_or("")
                );
                break;
            }
            Some("failed") => {
                println!("\nexport failed: {}", status["error"]);
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    Ok(())
}

fn percent(v: &Value) -> String {
    v.as_f64()
        .map(|r| format!("{:.1}%", r * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// Analytics as a few readable lines and an hourly bar chart.
pub fn print_analytics(a: &Value) {
    println!("\nanalytics");
    println!(
        "  completion {} · connection {} · average call {:.0}s · {:.2} calls per lead",
        percent(&a["completion_rate"]),
        percent(&a["connection_rate"]),
        a["average_call_seconds"].as_f64().unwrap_or(0.0),
        a["attempts_per_lead"].as_f64().unwrap_or(0.0)
    );
    let outcomes: Vec<String> = a["outcomes"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|o| {
                    format!(
                        "{} {} ({})",
                        o["outcome"].as_str().unwrap_or("?"),
                        o["count"],
                        percent(&o["share"])
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    println!("  outcomes: {}", outcomes.join(" · "));
    let timeline = a["timeline"].as_array().cloned().unwrap_or_default();
    let most = timeline
        .iter()
        .filter_map(|h| h["calls_started"].as_i64())
        .max()
        .unwrap_or(1)
        .max(1);
    println!("  calls per hour (UTC; # started, * connected):");
    for h in &timeline {
        let started = h["calls_started"].as_i64().unwrap_or(0);
        let connected = h["calls_connected"].as_i64().unwrap_or(0);
        let width = |n: i64| (n * 40 / most) as usize;
        println!(
            "  {} {:>4} {}{}",
            h["hour"].as_str().unwrap_or("").get(..13).unwrap_or(""),
            started,
            "*".repeat(width(connected)),
            "#".repeat(width(started).saturating_sub(width(connected)))
        );
    }
}
