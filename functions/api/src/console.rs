//! The web console: a client of this API, served by it. Its files (plain HTML, CSS and ES
//! modules, no build step) are compiled into the binary, so the deployment needs no other server
//! or CDN and the local runner serves it too. `/` is the page; `/console/...` its assets.
//!
//! Every answer carries a strict Content-Security-Policy: scripts and styles only from this
//! origin (no inline script), requests only to this API and to the upload bucket's origin (the
//! browser PUTs contacts files straight to a presigned URL), no framing. The API key lives in
//! the tab's session storage and travels as a bearer header, never as a cookie, so there is no
//! ambient credential to forge requests with.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::AppState;

/// One file of the console.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! asset {
    ($path:literal, $type:expr) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_str!(concat!("../console/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file, by its path under `/console/`.
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("js/main.js", JS),
    asset!("js/api.js", JS),
    asset!("js/ui.js", JS),
    asset!("js/campaigns.js", JS),
    asset!("js/wizard.js", JS),
    asset!("js/settings.js", JS),
    asset!("js/upload.js", JS),
    asset!("js/review.js", JS),
    asset!("js/dashboard.js", JS),
    asset!("js/leads.js", JS),
    asset!("js/agents.js", JS),
    asset!("js/dnc.js", JS),
    asset!("js/guardrails.js", JS),
    asset!("js/webhooks.js", JS),
    asset!("js/deliveries.js", JS),
    asset!("js/account.js", JS),
    asset!("js/pools.js", JS),
];

/// `GET /`: the console's page.
pub(crate) async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state, "index.html", &headers).await
}

/// `GET /console/{*path}`: one of its assets.
pub(crate) async fn asset(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(&state, &path, &headers).await
}

async fn serve(state: &AppState, path: &str, request: &HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.path == path) else {
        return (StatusCode::NOT_FOUND, "not a console file").into_response();
    };
    let etag = format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(asset.body.as_bytes()))[..16]
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    // Revalidated every time (cheap: the ETag), so a deployment's new console shows at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(state).await) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, asset.body).into_response()
}

/// The policy: this origin for everything, plus the bucket's origin for the contacts upload.
pub async fn content_security_policy(state: &AppState) -> String {
    let upload = upload_origin(state).await.unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self' {upload}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// The origin presigned upload URLs point at (signing is local: no request is made).
async fn upload_origin(state: &AppState) -> Option<String> {
    let url = state
        .blobs
        .presign_put("imports/origin", "text/csv", 1, Duration::from_secs(60))
        .await
        .ok()?;
    let origin = reqwest::Url::parse(&url).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::ASSETS;

    #[test]
    fn every_module_a_page_imports_is_served() {
        for asset in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            for line in asset.body.lines().filter(|l| l.starts_with("import ")) {
                let Some(from) = line.split("from './").nth(1) else {
                    continue;
                };
                let target = format!("js/{}", from.trim_end_matches("';"));
                assert!(
                    ASSETS.iter().any(|a| a.path == target),
                    "{} imports {target}, which is not served",
                    asset.path
                );
            }
        }
    }

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        let page = ASSETS.iter().find(|a| a.path == "index.html").unwrap().body;
        assert!(!page.contains("<script>") && !page.contains("style="));
    }
}
