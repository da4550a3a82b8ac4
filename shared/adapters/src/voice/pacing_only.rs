//! A provider known only by its account's calls per second: what the tick (and the API's
//! first tick of a launch) needs to pace what it enqueues. Those functions place no call, so
//! they are not given the provider's credentials (least privilege); anything but the figure
//! is refused, loudly, rather than faked.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::phone::E164;
use ports::voice::{
    CallControl, CallEvent, CallLookup, CallReference, CallRequest, LookupError, PlaceCallError,
    PlacedCall, ProviderAccount, ProviderEventError, ProviderRequest, VoiceProvider,
};

/// What is said when this stand-in is asked for more than its figure.
const NOT_HERE: &str =
    "this function knows only the provider's calls per second, not its credentials";

/// The provider `name` with `calls_per_second`, and nothing else.
#[derive(Debug, Clone)]
pub struct PacingOnly {
    account: ProviderAccount,
}

impl PacingOnly {
    /// `calls_per_second` is at least 1.
    pub fn new(name: &str, calls_per_second: u32) -> Self {
        Self {
            account: ProviderAccount {
                id: format!("{name}:pacing-only"),
                calls_per_second: calls_per_second.max(1),
            },
        }
    }
}

impl CallControl for PacingOnly {}

#[async_trait]
impl VoiceProvider for PacingOnly {
    fn account(&self) -> &ProviderAccount {
        &self.account
    }

    async fn place_call(&self, _request: &CallRequest) -> Result<PlacedCall, PlaceCallError> {
        Err(PlaceCallError::AccountProblem {
            problem: NOT_HERE.into(),
            credentials: false,
        })
    }

    fn parse_event(
        &self,
        _request: &ProviderRequest,
        _now: DateTime<Utc>,
    ) -> Result<CallEvent, ProviderEventError> {
        Err(ProviderEventError::BadSignature)
    }

    async fn lookup_call(
        &self,
        _reference: &CallReference,
        _provider_call_id: Option<&str>,
        _to: &E164,
        _claimed_at: DateTime<Utc>,
    ) -> Result<CallLookup, LookupError> {
        Err(LookupError(NOT_HERE.into()))
    }
}
