//! `/v1/registries`: the registries and the tenant's standing with each; an extract's upload
//! URL, refused for a download too old or in the future; a telemarketing campaign launches only
//! with a fresh extract of its country's registry.

use axum::http::{Method, StatusCode};
use domain::lead::{ConsentType, Contact};
use domain::phone::E164;
use domain::plan::Plan;
use domain::registry::Registry;
use ports::store::{ExtractStatus, Registries};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn an_extract_is_offered_an_upload_url_and_listed_with_its_progress() {
    let app = App::spawn("registries").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let today = app.clock_now().date_naive();
    let list = app.get(&key, "/v1/registries").await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    let us = &list.body["registries"][0];
    assert_eq!(
        (
            us["registry"].as_str(),
            us["max_age_days"].as_u64(),
            us["fresh"].as_bool()
        ),
        (Some("us_national_dnc"), Some(31), Some(false))
    );
    assert!(us["newest"].is_null());
    let body = json!({"downloaded_on": today.to_string(), "size_bytes": 22});
    let created = app
        .post(&key, "/v1/registries/us_national_dnc/extracts", body)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["method"], "PUT");
    assert!(
        created.body["upload_url"]
            .as_str()
            .unwrap()
            .contains(".registries/t1/us_national_dnc/")
    );
    assert_eq!(created.body["extract"]["status"], "awaiting_upload");
    let id = created.body["extract"]["id"].as_str().unwrap().to_owned();
    let one = app
        .get(
            &key,
            &format!("/v1/registries/us_national_dnc/extracts/{id}"),
        )
        .await;
    assert_eq!(one.status, StatusCode::OK, "{:?}", one.body);
    assert_eq!(one.body["downloaded_on"], today.to_string());
    let list = app.get(&key, "/v1/registries").await;
    assert_eq!(list.body["uploads"][0]["id"], id.as_str());
    // Another tenant does not see it.
    let other = app.tenant("t2", Plan::Starter).await;
    let theirs = app
        .get(
            &other,
            &format!("/v1/registries/us_national_dnc/extracts/{id}"),
        )
        .await;
    assert_problem(&theirs, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_stale_or_future_download_and_an_unknown_registry_are_refused() {
    let app = App::spawn("registries-bad").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let today = app.clock_now().date_naive();
    let path = "/v1/registries/us_national_dnc/extracts";
    let old = today - chrono::Days::new(32);
    let r = app
        .post(
            &key,
            path,
            json!({"downloaded_on": old.to_string(), "size_bytes": 10}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(r.body.to_string().contains("32 days old"), "{:?}", r.body);
    let future = today + chrono::Days::new(1);
    let r = app
        .post(
            &key,
            path,
            json!({"downloaded_on": future.to_string(), "size_bytes": 10}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = app
        .post(
            &key,
            path,
            json!({"downloaded_on": today.to_string(), "size_bytes": 0}),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = app
        .post(
            &key,
            "/v1/registries/national/extracts",
            json!({"downloaded_on": today.to_string(), "size_bytes": 10}),
        )
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_telemarketing_campaign_launches_only_with_a_fresh_extract() {
    let app = App::spawn("registries-launch").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let agent = app.agent(&key).await;
    let mut spec = campaign_spec(&agent);
    spec["purpose"] = json!("telemarketing");
    let r = app.post(&key, "/v1/campaigns", spec).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let contact = Contact {
        consent_type: Some(ConsentType::ExpressWritten),
        consent_source: Some("web form".into()),
        consent_at: Some(t0()),
        consent_reference: Some("form-1".into()),
        ..Contact::new(E164::parse_strict("+12125550100").unwrap())
    };
    app.add_contacts("t1", &id, vec![contact]).await;
    let launch = format!("/v1/campaigns/{id}/launch");
    let refused = app.call(&key, Method::POST, &launch, Some(json!({}))).await;
    assert_problem(&refused, StatusCode::CONFLICT, "registry_extract_stale");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("National Do Not Call Registry")
    );
    // The importer loads an extract downloaded today: the launch goes ahead.
    let today = app.clock_now().date_naive();
    let created = app
        .post(
            &key,
            "/v1/registries/us_national_dnc/extracts",
            json!({"downloaded_on": today.to_string(), "size_bytes": 11}),
        )
        .await;
    let extract_id = created.body["extract"]["id"].as_str().unwrap().to_owned();
    let tenant = tenant_id("t1");
    let mut record = (app
        .store
        .get_extract(&tenant, Registry::UsNationalDnc, &extract_id)
        .await)
        .unwrap()
        .unwrap();
    record.status = ExtractStatus::Loaded;
    record.numbers = 1;
    record.loaded_at = Some(app.clock_now());
    app.store.save_extract(&record, 0).await.unwrap();
    let launched = app.call(&key, Method::POST, &launch, Some(json!({}))).await;
    assert_eq!(launched.status, StatusCode::OK, "{:?}", launched.body);
    let list = app.get(&key, "/v1/registries").await;
    assert_eq!(list.body["registries"][0]["fresh"], true);
    assert_eq!(list.body["registries"][0]["age_days"], 0);
}
