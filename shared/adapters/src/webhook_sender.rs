//! Webhook requests over HTTPS with reqwest, safe by default: the URL is checked again at
//! send time, every address a host name resolves to is checked before connecting (a name
//! pointed at an internal address later is refused too: DNS rebinding), redirects are not
//! followed, a request has 10 seconds in all (3 to connect, 5 to the first byte of the answer),
//! and the answer's body is never read.

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use domain::webhooks::retry::REQUEST_TIMEOUT;
use domain::webhooks::target::{check_ip, check_url};
use ports::webhook_sender::{NoAnswer, WebhookRequest, WebhookSender};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long a connection (TCP and TLS) may take: a receiver that is up connects in well under
/// a second from AWS; one that does not answer costs this, not the whole request timeout.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
/// How long the answer may keep us waiting between reads (the first byte included).
const FIRST_BYTE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Resolves with the system's resolver and keeps only addresses a delivery may reach.
struct OutsideOnly {
    local: bool,
}

impl Resolve for OutsideOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let local = self.local;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| check_ip(a.ip(), local).is_ok())
                .collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves only to internal addresses").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The production sender.
pub struct HttpWebhookSender {
    client: reqwest::Client,
    local: bool,
}

impl HttpWebhookSender {
    /// `local`: a local run (plain http and loopback receivers allowed).
    pub fn new(local: bool) -> Result<Self, reqwest::Error> {
        Self::with_timeout(local, REQUEST_TIMEOUT)
    }

    /// The same with another time limit per request (tests with a stalling receiver).
    pub fn with_timeout(local: bool, timeout: std::time::Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(CONNECT_TIMEOUT))
            .read_timeout(timeout.min(FIRST_BYTE_TIMEOUT))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("campaigns-webhooks/1")
            .dns_resolver(Arc::new(OutsideOnly { local }))
            .build()?;
        Ok(Self { client, local })
    }
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn post(&self, request: WebhookRequest) -> Result<u16, NoAnswer> {
        check_url(&request.url, self.local)
            .map_err(|e| NoAnswer(format!("target refused: {e}")))?;
        let mut builder = self.client.post(&request.url).body(request.body);
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        match builder.send().await {
            Ok(response) => Ok(response.status().as_u16()),
            Err(err) if err.is_timeout() => Err(NoAnswer("timed out".into())),
            Err(err) if err.is_connect() => {
                Err(NoAnswer(format!("could not connect: {}", root(&err))))
            }
            Err(err) => Err(NoAnswer(format!("request failed: {}", root(&err)))),
        }
    }
}

/// The innermost cause, for the delivery log (no URL repeated, no secret in it).
fn root(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
