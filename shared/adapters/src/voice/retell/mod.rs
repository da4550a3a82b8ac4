//! Retell AI as a voice provider: calls created with `POST /v2/create-phone-call` on the
//! tenant's Retell agent, events from Retell's webhooks (sent per call to this attempt's URL,
//! signed with the API key), a lost create answer found again with `POST /v3/list-calls`
//! filtered by the reference we put in the call's metadata. Retell's agent handles machines and
//! transfers itself, so the engine has nothing to do on a live call ([`CallControl`] defaults).

pub mod wire;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::phone::E164;
use ports::voice::{
    CallControl, CallEvent, CallEventKind, CallLookup, CallReference, CallRequest, LookupError,
    PlaceCallError, PlacedCall, ProviderAccount, ProviderEventError, ProviderRequest,
    VoiceProvider,
};
use serde::Deserialize;
use serde_json::{Value, json};

pub use wire::{RetellCall, SIGNATURE_HEADER, create_call_body, signature};

/// Retell credentials and settings (the provider secret's `retell` part).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetellConfig {
    /// The API key (a key with the webhook badge: it also signs the webhooks). Never logged.
    pub api_key: String,
    /// API base URL (tests point it at the fake).
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// Calls started per second (from `PROVIDER_CALLS_PER_SECOND`, not the secret).
    #[serde(skip_deserializing, default = "default_cps")]
    pub calls_per_second: u32,
}

fn default_api_base() -> String {
    "https://api.retellai.com".into()
}

fn default_cps() -> u32 {
    10
}

impl std::fmt::Debug for RetellConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetellConfig")
            .field("api_key", &"<redacted>")
            .field("api_base", &self.api_base)
            .field("calls_per_second", &self.calls_per_second)
            .finish()
    }
}

/// The adapter.
#[derive(Debug, Clone)]
pub struct Retell {
    config: RetellConfig,
    account: ProviderAccount,
    http: reqwest::Client,
}

impl Retell {
    /// An adapter; requests time out after `timeout` (then the call is uncertain and looked up).
    pub fn new(config: RetellConfig, timeout: Duration) -> Self {
        let account = ProviderAccount {
            id: super::platform::key_account_id("retell", &config.api_key),
            calls_per_second: config.calls_per_second.max(1),
        };
        Self {
            http: super::http_client(timeout),
            config,
            account,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.api_base.trim_end_matches('/'))
    }

    async fn list_by_reference(&self, reference: &str) -> Result<Option<RetellCall>, LookupError> {
        let filter = json!({
            "filter_criteria": { "metadata": [
                { "key": wire::REFERENCE_KEY, "type": "string", "op": "eq", "value": reference }
            ]},
            "limit": 10,
        });
        let response = self
            .http
            .post(self.url("/v3/list-calls"))
            .bearer_auth(&self.config.api_key)
            .json(&filter)
            .send()
            .await
            .map_err(super::lookup_error)?;
        if !response.status().is_success() {
            return Err(LookupError(format!(
                "Retell answered {}",
                response.status()
            )));
        }
        let page: Value = response.json().await.map_err(super::lookup_error)?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        // The filter is the platform's; the reference is checked again here.
        Ok(items
            .into_iter()
            .filter_map(|item| serde_json::from_value::<RetellCall>(item).ok())
            .find(|call| call.reference() == Some(reference)))
    }
}

/// Retell's agent detects machines, transfers and hangs up by itself.
impl CallControl for Retell {}

fn lookup_of(call: RetellCall) -> CallLookup {
    match wire::report_of(&call, false) {
        Some(report) => CallLookup::Ended {
            details: wire::details_of(&call),
            report,
        },
        None => CallLookup::InProgress {
            provider_call_id: call.call_id,
        },
    }
}

#[async_trait]
impl VoiceProvider for Retell {
    fn account(&self) -> &ProviderAccount {
        &self.account
    }

