//! Money and identity: a tenant's agents call only from its registered numbers, and its
//! campaigns transfer only into its allowed countries; `GET /v1/tenant` shows a key its plan,
//! limits, numbers and countries.

use axum::http::StatusCode;
use domain::ids::TenantId;
use domain::plan::Plan;
use serde_json::json;

use crate::support::*;

fn agent_from(number: &str) -> serde_json::Value {
    let mut spec = agent_spec("outbound");
    spec["caller_number"] = number.into();
    spec
}

#[tokio::test]
async fn an_agent_may_call_only_from_its_own_tenants_registered_numbers() {
    let app = App::spawn("caller-numbers").await;
    let a = app.tenant("tenant-a", Plan::Starter).await;
    app.tenant("tenant-b", Plan::Starter).await;
    let b = TenantId::parse("tenant-b").unwrap();
    api::admin::set_caller_numbers(app.store.as_ref(), &b, &["+1 212 555 0199".into()])
        .await
        .unwrap();

    for number in ["+1 212 555 0199", "+1 646 555 0100"] {
        let r = app.post(&a, "/v1/agents", agent_from(number)).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "caller_number", "{number}");
    }
    let own = app.post(&a, "/v1/agents", agent_from(CALLER_NUMBER)).await;
    assert_eq!(own.status, StatusCode::CREATED, "{:?}", own.body);
    let id = own.body["id"].as_str().unwrap();
    let moved = (app.call(
        &a,
        axum::http::Method::PUT,
        &format!("/v1/agents/{id}"),
        Some(agent_from("+1 212 555 0199")),
    ))
    .await;
    assert_problem(
        &moved,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
}

#[tokio::test]
async fn a_transfer_abroad_needs_the_country_allowed_and_launch_checks_the_caller_number_again() {
    let app = App::spawn("countries").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let t1 = TenantId::parse("t1").unwrap();
    let agent = app.agent(&key).await;
    let mut spec = campaign_spec(&agent);
    spec["call_handling"] = json!({ "transfer_number": "+44 20 7946 0958" });

    let abroad = app.post(&key, "/v1/campaigns", spec.clone()).await;
    assert_problem(
        &abroad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(
        abroad.body["errors"][0]["field"],
        "call_handling.transfer_number"
    );

    api::admin::set_countries(app.store.as_ref(), &t1, &["US".into(), "gb".into()])
        .await
        .unwrap();
    let allowed = app.post(&key, "/v1/campaigns", spec).await;
    assert_eq!(allowed.status, StatusCode::CREATED, "{:?}", allowed.body);
    let id = allowed.body["id"].as_str().unwrap();

    // The operators withdraw the number the agent calls from: launch refuses.
    api::admin::set_caller_numbers(app.store.as_ref(), &t1, &["+1 212 555 0100".into()])
        .await
        .unwrap();
    let launch = app
        .post(&key, &format!("/v1/campaigns/{id}/launch"), json!({}))
        .await;
    assert_problem(&launch, StatusCode::CONFLICT, "not_allowed_for_tenant");
}

#[tokio::test]
async fn a_key_reads_its_tenants_plan_limits_caller_numbers_and_countries() {
    let app = App::spawn("tenant-view").await;
    let key = app.tenant("t1", Plan::Professional).await;
    let unlimited = app.tenant("t2", Plan::Enterprise).await;
    let t1 = TenantId::parse("t1").unwrap();
    api::admin::set_countries(app.store.as_ref(), &t1, &["US".into(), "ca".into()])
        .await
        .unwrap();
    let id = app.campaign(&key, "t1", 1).await;
    let launched = app
        .post(&key, &format!("/v1/campaigns/{id}/launch"), json!({}))
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{:?}", launched.body);

    let r = app.get(&key, "/v1/tenant").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (&r.body["id"], &r.body["name"], &r.body["plan"]),
        (&json!("t1"), &json!("t1"), &json!("professional"))
    );
    assert_eq!(
        r.body["limits"],
        json!({"live_campaigns": 3, "live_campaigns_now": 1, "webhook_endpoints": 10,
            "requests_per_second": 1_000_000})
    );
    assert_eq!(r.body["caller_numbers"], json!([CALLER_NUMBER]));
    assert_eq!(r.body["allowed_countries"], json!(["US", "CA"]));

    let other = app.get(&unlimited, "/v1/tenant").await.body;
    assert_eq!(
        (&other["id"], &other["plan"]),
        (&json!("t2"), &json!("enterprise"))
    );
    assert!(
        other["limits"].get("live_campaigns").is_none(),
        "no limit on Enterprise: {other}"
    );
    assert_eq!(other["limits"]["live_campaigns_now"], 0, "its own count");
    assert_problem(
        &app.get("", "/v1/tenant").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let doc = app.get("", "/v1/openapi.json").await.body;
    assert!(doc["paths"]["/v1/tenant"]["get"].is_object(), "documented");
}
