//! Launch and resume run the campaign's first tick in the request: when the answer comes back
//! the due leads are leased and the first is on the dial queue (the others follow within the
//! minute, spread by pacing), not at the next minute of its schedule.

use axum::http::StatusCode;
use domain::lead::Contact;
use domain::plan::Plan;
use serde_json::{Value, json};

use crate::support::*;

/// The leads of campaign `id` of tenant `t1`, as stored.
async fn leads(app: &App, id: &str) -> Vec<domain::lead::Lead> {
    use ports::store::Leads;
    let c = domain::ids::CampaignRef {
        tenant: domain::ids::TenantId::parse("t1").unwrap(),
        campaign: domain::ids::CampaignId::parse(id).unwrap(),
    };
    app.store.all_leads(&c).await.unwrap()
}

async fn leased(app: &App, id: &str) -> usize {
    let leads = leads(app, id).await;
    leads.iter().filter(|l| l.state.lease.is_some()).count()
}

/// Reads campaign `id`'s configuration, changes it with `edit`, and puts it back.
async fn edit_config(app: &App, key: &str, id: &str, edit: impl FnOnce(&mut Value)) {
    let path = format!("/v1/campaigns/{id}");
    let mut spec = app.get(key, &path).await.body["config"].clone();
    edit(&mut spec);
    let r = app.call(key, http::Method::PUT, &path, Some(spec)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

async fn messages_on_the_dial_queue(app: &App) -> usize {
    let mut seen = 0;
    loop {
        let received = app
            .sqs
            .receive_message()
            .queue_url(&app.dial_queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let batch = received.messages().len();
        if batch == 0 {
            return seen;
        }
        seen += batch;
    }
}

#[tokio::test]
async fn a_launch_enqueues_the_first_leads_before_it_answers() {
    let app = App::spawn_ticking("first-tick").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let id = app.campaign(&key, "t1", 3).await;
    assert_eq!(
        messages_on_the_dial_queue(&app).await,
        0,
        "nothing before launch"
    );
    let r = app
        .post(&key, &format!("/v1/campaigns/{id}/launch"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "active");
    assert_eq!(leased(&app, &id).await, 3, "every due lead was leased");
    assert!(
        messages_on_the_dial_queue(&app).await >= 1,
        "the first is on the dial queue already"
    );
}

#[tokio::test]
async fn a_resume_leases_the_leads_again_at_once() {
    let app = App::spawn_ticking("first-tick-resume").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let id = app.campaign(&key, "t1", 2).await;
    let pause_path = format!("/v1/campaigns/{id}/pause");
    app.post(&key, &format!("/v1/campaigns/{id}/launch"), json!({}))
        .await;
    assert_eq!(leased(&app, &id).await, 2);
    assert_eq!(
        app.post(&key, &pause_path, json!({})).await.status,
        StatusCode::OK
    );
    // The first tick's leases lapse (their dialers never came); the paused campaign leases
    // nothing new meanwhile, and a resume leases every lead again at once.
    let before: Vec<_> = leads(&app, &id)
        .await
        .into_iter()
        .map(|l| l.state.lease)
        .collect();
    app.clock.advance(chrono::Duration::minutes(10));
    let r = app
        .post(&key, &format!("/v1/campaigns/{id}/resume"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let now = ports::Clock::now(&app.clock);
    let fresh = leads(&app, &id).await;
    assert!(
        fresh.iter().all(|l| l
            .state
            .lease
            .as_ref()
            .is_some_and(|lease| lease.until > now)),
        "the resume leased every lead again, at once"
    );
    let after: Vec<_> = fresh.into_iter().map(|l| l.state.lease).collect();
    assert_ne!(before, after, "new leases, not the lapsed ones");
}

#[tokio::test]
async fn a_campaign_launched_on_a_blackout_day_dials_nobody_and_its_dry_run_says_why() {
    let app = App::spawn_ticking("blackout").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let id = app.campaign(&key, "t1", 3).await;
    // t0 is Wednesday June 10 in New York; the leads are New York numbers.
    edit_config(&app, &key, &id, |spec| {
        spec["schedule"]["blackout"] = json!([{"from": "2026-06-10"}, {"from": "2020-01-01"}]);
    })
    .await;

    let dry = app
        .post(&key, &format!("/v1/campaigns/{id}/dry-run"), json!({}))
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{:?}", dry.body);
    assert_eq!(
        dry.body["blackout_ahead"],
        json!([{"from": "2026-06-10"}]),
        "past entries left out"
    );
    for item in dry.body["items"].as_array().unwrap() {
        assert_eq!(item["held_by_blackout"], true, "{item}");
        // Thursday June 11, 09:00 in New York: the next window after the blackout day.
        assert_eq!(item["first_dial_at"], "2026-06-11T13:00:00Z", "{item}");
    }

    let r = app
        .post(&key, &format!("/v1/campaigns/{id}/launch"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        messages_on_the_dial_queue(&app).await,
        0,
        "no lead enqueued on a blackout day"
    );
    assert_eq!(leased(&app, &id).await, 0);
}

/// A contact on +1212555200n with the given consent and evidence.
fn consented(n: u32, consent: Option<bool>, source: Option<&str>, at: Option<&str>) -> Contact {
    Contact {
        phone: domain::phone::E164::parse_strict(&format!("+1212555{:04}", 2000 + n)).unwrap(),
        name: Some(format!("Lead {n}")),
        email: None,
        company: None,
        timezone: None,
        state: None,
        consent,
        consent_source: source.map(str::to_owned),
        consent_at: at.map(|t| t.parse().unwrap()),
        ..Contact::new(domain::phone::E164::parse_strict("+12125550000").unwrap())
    }
}

/// A campaign of tenant `t1` that requires consent evidence, with one lead that has it, two
/// with half of it and one without consent.
async fn campaign_requiring_evidence(app: &App, key: &str) -> String {
    let id = app.campaign(key, "t1", 0).await;
    edit_config(app, key, &id, |spec| {
        spec["consent_evidence_required"] = json!(true)
    })
    .await;
    let may_1 = Some("2026-05-01T10:00:00Z");
    let contacts = vec![
        consented(0, Some(true), Some("web form"), may_1),
        consented(1, Some(true), Some("web form"), None),
        consented(2, Some(true), None, may_1),
        consented(3, None, None, None),
    ];
    app.add_contacts("t1", &id, contacts).await;
    id
}

#[tokio::test]
async fn a_campaign_requiring_consent_evidence_calls_only_leads_with_source_and_time() {
    let app = App::spawn_ticking("consent-evidence").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let id = campaign_requiring_evidence(&app, &key).await;

    let dry = app
        .post(&key, &format!("/v1/campaigns/{id}/dry-run"), json!({}))
        .await;
    let mut blocked: Vec<(String, Value)> = dry.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["phone"].as_str().unwrap().to_owned(),
                i["blocked"].clone(),
            )
        })
        .collect();
    blocked.sort_by(|a, b| a.0.cmp(&b.0));
    let reasons: Vec<Value> = blocked.into_iter().map(|(_, r)| r).collect();
    let expected = [
        Value::Null,
        json!("no_consent_evidence"),
        json!("no_consent_evidence"),
        json!("no_consent"),
    ];
    assert_eq!(reasons, expected);

    let r = app
        .post(&key, &format!("/v1/campaigns/{id}/launch"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        messages_on_the_dial_queue(&app).await,
        1,
        "only the lead with evidence"
    );
    let page = app
        .get(&key, &format!("/v1/campaigns/{id}/leads?status=skipped"))
        .await;
    let mut skipped: Vec<&str> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["skip_reason"].as_str().unwrap())
        .collect();
    skipped.sort();
    assert_eq!(
        skipped,
        ["no_consent", "no_consent_evidence", "no_consent_evidence"]
    );
    let all = app.get(&key, &format!("/v1/campaigns/{id}/leads")).await;
    let kept = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["phone"] == "+12125552000")
        .cloned()
        .expect("the lead with evidence");
    assert_ne!(kept["status"], "skipped");
    assert_eq!(
        kept["consent_source"], "web form",
        "the evidence is kept on the lead"
    );
    assert_eq!(kept["consent_at"], "2026-05-01T10:00:00Z");
}
