//! A small client over the HTTP API. Problem documents become one readable line each.

use std::fmt;

use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// An error from the API (a problem document) or from getting there.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The API answered with a problem.
    #[error("{0}")]
    Api(Problem),
    /// The request did not get an answer.
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
}

/// A problem document, flattened to a line.
#[derive(Debug, Clone)]
pub struct Problem {
    /// HTTP status.
    pub status: u16,
    /// Stable code.
    pub code: String,
    /// Explanation.
    pub detail: String,
    /// Invalid fields as `field: message`.
    pub errors: Vec<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.detail)?;
        if !self.errors.is_empty() {
            write!(f, " ({})", self.errors.join("; "))?;
        }
        Ok(())
    }
}

/// The API at `base` with a key.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl ApiClient {
    /// A client for `base` (e.g. `http://127.0.0.1:8080`) authenticating with `key`.
    pub fn new(base: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.into().trim_end_matches('/').to_owned(),
            key: key.into(),
        }
    }

    /// Any request; JSON in, JSON out (`null` for an empty body).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ClientError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(body);
        }
        Self::answer(request.send().await?).await
    }

    async fn answer(response: reqwest::Response) -> Result<Value, ClientError> {
        let status = response.status();
        let bytes = response.bytes().await?;
        let value: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        if status.is_success() {
            return Ok(value);
        }
        let text = |k: &str| {
            value
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let errors = value
            .get("errors")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|e| {
                        format!(
                            "{}: {}",
                            e["field"].as_str().unwrap_or(""),
                            e["message"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let code = if text("code").is_empty() {
            status.canonical_reason().unwrap_or("error").to_owned()
        } else {
            text("code")
        };
        Err(ClientError::Api(Problem {
            status: status.as_u16(),
            code,
            detail: text("detail"),
            errors,
        }))
    }

    pub async fn get(&self, path: &str) -> Result<Value, ClientError> {
        self.request(Method::GET, path, None).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        self.request(Method::POST, path, Some(body)).await
    }

    /// PUT with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        self.request(Method::PUT, path, Some(body)).await
    }

    /// A CSV body (`text/csv`), JSON out: the bulk Do-Not-Call upload.
    pub async fn post_csv(&self, path: &str, csv: Vec<u8>) -> Result<Value, ClientError> {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("content-type", "text/csv")
            .body(csv);
        Self::answer(request.send().await?).await
    }

    pub async fn delete(&self, path: &str) -> Result<Value, ClientError> {
        self.request(Method::DELETE, path, None).await
    }

    /// Uploads a CSV to a campaign through a presigned URL; `progress` is told the bytes sent.
    /// Returns the import id.
    pub async fn upload_csv(
        &self,
        campaign: &str,
        bytes: Vec<u8>,
        progress: impl Fn(u64) + Send + Sync + 'static,
    ) -> Result<String, ClientError> {
        let path = format!("/v1/campaigns/{campaign}/imports");
        let upload =
            (self.upload(&path, serde_json::json!({}), "text/csv", bytes, progress)).await?;
        Ok(upload["import_id"].as_str().unwrap_or_default().to_owned())
    }

    /// Asks `path` for a presigned upload URL (`body` with the file's `size_bytes`) and PUTs
    /// the file there as `content_type`; `progress` is told the bytes sent. Returns the answer
    /// that gave the URL.
    pub async fn upload(
        &self,
        path: &str,
        mut body: Value,
        content_type: &str,
        bytes: Vec<u8>,
        progress: impl Fn(u64) + Send + Sync + 'static,
    ) -> Result<Value, ClientError> {
        body["size_bytes"] = serde_json::json!(bytes.len());
        let upload = self.post(path, &body).await?;
        let url = upload["upload_url"].as_str().unwrap_or_default().to_owned();
        let total = bytes.len();
        let chunks: Vec<Vec<u8>> = bytes.chunks(64 * 1024).map(<[u8]>::to_vec).collect();
        let progress = std::sync::Arc::new(progress);
        let mut sent = 0u64;
        let stream = futures::stream::iter(chunks).map(move |chunk| {
            sent += chunk.len() as u64;
            progress(sent);
            Ok::<_, std::io::Error>(chunk)
        });
        let response = self
            .http
            .put(url)
            .header("content-type", content_type)
            .header("content-length", total)
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await?;
        if response.status() != StatusCode::OK {
            let status = response.status().as_u16();
            let detail = response.text().await.unwrap_or_default();
            return Err(ClientError::Api(Problem {
                status,
                code: "upload_failed".into(),
                detail,
                errors: Vec::new(),
            }));
        }
        Ok(upload)
    }
}
