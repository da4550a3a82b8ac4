use axum::http::StatusCode;
use domain::plan::Plan;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::*;

/// An API Gateway HTTP API v2 event, converted by the Lambda entry point's library into a
/// request, through the same router.
#[tokio::test]
async fn an_api_gateway_v2_event_reaches_the_router_through_the_lambda_entry_point() {
    let app = App::spawn("apigw").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let mut event: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/apigw-v2-create-agent.json")).unwrap();
    event["headers"]["authorization"] = format!("Bearer {key}").into();
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: serde_json::Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["name"], "Ava");
    assert_eq!(
        app.get(&key, "/v1/agents").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_openapi_document_is_served_and_covers_every_route() {
    let app = App::spawn("openapi").await;
    let doc = app.get("", "/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc.body["paths"].as_object().unwrap();
    for path in [
        "/v1/agents",
        "/v1/agents/{agent_id}",
        "/v1/campaigns",
        "/v1/campaigns/{campaign_id}",
        "/v1/campaigns/{campaign_id}/launch",
        "/v1/campaigns/{campaign_id}/progress",
        "/v1/campaigns/{campaign_id}/imports",
        "/v1/campaigns/{campaign_id}/leads/{lead_id}/skip",
        "/v1/campaigns/{campaign_id}/dry-run",
        "/v1/dnc/bulk",
        "/v1/dnc/check",
        "/v1/dnc/remove",
        "/v1/dnc/removals",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert_problem(
        &app.get("", "/v1/nothing-here").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}
