use axum::http::StatusCode;
use domain::plan::Plan;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn an_upload_url_names_an_import_that_is_listed_with_its_report() {
    let app = App::spawn("imports").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let id = app.campaign(&key, "t1", 0).await;
    let upload = app
        .post(
            &key,
            &format!("/v1/campaigns/{id}/imports"),
            json!({"size_bytes": 1234}),
        )
        .await;
    assert_eq!(upload.status, StatusCode::CREATED);
    let import = upload.body["import_id"].as_str().unwrap();
    assert_eq!(
        upload.body["object_key"],
        format!("imports/t1/{id}/{import}.csv")
    );
    assert_eq!(upload.body["method"], "PUT");
    assert!(
        upload.body["upload_url"]
            .as_str()
            .unwrap()
            .contains("X-Amz-Signature")
    );

    let list = app.get(&key, &format!("/v1/campaigns/{id}/imports")).await;
    assert_eq!(list.body["items"][0]["id"], import);
    assert_eq!(list.body["items"][0]["status"], "awaiting_upload");
    let one = app
        .get(&key, &format!("/v1/campaigns/{id}/imports/{import}"))
        .await;
    assert_eq!(one.body["rows_read"], 0);
    assert_problem(
        &app.get(&key, &format!("/v1/campaigns/{id}/imports/nope"))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn an_upload_url_accepts_only_the_announced_size_within_the_import_limit() {
    let app = App::spawn("upload-size").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let id = app.campaign(&key, "t1", 0).await;
    let path = format!("/v1/campaigns/{id}/imports");
    let upload = app.post(&key, &path, json!({"size_bytes": 1234})).await;
    assert_eq!(upload.status, StatusCode::CREATED);
    assert_eq!(upload.body["headers"]["content-length"], "1234");
    let url = upload.body["upload_url"].as_str().unwrap();
    let signed = url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("X-Amz-SignedHeaders="))
        .expect("a SigV4 presigned URL");
    assert!(
        signed.split("%3B").any(|h| h == "content-length"),
        "the length is signed, so S3 refuses any other: {signed}"
    );

    let limit = api::ApiSettings::default().max_upload_bytes;
    for size in [json!(0), json!(limit + 1), json!(-1), json!("12")] {
        let refused = app.post(&key, &path, json!({ "size_bytes": size })).await;
        assert_problem(
            &refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
    }
    let no_size = app.post(&key, &path, json!({})).await;
    assert_problem(
        &no_size,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let list = app.get(&key, &path).await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        1,
        "no import for a refused size"
    );
}

#[tokio::test]
async fn leads_are_listed_by_status_read_with_history_and_skipped() {
    let app = App::spawn("leads").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let id = app.campaign(&key, "t1", 7).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/campaigns/{id}/leads?limit=3&cursor={c}"),
            None => format!("/v1/campaigns/{id}/leads?limit=3"),
        };
        let page = app.get(&key, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        seen.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["id"].as_str().unwrap().to_owned()),
        );
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 7, "no lead twice across pages");

    let lead = &seen[0];
    let skipped = app
        .post(
            &key,
            &format!("/v1/campaigns/{id}/leads/{lead}/skip"),
            json!({}),
        )
        .await;
    assert_eq!(
        (skipped.status, skipped.body["status"].as_str()),
        (StatusCode::OK, Some("skipped"))
    );
    assert_eq!(skipped.body["skip_reason"], "manual");
    let again = app
        .post(
            &key,
            &format!("/v1/campaigns/{id}/leads/{lead}/skip"),
            json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "idempotent");

    let only_skipped = app
        .get(&key, &format!("/v1/campaigns/{id}/leads?status=skipped"))
        .await;
    assert_eq!(only_skipped.body["items"].as_array().unwrap().len(), 1);
    let detail = app
        .get(&key, &format!("/v1/campaigns/{id}/leads/{lead}"))
        .await;
    assert_eq!(detail.body["calls"], json!([]));
    assert_eq!(detail.body["phone"].as_str().unwrap().len(), 12);
    assert_problem(
        &app.get(&key, &format!("/v1/campaigns/{id}/leads?cursor=zzz"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
}

#[tokio::test]
async fn preview_shows_zones_and_local_time_and_dry_run_projects_first_calls() {
    let app = App::spawn("dry-run").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let id = app.campaign(&key, "t1", 4).await;
    // One of them is on the DNC list.
    app.post(&key, "/v1/dnc", json!({"number": "+12125551001"}))
        .await;

    let preview = app
        .get(&key, &format!("/v1/campaigns/{id}/preview?limit=2"))
        .await;
    let items = preview.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["zones"], json!(["America/New_York"]));
    assert!(
        items[0]["local_time"]
            .as_str()
            .unwrap()
            .starts_with("2026-06-10T10:00:00-04:00")
    );

    let dry = app
        .post(
            &key,
            &format!("/v1/campaigns/{id}/dry-run?limit=10"),
            json!({}),
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK, "{:?}", dry.body);
    let items = dry.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    let blocked: Vec<_> = items
        .iter()
        .filter(|i| i["blocked"] == "do_not_call")
        .collect();
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0]["phone"], "+12125551001");
    let callable = items.iter().find(|i| i.get("blocked").is_none()).unwrap();
    // Wednesday 10:00 New York is inside the default 09-18 weekday window: at once.
    assert_eq!(callable["first_dial_at"], "2026-06-10T14:00:00Z");
    assert_eq!(callable["first_dial_local"], "2026-06-10T10:00:00-04:00");
    assert_eq!(dry.body["open_leads"], 4);
    assert!(dry.body["projected_completion_at"].as_str().is_some());
    assert_problem(
        &app.post(
            &key,
            &format!("/v1/campaigns/{id}/dry-run?limit=1000"),
            json!({}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
}

#[tokio::test]
async fn leads_are_searched_by_number_digits_or_name_across_pages() {
    let app = App::spawn("lead-search").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let id = app.campaign(&key, "t1", 12).await;
    let search = |q: &str, limit: u32| {
        let path = format!("/v1/campaigns/{id}/leads?limit={limit}&q={q}");
        let (app, key) = (&app, &key);
        async move {
            let mut found = Vec::new();
            let mut cursor = String::new();
            loop {
                let page = app.get(key, &format!("{path}{cursor}")).await;
                assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
                for lead in page.body["items"].as_array().unwrap() {
                    found.push(lead["name"].as_str().unwrap().to_owned());
                }
                match page.body["next_cursor"].as_str() {
                    Some(c) => cursor = format!("&cursor={c}"),
                    None => return found,
                }
            }
        }
    };
    // Leads are "Lead 0".."Lead 11" on +12125551000..+12125551011.
    assert_eq!(
        search("(212)%20555-1003", 50).await,
        ["Lead 3"],
        "digits of a number, any format"
    );
    let mut by_name = search("lEaD%201", 2).await;
    by_name.sort();
    assert_eq!(
        by_name,
        ["Lead 1", "Lead 10", "Lead 11"],
        "name, ignoring case, over pages of 2"
    );
    assert!(search("nobody", 50).await.is_empty());
    assert_eq!(
        search("%20", 50).await.len(),
        12,
        "a blank query filters nothing"
    );
    let long = "x".repeat(101);
    let refused = app
        .get(&key, &format!("/v1/campaigns/{id}/leads?q={long}"))
        .await;
    assert_problem(
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
}
