//! Sending one signed webhook request to a tenant's endpoint.

use async_trait::async_trait;

/// One request: where, its headers, its body (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why no answer came: refused target, timeout, connection failure. Said for the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoAnswer(pub String);

/// Posts webhook requests. The answer's status code is all that is kept: response bodies are
/// never read.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    async fn post(&self, request: WebhookRequest) -> Result<u16, NoAnswer>;
}
