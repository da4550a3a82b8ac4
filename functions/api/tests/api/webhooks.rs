//! `/v1/webhook-endpoints`: registration with a secret shown once, safe targets, the limit,
//! tenant isolation, the delivery log and redelivery; a campaign's status change recorded as an
//! event with its fan-out queued.

use axum::http::{Method, StatusCode};
use domain::plan::Plan;
use domain::webhooks::{DeliveryStatus, EventType};
use ports::store::{WebhookDeliveries, WebhookEndpoints, WebhookEvents, WebhookJob};
use serde_json::{Value, json};

use crate::support::*;

fn spec(url: &str) -> Value {
    json!({"url": url, "events": ["call.completed", "campaign.status_changed"]})
}

#[tokio::test]
async fn an_endpoint_shows_its_secret_once_and_is_listed_updated_and_removed() {
    let app = App::spawn("hooks-crud").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let created = app
        .post(
            &key,
            "/v1/webhook-endpoints",
            spec("https://hooks.example.com/in"),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let secret = created.body["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    assert_eq!(created.body["enabled"], true);

    let list = app.get(&key, "/v1/webhook-endpoints").await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert!(
        list.body["items"][0].get("secret").is_none(),
        "never shown again"
    );
    let one = app.get(&key, &format!("/v1/webhook-endpoints/{id}")).await;
    assert!(one.body.get("secret").is_none());

    let updated = app
        .call(
            &key,
            Method::PUT,
            &format!("/v1/webhook-endpoints/{id}"),
            Some(json!({"url": "https://hooks.example.com/v2", "events": ["lead.opted_out"], "enabled": false})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(
        (
            &updated.body["url"],
            &updated.body["events"],
            &updated.body["enabled"]
        ),
        (
            &json!("https://hooks.example.com/v2"),
            &json!(["lead.opted_out"]),
            &json!(false)
        )
    );
    let stored = app.store.endpoints(&tenant_id("t1")).await.unwrap();
    assert_eq!(stored[0].secret, secret, "the secret stays");

    let gone = app
        .call(
            &key,
            Method::DELETE,
            &format!("/v1/webhook-endpoints/{id}"),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let again = app.get(&key, &format!("/v1/webhook-endpoints/{id}")).await;
    assert_problem(&again, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn unsafe_targets_and_bad_fields_are_refused_by_name() {
    let app = App::spawn("hooks-refused").await;
    let key = app.tenant("t1", Plan::Starter).await;
    for url in [
        "http://hooks.example.com/in",
        "https://169.254.169.254/latest",
        "https://10.0.0.7/in",
        "https://localhost/in",
        "https://[::1]/in",
    ] {
        let r = app.post(&key, "/v1/webhook-endpoints", spec(url)).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.body["errors"][0]["field"], "url", "{url}");
    }
    let r = app
        .post(
            &key,
            "/v1/webhook-endpoints",
            json!({"url": "https://hooks.example.com", "events": []}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "events");
    let r = app
        .post(
            &key,
            "/v1/webhook-endpoints",
            json!({"url": "https://hooks.example.com", "events": ["call.started"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
}

#[tokio::test]
async fn a_tenant_has_at_most_ten_endpoints_and_sees_only_its_own() {
    let app = App::spawn("hooks-limit").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let other = app.tenant("t2", Plan::Starter).await;
    let mut first = String::new();
    for n in 0..domain::webhooks::MAX_ENDPOINTS {
        let r = app
            .post(
                &key,
                "/v1/webhook-endpoints",
                spec(&format!("https://h.example.com/{n}")),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
        if n == 0 {
            first = r.body["id"].as_str().unwrap().to_owned();
        }
    }
    let over = app
        .post(
            &key,
            "/v1/webhook-endpoints",
            spec("https://h.example.com/x"),
        )
        .await;
    assert_problem(&over, StatusCode::CONFLICT, "endpoint_limit");
    let theirs = app
        .get(&other, &format!("/v1/webhook-endpoints/{first}"))
        .await;
    assert_problem(&theirs, StatusCode::NOT_FOUND, "not_found");
    let log = app
        .get(&other, &format!("/v1/webhook-endpoints/{first}/deliveries"))
        .await;
    assert_problem(&log, StatusCode::NOT_FOUND, "not_found");
    let empty = app.get(&other, "/v1/webhook-endpoints").await;
    assert_eq!(empty.body["items"], json!([]));
}

#[tokio::test]
async fn a_status_change_is_recorded_as_an_event_and_a_delivery_can_be_redelivered() {
    let app = App::spawn("hooks-events").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let endpoint = app
        .post(
            &key,
            "/v1/webhook-endpoints",
            spec("https://hooks.example.com/in"),
        )
        .await;
    let endpoint = endpoint.body["id"].as_str().unwrap().to_owned();
    let campaign = app.campaign(&key, "t1", 2).await;
    let launched = app
        .post(&key, &format!("/v1/campaigns/{campaign}/launch"), json!({}))
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{:?}", launched.body);

    let tenant = tenant_id("t1");
    let events = app.store.recent_events(&tenant, 10).await.unwrap();
    let launch = events
        .iter()
        .map(|(e, _)| e)
        .find(|e| e.kind == EventType::CampaignStatusChanged)
        .expect("the launch is recorded");
    assert_eq!(
        (&launch.data["from"], &launch.campaign_id),
        (&json!("draft"), &campaign)
    );
    let queued = app.webhook_jobs().await;
    assert!(
        queued.contains(&WebhookJob::Fanout {
            tenant: tenant.clone(),
            event: launch.id.clone()
        }),
        "its fan-out is queued: {queued:?}"
    );

    // The worker's fan-out makes a delivery; the log lists it and redelivery resets it.
    app.store
        .fan_out(
            &tenant,
            launch,
            std::slice::from_ref(&endpoint),
            app.clock_now(),
        )
        .await
        .unwrap();
    let log = app
        .get(
            &key,
            &format!("/v1/webhook-endpoints/{endpoint}/deliveries"),
        )
        .await;
    assert_eq!(log.body["items"][0]["event"]["id"], json!(launch.id));
    assert_eq!(log.body["items"][0]["status"], "pending");
    let path = format!(
        "/v1/webhook-endpoints/{endpoint}/deliveries/{}/redeliver",
        launch.id
    );
    let again = app.post(&key, &path, json!({})).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{:?}", again.body);
    let delivery = app
        .store
        .delivery(&tenant, &endpoint, &launch.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (delivery.status, delivery.failures),
        (DeliveryStatus::Pending, 0)
    );
    let unknown = app
        .post(
            &key,
            &format!("/v1/webhook-endpoints/{endpoint}/deliveries/evt_none/redeliver"),
            json!({}),
        )
        .await;
    assert_problem(&unknown, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_secret_is_rotated_with_an_overlap_the_old_one_signing_until_it_ends() {
    let app = App::spawn("hooks-rotate").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let created = app
        .post(
            &key,
            "/v1/webhook-endpoints",
            spec("https://hooks.example.com/in"),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let first = created.body["secret"].as_str().unwrap().to_owned();
    let rotate = format!("/v1/webhook-endpoints/{id}/rotate-secret");

    let refused = app.post(&key, &rotate, json!({"overlap_hours": 169})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.body["errors"][0]["field"], "overlap_hours");
    let missing = app
        .post(
            &key,
            "/v1/webhook-endpoints/we_nope/rotate-secret",
            json!({}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let rotated = app.post(&key, &rotate, json!({})).await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let second = rotated.body["secret"].as_str().unwrap().to_owned();
    assert!(second.starts_with("whsec_") && second != first);
    let expires: chrono::DateTime<chrono::Utc> = rotated.body["previous_secret_expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let record = app
        .store
        .endpoints(&tenant_id("t1"))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(record.secret, second);
    let now = expires - chrono::Duration::hours(24);
    assert_eq!(
        record.signing_secrets(now),
        vec![second.as_str(), first.as_str()]
    );
    assert_eq!(
        record.signing_secrets(expires),
        vec![second.as_str()],
        "the old secret stops signing when its day is over"
    );
    let shown = app.get(&key, &format!("/v1/webhook-endpoints/{id}")).await;
    assert!(shown.body.get("secret").is_none());
    assert_eq!(
        shown.body["previous_secret_expires_at"],
        rotated.body["previous_secret_expires_at"]
    );

    let at_once = app.post(&key, &rotate, json!({"overlap_hours": 0})).await;
    assert_eq!(at_once.status, StatusCode::OK);
    assert!(at_once.body.get("previous_secret_expires_at").is_none());
    let record = app
        .store
        .endpoints(&tenant_id("t1"))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(record.signing_secrets(now), vec![record.secret.as_str()]);
}
