//! `POST /v1/privacy/erase`: a person's number out of every lead, report, export and upload of
//! the tenant, with the results worker's job run against the emulator.

use axum::http::StatusCode;
use chrono::Duration;
use domain::ids::{CampaignId, CampaignRef, ImportId, LeadId, TenantId};
use domain::lead::{AttemptRecord, Contact, ImportSource, Lead, LeadState};
use domain::phone::E164;
use domain::plan::Plan;
use domain::retry::Outcome;
use domain::status::LeadStatus;
use ports::blobs::BlobReads;
use ports::store::{ImportRecord, ImportStatus, Imports, Leads};
use serde_json::json;

use crate::support::{App, lead_id_key, t0};

const PERSON: &str = "+12125550101";
const OTHER: &str = "+12125550102";

fn lead(c: &CampaignRef, number: &str, state: LeadState) -> Lead {
    let phone = E164::parse_strict(number).unwrap();
    Lead {
        id: LeadId::keyed(&lead_id_key(), &c.campaign, &phone),
        contact: Contact {
            name: Some("Ann Lee".into()),
            ..Contact::new(phone)
        },
        source: ImportSource {
            import_id: ImportId::parse("imp1").unwrap(),
            line: 2,
        },
        state,
    }
}

/// Two calls an hour apart, the second completed.
fn called_twice() -> LeadState {
    let mut state = LeadState::new(t0());
    state.status = LeadStatus::Completed;
    state.attempts = 2;
    state.next_call_at = None;
    state.log = [
        (1, 0, Outcome::NoAnswer, 0),
        (2, 60, Outcome::Completed, 95),
    ]
    .into_iter()
    .map(|(n, minutes, outcome, seconds)| AttemptRecord {
        attempt: n,
        started_at: t0() + Duration::minutes(minutes),
        ended_at: t0() + Duration::minutes(minutes + 2),
        outcome,
        duration_seconds: seconds,
        provider_call_id: Some(format!("CA{n}")),
        disposition: None,
        report: Default::default(),
        answered_by: None,
        fields_left_out: Vec::new(),
        transferred: false,
        clearance: None,
    })
    .collect();
    state
}

/// A finished import whose file and rejected-rows report are in the bucket.
async fn finished_import(app: &App, c: &CampaignRef, id: &str, report: &str) -> ImportRecord {
    let import = ImportId::parse(id).unwrap();
    let upload = format!("imports/{}/{}/{id}.csv", c.tenant, c.campaign);
    let report_key = format!("reports/{}/{}/{id}.csv", c.tenant, c.campaign);
    let record = ImportRecord {
        status: ImportStatus::Completed,
        report_key: Some(report_key.clone()),
        ..ImportRecord::awaiting_upload(import, c.clone(), upload.clone(), t0())
    };
    app.store.put_import(&record, None).await.unwrap();
    let csv = format!("phone,name\n{PERSON},Ann Lee\n{OTHER},Bo\n");
    app.blobs
        .put(&upload, "text/csv", csv.into_bytes())
        .await
        .unwrap();
    app.blobs
        .put(&report_key, "text/csv", report.as_bytes().to_vec())
        .await
        .unwrap();
    record
}

async fn run_to_the_end(app: &App, key: &str, path: &str) -> serde_json::Value {
    assert!(app.run_results_jobs().await >= 1);
    let done = app.get(key, path).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    done.body
}

/// A campaign of two leads (the person's called twice), two finished imports (one report names
/// the person), counters and hours reconciled, and an export written.
struct Seeded {
    key: String,
    campaign: String,
    c: CampaignRef,
    person: Lead,
    other: Lead,
    naming: ImportRecord,
    clean: ImportRecord,
    export_id: String,
}

