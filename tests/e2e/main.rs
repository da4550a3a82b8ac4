//! The whole system end to end: the local runner (every handler in one process, schedules
//! fired from the emulator, dialers on SQS, the importer on the bucket's notifications, the
//! simulated network calling the webhook over HTTP with faults on), driven only through the
//! HTTP API and the bucket, run to Completed on the virtual clock. Then every promise is
//! checked from the network's record and the final state, and the export and the import
//! report are read back and counted.

use std::collections::HashSet;
use std::time::Duration;

use adapters::voice::simulator::{FaultMix, SimulatorConfig};
use campaigns_cli::ApiClient;
use chrono::{DateTime, Utc};
use domain::ids::{CampaignId, CampaignRef, TenantId};
use local_runner::{Runner, RunnerConfig};
use ports::Clock;
use ports::store::{Campaigns, Leads};
use serde_json::json;
use system_tests::promises::{Observed, check_observed};

use support::{export_csv, last_reconciliation, runner_with_agent, wait_for};

/// Area codes across the US zones (Eastern, Central, Mountain, Arizona, Pacific, Alaska,
/// Hawaii, and split-zone states).
const AREA_CODES: [&str; 10] = [
    "212", "305", "312", "214", "303", "602", "415", "907", "808", "270",
];

/// 500 good rows spread over the area codes, and 12 bad ones of kinds the importer rejects.
fn contacts_csv() -> (Vec<u8>, usize) {
    let mut csv = String::from("phone,first_name,last_name,company,plan\n");
    let mut rows = 0;
    for i in 0..500 {
        let npa = AREA_CODES[i % AREA_CODES.len()];
        csv.push_str(&format!(
            "({npa}) 555-{:04},Lead,{i},Company {i},plan-{}\n",
            100 + i / AREA_CODES.len(),
            i % 3
        ));
        rows += 1;
    }
    for bad in [
        "1.41555E+10,Sci,Notation,X,p",
        "=HYPERLINK(\"x\"),Formula,Cell,X,p",
        "not a number,Bad,Phone,X,p",
        ",Empty,Phone,X,p",
        "(212) 555-0100,Duplicate,InFile,X,p",
        "+44 20 7946 0000,Unknown,Zone,X,p",
        "555-01,Too,Short,X,p",
        "(212) 555-0101,Dup,Again,X,p",
        "12,Short,Number,X,p",
        "abc,Letters,Only,X,p",
        "(999) 555-0100,Bad,AreaCode,X,p",
        "+1 212 555 0102,Dup,E164,X,p",
    ] {
        csv.push_str(bad);
        csv.push('\n');
        rows += 1;
    }
    (csv.into_bytes(), rows)
}

