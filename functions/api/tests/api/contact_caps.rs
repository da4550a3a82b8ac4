//! `/v1/contact-caps`: the tenant's caps on calls per number across its campaigns.

use axum::http::{Method, StatusCode};
use domain::plan::Plan;
use ports::store::Tenants;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn caps_default_to_three_a_day_and_seven_a_week_and_are_replaced_per_tenant() {
    let app = App::spawn("contact-caps").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let other = app.tenant("t2", Plan::Starter).await;
    let defaults = app.get(&key, "/v1/contact-caps").await;
    assert_eq!(defaults.status, StatusCode::OK);
    assert_eq!(defaults.body, json!({"per_local_day": 3, "per_7_days": 7}));

    let caps = json!({"per_local_day": 1, "per_7_days": 4});
    let put = (app.call(&key, Method::PUT, "/v1/contact-caps", Some(caps.clone()))).await;
    assert_eq!((put.status, &put.body), (StatusCode::OK, &caps));
    assert_eq!(app.get(&key, "/v1/contact-caps").await.body, caps);
    // Stored on the tenant, where every dialer reads it.
    let tenant = domain::ids::TenantId::parse("t1").unwrap();
    let stored = app.store.get_tenant(&tenant).await.unwrap().unwrap();
    assert_eq!(
        (
            stored.contact_caps.per_local_day,
            stored.contact_caps.per_7_days
        ),
        (1, 4)
    );
    assert_eq!(
        app.get(&other, "/v1/contact-caps").await.body,
        json!({"per_local_day": 3, "per_7_days": 7}),
        "another tenant's caps are its own"
    );
}

#[tokio::test]
async fn caps_outside_their_ranges_are_refused_by_field() {
    let app = App::spawn("contact-caps-bad").await;
    let key = app.tenant("t1", Plan::Starter).await;
    for (body, field) in [
        (
            json!({"per_local_day": 0, "per_7_days": 7}),
            "per_local_day",
        ),
        (json!({"per_local_day": 3, "per_7_days": 51}), "per_7_days"),
        (
            json!({"per_local_day": 8, "per_7_days": 7}),
            "per_local_day",
        ),
        (
            json!({"per_local_day": 300, "per_7_days": 7}),
            "per_local_day",
        ),
    ] {
        let r = (app.call(&key, Method::PUT, "/v1/contact-caps", Some(body.clone()))).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        // In range of the type: named by field; past it (300 is no u8): named in the message.
        let error = &r.body["errors"][0];
        assert!(
            error["field"] == field || error["message"].as_str().unwrap().contains(field),
            "{body}: {:?}",
            r.body
        );
    }
    let unknown = json!({"per_local_day": 3, "per_7_days": 7, "per_hour": 1});
    let r = (app.call(&key, Method::PUT, "/v1/contact-caps", Some(unknown))).await;
    assert!(r.status.is_client_error(), "{:?}", r.body);
    assert_eq!(
        app.get(&key, "/v1/contact-caps").await.body,
        json!({"per_local_day": 3, "per_7_days": 7}),
        "nothing refused was stored"
    );
}