    async fn place_call(&self, request: &CallRequest) -> Result<PlacedCall, PlaceCallError> {
        let response = super::send_create(
            self.http
                .post(self.url("/v2/create-phone-call"))
                .bearer_auth(&self.config.api_key)
                .json(&create_call_body(request)),
        )
        .await?;
        let status = response.status().as_u16();
        let retry_after = super::retry_after(response.headers());
        match status {
            200..=299 => super::created_call(response, "call_id").await,
            429 => Err(PlaceCallError::RateLimited { retry_after }),
            401 | 403 => Err(PlaceCallError::AccountProblem {
                problem: format!(
                    "Retell refused our API key (HTTP {status}): check the retell provider's api_key"
                ),
                credentials: true,
            }),
            402 => Err(PlaceCallError::AccountProblem {
                problem: "Retell refused for payment (HTTP 402): check the Retell account's billing".into(),
                credentials: false,
            }),
            // The agent or the caller number is not the tenant's on Retell: a set-up problem,
            // not this contact's.
            404 => Err(PlaceCallError::AccountProblem {
                problem: "Retell does not know the agent or the caller number (HTTP 404): check the agent's provider_agent_ref and that the caller number is imported to Retell".into(),
                credentials: false,
            }),
            503 => Err(PlaceCallError::Unavailable),
            500..=599 => Err(PlaceCallError::Uncertain),
            _ => Err(PlaceCallError::Rejected {
                reason: format!("retell_http_{status}"),
            }),
        }
    }

    fn parse_event(
        &self,
        request: &ProviderRequest,
        now: DateTime<Utc>,
    ) -> Result<CallEvent, ProviderEventError> {
        let header = request
            .header(SIGNATURE_HEADER)
            .ok_or(ProviderEventError::BadSignature)?;
        wire::verify(&self.config.api_key, &request.body, header, now)?;
        #[derive(Deserialize)]
        struct Webhook {
            event: String,
            call: RetellCall,
        }
        let hook: Webhook = serde_json::from_slice(&request.body)
            .map_err(|e| ProviderEventError::Malformed(e.to_string()))?;
        // Bound to the attempt by the signed body's metadata, not by the URL alone: a signed
        // event of another call posted to this URL is refused.
        if hook.call.reference().is_none()
            || hook.call.reference() != super::platform::reference_in_url(&request.url).as_deref()
        {
            return Err(ProviderEventError::Malformed(
                "the call's metadata names another attempt than the URL".into(),
            ));
        }
        // `call_ended` of a conversation waits for `call_analyzed`, which says what the agent
        // learnt; every other ending is final at once.
        let wait = hook.event == "call_ended";
        let kind = match hook.event.as_str() {
            "call_ended" | "call_analyzed" => match wire::report_of(&hook.call, wait) {
                Some(report) => CallEventKind::Ended {
                    details: wire::details_of(&hook.call),
                    report,
                },
                None => CallEventKind::Progress(hook.event.clone()),
            },
            other => CallEventKind::Progress(other.to_owned()),
        };
        Ok(CallEvent {
            provider_call_id: hook.call.call_id,
            kind,
        })
    }

    async fn lookup_call(
        &self,
        reference: &CallReference,
        provider_call_id: Option<&str>,
        _to: &E164,
        _claimed_at: DateTime<Utc>,
    ) -> Result<CallLookup, LookupError> {
        let call = match provider_call_id {
            Some(id) => {
                let request = (self.http.get(self.url(&format!("/v2/get-call/{id}"))))
                    .bearer_auth(&self.config.api_key);
                let Some(call) = super::get_optional_json::<RetellCall>(request, "Retell").await?
                else {
                    return Ok(CallLookup::NotFound);
                };
                Some(call)
            }
            // The reference is unique per attempt, so an earlier attempt's call never matches.
            None => self.list_by_reference(&reference.path()).await?,
        };
        Ok(call.map_or(CallLookup::NotFound, lookup_of))
    }
}

#[cfg(test)]
mod tests;