impl Seeded {
    async fn new(app: &App) -> Self {
        let key = app.tenant("acme", Plan::Enterprise).await;
        let campaign = app.campaign(&key, "acme", 0).await;
        let c = CampaignRef {
            tenant: TenantId::parse("acme").unwrap(),
            campaign: CampaignId::parse(&campaign).unwrap(),
        };
        let person = lead(&c, PERSON, called_twice());
        let other = lead(&c, OTHER, LeadState::new(t0()));
        let both = [person.clone(), other.clone()];
        app.store.insert_leads(&c, &both, 8).await.unwrap();
        let naming = "line,reason,phone\n7,duplicate,(212) 555-0101\n";
        let naming = finished_import(app, &c, "imp1", naming).await;
        let clean = "line,reason,phone\n3,invalid_phone,12\n";
        let clean = finished_import(app, &c, "imp2", clean).await;
        // The counters and hourly items as the leads say (the seeded leads wrote none).
        let reconcile = format!("/v1/campaigns/{campaign}/reconcile");
        let repair = app.post(&key, &reconcile, json!({})).await;
        assert_eq!(repair.status, StatusCode::ACCEPTED);
        app.run_results_jobs().await;
        let exports = format!("/v1/campaigns/{campaign}/exports");
        let export = app.post(&key, &exports, json!({})).await;
        let export_id = export.body["id"].as_str().unwrap().to_owned();
        let written = run_to_the_end(app, &key, &format!("{exports}/{export_id}")).await;
        assert_eq!(written["status"], "completed");
        Self {
            key,
            campaign,
            c,
            person,
            other,
            naming,
            clean,
            export_id,
        }
    }

    fn export_key(&self) -> String {
        format!("exports/acme/{}/{}.csv", self.campaign, self.export_id)
    }

    fn lead_ref(&self, lead: &Lead) -> domain::ids::LeadRef {
        domain::ids::LeadRef {
            campaign: self.c.clone(),
            lead: lead.id.clone(),
        }
    }
}

/// Whether the bucket holds `key`.
async fn head(app: &App, key: &str) -> Option<ports::blobs::BlobHead> {
    app.reads.head(key).await.unwrap()
}

/// Erases `number`, runs the worker, answers the finished erasure.
async fn erase(app: &App, key: &str, number: &str) -> serde_json::Value {
    let erase = app
        .post(key, "/v1/privacy/erase", json!({ "number": number }))
        .await;
    assert_eq!(erase.status, StatusCode::ACCEPTED, "{:?}", erase.body);
    assert_eq!(erase.body["status"], "running");
    let listed = app.get(key, "/v1/dnc").await;
    assert!(
        listed.body.to_string().contains(PERSON),
        "on the DNC list at once: {:?}",
        listed.body
    );
    let path = format!(
        "/v1/privacy/erasures/{}",
        erase.body["id"].as_str().unwrap()
    );
    let done = run_to_the_end(app, key, &path).await;
    assert_eq!(done["status"], "completed", "{done:?}");
    assert!(
        !done.to_string().contains("555"),
        "the record never holds the number: {done:?}"
    );
    done
}

#[tokio::test]
async fn an_erasure_answers_what_it_removed_from_leads_reports_exports_and_uploads() {
    let app = App::spawn("erase").await;
    let s = Seeded::new(&app).await;
    let done = erase(&app, &s.key, "(212) 555-0101").await;
    let erased = &done["erased"];
    let lead = json!({ "campaign_id": s.campaign, "lead_id": s.person.id.as_str(), "status": "completed", "attempts": 2 });
    assert_eq!(erased["leads"], json!([lead]));
    assert_eq!(erased["exports"], json!([s.export_id]));
    let report = json!({ "campaign_id": s.campaign, "key": s.naming.report_key.clone().unwrap() });
    assert_eq!(erased["import_reports"], json!([report]));
    let uploads = erased["uploads"].as_array().unwrap();
    assert_eq!(
        uploads.len(),
        2,
        "both finished imports' files: {uploads:?}"
    );
    assert_eq!(erased["dnc_entry"], true);

    assert!(
        app.store
            .get_lead(&s.lead_ref(&s.person))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.store
            .get_lead(&s.lead_ref(&s.other))
            .await
            .unwrap()
            .is_some(),
        "the others stay"
    );
    assert!(
        app.reads.head(&s.export_key()).await.unwrap().is_none(),
        "the export already written is gone"
    );
    let export_path = format!("/v1/campaigns/{}/exports/{}", s.campaign, s.export_id);
    let withdrawn = app.get(&s.key, &export_path).await;
    assert_eq!(withdrawn.body["status"], "withdrawn");
    assert!(withdrawn.body.get("download_url").is_none());
    assert!(
        head(&app, s.naming.report_key.as_ref().unwrap())
            .await
            .is_none()
    );
    assert!(
        head(&app, s.clean.report_key.as_ref().unwrap())
            .await
            .is_some(),
        "a report without the number stays"
    );
    assert!(head(&app, &s.naming.object_key).await.is_none());
    let listed = app.get(&s.key, "/v1/dnc").await;
    assert!(
        !listed.body.to_string().contains(PERSON),
        "only the keyed marker stays: {:?}",
        listed.body
    );
}

