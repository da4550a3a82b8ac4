//! Analytics, exports and reconciliation through the API, with the results worker's jobs run
//! against the emulator.

use ports::store::{Counters, Imports, Leads, Reports, WebhookEvents};
use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use chrono::Duration;
use domain::clearance::{CallClearance, ZoneClearance};
use domain::ids::{CampaignId, CampaignRef, ImportId, LeadId, TenantId};
use domain::import::{Encoding, Sniffed};
use domain::lead::{AttemptRecord, Contact, ImportSource, Lead, LeadState, SkipReason};
use domain::phone::E164;
use domain::plan::Plan;
use domain::retry::Outcome;
use domain::status::LeadStatus;
use ports::store::{ImportFormat, ImportRecord, ImportStatus};
use serde_json::json;

use crate::support::{App, assert_problem, t0};

fn reference(tenant: &str, campaign: &str) -> CampaignRef {
    CampaignRef {
        tenant: TenantId::parse(tenant).unwrap(),
        campaign: CampaignId::parse(campaign).unwrap(),
    }
}

fn attempt(
    n: u8,
    minutes: i64,
    outcome: Outcome,
    seconds: u32,
    disposition: Option<&str>,
) -> AttemptRecord {
    AttemptRecord {
        attempt: n,
        started_at: t0() + Duration::minutes(minutes),
        ended_at: t0() + Duration::minutes(minutes + 3),
        outcome,
        duration_seconds: seconds,
        provider_call_id: Some(format!("CA{n}{minutes}")),
        disposition: disposition.map(str::to_owned),
        report: Default::default(),
        answered_by: None,
        fields_left_out: Vec::new(),
        transferred: false,
        clearance: Some(clearance_at(t0() + Duration::minutes(minutes))),
    }
}

/// What allowed a call to a New York number at `at` (10:00 local and on, Wednesday).
fn clearance_at(at: chrono::DateTime<chrono::Utc>) -> CallClearance {
    let local = at.with_timezone(&chrono_tz::America::New_York);
    CallClearance {
        rules: domain::legal::RuleSet::current().version.to_owned(),
        at,
        zones: vec![ZoneClearance {
            zone: "America/New_York".into(),
            local: local.format("%Y-%m-%dT%H:%M %a").to_string(),
            window: "09:00-18:00".into(),
            legal: "08:00-21:00".into(),
        }],
        subdivisions: vec!["US-NY".into()],
        dnc_checked_at: at,
        consent_rule: "none".into(),
        purpose: "informational".into(),
        consent_type: Some("none".into()),
        consent_reference: None,
        consent: None,
        consent_source: None,
        consent_at: None,
        calls_in_24h: 0,
        cap_per_24h: None,
        caller_number: "+14155550199".into(),
        caller_reason: None,
        tenant_calls: Some(domain::clearance::TenantCalls {
            local_day: 1,
            per_local_day: 3,
            last_7_days: 2,
            per_7_days: 7,
        }),
        registry: None,
    }
}

/// Leads in every kind of final and open state, with custom fields, some of them hostile to
/// spreadsheets; an import record naming the custom columns.
async fn finished_campaign(app: &App, key: &str, tenant: &str) -> (String, Vec<Lead>) {
    let id = app.campaign(key, tenant, 0).await;
    let c = reference(tenant, &id);
    let import = ImportId::parse("imp1").unwrap();
    app.store
        .put_import(&completed_import(&c, &import), None)
        .await
        .unwrap();
    let mut leads = Vec::new();
    let specs = lead_specs();
    for (i, (phone, name, note, state)) in specs.into_iter().enumerate() {
        let phone = E164::parse_strict(phone).unwrap();
        let lead = Lead {
            id: LeadId::derive(&c.campaign, &phone),
            contact: Contact {
                name: Some(name.into()),
                custom: BTreeMap::from([
                    ("plan".to_owned(), format!("plan-{i}")),
                    ("note".to_owned(), note.to_owned()),
                ]),
                ..Contact::new(phone)
            },
            source: ImportSource {
                import_id: import.clone(),
                line: i as u64 + 2,
            },
            state,
        };
        leads.push(lead);
    }
    app.store.insert_leads(&c, &leads, 8).await.unwrap();
    (id, leads)
}

