//! Vapi as a voice provider: calls created with `POST /call` on the tenant's Vapi assistant
//! from the caller number's Vapi `phoneNumberId`, server messages sent per call to this
//! attempt's URL with a per-call secret header, a lost create answer found again by listing
//! the calls created since the claim (`GET /call?createdAtGe=`) and matching the reference we put
//! in the call's assistant overrides. Vapi's assistant handles machines and transfers itself.

pub mod wire;

use std::collections::BTreeMap;
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
use serde_json::Value;
use subtle::ConstantTimeEq;

pub use wire::{SECRET_HEADER, VapiCall, call_secret, create_call_body};

/// Vapi credentials and settings (the provider secret's `vapi` part).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VapiConfig {
    /// The private API key. Never logged.
    pub api_key: String,
    /// API base URL (tests point it at the fake).
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// Each caller number (E.164) registered at Vapi, with its Vapi `phoneNumberId`.
    #[serde(default)]
    pub phone_number_ids: BTreeMap<String, String>,
    /// Calls started per second (from `PROVIDER_CALLS_PER_SECOND`, not the secret).
    #[serde(skip_deserializing, default = "default_cps")]
    pub calls_per_second: u32,
}

fn default_api_base() -> String {
    "https://api.vapi.ai".into()
}

fn default_cps() -> u32 {
    10
}

impl std::fmt::Debug for VapiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapiConfig")
            .field("api_key", &"<redacted>")
            .field("api_base", &self.api_base)
            .field("phone_number_ids", &self.phone_number_ids.len())
            .field("calls_per_second", &self.calls_per_second)
            .finish()
    }
}

/// The adapter.
#[derive(Debug, Clone)]
pub struct Vapi {
    config: VapiConfig,
    account: ProviderAccount,
    http: reqwest::Client,
}

/// How far before the claim a lost call is looked for (clocks differ).
const LOOKUP_SLACK: chrono::Duration = chrono::Duration::minutes(2);

impl Vapi {
    /// An adapter; requests time out after `timeout` (then the call is uncertain and looked up).
    pub fn new(config: VapiConfig, timeout: Duration) -> Self {
        let account = ProviderAccount {
            id: super::platform::key_account_id("vapi", &config.api_key),
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

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Option<T>, LookupError> {
        let request = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.config.api_key);
        super::get_optional_json(request, "Vapi").await
    }
}

/// Vapi's assistant detects machines, transfers and hangs up by itself.
impl Vapi {
    /// A server message that carries this attempt's secret header and whose call names the
    /// attempt of its URL: the message and its call.
    fn verified_message(
        &self,
        request: &ProviderRequest,
    ) -> Result<(Value, VapiCall), ProviderEventError> {
        let reference = super::platform::reference_in_url(&request.url)
            .ok_or(ProviderEventError::BadSignature)?;
        let expected = call_secret(&self.config.api_key, &reference);
        let given = request.header(SECRET_HEADER).unwrap_or_default();
        if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
            return Err(ProviderEventError::BadSignature);
        }
        let mut body: Value = serde_json::from_slice(&request.body)
            .map_err(|e| ProviderEventError::Malformed(e.to_string()))?;
        let message = body["message"].take();
        let call: VapiCall = serde_json::from_value(message["call"].clone())
            .map_err(|e| ProviderEventError::Malformed(e.to_string()))?;
        if call.reference() != Some(reference.as_str()) {
            return Err(ProviderEventError::Malformed(
                "the call's metadata names another attempt than the URL".into(),
            ));
        }
        Ok((message, call))
    }
}

impl CallControl for Vapi {
    fn tool_answer(&self, results: &[ports::voice::ToolResult]) -> Option<(&'static str, String)> {
        Some(("application/json", wire::tool_answer_body(results)))
    }
}

#[async_trait]
impl VoiceProvider for Vapi {
    fn account(&self) -> &ProviderAccount {
        &self.account
    }

    async fn place_call(&self, request: &CallRequest) -> Result<PlacedCall, PlaceCallError> {
        let Some(number_id) = self.config.phone_number_ids.get(request.from.as_str()) else {
            return Err(PlaceCallError::AccountProblem {
                problem: "the agent's caller number has no Vapi phoneNumberId: add it to the vapi provider's phone_number_ids".into(),
                credentials: false,
            });
        };
        let secret = call_secret(&self.config.api_key, &request.reference.path());
        let response = super::send_create(
            self.http
                .post(self.url("/call"))
                .bearer_auth(&self.config.api_key)
                .json(&create_call_body(request, number_id, &secret)),
        )
        .await?;
        let status = response.status().as_u16();
        let retry_after = super::retry_after(response.headers());
        match status {
            200..=299 => super::created_call(response, "id").await,
            429 => Err(PlaceCallError::RateLimited { retry_after }),
            401 | 403 => Err(PlaceCallError::AccountProblem {
                problem: format!(
                    "Vapi refused our API key (HTTP {status}): check the vapi provider's api_key"
                ),
                credentials: true,
            }),
            503 => Err(PlaceCallError::Unavailable),
            // "System failure (database, queue, or internal infra)": the call may exist.
            500..=599 => Err(PlaceCallError::Uncertain),
            _ => Err(PlaceCallError::Rejected {
                reason: format!("vapi_http_{status}"),
            }),
        }
    }