#[tokio::test]
async fn after_an_erasure_the_counts_reconcile_and_asking_again_finds_nothing() {
    let app = App::spawn("erase-again").await;
    let s = Seeded::new(&app).await;
    erase(&app, &s.key, PERSON).await;
    let progress = app
        .get(&s.key, &format!("/v1/campaigns/{}/progress", s.campaign))
        .await;
    assert_eq!(progress.body["total"], 1, "{:?}", progress.body);
    assert_eq!(progress.body["erased"], 1);
    let reconcile = format!("/v1/campaigns/{}/reconcile", s.campaign);
    assert_eq!(
        app.post(&s.key, &reconcile, json!({})).await.status,
        StatusCode::ACCEPTED
    );
    app.run_results_jobs().await;
    let report = app.get(&s.key, &reconcile).await;
    assert_eq!(
        report.body["drift"],
        json!([]),
        "the counters and hours lost exactly the lead: {:?}",
        report.body
    );

    let second = erase(&app, &s.key, PERSON).await;
    assert_eq!(
        second["erased"]["leads"],
        json!([]),
        "nothing is left to erase"
    );
    assert_eq!(second["erased"]["exports"], json!([]));
    assert_eq!(
        second["erased"]["dnc_entry"], true,
        "the second request's own DNC entry"
    );
}

#[tokio::test]
async fn an_erasure_refuses_what_is_not_a_number_and_another_tenants_erasure_is_not_found() {
    let app = App::spawn("erase-bad").await;
    let acme = app.tenant("acme", Plan::Enterprise).await;
    let other = app.tenant("other", Plan::Enterprise).await;
    let bad = app
        .post(&acme, "/v1/privacy/erase", json!({ "number": "call me" }))
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        bad.body
    );
    assert_eq!(app.run_results_jobs().await, 0, "nothing was queued");
    let erase = app
        .post(&acme, "/v1/privacy/erase", json!({ "number": PERSON }))
        .await;
    let path = format!(
        "/v1/privacy/erasures/{}",
        erase.body["id"].as_str().unwrap()
    );
    assert_eq!(app.get(&other, &path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&acme, &path).await.status, StatusCode::OK);
}

/// The `expires_at` (TTL) of a lead's stored item.
async fn lead_expiry(app: &App, lead: &domain::ids::LeadRef) -> Option<i64> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let shard = lead.lead.shard(ports::store::LEAD_SHARDS);
    let pk = format!(
        "L#{}#{}#{shard}",
        lead.campaign.tenant, lead.campaign.campaign
    );
    let item = (app.store.client().get_item())
        .table_name(app.store.table())
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(lead.lead.to_string()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("the lead is stored");
    item.get("expires_at")
        .map(|v| v.as_n().unwrap().parse().unwrap())
}

/// `PUT /v1/privacy/retention` with `body`.
async fn put_retention(app: &App, key: &str, body: serde_json::Value) -> crate::support::Response {
    let path = "/v1/privacy/retention";
    app.call(key, axum::http::Method::PUT, path, Some(body))
        .await
}