/// The import the finished campaign's leads came from: completed, four rows.
fn completed_import(c: &CampaignRef, import: &ImportId) -> ImportRecord {
    let header = ["phone", "name", "plan", "note"]
        .map(str::to_owned)
        .to_vec();
    ImportRecord {
        status: ImportStatus::Completed,
        object_size: 1,
        offset: 1,
        rows_read: 4,
        imported: 4,
        format: Some(ImportFormat {
            sniffed: Sniffed {
                encoding: Encoding::Utf8,
                delimiter: b',',
            },
            header,
        }),
        next_line: 6,
        chunks: 1,
        ..ImportRecord::awaiting_upload(import.clone(), c.clone(), "imports/x.csv".into(), t0())
    }
}

/// Four leads (number, name, note with spreadsheet formulas and CSV specials, state): one
/// completed after a retry, one failed, one skipped as DNC, one never called.
fn lead_specs() -> Vec<(&'static str, &'static str, &'static str, LeadState)> {
    vec![
        ("+12125550101", "Ann Lee", "=HYPERLINK(\"http://evil\")", {
            let mut s = LeadState::new(t0());
            s.status = LeadStatus::Completed;
            s.attempts = 2;
            s.next_call_at = None;
            s.log = vec![
                attempt(1, 0, Outcome::NoAnswer, 0, None),
                attempt(2, 60, Outcome::Completed, 95, Some("interested")),
            ];
            // What the agent reported after the call: its own disposition and results.
            s.log[1].report.disposition =
                Some(domain::call_report::Disposition::parse("wants_demo").unwrap());
            s.log[1].report.results.insert("plan".into(), "gold".into());
            s.log[1].report.results.insert("seats".into(), "=12".into());
            s
        }),
        ("+13125550102", "+Bob", "@SUM(A1)", {
            let mut s = LeadState::new(t0());
            s.status = LeadStatus::Failed;
            s.attempts = 1;
            s.next_call_at = None;
            s.log = vec![attempt(1, 5, Outcome::Failed, 0, None)];
            s
        }),
        ("+14155550103", "-Cy", "plain, with a comma", {
            let mut s = LeadState::new(t0());
            s.status = LeadStatus::Skipped;
            s.skip_reason = Some(SkipReason::DoNotCall);
            s.next_call_at = None;
            s
        }),
        (
            "+16175550104",
            "Di \"Q\" Ng",
            "line\nbreak",
            LeadState::new(t0()),
        ),
    ]
}

async fn download(url: &str) -> String {
    reqwest::get(url).await.unwrap().text().await.unwrap()
}

/// The export's columns, in order.
const EXPORT_HEADER: [&str; 24] = [
    "lead_id",
    "phone",
    "name",
    "email",
    "company",
    "timezone",
    "state",
    "consent",
    "consent_source",
    "consent_at",
    "line",
    "plan",
    "note",
    "status",
    "attempts",
    "last_outcome",
    "disposition",
    "talk_seconds",
    "first_call_at",
    "last_call_at",
    "reason",
    "extra_fields",
    "call_results",
    "call_clearances",
];

/// Requests an export of `campaign`, runs the results worker, checks the export completed with
/// `rows` rows, and downloads it.
async fn export_and_download(app: &App, key: &str, path: &str, rows: usize) -> String {
    let campaign = path.split('/').nth(3).unwrap();
    let started = app.post(key, path, json!({})).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.body);
    assert_eq!(started.body["status"], "queued");
    assert!(started.body.get("download_url").is_none());
    let export = started.body["id"].as_str().unwrap().to_owned();
    assert_eq!(app.run_results_jobs().await, 1);

    let done = app
        .get(key, &format!("/v1/campaigns/{campaign}/exports/{export}"))
        .await;
    assert_eq!(done.body["status"], "completed", "{:?}", done.body);
    assert_eq!(done.body["rows"], rows as u64);
    download(done.body["download_url"].as_str().unwrap()).await
}

/// A row of the export says what the lead says (and the number is neutralized: E.164 starts
/// with `+`).
fn assert_row_is_the_lead(row: &HashMap<String, String>, lead: &Lead) {
    assert_eq!(
        row["phone"],
        format!("'{}", lead.contact.phone),
        "E.164 starts with + and is neutralized"
    );
    assert_eq!(row["status"], lead.state.status.as_str());
    assert_eq!(row["attempts"], lead.state.attempts.to_string());
    assert_eq!(row["line"], lead.source.line.to_string());
    assert_eq!(row["plan"], lead.contact.custom["plan"]);
    let talk: u32 = lead.state.log.iter().map(|r| r.duration_seconds).sum();
    assert_eq!(row["talk_seconds"], talk.to_string());
    assert_eq!(
        row["last_outcome"],
        lead.state.last_outcome().map(|o| o.as_str()).unwrap_or("")
    );
}