/// Uploads the contact list through the presigned URL (the bucket's notification starts the
/// import), waits for the report and checks it: every row read is imported or rejected, and
/// the rejected-rows CSV has one row per rejected row. Returns how many were imported.
async fn import_contacts(api: &ApiClient, id: &str) -> u64 {
    let (csv, csv_rows) = contacts_csv();
    let import = api.upload_csv(id, csv, |_| {}).await.unwrap();
    let report = wait_for("the import", Duration::from_secs(120), || {
        let api = api.clone();
        let path = format!("/v1/campaigns/{id}/imports/{import}");
        async move {
            let r = api.get(&path).await.ok()?;
            matches!(
                r["status"].as_str(),
                Some("completed" | "rejected" | "failed")
            )
            .then_some(r)
        }
    })
    .await;
    assert_eq!(report["status"], "completed", "{report}");
    assert_eq!(report["rows_read"], csv_rows, "{report}");
    let imported = report["imported"].as_u64().unwrap();
    let rejected = report["rejected_total"].as_u64().unwrap();
    assert_eq!(
        imported + rejected,
        csv_rows as u64,
        "rows read = imported + rejected"
    );
    assert!(imported >= 495, "{report}");
    let report_csv = reqwest::get(report["report_url"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let report_rows = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(report_csv.as_bytes())
        .records()
        .count();
    assert_eq!(
        report_rows as u64, rejected,
        "one report row per rejected CSV row"
    );
    imported
}

/// Every promise, from the network's record and the final state; and the network was called.
async fn assert_every_promise_kept(runner: &Runner, c: &CampaignRef, imported: u64) {
    let record = runner.store.get_campaign(c).await.unwrap().unwrap();
    let config = record.config.clone();
    let findings = check_observed(
        Observed {
            store: &runner.store,
            campaign: c,
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
    println!("figures: {:?}", findings.figures);
    assert!(findings.violations.is_empty(), "{:#?}", findings.violations);
    // How many leads are called before the campaign's virtual end depends on the machine's
    // load (about 600 calls alone, a few hundred beside the rest of the suite on 2 cores):
    // this asserts that the network really was called, not a throughput.
    assert!(
        findings.figures["calls"] > imported as i64 / 4,
        "the network was actually called: {:?}",
        findings.figures
    );
}

/// The simulated agent reported over HTTP through the agent report API: opt-outs reached the
/// attempts (the network saw completed calls), and dispositions and results show in the lead
/// view.
async fn assert_agent_reports_arrived(runner: &Runner, api: &ApiClient, c: &CampaignRef) {
    let leads = runner.store.all_leads(c).await.unwrap();
    let records = || leads.iter().flat_map(|l| l.state.log.iter());
    let opted_out = records()
        .filter(|r| r.report.opt_out && r.outcome == domain::retry::Outcome::OptedOut)
        .count();
    let reported = records().filter(|r| r.report.disposition.is_some()).count();
    assert!(
        opted_out > 0 && reported > 0,
        "reports arrived: {opted_out} opt-outs, {reported} dispositions"
    );
    let lead = leads
        .iter()
        .find(|l| l.state.log.iter().any(|r| !r.report.results.is_empty()))
        .expect("a lead with reported results");
    let view = api
        .get(&format!("/v1/campaigns/{}/leads/{}", c.campaign, lead.id))
        .await
        .unwrap();
    let calls = view["calls"].as_array().unwrap();
    assert!(
        calls.iter().any(|call| call["results"].is_object()),
        "the lead view shows the results: {view}"
    );
}

/// The export has one row per lead, exactly the campaign's leads.
async fn assert_export_is_the_leads(runner: &Runner, api: &ApiClient, c: &CampaignRef) {
    let text = export_csv(api, c.campaign.as_str()).await;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let lead_column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "lead_id")
        .unwrap();
    let exported: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[lead_column].to_owned())
        .collect();
    let leads: HashSet<String> = runner
        .store
        .all_leads(c)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.id.to_string())
        .collect();
    assert_eq!(exported.len(), leads.len(), "export rows = leads");
    assert_eq!(exported.into_iter().collect::<HashSet<_>>(), leads);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_500_lead_campaign_runs_to_completion_through_the_api_with_faults_and_keeps_every_promise()
 {
    let logs = logs::capture();
    let start: DateTime<Utc> = "2026-06-08T12:30:00Z".parse().unwrap(); // Monday 08:30 New York
    let mut simulator = SimulatorConfig::new(11, "e2e-secret");
    simulator.faults = FaultMix::hostile();
    let (runner, api, agent) = runner_with_agent(
        RunnerConfig {
            port: 0,
            // 5 virtual hours in 3 wall minutes: slow enough that a loaded 2-core machine
            // still calls more than half the leads before the campaign's end.
            speed: 100.0,
            start_at: start,
            simulator,
            dialers: 4,
            prefix: emulator::unique_prefix("e2e"),
            tenant_requests_per_second: None,
            table_access: crate::support::table_access(),
            isolation: Default::default(),
            provider: Default::default(),
        },
        "e2e",
    )
    .await;
    // Ends five virtual hours after the start: leads still open then are skipped as the
    // campaign ends (the drain path), the rest finish on their own.
    let ends_at = start + chrono::Duration::hours(5);
    let campaign = api
        .post("/v1/campaigns", &json!({
            "name": "E2E", "agent_id": agent["id"],
            "schedule": { "ends_at": ends_at },
            "pacing": { "max_concurrent_calls": 20, "calls_per_hour": 3000 },
            "retry": { "max_retries": 2, "delay_minutes": 15, "retry_on": ["no_answer", "busy", "voicemail"] },
            "call_handling": { "max_call_seconds": 300, "voicemail_detection": true, "voicemail_action": "leave_message" }
        }))
        .await
        .unwrap();
    let id = campaign["id"].as_str().unwrap().to_owned();

    let imported = import_contacts(&api, &id).await;

    let launched = api
        .post(&format!("/v1/campaigns/{id}/launch"), &json!({}))
        .await
        .unwrap();
    assert_eq!(launched["status"], "active");

    let progress = wait_for("completion", Duration::from_secs(900), || {
        let api = api.clone();
        let path = format!("/v1/campaigns/{id}/progress");
        async move {
            let p = api.get(&path).await.ok()?;
            (p["status"] == "completed" && p["in_flight"] == 0 && p["remaining"] == 0).then_some(p)
        }
    })
    .await;
    assert_eq!(progress["total"].as_u64(), Some(imported));

    let c = CampaignRef {
        tenant: TenantId::parse("e2e").unwrap(),
        campaign: CampaignId::parse(id.clone()).unwrap(),
    };
    assert_every_promise_kept(&runner, &c, imported).await;

    assert_export_is_the_leads(&runner, &api, &c).await;
    assert_agent_reports_arrived(&runner, &api, &c).await;

    // The reconciliation queued at completion found no drift.
    let reconciled = last_reconciliation(&api, &id).await;
    assert_eq!(reconciled["drift"], json!([]), "{reconciled}");
    let leads = runner.store.all_leads(&c).await.unwrap();
    crate::support::shutdown(runner).await;
    let lines = logs.lines();
    assert_no_number_in(&lines);
    assert_a_lead_can_be_followed(&leads, &lines);
}

/// The logs tell one lead's life by its id alone: for a lead called twice, each attempt's dial
/// and its outcome are there, inside spans naming the attempt; API requests name their tenant.
fn assert_a_lead_can_be_followed(leads: &[domain::lead::Lead], lines: &[String]) {
    let lead = leads
        .iter()
        .find(|l| l.state.log.len() >= 2)
        .expect("a lead called twice (retries are on and the faults are hostile)");
    let story = logs::follow_lead(lines, lead.id.as_str());
    for attempt in [1, 2] {
        let said = |span: &str, message: &str| {
            story
                .iter()
                .any(|(s, a, m)| s == span && *a == Some(attempt) && m.contains(message))
        };
        assert!(said("dial", "call placed"), "attempt {attempt}: {story:#?}");
        // From the provider's event, or — when the faults lost or spoiled them — from the
        // tick's look-up of a call past its deadline.
        assert!(
            said("provider_event", "outcome applied") || said("reconcile", "outcome applied"),
            "attempt {attempt}: {story:#?}"
        );
    }
    let tenant_requests = lines
        .iter()
        .filter(|l| l.contains(r#""name":"request""#) && l.contains(r#""tenant":"e2e""#))
        .count();
    assert!(tenant_requests > 0, "API requests carry their tenant");
}

/// No line of the run's logs holds a contact's number, however written (E.164, national
/// digits, `(212) 555-0100`): any ten digits of a number-like run in any line that are one of
/// the list's national numbers fail the test.
fn assert_no_number_in(lines: &[String]) {
    assert!(lines.len() > 100, "the run logged: {} lines", lines.len());
    let (csv, _) = contacts_csv();
    let text = String::from_utf8(csv).unwrap();
    let numbers: HashSet<String> = text
        .lines()
        .skip(1)
        .filter_map(|row| {
            let written = row.split(',').next()?;
            let n = domain::phone::E164::normalize(written, domain::phone::DefaultRegion::us());
            n.ok().map(|n| n.e164.digits()[1..].to_owned())
        })
        .collect();
    assert!(
        numbers.len() > 400,
        "numbers to look for: {}",
        numbers.len()
    );
    for line in lines {
        if let Some(found) = logs::national_windows(line)
            .into_iter()
            .find(|w| numbers.contains(w))
        {
            panic!("a contact's number ({found}) is in a log line: {line}");
        }
    }
}

mod browser;
mod cli;
mod console;
mod console_manage;
mod console_numbers;
mod console_settings;
mod logs;
mod noisy_neighbour;
#[path = "../examples/support/noisy_neighbour.rs"]
mod noisy_scenario;
mod noisy_tenant;
mod platforms;
mod quarantine;
mod support;
