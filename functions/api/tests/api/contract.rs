//! What the contract test (schemathesis against the live API) found, each pinned here: the
//! document says what the API does, and the API does what the document says.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use domain::plan::Plan;
use serde_json::{Value, json};

use crate::support::{App, agent_spec, assert_problem, campaign_spec};

fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    out.insert(v.as_str().unwrap_or_default().to_owned());
                }
                refs(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_reference_in_the_document_resolves_and_list_parameters_are_in_the_query() {
    let app = App::spawn("contract-doc").await;
    let doc = app.get("", "/v1/openapi.json").await.body;
    let mut all = BTreeSet::new();
    refs(&doc, &mut all);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for r in &all {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(schemas.contains_key(name), "{r} does not resolve");
    }
    assert!(all.contains("#/components/schemas/RangeSpec"));
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                let placeholder = format!("{{{name}}}");
                let expected = if path.contains(&placeholder) {
                    "path"
                } else {
                    "query"
                };
                assert_eq!(p["in"], expected, "{method} {path}: {name}");
            }
            assert!(op["operationId"].is_string(), "{method} {path} has an id");
        }
    }
}

#[tokio::test]
async fn the_agent_view_schema_admits_what_the_api_answers() {
    let app = App::spawn("contract-agent-view").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let created = app.post(&key, "/v1/agents", agent_spec("outbound")).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let doc = app.get("", "/v1/openapi.json").await.body;
    let view = &doc["components"]["schemas"]["AgentView"];
    let properties = view["properties"]
        .as_object()
        .expect("AgentView lists its fields");
    for field in created.body.as_object().unwrap().keys() {
        assert!(
            properties.contains_key(field),
            "{field} is not in AgentView"
        );
    }
    assert!(
        view.get("allOf").is_none(),
        "no allOf with a closed AgentSpec inside"
    );
}

#[tokio::test]
async fn creating_operations_link_to_the_operations_that_take_their_ids() {
    let app = App::spawn("contract-links").await;
    let doc = app.get("", "/v1/openapi.json").await.body;
    let links = |path: &str, method: &str, status: &str| -> Vec<String> {
        doc["paths"][path][method]["responses"][status]["links"]
            .as_object()
            .map(|l| l.keys().cloned().collect())
            .unwrap_or_default()
    };
    let campaign = links("/v1/campaigns", "post", "201");
    for target in [
        "postCampaignsCampaignIdLaunch",
        "getCampaignsCampaignIdProgress",
        "postCampaignsCampaignIdImports",
        "postCampaignsCampaignIdExports",
        "getCampaignsCampaignIdLeads",
    ] {
        assert!(
            campaign.contains(&target.to_owned()),
            "{target} in {campaign:?}"
        );
    }
    assert!(links("/v1/agents", "post", "201").contains(&"getAgentsAgentId".to_owned()));
    assert!(
        links("/v1/campaigns/{campaign_id}/leads", "get", "200")
            .contains(&"getCampaignsCampaignIdLeadsLeadId".to_owned())
    );
}

#[tokio::test]
async fn whole_numbers_written_as_integral_floats_are_accepted_and_fractions_refused() {
    let app = App::spawn("contract-floats").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let agent = app.agent(&key).await;
    let mut spec = campaign_spec(&agent);
    spec["call_handling"] = json!({"max_call_seconds": 30.0});
    spec["pacing"] = json!({"max_concurrent_calls": 5.0, "calls_per_hour": 100});
    let r = app.post(&key, "/v1/campaigns", spec.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["config"]["call_handling"]["max_call_seconds"], 30);
    spec["call_handling"] = json!({"max_call_seconds": 30.5});
    let r = app.post(&key, "/v1/campaigns", spec).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let id = app.campaign(&key, "t1", 0).await;
    let r = app
        .post(
            &key,
            &format!("/v1/campaigns/{id}/imports"),
            json!({"size_bytes": 10.0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

#[tokio::test]
async fn text_longer_than_documented_is_refused_even_when_its_trimmed_form_would_fit() {
    let app = App::spawn("contract-lengths").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let agent = app.agent(&key).await;
    let mut spec = campaign_spec(&agent);
    spec["name"] = json!(format!(" {}", "a".repeat(200)));
    let r = app.post(&key, "/v1/campaigns", spec).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "name");
    // A number with 60 characters of junk after it is not a number (maxLength 64).
    let junk = format!("+13125550123{}", "*".repeat(60));
    for path in ["/v1/dnc", "/v1/dnc/check", "/v1/dnc/remove"] {
        let r = app.post(&key, path, json!({"number": junk})).await;
        assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
    // At most 24 ranges a day (the document's maxItems).
    let hhmm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
    let ranges: Vec<Value> = (0..25)
        .map(|i| json!({"start": hhmm(i * 50), "end": hhmm(i * 50 + 20)}))
        .collect();
    let mut spec = campaign_spec(&agent);
    spec["schedule"] = json!({"window": {"monday": ranges}});
    let r = app.post(&key, "/v1/campaigns", spec).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        r.body["errors"][0]["field"], "schedule.window.monday",
        "{:?}",
        r.body
    );
}