#[tokio::test]
async fn an_export_has_one_row_per_lead_equal_to_the_lead_and_neutralizes_formulas() {
    let app = App::spawn("export").await;
    let key = app.tenant("acme", Plan::Enterprise).await;
    let (campaign, leads) = finished_campaign(&app, &key, "acme").await;

    let path = format!("/v1/campaigns/{campaign}/exports");
    let text = export_and_download(&app, &key, &path, leads.len()).await;
    let ready: Vec<_> = (app
        .store
        .recent_events(&TenantId::parse("acme").unwrap(), 100)
        .await
        .unwrap())
    .into_iter()
    .filter(|(e, _)| e.kind == domain::webhooks::EventType::ExportReady)
    .collect();
    assert_eq!(
        ready.len(),
        1,
        "export.ready is recorded with the finished export"
    );
    assert_eq!(ready[0].0.data["rows"], json!(leads.len()));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, EXPORT_HEADER);
    let rows: Vec<HashMap<String, String>> = reader.deserialize().map(Result::unwrap).collect();
    assert_eq!(rows.len(), leads.len());
    let by_id: HashMap<&str, &HashMap<String, String>> =
        rows.iter().map(|r| (r["lead_id"].as_str(), r)).collect();
    for lead in &leads {
        assert_row_is_the_lead(by_id[lead.id.as_str()], lead);
    }
    let ann = rows.iter().find(|r| r["name"] == "Ann Lee").unwrap();
    assert_eq!(ann["note"], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(ann["disposition"], "wants_demo", "the agent's report wins");
    assert_eq!(ann["call_results"], "plan=gold; seats==12");
    assert_eq!(
        ann["first_call_at"], "2026-06-10T10:00:00-04:00",
        "New York offset for a 212 number"
    );
    assert_eq!(ann["last_call_at"], "2026-06-10T11:00:00-04:00");
    let bob = rows.iter().find(|r| r["note"].contains("SUM")).unwrap();
    assert_eq!(bob["name"], "'+Bob");
    assert_eq!(bob["note"], "'@SUM(A1)");
    assert_eq!(bob["reason"], "failed");
    let cy = rows.iter().find(|r| r["status"] == "skipped").unwrap();
    assert_eq!(cy["name"], "'-Cy");
    assert_eq!(cy["note"], "plain, with a comma");
    assert_eq!(cy["reason"], "do_not_call");
    let di = rows.iter().find(|r| r["status"] == "pending").unwrap();
    assert_eq!(di["name"], "Di \"Q\" Ng");
    assert_eq!(di["note"], "line\nbreak");
    assert_eq!(di["first_call_at"], "");
}

#[tokio::test]
async fn another_tenants_export_is_not_found() {
    let app = App::spawn("export-iso").await;
    let acme = app.tenant("acme", Plan::Enterprise).await;
    let other = app.tenant("other", Plan::Enterprise).await;
    let (campaign, _) = finished_campaign(&app, &acme, "acme").await;
    let started = app
        .post(
            &acme,
            &format!("/v1/campaigns/{campaign}/exports"),
            json!({}),
        )
        .await;
    let export = started.body["id"].as_str().unwrap();
    let r = app
        .get(
            &other,
            &format!("/v1/campaigns/{campaign}/exports/{export}"),
        )
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    let r = app
        .post(
            &other,
            &format!("/v1/campaigns/{campaign}/exports"),
            json!({}),
        )
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    let r = app
        .get(&acme, &format!("/v1/campaigns/{campaign}/exports/nope"))
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
}

