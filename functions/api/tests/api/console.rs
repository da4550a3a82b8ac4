//! The console's files as the API serves them: the page, its assets and their security headers.
//! (What the console does in a browser is tested in headless Chromium: tests/e2e/console.rs.)

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::App;

async fn fetch(app: &App, path: &str, etag: Option<&str>) -> axum::response::Response {
    let mut request = Request::get(path);
    if let Some(tag) = etag {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    app.router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_page_is_served_without_a_key_under_a_policy_that_allows_only_this_origin_and_the_upload_bucket()
 {
    let app = App::spawn("console-page").await;
    let page = fetch(&app, "/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self';",
        "style-src 'self';",
        "frame-ancestors 'none'",
    ] {
        assert!(
            policy.contains(directive),
            "{directive} missing from {policy}"
        );
    }
    assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"));
    // Uploads go from the browser straight to a presigned URL: that origin, and only it.
    let upload = app
        .blobs
        .presign_put(
            "imports/x",
            "text/csv",
            1,
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap();
    let bucket = reqwest::Url::parse(&upload)
        .unwrap()
        .origin()
        .ascii_serialization();
    let connect = policy
        .split(';')
        .find(|d| d.trim().starts_with("connect-src"))
        .unwrap();
    assert_eq!(connect.trim(), format!("connect-src 'self' {bucket}"));
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let body = page.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("/console/js/main.js"));
}

#[tokio::test]
async fn assets_are_revalidated_by_etag_and_unknown_paths_are_not_found() {
    let app = App::spawn("console-assets").await;
    let script = fetch(&app, "/console/js/main.js", None).await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(
        script.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(script.headers()[header::CACHE_CONTROL], "no-cache");
    let etag = script.headers()[header::ETAG].to_str().unwrap().to_owned();
    let again = fetch(&app, "/console/js/main.js", Some(&etag)).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let changed = fetch(&app, "/console/js/main.js", Some("\"stale\"")).await;
    assert_eq!(changed.status(), StatusCode::OK);
    for path in [
        "/console/js/missing.js",
        "/console/../Cargo.toml",
        "/console/",
    ] {
        assert_eq!(
            fetch(&app, path, None).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}