    fn parse_event(
        &self,
        request: &ProviderRequest,
        _now: DateTime<Utc>,
    ) -> Result<CallEvent, ProviderEventError> {
        let (message, mut call) = self.verified_message(request)?;
        let message = &message;
        let kind = message["type"].as_str().unwrap_or_default().to_owned();
        let wait = match kind.as_str() {
            // `endedReason` is sent with status `ended`; a conversation waits for its report.
            "status-update" => {
                call.status = message["status"]
                    .as_str()
                    .unwrap_or(&call.status)
                    .to_owned();
                call.ended_reason = message["endedReason"]
                    .as_str()
                    .map(str::to_owned)
                    .or(call.ended_reason);
                true
            }
            "end-of-call-report" => {
                call.status = "ended".into();
                call.ended_reason = message["endedReason"]
                    .as_str()
                    .map(str::to_owned)
                    .or(call.ended_reason);
                call.analysis = serde_json::from_value(message["analysis"].clone())
                    .ok()
                    .or(call.analysis);
                for (field, at) in [
                    ("startedAt", &mut call.started_at),
                    ("endedAt", &mut call.ended_at),
                ] {
                    if let Some(t) = message[field].as_str().and_then(|t| t.parse().ok()) {
                        *at = Some(t);
                    }
                }
                false
            }
            // The assistant's report tool, mid-call.
            "tool-calls" => {
                return Ok(CallEvent {
                    provider_call_id: call.id,
                    kind: CallEventKind::ToolCalls(wire::tool_calls(message)),
                });
            }
            _ => {
                return Ok(CallEvent {
                    provider_call_id: call.id,
                    kind: CallEventKind::Progress(kind),
                });
            }
        };
        let kind = match wire::report_of(&call, wait) {
            Some(report) => CallEventKind::Ended {
                details: wire::details_of(&call),
                report,
            },
            None => CallEventKind::Progress(kind),
        };
        Ok(CallEvent {
            provider_call_id: call.id,
            kind,
        })
    }

    async fn lookup_call(
        &self,
        reference: &CallReference,
        provider_call_id: Option<&str>,
        _to: &E164,
        claimed_at: DateTime<Utc>,
    ) -> Result<CallLookup, LookupError> {
        let call = match provider_call_id {
            Some(id) => self.get_json::<VapiCall>(&format!("/call/{id}")).await?,
            None => {
                // No filter by metadata or number exists: the calls created since the claim,
                // matched on the reference (unique per attempt).
                let wanted = reference.path();
                // The create follows the claim within one dialer invocation (minutes at most).
                let window = (
                    claimed_at - LOOKUP_SLACK,
                    claimed_at + chrono::Duration::days(1),
                );
                self.created_between(&wanted, window, MAX_SPLITS).await?
            }
        };
        Ok(match call {
            None => CallLookup::NotFound,
            Some(call) => match wire::report_of(&call, false) {
                Some(report) => CallLookup::Ended {
                    details: wire::details_of(&call),
                    report,
                },
                None => CallLookup::InProgress {
                    provider_call_id: call.id,
                },
            },
        })
    }
}

impl Vapi {
    /// The call whose reference is `wanted` among those created in `window`. Vapi's list has
    /// no pages, only `createdAt` bounds and at most 1,000 calls an answer: a full answer that
    /// lacks the call is split in two halves, each asked again, `splits` times at most; a
    /// window still full then is an error (looked up again later), never "not found", which
    /// would release a call that may exist and dial it twice.
    fn created_between<'a>(
        &'a self,
        wanted: &'a str,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        splits: u8,
    ) -> futures::future::BoxFuture<'a, Result<Option<VapiCall>, LookupError>> {
        Box::pin(async move {
            let at = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let path = format!(
                "/call?createdAtGe={}&createdAtLe={}&limit={LIST_LIMIT}",
                at(from),
                at(to)
            );
            let calls = (self.get_json::<Vec<VapiCall>>(&path).await?).unwrap_or_default();
            let full = calls.len() >= LIST_LIMIT;
            if let Some(call) = (calls.into_iter()).find(|c| c.reference() == Some(wanted)) {
                return Ok(Some(call));
            }
            if !full {
                return Ok(None);
            }
            let middle = from + (to - from) / 2;
            if splits == 0 || middle <= from {
                return Err(LookupError(format!(
                    "more than {LIST_LIMIT} calls created between {} and {}",
                    at(from),
                    at(to)
                )));
            }
            match self
                .created_between(wanted, (from, middle), splits - 1)
                .await?
            {
                Some(call) => Ok(Some(call)),
                None => self.created_between(wanted, (middle, to), splits - 1).await,
            }
        })
    }
}

/// The most calls Vapi's list answers at once (its `limit`'s maximum).
const LIST_LIMIT: usize = 1000;
/// How many times a full list's window is halved before the lookup gives up for now.
const MAX_SPLITS: u8 = 12;

#[cfg(test)]
mod tests;
