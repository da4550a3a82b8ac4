use axum::http::{Method, StatusCode};
use domain::plan::Plan;
use domain::status::{CampaignAction, CampaignStatus, Transition};
use ports::store::CampaignStatuses;
use ports::store::Tenants;
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn a_campaign_is_created_in_draft_with_defaults_and_validated_field_by_field() {
    let app = App::spawn("campaign-create").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let agent = app.agent(&key).await;
    let r = app
        .post(
            &key,
            "/v1/campaigns",
            json!({"name": "Minimal", "agent_id": agent}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["status"], "draft");
    assert_eq!(r.body["config"]["pacing"]["max_concurrent_calls"], 5);
    assert_eq!(r.body["config"]["retry"]["max_retries"], 2);
    let guardrails = &r.body["config"]["guardrails"];
    assert_eq!(
        (
            &guardrails["enabled"],
            &guardrails["window_minutes"],
            &guardrails["max_dnc_hit_percent"]
        ),
        (&json!(true), &json!(15), &json!(10))
    );
}

#[tokio::test]
async fn a_bad_campaign_is_refused_with_every_bad_field_named() {
    let app = App::spawn("campaign-refused").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let agent = app.agent(&key).await;
    let bad = app
        .post(
            &key,
            "/v1/campaigns",
            json!({
                "name": "", "agent_id": agent,
                "pacing": {"max_concurrent_calls": 0, "calls_per_hour": 10},
                "retry": {"max_retries": 9},
                "guardrails": {"max_failed_percent": 0, "window_minutes": 15}
            }),
        )
        .await;
    assert_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec![
            "name",
            "pacing.max_concurrent_calls",
            "retry.max_retries",
            "guardrails.max_failed_percent"
        ]
    );

    let no_agent = app
        .post(
            &key,
            "/v1/campaigns",
            json!({"name": "x", "agent_id": "ghost"}),
        )
        .await;
    assert_problem(
        &no_agent,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(no_agent.body["errors"][0]["field"], "agent_id");

    let malformed = app
        .send(
            axum::http::Request::post("/v1/campaigns")
                .header("authorization", format!("Bearer {key}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_problem(&malformed, StatusCode::BAD_REQUEST, "bad_request");
    let huge = json!({"name": "x".repeat(300 * 1024), "agent_id": agent});
    assert_problem(
        &app.post(&key, "/v1/campaigns", huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
}

#[tokio::test]
async fn campaigns_are_listed_by_status_a_page_at_a_time() {
    let app = App::spawn("campaign-list").await;
    let key = app.tenant("t1", Plan::Enterprise).await;
    let agent = app.agent(&key).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let r = app
            .post(
                &key,
                "/v1/campaigns",
                json!({"name": format!("c{i}"), "agent_id": agent}),
            )
            .await;
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let first = app.get(&key, "/v1/campaigns?limit=2").await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(&key, &format!("/v1/campaigns?limit=2&cursor={cursor}"))
        .await;
    let third = app
        .get(
            &key,
            &format!(
                "/v1/campaigns?limit=2&cursor={}",
                second.body["next_cursor"].as_str().unwrap()
            ),
        )
        .await;
    assert!(third.body.get("next_cursor").is_none());
    let seen: Vec<String> = [&first, &second, &third]
        .iter()
        .flat_map(|p| {
            p.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(seen, ids, "every campaign once, in order");
    assert_eq!(
        app.get(&key, "/v1/campaigns?status=active").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_problem(
        &app.get(&key, "/v1/campaigns?limit=0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_problem(
        &app.get(&key, "/v1/campaigns?status=running").await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
}

#[tokio::test]
async fn updates_bump_the_version_and_only_draft_or_paused_campaigns_change() {
    let app = App::spawn("campaign-update").await;
    let key = app.tenant("t1", Plan::Enterprise).await;
    let id = app.campaign(&key, "t1", 2).await;
    let current = app.get(&key, &format!("/v1/campaigns/{id}")).await.body;
    let mut spec = current["config"].clone();
    spec["name"] = json!("Renamed");
    let updated = app
        .call(
            &key,
            Method::PUT,
            &format!("/v1/campaigns/{id}"),
            Some(spec.clone()),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(
        (
            updated.body["config"]["name"].as_str(),
            updated.body["config_version"].as_u64()
        ),
        (Some("Renamed"), Some(2))
    );

    app.post(&key, &format!("/v1/campaigns/{id}/launch"), json!({}))
        .await;
    let refused = app
        .call(
            &key,
            Method::PUT,
            &format!("/v1/campaigns/{id}"),
            Some(spec.clone()),
        )
        .await;
    assert_problem(&refused, StatusCode::CONFLICT, "invalid_transition");
    assert_eq!(refused.body["current_status"], "active");

    app.post(&key, &format!("/v1/campaigns/{id}/pause"), json!({}))
        .await;
    let paused_update = app
        .call(
            &key,
            Method::PUT,
            &format!("/v1/campaigns/{id}"),
            Some(spec),
        )
        .await;
    assert_eq!(paused_update.body["config_version"], 3);
}

/// Puts a fresh campaign into `status`.
async fn campaign_in(app: &App, key: &str, status: CampaignStatus) -> String {
    let id = app.campaign(key, "t1", 2).await;
    let go = |action: &'static str| {
        let path = format!("/v1/campaigns/{id}/{action}");
        async move {
            assert_eq!(
                app.post(key, &path, json!({})).await.status,
                StatusCode::OK,
                "{action}"
            )
        }
    };
    match status {
        CampaignStatus::Draft => {}
        CampaignStatus::Scheduled => {
            let current = app.get(key, &format!("/v1/campaigns/{id}")).await.body;
            let mut spec = current["config"].clone();
            spec["schedule"]["starts_at"] = json!("2026-07-01T00:00:00Z");
            app.call(key, Method::PUT, &format!("/v1/campaigns/{id}"), Some(spec))
                .await;
            go("launch").await;
        }
        CampaignStatus::Active => go("launch").await,
        CampaignStatus::Paused => {
            go("launch").await;
            go("pause").await;
        }
        CampaignStatus::Cancelled => {
            go("launch").await;
            go("cancel").await;
        }
        CampaignStatus::Completed => {
            go("launch").await;
            let c = domain::ids::CampaignRef {
                tenant: domain::ids::TenantId::parse("t1").unwrap(),
                campaign: domain::ids::CampaignId::parse(id.clone()).unwrap(),
            };
            app.store
                .set_campaign_status(&c, CampaignStatus::Active, CampaignStatus::Completed, t0())
                .await
                .unwrap();
        }
    }
    assert_eq!(
        app.get(key, &format!("/v1/campaigns/{id}")).await.body["status"],
        status.as_str()
    );
    id
}

#[tokio::test]
async fn every_action_in_every_status_gives_the_designed_result() {
    let app = App::spawn("transitions").await;
    let key = app.tenant("t1", Plan::Enterprise).await;
    let actions: [(&str, CampaignAction); 6] = [
        (
            "launch",
            CampaignAction::Launch {
                starts_in_future: false,
            },
        ),
        ("pause", CampaignAction::Pause),
        ("resume", CampaignAction::Resume),
        ("cancel", CampaignAction::Cancel),
        ("update", CampaignAction::Update),
        ("delete", CampaignAction::Delete),
    ];
    for status in CampaignStatus::ALL {
        for (name, action) in actions {
            let id = campaign_in(&app, &key, status).await;
            let path = format!("/v1/campaigns/{id}");
            let r = match name {
                "update" => {
                    let spec = app.get(&key, &path).await.body["config"].clone();
                    app.call(&key, Method::PUT, &path, Some(spec)).await
                }
                "delete" => app.call(&key, Method::DELETE, &path, None).await,
                _ => app.post(&key, &format!("{path}/{name}"), json!({})).await,
            };
            // What the domain table says (a Scheduled campaign launches to Scheduled).
            let launch = CampaignAction::Launch {
                starts_in_future: status == CampaignStatus::Scheduled,
            };
            let action = if name == "launch" { launch } else { action };
            match status.apply(action) {
                Err(_) => {
                    assert_problem(&r, StatusCode::CONFLICT, "invalid_transition");
                    assert_eq!(
                        r.body["current_status"],
                        status.as_str(),
                        "{name} on {status}"
                    );
                }
                Ok(Transition::Changed(to)) => {
                    assert!(r.status.is_success(), "{name} on {status}: {:?}", r.body);
                    if name != "delete" {
                        assert_eq!(r.body["status"], to.as_str(), "{name} on {status}");
                    }
                }
                Ok(Transition::Unchanged) => {
                    assert!(r.status.is_success(), "{name} on {status}: {:?}", r.body);
                    if name == "delete" {
                        assert_eq!(r.status, StatusCode::NO_CONTENT);
                        assert_problem(
                            &app.get(&key, &path).await,
                            StatusCode::NOT_FOUND,
                            "not_found",
                        );
                    } else {
                        assert_eq!(r.body["status"], status.as_str(), "{name} on {status}");
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn ten_parallel_launches_on_a_starter_tenant_give_exactly_one_success() {
    let app = App::spawn("plan-limit").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let mut ids = Vec::new();
    for _ in 0..10 {
        ids.push(app.campaign(&key, "t1", 1).await);
    }
    let paths: Vec<String> = ids
        .iter()
        .map(|id| format!("/v1/campaigns/{id}/launch"))
        .collect();
    let launches = paths.iter().map(|path| app.post(&key, path, json!({})));
    let results = futures::future::join_all(launches).await;
    let ok = results
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        results
            .iter()
            .map(|r| (r.status, r.body["code"].clone()))
            .collect::<Vec<_>>()
    );
    for r in results.iter().filter(|r| r.status != StatusCode::OK) {
        assert_problem(r, StatusCode::CONFLICT, "plan_limit_reached");
    }
    let tenant = app
        .store
        .get_tenant(&domain::ids::TenantId::parse("t1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant.live_campaigns, 1);

    // Ending the live one frees the slot.
    let live = ids
        .iter()
        .zip(&results)
        .find(|(_, r)| r.status == StatusCode::OK)
        .unwrap()
        .0;
    app.post(&key, &format!("/v1/campaigns/{live}/cancel"), json!({}))
        .await;
    let other = ids.iter().find(|id| *id != live).unwrap();
    assert_eq!(
        app.post(&key, &format!("/v1/campaigns/{other}/launch"), json!({}))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn launch_refuses_campaigns_nobody_can_be_called_in() {
    let app = App::spawn("launch-checks").await;
    let key = app.tenant("t1", Plan::Enterprise).await;
    let empty = app.campaign(&key, "t1", 0).await;
    assert_problem(
        &app.post(&key, &format!("/v1/campaigns/{empty}/launch"), json!({}))
            .await,
        StatusCode::CONFLICT,
        "no_callable_leads",
    );

    // Every lead on the DNC list: nobody to call.
    let dnc_only = app.campaign(&key, "t1", 1).await;
    app.post(&key, "/v1/dnc", json!({"number": "+12125551000"}))
        .await;
    let r = app
        .post(&key, &format!("/v1/campaigns/{dnc_only}/launch"), json!({}))
        .await;
    assert_problem(&r, StatusCode::CONFLICT, "no_callable_leads");
    assert!(r.body["detail"].as_str().unwrap().contains("do_not_call"));

    // A window that never opens before the end date (weekends only, ending on a Wednesday).
    let agent = app.agent(&key).await;
    let mut spec = campaign_spec(&agent);
    spec["schedule"] = json!({"window": {"saturday": [{"start": "09:00", "end": "17:00"}]}, "ends_at": "2026-06-11T00:00:00Z"});
    let closed = app.post(&key, "/v1/campaigns", spec).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.add_leads("t1", &closed, 2).await;
    let r = app
        .post(&key, &format!("/v1/campaigns/{closed}/launch"), json!({}))
        .await;
    assert_problem(&r, StatusCode::CONFLICT, "no_callable_leads");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("window_never_opens"),
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn the_schedule_follows_the_lifecycle_in_the_emulator() {
    let app = App::spawn("schedules").await;
    let key = app.tenant("t1", Plan::Enterprise).await;
    let id = app.campaign(&key, "t1", 2).await;
    assert!(
        app.schedule_of("t1", &id).await.is_none(),
        "no schedule for a draft"
    );

    app.post(&key, &format!("/v1/campaigns/{id}/launch"), json!({}))
        .await;
    let s = app
        .schedule_of("t1", &id)
        .await
        .expect("launch creates the schedule");
    assert!(s.enabled);
    let input = s.input.unwrap();
    assert_eq!(
        (input.tenant.as_str(), input.campaign.as_str()),
        ("t1", id.as_str())
    );

    app.post(&key, &format!("/v1/campaigns/{id}/pause"), json!({}))
        .await;
    assert!(
        app.schedule_of("t1", &id).await.unwrap().enabled,
        "pause keeps it: a paused campaign still settles overdue calls and ends on time"
    );
    app.post(&key, &format!("/v1/campaigns/{id}/pause"), json!({}))
        .await;
    assert!(
        app.schedule_of("t1", &id).await.unwrap().enabled,
        "and again is a no-op"
    );

    app.post(&key, &format!("/v1/campaigns/{id}/resume"), json!({}))
        .await;
    assert!(
        app.schedule_of("t1", &id).await.unwrap().enabled,
        "resume enables it"
    );

    // Cancel with open leads keeps it for draining.
    app.post(&key, &format!("/v1/campaigns/{id}/cancel"), json!({}))
        .await;
    assert!(
        app.schedule_of("t1", &id).await.unwrap().enabled,
        "kept until the tick drains"
    );
}

#[tokio::test]
async fn cancelling_a_campaign_with_nothing_open_deletes_its_schedule_at_once() {
    let app = App::spawn("schedules-drained").await;
    let key = app.tenant("t1", Plan::Enterprise).await;
    let drained = app.campaign(&key, "t1", 1).await;
    app.post(&key, &format!("/v1/campaigns/{drained}/launch"), json!({}))
        .await;
    let lead = app
        .get(&key, &format!("/v1/campaigns/{drained}/leads"))
        .await
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &key,
        &format!("/v1/campaigns/{drained}/leads/{lead}/skip"),
        json!({}),
    )
    .await;
    app.post(&key, &format!("/v1/campaigns/{drained}/cancel"), json!({}))
        .await;
    assert!(
        app.schedule_of("t1", &drained).await.is_none(),
        "nothing to drain: deleted"
    );
}

#[tokio::test]
async fn a_campaign_launched_for_a_later_start_gets_a_schedule_that_starts_then() {
    let app = App::spawn("schedules-later").await;
    let key = app.tenant("t1", Plan::Enterprise).await;
    let later = app.campaign(&key, "t1", 1).await;
    let mut spec = app.get(&key, &format!("/v1/campaigns/{later}")).await.body["config"].clone();
    spec["schedule"]["starts_at"] = json!("2026-07-01T00:00:00Z");
    app.call(
        &key,
        Method::PUT,
        &format!("/v1/campaigns/{later}"),
        Some(spec),
    )
    .await;
    let r = app
        .post(&key, &format!("/v1/campaigns/{later}/launch"), json!({}))
        .await;
    assert_eq!(r.body["status"], "scheduled");
    let s = app.schedule_of("t1", &later).await.unwrap();
    assert_eq!(
        s.start.map(|t| t.to_rfc3339()),
        Some("2026-07-01T00:00:00+00:00".to_owned())
    );
}

#[tokio::test]
async fn progress_comes_from_counters() {
    let app = App::spawn("progress").await;
    let key = app.tenant("t1", Plan::Enterprise).await;
    let id = app.campaign(&key, "t1", 3).await;
    let lead = app
        .get(&key, &format!("/v1/campaigns/{id}/leads?limit=1"))
        .await
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &key,
        &format!("/v1/campaigns/{id}/leads/{lead}/skip"),
        json!({}),
    )
    .await;
    let p: Value = app
        .get(&key, &format!("/v1/campaigns/{id}/progress"))
        .await
        .body;
    assert_eq!(
        (
            p["total"].as_i64(),
            p["finished"].as_i64(),
            p["remaining"].as_i64()
        ),
        (Some(3), Some(1), Some(2))
    );
    assert_eq!(p["by_status"]["skipped"], 1);
    assert_eq!(p["by_status"]["pending"], 2);
    assert_eq!(p["success_rate"], 0.0);
}
