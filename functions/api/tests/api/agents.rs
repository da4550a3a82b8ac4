use axum::http::{Method, StatusCode};
use domain::plan::Plan;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn agents_are_created_listed_read_updated_and_deleted() {
    let app = App::spawn("agents").await;
    let key = app.tenant("t1", Plan::Enterprise).await;
    let created = app.post(&key, "/v1/agents", agent_spec("hybrid")).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["caller_number"], "+14155552671", "normalized");
    let id = created.body["id"].as_str().unwrap();

    let list = app.get(&key, "/v1/agents").await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get(&key, &format!("/v1/agents/{id}")).await.body["name"],
        "Ava"
    );

    let mut changed = agent_spec("outbound");
    changed["name"] = json!("Ava 2");
    let updated = app
        .call(
            &key,
            Method::PUT,
            &format!("/v1/agents/{id}"),
            Some(changed),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(
        (
            updated.body["name"].as_str(),
            updated.body["version"].as_u64()
        ),
        (Some("Ava 2"), Some(2))
    );

    let deleted = app
        .call(&key, Method::DELETE, &format!("/v1/agents/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_problem(
        &app.get(&key, &format!("/v1/agents/{id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn an_invalid_agent_lists_every_bad_field() {
    let app = App::spawn("agents-bad").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let r = app
        .post(&key, "/v1/agents", json!({"name": "", "mode": "outbound", "provider": "fax", "caller_number": "x", "provider_agent_ref": "a"}))
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name", "provider", "caller_number"]);
    let unknown_mode = app
        .post(&key, "/v1/agents", json!({"name": "x", "mode": "sideways"}))
        .await;
    assert_problem(
        &unknown_mode,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
}

#[tokio::test]
async fn an_agent_used_by_a_live_campaign_cannot_be_deleted_or_made_inbound() {
    let app = App::spawn("agents-live").await;
    let key = app.tenant("t1", Plan::Enterprise).await;
    let campaign = app.campaign(&key, "t1", 2).await;
    let agent = app
        .get(&key, &format!("/v1/campaigns/{campaign}"))
        .await
        .body["config"]["agent_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.post(&key, &format!("/v1/campaigns/{campaign}/launch"), json!({}))
            .await
            .status,
        StatusCode::OK
    );

    let delete = app
        .call(&key, Method::DELETE, &format!("/v1/agents/{agent}"), None)
        .await;
    assert_problem(&delete, StatusCode::CONFLICT, "agent_in_use");
    let inbound = app
        .call(
            &key,
            Method::PUT,
            &format!("/v1/agents/{agent}"),
            Some(agent_spec("inbound")),
        )
        .await;
    assert_problem(&inbound, StatusCode::CONFLICT, "agent_in_use");
    // Other changes are fine.
    let hybrid = app
        .call(
            &key,
            Method::PUT,
            &format!("/v1/agents/{agent}"),
            Some(agent_spec("hybrid")),
        )
        .await;
    assert_eq!(hybrid.status, StatusCode::OK);
}

#[tokio::test]
async fn requests_without_a_valid_key_are_refused() {
    let app = App::spawn("auth").await;
    let key = app.tenant("t1", Plan::Starter).await;
    assert_problem(
        &app.get("", "/v1/agents").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_problem(
        &app.get("ck.nope.nope", "/v1/agents").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_eq!(app.get(&key, "/v1/agents").await.status, StatusCode::OK);
    let id = domain::ids::ApiKeyId::parse(key.split('.').nth(1).unwrap()).unwrap();
    api::admin::revoke_key(
        app.store.as_ref(),
        &domain::ids::TenantId::parse("t1").unwrap(),
        &id,
        t0(),
    )
    .await
    .unwrap();
    assert_problem(
        &app.get(&key, "/v1/agents").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
}

#[tokio::test]
async fn an_agents_pool_limits_and_health_rule_are_stored_and_shown_and_bad_ones_refused() {
    let app = App::spawn("agents-pool").await;
    let key = app.tenant("t1", Plan::Enterprise).await;
    let tenant = domain::ids::TenantId::parse("t1").unwrap();
    let numbers = [CALLER_NUMBER.to_owned(), "+1 212 555 0100".to_owned()];
    api::admin::set_caller_numbers(app.store.as_ref(), &tenant, &numbers)
        .await
        .unwrap();
    let plain = app.post(&key, "/v1/agents", agent_spec("outbound")).await;
    assert_eq!(
        (&plain.body["caller_limits"], &plain.body["caller_health"]),
        (
            &json!({"per_hour": 30, "per_day": 150}),
            &json!({"min_calls": 40, "below_percent": 50, "rest_hours": 24})
        ),
        "the defaults are shown"
    );
    let mut spec = agent_spec("outbound");
    spec["caller_pool"] = json!(["(212) 555-0100"]);
    spec["caller_limits"] = json!({"per_hour": 10, "per_day": 60.0});
    spec["caller_health"] = json!({"min_calls": 25, "below_percent": 40, "rest_hours": 6});
    let created = app.post(&key, "/v1/agents", spec.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap();
    let read = app.get(&key, &format!("/v1/agents/{id}")).await.body;
    assert_eq!(read["caller_pool"], json!(["+12125550100"]));
    assert_eq!(
        read["caller_limits"],
        json!({"per_hour": 10, "per_day": 60})
    );
    assert_eq!(read["caller_health"]["rest_hours"], 6);

    spec["caller_limits"] = json!({"per_hour": 50, "per_day": 40});
    spec["caller_health"] = json!({"min_calls": 5, "below_percent": 50, "rest_hours": 24});
    let refused = app.post(&key, "/v1/agents", spec).await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let fields: Vec<&str> = (refused.body["errors"].as_array().unwrap().iter())
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["caller_limits.per_day", "caller_health.min_calls"]);
}
