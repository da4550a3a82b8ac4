//! What a campaign's settings are checked against when it is created or changed (and again at
//! launch, where things may have changed since).

use axum::http::{Method, StatusCode};
use domain::plan::Plan;
use serde_json::json;

use ports::Clock;

use crate::support::*;

#[tokio::test]
async fn an_end_date_beyond_the_documented_range_is_refused_by_field_not_a_crash_at_launch() {
    let app = App::spawn("campaign-far-end").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let agent = app.agent(&key).await;
    for ends_at in ["+200000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"] {
        let r = app
            .post(
                &key,
                "/v1/campaigns",
                json!({"name": "Far", "agent_id": agent, "schedule": {"ends_at": ends_at}}),
            )
            .await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(
            r.body["errors"][0]["field"], "schedule.ends_at",
            "{ends_at}: {:?}",
            r.body
        );
    }
}

#[tokio::test]
async fn an_inbound_agent_is_refused_when_a_campaign_is_created_changed_or_launched() {
    let app = App::spawn("agent-mode").await;
    let key = app.tenant("t1", Plan::Enterprise).await;
    let inbound = app
        .post(&key, "/v1/agents", agent_spec("inbound"))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // An inbound agent is refused when the campaign is created or changed...
    let refused = app
        .post(&key, "/v1/campaigns", campaign_spec(&inbound))
        .await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(refused.body["errors"][0]["field"], "agent_id");
    let outbound = app.agent(&key).await;
    let c = app
        .post(&key, "/v1/campaigns", campaign_spec(&outbound))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.add_leads("t1", &c, 1).await;
    let changed = app
        .call(
            &key,
            Method::PUT,
            &format!("/v1/campaigns/{c}"),
            Some(campaign_spec(&inbound)),
        )
        .await;
    assert_problem(
        &changed,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    // ...and at launch, if the agent became inbound-only after the campaign was saved.
    let made_inbound = app
        .call(
            &key,
            Method::PUT,
            &format!("/v1/agents/{outbound}"),
            Some(agent_spec("inbound")),
        )
        .await;
    assert_eq!(
        made_inbound.status,
        StatusCode::OK,
        "{:?}",
        made_inbound.body
    );
    assert_problem(
        &app.post(&key, &format!("/v1/campaigns/{c}/launch"), json!({}))
            .await,
        StatusCode::CONFLICT,
        "agent_not_outbound",
    );
}

#[tokio::test]
async fn a_tenant_over_its_requests_per_second_gets_429_and_others_are_not_slowed() {
    let settings = api::ApiSettings {
        tenant_requests_per_second: 5,
        ..api::ApiSettings::default()
    };
    let app = App::spawn_with("rate-limit", settings).await;
    let busy = app.tenant("busy", Plan::Starter).await;
    let calm = app.tenant("calm", Plan::Starter).await;

    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(app.get(&busy, "/v1/campaigns").await);
    }
    let ok = statuses
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(ok, 5, "exactly the budget passes in one second");
    let refused = statuses.last().unwrap();
    assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(refused.retry_after.as_deref(), Some("1"));
    assert_eq!(app.get(&calm, "/v1/campaigns").await.status, StatusCode::OK);

    app.clock
        .set(app.clock.now() + chrono::Duration::seconds(1));
    assert_eq!(
        app.get(&busy, "/v1/campaigns").await.status,
        StatusCode::OK,
        "a new second"
    );
}
