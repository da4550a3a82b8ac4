use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use domain::plan::Plan;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn numbers_are_added_checked_listed_and_removed_normalized() {
    let app = App::spawn("dnc").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let added = app
        .post(&key, "/v1/dnc", json!({"number": "(415) 555-2671"}))
        .await;
    assert_eq!(
        (added.status, added.body["number"].as_str()),
        (StatusCode::CREATED, Some("+14155552671"))
    );
    assert!(app.check(&key, "+14155552671").await);
    assert!(
        app.check(&key, "4155552671").await,
        "a national number reads as US"
    );
    assert!(!app.check(&key, "+14155552672").await);
    assert_problem(
        &app.post(&key, "/v1/dnc", json!({"number": "nope"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );

    for n in ["+12125550101", "+12125550102", "+12125550103"] {
        app.post(&key, "/v1/dnc", json!({"number": n})).await;
    }
    let first = app.get(&key, "/v1/dnc?limit=2").await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let next = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &key,
            &format!("/v1/dnc?limit=2&cursor={}", next.replace('+', "%2B")),
        )
        .await;
    assert_eq!(second.body["items"].as_array().unwrap().len(), 2);

    let removed = (app.post(&key, "/v1/dnc/remove", json!({"number": "+1 415 555 2671"}))).await;
    assert_eq!(removed.status, StatusCode::OK, "{:?}", removed.body);
    assert_eq!(removed.body["number"], "+14155552671");
    assert_eq!(removed.body["source"], "api");
    let key_id = key.split('.').nth(1).unwrap();
    assert_eq!(
        removed.body["removed_by"],
        format!("key:{key_id}"),
        "who removed it"
    );
    assert!(!app.check(&key, "+14155552671").await);
    let again = (app.post(&key, "/v1/dnc/remove", json!({"number": "+14155552671"}))).await;
    assert_eq!(
        again.status,
        StatusCode::NO_CONTENT,
        "not on the list: nothing to record"
    );
    let log = app.get(&key, "/v1/dnc/removals").await;
    assert_eq!(log.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(log.body["items"][0]["number"], "+14155552671");
    assert_problem(
        &app.post(&key, "/v1/dnc/check", json!({"number": "not-a-number"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    for old in ["/v1/dnc/%2B14155552671", "/v1/dnc/4155552671"] {
        let r = app.call(&key, Method::DELETE, old, None).await;
        assert_ne!(
            r.status,
            StatusCode::NO_CONTENT,
            "no number in a path: {old}"
        );
        assert_eq!(app.get(&key, old).await.status, StatusCode::NOT_FOUND);
    }
}

/// `POST /v1/dnc/bulk` with `csv` as the tenant of `key`.
async fn bulk_csv(app: &App, key: &str, csv: impl Into<Body>) -> Response {
    bulk_csv_to(app, key, "/v1/dnc/bulk", csv).await
}

async fn bulk_csv_to(app: &App, key: &str, uri: &str, csv: impl Into<Body>) -> Response {
    let request = Request::post(uri)
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "text/csv")
        .body(csv.into())
        .unwrap();
    app.send(request).await
}

#[tokio::test]
async fn a_csv_adds_every_valid_number_and_reports_the_rest() {
    let app = App::spawn("dnc-bulk").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let csv =
        "name,phone\nA,+14155552671\nB,(212) 555-0100\nC,1.41555E+10\nD,nope\nE,+14155552671\n";
    let r = bulk_csv(&app, &key, csv).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["added"], 2);
    assert_eq!(
        r.body["not_added"],
        serde_json::json!([]),
        "every valid number was written"
    );
    let reasons: Vec<(u64, &str)> = r.body["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["line"].as_u64().unwrap(), x["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        vec![(4, "phone_scientific_notation"), (5, "phone_not_a_number")]
    );
    assert!(app.check(&key, "+12125550100").await);

    assert_eq!(
        (
            r.body["rejected_total"].as_u64(),
            r.body["not_added_total"].as_u64()
        ),
        (Some(2), Some(0))
    );

    let json_body = Request::post("/v1/dnc/bulk")
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_problem(
        &app.send(json_body).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let too_big = Request::post("/v1/dnc/bulk")
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "text/csv")
        .body(Body::from("+14155552671\n".repeat(500_000)))
        .unwrap();
    assert_eq!(
        app.send(too_big).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn a_bulk_answer_lists_at_most_a_thousand_rejections_and_counts_them_all() {
    let app = App::spawn("dnc-bulk-bounded").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let csv: String = std::iter::once("phone\n".to_owned())
        .chain((0..2_500).map(|i| format!("bad-{i}\n")))
        .collect();
    let r = bulk_csv(&app, &key, csv).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["rejected_total"], 2_500);
    assert_eq!(r.body["rejected"].as_array().unwrap().len(), 1_000);
    assert_eq!(
        r.body["rejected"][0]["line"], 2,
        "the first ones, in file order"
    );
}

#[tokio::test]
async fn a_bulk_upload_past_what_one_request_can_write_is_refused_whole() {
    let app = App::spawn("dnc-bulk-too-many").await;
    let key = app.tenant("t1", Plan::Starter).await;
    let numbers = |n: usize| -> String {
        std::iter::once("phone\n".to_owned())
            .chain((0..n).map(|i| {
                let (area, line) = if i < 10_000 {
                    (212, i)
                } else {
                    (312, i - 10_000)
                };
                format!("+1{area}555{line:04}\n")
            }))
            .collect()
    };
    let r = bulk_csv(&app, &key, numbers(10_001)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let message = r.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("10000") && message.contains("10001"),
        "{message}"
    );
    let listed = app.get(&key, "/v1/dnc?limit=5").await;
    assert_eq!(
        listed.body["items"].as_array().map(Vec::len),
        Some(0),
        "nothing was added"
    );
    let r = bulk_csv(&app, &key, numbers(10_000)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["added"], 10_000);
}

#[tokio::test]
async fn a_bulk_list_is_read_like_a_contact_list() {
    let app = App::spawn("dnc-bulk-reader").await;
    let key = app.tenant("t1", Plan::Starter).await;
    // Excel's "Unicode Text": UTF-16 with a BOM, tab-separated, the phone under "Mobile".
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "Name\tMobile\r\nAnn\t(212) 555-0100\r\n".encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let r = bulk_csv(&app, &key, utf16).await;
    assert_eq!(
        (r.status, &r.body["added"]),
        (StatusCode::OK, &json!(1)),
        "{:?}",
        r.body
    );
    assert!(app.check(&key, "+12125550100").await);
    // Semicolons and Windows-1252, as a European Excel saves them, read in the region asked.
    let cp1252 = b"nom;t\xe9l\xe9phone;tel\nJos\xe9;x;020 7946 0018\n".to_vec();
    let r = bulk_csv_to(&app, &key, "/v1/dnc/bulk?default_region=GB", cp1252).await;
    assert_eq!(
        (r.status, &r.body["added"]),
        (StatusCode::OK, &json!(1)),
        "{:?}",
        r.body
    );
    assert!(app.check(&key, "+442079460018").await);
    // An unknown region and a file with no rows are refused with what is wrong.
    let r = bulk_csv_to(&app, &key, "/v1/dnc/bulk?default_region=ZZ", "phone\n").await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "default_region");
    let r = bulk_csv(&app, &key, "").await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("empty_file"),
        "{:?}",
        r.body
    );
}
