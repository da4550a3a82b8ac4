use axum::http::{Method, StatusCode};
use domain::plan::Plan;
use serde_json::json;

use crate::support::*;

/// Tenant B calls every endpoint with tenant A's ids: every one answers 404, and nothing of A
/// changes.
/// A request to every endpoint that takes an id, naming the given agent, campaign (its path
/// `c`), import and lead; updates carry valid bodies (a campaign update names `b_agent`).
fn requests_naming(
    agent: &str,
    c: &str,
    import: &str,
    lead: &str,
    b_agent: &str,
) -> Vec<(Method, String, Option<serde_json::Value>)> {
    vec![
        (Method::GET, format!("/v1/agents/{agent}"), None),
        (
            Method::PUT,
            format!("/v1/agents/{agent}"),
            Some(agent_spec("outbound")),
        ),
        (Method::DELETE, format!("/v1/agents/{agent}"), None),
        (Method::GET, c.to_owned(), None),
        (Method::PUT, c.to_owned(), Some(campaign_spec(b_agent))),
        (Method::DELETE, c.to_owned(), None),
        (Method::POST, format!("{c}/launch"), Some(json!({}))),
        (Method::POST, format!("{c}/pause"), Some(json!({}))),
        (Method::POST, format!("{c}/resume"), Some(json!({}))),
        (Method::POST, format!("{c}/cancel"), Some(json!({}))),
        (Method::GET, format!("{c}/progress"), None),
        (
            Method::POST,
            format!("{c}/imports"),
            Some(json!({"size_bytes": 10})),
        ),
        (Method::GET, format!("{c}/imports"), None),
        (Method::GET, format!("{c}/imports/{import}"), None),
        (Method::GET, format!("{c}/leads"), None),
        (Method::GET, format!("{c}/leads/{lead}"), None),
        (
            Method::POST,
            format!("{c}/leads/{lead}/skip"),
            Some(json!({})),
        ),
        (Method::GET, format!("{c}/preview"), None),
        (Method::POST, format!("{c}/dry-run"), Some(json!({}))),
    ]
}

#[tokio::test]
async fn another_tenants_ids_answer_404_on_every_endpoint() {
    let app = App::spawn("isolation").await;
    let a = app.tenant("tenant-a", Plan::Enterprise).await;
    let b = app.tenant("tenant-b", Plan::Enterprise).await;
    let campaign = app.campaign(&a, "tenant-a", 2).await;
    let agent = app.get(&a, &format!("/v1/campaigns/{campaign}")).await.body["config"]["agent_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lead = app
        .get(&a, &format!("/v1/campaigns/{campaign}/leads"))
        .await
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let import = app
        .post(
            &a,
            &format!("/v1/campaigns/{campaign}/imports"),
            json!({"size_bytes": 10}),
        )
        .await
        .body["import_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(&a, "/v1/dnc", json!({"number": "+14155552671"}))
        .await;
    let b_agent = app.agent(&b).await;

    let c = format!("/v1/campaigns/{campaign}");
    let calls = requests_naming(&agent, &c, &import, &lead, &b_agent);
    for (method, path, body) in calls {
        let r = app.call(&b, method.clone(), &path, body).await;
        assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
        assert!(
            !r.body.to_string().contains("tenant-a"),
            "{method} {path} leaks: {:?}",
            r.body
        );
    }
    // A's DNC entry is invisible to B, and B's list is empty.
    assert!(!app.check(&b, "+14155552671").await);
    assert_eq!(app.get(&b, "/v1/dnc").await.body["items"], json!([]));
    assert_eq!(app.get(&b, "/v1/campaigns").await.body["items"], json!([]));
    assert_eq!(
        app.get(&b, "/v1/agents").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Nothing of A changed.
    let after = app.get(&a, &c).await;
    assert_eq!(after.body["status"], "draft");
    assert_eq!(
        app.get(&a, &format!("{c}/leads/{lead}")).await.body["status"],
        "pending"
    );
    assert_eq!(
        app.get(&a, &format!("/v1/agents/{agent}")).await.status,
        StatusCode::OK
    );
}
