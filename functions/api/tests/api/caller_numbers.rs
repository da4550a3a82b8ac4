//! `/v1/caller-numbers`: each registered number's day and rest; a person rests a number by
//! hand and ends a rest, for their own tenant's numbers only.

use axum::http::{Method, StatusCode};
use domain::plan::Plan;
use ports::Clock;
use ports::store::Tenants;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_number_is_listed_with_its_day_and_rested_and_restored_by_hand() {
    let app = App::spawn("caller-numbers").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let list = app.get(&key, "/v1/caller-numbers?day=2026-06-10").await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["day"], "2026-06-10");
    let only = &list.body["items"][0];
    assert_eq!(only["number"], CALLER_NUMBER);
    assert_eq!(
        (only["calls"].as_u64(), only["resting"].as_bool()),
        (Some(0), Some(false))
    );
    assert!(only["answer_rate"].is_null(), "no call, no rate: {only}");

    let path = format!(
        "/v1/caller-numbers/{}/rest",
        CALLER_NUMBER.replace('+', "%2B")
    );
    let body = json!({"hours": 48, "reason": "carrier complaint"});
    let rested = app.call(&key, Method::POST, &path, Some(body)).await;
    assert_eq!(rested.status, StatusCode::OK, "{:?}", rested.body);
    assert_eq!(rested.body["resting"], true);
    assert_eq!(rested.body["rest"]["reason"], "carrier complaint");
    assert_eq!(rested.body["rest"]["by_hand"], true);
    // On the tenant, where every dialer reads it.
    let tenant = domain::ids::TenantId::parse("t1").unwrap();
    let stored = app.store.get_tenant(&tenant).await.unwrap().unwrap();
    assert_eq!(stored.rested.len(), 1);
    assert_eq!(stored.resting_at(app.clock.now()).len(), 1);

    let restored = app.call(&key, Method::DELETE, &path, None).await;
    assert_eq!(restored.status, StatusCode::NO_CONTENT);
    let list = app.get(&key, "/v1/caller-numbers").await;
    assert_eq!(list.body["items"][0]["resting"], false);
    let stored = app.store.get_tenant(&tenant).await.unwrap().unwrap();
    assert!(stored.rested.is_empty(), "{:?}", stored.rested);
    // Ending a rest that does not hold changes nothing.
    let again = app.call(&key, Method::DELETE, &path, None).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn another_tenants_or_an_unregistered_number_and_a_bad_rest_are_refused() {
    let app = App::spawn("caller-numbers-bad").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let unregistered = "/v1/caller-numbers/%2B12125550123/rest";
    let r = app
        .call(&key, Method::POST, unregistered, Some(json!({"hours": 1})))
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    let r = app
        .call(
            &key,
            Method::DELETE,
            "/v1/caller-numbers/not-a-number/rest",
            None,
        )
        .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    let path = format!(
        "/v1/caller-numbers/{}/rest",
        CALLER_NUMBER.replace('+', "%2B")
    );
    for (body, field) in [
        (json!({"hours": 0}), "hours"),
        (json!({"hours": 721}), "hours"),
        (json!({"hours": 1, "reason": "x".repeat(201)}), "reason"),
    ] {
        let r = app.call(&key, Method::POST, &path, Some(body)).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], field);
    }
    let r = app.get(&key, "/v1/caller-numbers?day=yesterday").await;
    assert!(r.status.is_client_error(), "{:?}", r.status);
}