#[tokio::test]
async fn a_retention_gives_ended_campaigns_leads_their_expiry_and_taking_it_off_keeps_them() {
    use domain::status::CampaignStatus::{Cancelled, Draft};
    use ports::store::{CampaignStatuses, Campaigns};
    let app = App::spawn("retention").await;
    let s = Seeded::new(&app).await;
    let ended = ports::Clock::now(&app.clock);
    let cancel = app.store.set_campaign_status(&s.c, Draft, Cancelled, ended);
    cancel.await.unwrap();
    let running = app.campaign(&s.key, "acme", 1).await;

    let set = put_retention(&app, &s.key, json!({ "days": 30 })).await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    let read = app.get(&s.key, "/v1/privacy/retention").await;
    assert_eq!(read.body["days"], 30);
    let tenant = app.get(&s.key, "/v1/tenant").await;
    assert_eq!(tenant.body["retention_days"], 30);
    assert_eq!(app.run_results_jobs().await, 1, "one ended campaign");
    let until = ended + Duration::days(30);
    for lead in [&s.person, &s.other] {
        let expiry = lead_expiry(&app, &s.lead_ref(lead)).await;
        assert_eq!(expiry, Some(until.timestamp()));
    }
    let path = format!("/v1/campaigns/{}", s.campaign);
    let view = app.get(&s.key, &path).await;
    let rfc3339 = until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(view.body["personal_data_until"], json!(rfc3339));
    let running = app.get(&s.key, &format!("/v1/campaigns/{running}")).await;
    let open = running.body.get("personal_data_until");
    assert!(open.is_none(), "a campaign still open keeps its leads");

    let later = until + Duration::days(1);
    let report = engine::results::reconcile(app.store.as_ref(), &s.c, true, later).await;
    let report = report.unwrap();
    assert!(!report.repaired && report.drift.is_empty(), "{report:?}");
    assert!(
        report.note.unwrap().contains("retention"),
        "expired: not reconciled"
    );

    let keep = put_retention(&app, &s.key, json!({ "days": null })).await;
    assert_eq!(keep.status, StatusCode::OK);
    app.run_results_jobs().await;
    let expiry = lead_expiry(&app, &s.lead_ref(&s.person)).await;
    assert_eq!(expiry, None, "the expiry is taken off");
    let record = app.store.get_campaign(&s.c).await.unwrap().unwrap();
    assert_eq!(record.personal_data_until, None);
    for bad in [
        json!({ "days": 0 }),
        json!({ "days": 3651 }),
        json!({ "weeks": 2 }),
    ] {
        let refused = put_retention(&app, &s.key, bad.clone()).await;
        assert!(
            refused.status.is_client_error(),
            "{bad}: {:?}",
            refused.body
        );
    }
}

#[tokio::test]
async fn a_campaign_cancelled_with_nothing_open_gets_the_retention_at_once() {
    use axum::http::Method;
    use domain::status::CampaignStatus;
    use ports::store::CampaignStatuses;
    let app = App::spawn("retention-cancel").await;
    let key = app.tenant("acme", Plan::Enterprise).await;
    let body = Some(json!({ "days": 7 }));
    let set = app
        .call(&key, Method::PUT, "/v1/privacy/retention", body)
        .await;
    assert_eq!(set.status, StatusCode::OK);
    assert_eq!(app.run_results_jobs().await, 0, "no campaign has ended yet");
    let campaign = app.campaign(&key, "acme", 0).await;
    let c = CampaignRef {
        tenant: TenantId::parse("acme").unwrap(),
        campaign: CampaignId::parse(&campaign).unwrap(),
    };
    let now = ports::Clock::now(&app.clock);
    let paused =
        (app.store).set_campaign_status(&c, CampaignStatus::Draft, CampaignStatus::Paused, now);
    paused.await.unwrap();
    let cancelled = app
        .post(&key, &format!("/v1/campaigns/{campaign}/cancel"), json!({}))
        .await;
    assert_eq!(
        cancelled.body["status"], "cancelled",
        "{:?}",
        cancelled.body
    );
    assert_eq!(
        app.run_results_jobs().await,
        1,
        "the retain job the cancel queued"
    );
    let view = app.get(&key, &format!("/v1/campaigns/{campaign}")).await;
    let until = (now + Duration::days(7)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(view.body["personal_data_until"], json!(until));
}