/// Requests a reconciliation, runs the results worker, and reads the report it left.
async fn reconcile(app: &App, key: &str, campaign: &str) -> serde_json::Value {
    let r = app
        .post(
            key,
            &format!("/v1/campaigns/{campaign}/reconcile"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(app.run_results_jobs().await, 1);
    app.get(key, &format!("/v1/campaigns/{campaign}/reconcile"))
        .await
        .body
}

#[tokio::test]
async fn analytics_come_from_counters_and_reconcile_repairs_drift() {
    let app = App::spawn("analytics").await;
    let key = app.tenant("acme", Plan::Enterprise).await;
    let (campaign, leads) = finished_campaign(&app, &key, "acme").await;

    // The leads were written without their counters: the counters say nothing happened.
    let before = app
        .get(&key, &format!("/v1/campaigns/{campaign}/analytics"))
        .await;
    assert_eq!(before.status, StatusCode::OK, "{:?}", before.body);
    assert_eq!(before.body["leads"], 0);
    assert_eq!(before.body["completion_rate"], serde_json::Value::Null);

    let report = reconcile(&app, &key, &campaign).await;
    assert_eq!(report["repaired"], true, "{report:?}");
    assert_eq!(report["leads"], 4);
    let drifted: Vec<&str> = report["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["counter"].as_str().unwrap())
        .collect();
    assert!(
        drifted.contains(&"n_completed") && drifted.contains(&"attempts"),
        "{drifted:?}"
    );
    assert!(
        drifted.iter().any(|d| d.starts_with("hour 2026-06-10T14")),
        "{drifted:?}"
    );

    let after = app
        .get(&key, &format!("/v1/campaigns/{campaign}/analytics"))
        .await
        .body;
    assert_eq!(after["leads"], 4);
    assert_eq!(after["leads_completed"], 1);
    assert_eq!(after["completion_rate"], 0.25);
    assert_eq!(after["calls"], 3);
    assert_eq!(after["calls_connected"], 1);
    assert_eq!(after["connection_rate"], 1.0 / 3.0);
    assert_eq!(after["average_call_seconds"], 95.0);
    assert_eq!(after["attempts_per_lead"], 0.75);
    let timeline = after["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 2, "{timeline:?}");
    assert_eq!(timeline[0]["calls_started"], 2, "the 14:00 and 14:05 calls");
    assert_eq!(timeline[1]["calls_connected"], 1);
    let outcomes: Vec<&str> = after["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes.len(), 3);
    assert_eq!(leads.len(), 4);

    // A second reconciliation finds nothing left to repair.
    let again = reconcile(&app, &key, &campaign).await;
    assert_eq!(again["drift"], json!([]));
    assert_eq!(again["repaired"], false);
}

#[tokio::test]
async fn a_repair_is_refused_when_the_campaign_moved_during_the_count() {
    let app = App::spawn("reconcile-race").await;
    let key = app.tenant("acme", Plan::Enterprise).await;
    let (campaign, _) = finished_campaign(&app, &key, "acme").await;
    let c = reference("acme", &campaign);
    let stale = app.store.counters(&c).await.unwrap().tally();
    // Another lead arrives after the counters were read.
    app.add_leads("acme", &campaign, 1).await;
    let truth = domain::results::Tally::of(
        app.store
            .all_leads(&c)
            .await
            .unwrap()
            .iter()
            .map(|l| &l.state),
    );
    let refused = app.store.replace_counters(&c, &stale, &truth).await;
    assert!(
        matches!(refused, Err(ports::store::WriteError::Refused(_))),
        "{refused:?}"
    );
    let current = app.store.counters(&c).await.unwrap().tally();
    assert_eq!(
        current.count(LeadStatus::Pending),
        1,
        "the newer count is kept"
    );
}

#[tokio::test]
async fn a_clearances_export_has_a_row_per_attempt_and_zone_saying_what_allowed_the_call() {
    let app = App::spawn("export-clearances").await;
    let key = app.tenant("acme", Plan::Enterprise).await;
    let (campaign, leads) = finished_campaign(&app, &key, "acme").await;
    let attempts: Vec<(&Lead, &AttemptRecord)> = leads
        .iter()
        .flat_map(|l| l.state.log.iter().map(move |r| (l, r)))
        .collect();
    assert!(!attempts.is_empty());
    let path = format!("/v1/campaigns/{campaign}/exports?kind=clearances");
    let text = export_and_download(&app, &key, &path, attempts.len()).await;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        domain::results::CLEARANCE_COLUMNS
    );
    let rows: Vec<HashMap<String, String>> = reader.deserialize().map(Result::unwrap).collect();
    for (lead, record) in attempts {
        let row = rows
            .iter()
            .find(|r| {
                r["lead_id"] == lead.id.as_str() && r["attempt"] == record.attempt.to_string()
            })
            .expect("a row for every attempt");
        let c = record.clearance.as_ref().unwrap();
        assert_eq!(row["zone"], "America/New_York");
        assert_eq!(row["local_time"], c.zones[0].local);
        assert_eq!(row["window_range"], "09:00-18:00");
        assert_eq!(row["dnc_checked_at"], row["started_at"]);
        assert_eq!(
            [
                &row["tenant_calls_local_day"],
                &row["tenant_cap_per_local_day"]
            ],
            ["1", "3"]
        );
        assert_eq!(
            [
                &row["tenant_calls_in_7_days"],
                &row["tenant_cap_per_7_days"]
            ],
            ["2", "7"]
        );
        assert_eq!(
            row["caller_number"], "'+14155550199",
            "neutralized like every cell"
        );
    }
    let refused = app
        .post(
            &key,
            &format!("/v1/campaigns/{campaign}/exports?kind=everything"),
            json!({}),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        refused.body
    );
}
