//! `/v1/caller-pools`: named pools of the tenant's registered numbers, named by agents and
//! campaigns; never a number the tenant does not own, never a pool that is not there, never
//! deleted while in use.

use axum::http::{Method, StatusCode};
use domain::plan::Plan;
use ports::store::Tenants;
use serde_json::{Value, json};

use crate::support::*;

const OTHER: &str = "+12125550100";

fn errors_of(body: &Value) -> Vec<String> {
    (body["errors"].as_array().into_iter().flatten())
        .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A tenant owning `CALLER_NUMBER` and `OTHER`; its key.
async fn tenant_with_two_numbers(app: &App, id: &str) -> String {
    let key = app.tenant(id, Plan::Starter).await;
    let numbers = [CALLER_NUMBER.to_owned(), OTHER.to_owned()];
    api::admin::set_caller_numbers(app.store.as_ref(), &tenant_id(id), &numbers)
        .await
        .unwrap();
    key
}

#[tokio::test]
async fn a_pool_of_registered_numbers_is_kept_on_the_tenant_and_listed() {
    let app = App::spawn("caller-pools").await;
    let key = tenant_with_two_numbers(&app, "t1").await;
    let body = json!({
        "numbers": ["(212) 555-0100", CALLER_NUMBER],
        "default": "+1 415 555 2671",
        "limits": { "per_hour": 10, "per_day": 40 }
    });
    let put = app
        .call(&key, Method::PUT, "/v1/caller-pools/east", Some(body))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["name"], "east");
    assert_eq!(put.body["default"], CALLER_NUMBER);
    assert_eq!(put.body["numbers"], json!([CALLER_NUMBER, OTHER]));
    assert_eq!(put.body["limits"], json!({ "per_hour": 10, "per_day": 40 }));
    // On the tenant item, where every dialer reads it.
    let stored = app
        .store
        .get_tenant(&tenant_id("t1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.caller_pools["east"].numbers.len(), 2);

    let list = app.get(&key, "/v1/caller-pools").await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["items"][0]["name"], "east");
    let one = app.get(&key, "/v1/caller-pools/east").await;
    assert_eq!(
        one.body["health"]["min_calls"], 40,
        "the default rule: {:?}",
        one.body
    );
    // Another tenant sees nothing of it.
    let other = app.tenant("t2", Plan::Starter).await;
    let r = app.get(&other, "/v1/caller-pools/east").await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_pool_with_a_number_the_tenant_does_not_own_or_a_bad_name_is_refused() {
    let app = App::spawn("caller-pools-bad").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let body = json!({ "numbers": [CALLER_NUMBER, OTHER] });
    let r = app
        .call(
            &key,
            Method::PUT,
            "/v1/caller-pools/east",
            Some(body.clone()),
        )
        .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(errors_of(&r.body), ["numbers[1]"]);
    let r = app
        .call(
            &key,
            Method::PUT,
            "/v1/caller-pools/East%20Coast",
            Some(body),
        )
        .await;
    assert_eq!(errors_of(&r.body), ["name"], "{:?}", r.body);
    let stored = app
        .store
        .get_tenant(&tenant_id("t1"))
        .await
        .unwrap()
        .unwrap();
    assert!(stored.caller_pools.is_empty(), "{:?}", stored.caller_pools);
}

#[tokio::test]
async fn agents_and_campaigns_name_only_pools_that_exist_and_a_pool_in_use_stays() {
    let app = App::spawn("caller-pools-use").await;
    let key = tenant_with_two_numbers(&app, "t1").await;
    let mut agent = agent_spec("outbound");
    agent["named_pool"] = json!("east");
    let r = app.post(&key, "/v1/agents", agent.clone()).await;
    assert_eq!(errors_of(&r.body), ["named_pool"], "{:?}", r.body);

    let pool = json!({ "numbers": [CALLER_NUMBER, OTHER] });
    let put = app
        .call(&key, Method::PUT, "/v1/caller-pools/east", Some(pool))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    let r = app.post(&key, "/v1/agents", agent).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["named_pool"], "east");
    let agent_id = r.body["id"].as_str().unwrap().to_owned();

    let mut campaign = campaign_spec(&agent_id);
    campaign["named_pool"] = json!("west");
    let r = app.post(&key, "/v1/campaigns", campaign.clone()).await;
    assert_eq!(errors_of(&r.body), ["named_pool"], "{:?}", r.body);
    campaign["named_pool"] = json!("east");
    let r = app.post(&key, "/v1/campaigns", campaign).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["config"]["named_pool"], "east", "{:?}", r.body);

    let r = app
        .call(&key, Method::DELETE, "/v1/caller-pools/east", None)
        .await;
    assert_problem(&r, StatusCode::CONFLICT, "pool_in_use");
    assert!(
        r.body["detail"].as_str().unwrap().contains(&agent_id),
        "{:?}",
        r.body
    );
    let gone = app
        .call(&key, Method::DELETE, "/v1/caller-pools/none", None)
        .await;
    assert_problem(&gone, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_tenant_keeps_at_most_twenty_pools_and_an_unused_pool_is_deleted() {
    let app = App::spawn("caller-pools-many").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let pool = json!({ "numbers": [CALLER_NUMBER] });
    for i in 0..domain::caller_pool::MAX_POOLS {
        let path = format!("/v1/caller-pools/p{i}");
        let r = app.call(&key, Method::PUT, &path, Some(pool.clone())).await;
        assert_eq!(r.status, StatusCode::OK, "{i}: {:?}", r.body);
    }
    let r = app
        .call(
            &key,
            Method::PUT,
            "/v1/caller-pools/one-more",
            Some(pool.clone()),
        )
        .await;
    assert_problem(&r, StatusCode::CONFLICT, "too_many_pools");
    // Replacing one is not adding one.
    let r = app
        .call(&key, Method::PUT, "/v1/caller-pools/p0", Some(pool))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .call(&key, Method::DELETE, "/v1/caller-pools/p0", None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let list = app.get(&key, "/v1/caller-pools").await;
    let count = list.body["items"].as_array().unwrap().len();
    assert_eq!(count, domain::caller_pool::MAX_POOLS - 1);
}
