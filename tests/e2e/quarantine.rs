//! One bad item blocks nothing: a lead whose stored item no longer decodes (the trial's case, a
//! 17-digit number that an older normalizer accepted) is set aside while the campaign launches,
//! lists, dials, completes and exports the rest, and is reported with its key.

use ports::store::Leads;
use std::collections::HashSet;
use std::time::Duration;

use adapters::store::keys;
use adapters::voice::simulator::{OutcomeMix, SimulatorConfig};
use aws_sdk_dynamodb::types::AttributeValue;
use campaigns_cli::ApiClient;
use chrono::{DateTime, Utc};
use domain::ids::{CampaignId, CampaignRef, LeadRef, TenantId};
use local_runner::{Runner, RunnerConfig};
use serde_json::json;

use super::support::{export_csv, last_reconciliation, runner_with_agent, wait_for};

const LEADS: usize = 24;

/// Rewrites one lead's stored number to 17 digits, as the trial's store held it.
async fn corrupt_one_lead(runner: &Runner, c: &CampaignRef) -> String {
    let leads = runner.store.all_leads(c).await.unwrap();
    assert_eq!(leads.len(), LEADS);
    let victim = &leads[LEADS / 2];
    let (pk, sk) = keys::lead_key(&LeadRef {
        campaign: c.clone(),
        lead: victim.id.clone(),
    });
    let client = runner.store.client();
    let item = client
        .get_item()
        .table_name(runner.store.table())
        .key(keys::PK, AttributeValue::S(pk.clone()))
        .key(keys::SK, AttributeValue::S(sk.clone()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let doc = item["doc"].as_s().unwrap();
    let bad = doc.replace(victim.contact.phone.as_str(), "+49800123456789012");
    assert_ne!(&bad, doc, "the number is in the stored document");
    client
        .update_item()
        .table_name(runner.store.table())
        .key(keys::PK, AttributeValue::S(pk))
        .key(keys::SK, AttributeValue::S(sk))
        .update_expression("SET doc = :bad")
        .expression_attribute_values(":bad", AttributeValue::S(bad))
        .send()
        .await
        .unwrap();
    victim.id.to_string()
}

/// A runner with tenant `qt`, an agent and a campaign of `leads` imported leads.
async fn campaign_with_leads(
    start: DateTime<Utc>,
    leads: usize,
) -> (Runner, ApiClient, CampaignRef) {
    let (runner, api, agent) = runner_with_agent(
        RunnerConfig {
            port: 0,
            speed: 200.0,
            start_at: start,
            simulator: SimulatorConfig {
                // A requested callback may fall after the campaign's end and leave a lead
                // scheduled; this test is about the unreadable lead, so every call ends the lead.
                outcomes: OutcomeMix {
                    callback: 0.0,
                    ..OutcomeMix::default()
                },
                ..SimulatorConfig::new(5, "quarantine-secret")
            },
            dialers: 2,
            prefix: emulator::unique_prefix("e2eq"),
            tenant_requests_per_second: None,
            table_access: crate::support::table_access(),
            isolation: Default::default(),
            provider: Default::default(),
        },
        "qt",
    )
    .await;
    let campaign = api
        .post(
            "/v1/campaigns",
            &json!({
                "name": "Quarantine", "agent_id": agent["id"],
                "schedule": { "ends_at": start + chrono::Duration::hours(4) },
                "pacing": { "max_concurrent_calls": 6, "calls_per_hour": 3000 },
                "retry": { "max_retries": 0 }
            }),
        )
        .await
        .unwrap();
    let id = campaign["id"].as_str().unwrap().to_owned();
    let mut csv = String::from("phone,name\n");
    for i in 0..leads {
        csv.push_str(&format!("(212) 555-{:04},Lead {i}\n", 100 + i));
    }
    let import = api.upload_csv(&id, csv.into_bytes(), |_| {}).await.unwrap();
    wait_for("the import", Duration::from_secs(120), || {
        let (api, path) = (api.clone(), format!("/v1/campaigns/{id}/imports/{import}"));
        async move {
            let r = api.get(&path).await.ok()?;
            (r["status"] == "completed").then_some(r)
        }
    })
    .await;
    let c = CampaignRef {
        tenant: TenantId::parse("qt").unwrap(),
        campaign: CampaignId::parse(id).unwrap(),
    };
    (runner, api, c)
}

/// Overwrites attributes of the `index`th lead (in id order) as a bad migration would;
/// returns its id.
async fn migrate_badly(
    runner: &Runner,
    c: &CampaignRef,
    index: usize,
    attrs: &[(&str, &str)],
) -> String {
    let leads = runner.store.all_leads(c).await.unwrap();
    let victim = &leads[index];
    let (pk, sk) = keys::lead_key(&LeadRef {
        campaign: c.clone(),
        lead: victim.id.clone(),
    });
    for (name, value) in attrs {
        runner
            .store
            .client()
            .update_item()
            .table_name(runner.store.table())
            .key(keys::PK, AttributeValue::S(pk.clone()))
            .key(keys::SK, AttributeValue::S(sk.clone()))
            .update_expression("SET #a = :v")
            .expression_attribute_names("#a", *name)
            .expression_attribute_values(":v", AttributeValue::S((*value).into()))
            .send()
            .await
            .unwrap();
    }
    victim.id.to_string()
}

/// Requests an export and counts the rows of the file it makes.
async fn exported_rows(api: &ApiClient, id: &str) -> usize {
    let text = export_csv(api, id).await;
    csv::Reader::from_reader(text.as_bytes()).records().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lead_that_no_longer_decodes_is_set_aside_and_the_campaign_runs_the_rest() {
    let start: DateTime<Utc> = "2026-06-08T14:00:00Z".parse().unwrap(); // Monday 10:00 New York
    let (runner, api, c) = campaign_with_leads(start, LEADS).await;
    let id = c.campaign.to_string();
    let victim = corrupt_one_lead(&runner, &c).await;

    // Lists and previews answer, without the unreadable lead.
    let page = api
        .get(&format!("/v1/campaigns/{id}/leads?limit=100"))
        .await
        .expect("the lead list answers");
    let listed = page["items"].as_array().unwrap();
    assert_eq!(listed.len(), LEADS - 1);
    assert!(listed.iter().all(|l| l["id"] != victim.as_str()));
    api.get(&format!("/v1/campaigns/{id}/preview"))
        .await
        .expect("the preview answers");

    // Launch, run to completion.
    let launched = api
        .post(&format!("/v1/campaigns/{id}/launch"), &json!({}))
        .await
        .expect("launch answers");
    assert_eq!(launched["status"], "active");
    let progress = wait_for("completion", Duration::from_secs(600), || {
        let (api, path) = (api.clone(), format!("/v1/campaigns/{id}/progress"));
        async move {
            let p = api.get(&path).await.ok()?;
            (p["status"] == "completed" && p["in_flight"] == 0).then_some(p)
        }
    })
    .await;
    assert_eq!(progress["quarantined"], 1, "{progress}");
    assert_eq!(progress["total"], (LEADS - 1) as u64, "{progress}");
    assert_eq!(progress["remaining"], 0, "{progress}");

    // The network was called for every other lead, never for the unreadable one.
    let called: HashSet<String> = runner
        .simulator
        .calls()
        .into_iter()
        .map(|call| call.to.to_string())
        .collect();
    assert_eq!(called.len(), LEADS - 1, "every readable lead was dialed");
    assert!(!called.contains("+49800123456789012"));

    // Reported, with its key, once.
    let listed = api
        .get(&format!("/v1/campaigns/{id}/quarantine"))
        .await
        .unwrap();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["kind"], "lead");
    assert!(
        items[0]["key"].as_str().unwrap().ends_with(&victim),
        "{listed}"
    );
    assert!(
        items[0]["reason"].as_str().unwrap().contains("too long"),
        "{listed}"
    );

    // The export has every other lead; the counters still tell the truth about them.
    assert_eq!(exported_rows(&api, &id).await, LEADS - 1);
    let reconciled = last_reconciliation(&api, &id).await;
    assert_eq!(reconciled["drift"], json!([]), "{reconciled}");
    crate::support::shutdown(runner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lead_whose_status_and_state_were_overwritten_never_holds_the_campaign_open() {
    const EIGHT: usize = 8;
    let start: DateTime<Utc> = "2026-06-08T14:00:00Z".parse().unwrap(); // Monday 10:00 New York
    let (runner, api, c) = campaign_with_leads(start, EIGHT).await;
    let id = c.campaign.to_string();
    // The trial's damage: `status` and `state` overwritten. And worse: the by-status key too,
    // so the item no longer tells which count it was in at all.
    let state = ("state", r#"{"migrated":true}"#);
    let first = migrate_badly(&runner, &c, 2, &[("status", "migrated"), state]).await;
    let status_pk = ("status_pk", "S#migrated#0");
    let second = migrate_badly(&runner, &c, 5, &[("status", "completed"), state, status_pk]).await;

    let launched = api
        .post(&format!("/v1/campaigns/{id}/launch"), &json!({}))
        .await
        .expect("launch answers");
    assert_eq!(launched["status"], "active");
    let progress = wait_for("completion", Duration::from_secs(600), || {
        let (api, path) = (api.clone(), format!("/v1/campaigns/{id}/progress"));
        async move {
            let p = api.get(&path).await.ok()?;
            (p["status"] == "completed" && p["in_flight"] == 0).then_some(p)
        }
    })
    .await;
    assert_eq!(progress["quarantined"], 2, "{progress}");
    assert_eq!(progress["total"], (EIGHT - 2) as u64, "{progress}");
    assert_eq!(progress["finished"], (EIGHT - 2) as u64, "{progress}");
    assert_eq!(progress["remaining"], 0, "{progress}");
    assert_eq!(progress["by_status"]["pending"], 0, "{progress}");
    assert_eq!(
        progress["by_status"]["completed"], progress["completed"],
        "{progress}"
    );

    let listed = api
        .get(&format!("/v1/campaigns/{id}/quarantine"))
        .await
        .unwrap();
    let keys: Vec<&str> = (listed["items"].as_array().unwrap().iter())
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 2, "{listed}");
    for victim in [&first, &second] {
        assert!(
            keys.iter().any(|k| k.ends_with(victim.as_str())),
            "{listed}"
        );
    }
    assert_eq!(exported_rows(&api, &id).await, EIGHT - 2);
    let reconciled = last_reconciliation(&api, &id).await;
    assert_eq!(reconciled["leads"], (EIGHT - 2) as u64, "{reconciled}");
    crate::support::shutdown(runner).await;
}
