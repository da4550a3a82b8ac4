//! Why a store request did not do what was asked: a failure, or a refusal by a condition.
//! No AWS type appears here: the adapters classify their SDK's errors when they convert them.

use crate::BoxError;

/// Why a store request failed (not a refusal: a failure to talk to the store, or bad data).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The request failed; `retryable` says whether the same request may succeed later
    /// (throttling, service and network errors) or not (an invalid request, a missing table).
    #[error("the store request failed")]
    Request {
        /// Whether retrying may succeed.
        retryable: bool,
        /// The adapter's error.
        #[source]
        source: BoxError,
    },
    /// An item could not be read back into its type.
    #[error("stored item {key} is malformed: {reason}")]
    Corrupt {
        /// The item's key.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

impl StoreError {
    /// Whether retrying the same request may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Request { retryable, .. } => *retryable,
            Self::Corrupt { .. } => false,
        }
    }
}

/// A conditional write that was refused, and which condition refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The lead changed since the transition was computed (or does not exist).
    #[error("the lead changed since it was read")]
    Stale,
    /// The campaign is not in the required status.
    #[error("the campaign is not in the required status")]
    CampaignStatus,
    /// The number is on the tenant's Do-Not-Call list.
    #[error("the number is on the Do-Not-Call list")]
    DoNotCall,
    /// The number is in the tenant's extract of a government do-not-call registry.
    #[error("the number is on a do-not-call registry")]
    Registry,
    /// The campaign's concurrency or rolling-hour budget is used up.
    #[error("the campaign's pacing limit is reached")]
    Pacing,
    /// The provider account's calls-per-second budget for this second is used up.
    #[error("the provider's calls-per-second limit is reached for this second")]
    ProviderRate,
    /// Every line of the provider account is busy (its simultaneous calls are at the limit).
    #[error("the provider account's simultaneous calls are at the limit")]
    AccountLines,
    /// The caller number has started as many calls this hour or day as its limits allow.
    #[error("the caller number is at its hourly or daily limit")]
    CallerLimit,
    /// The tenant's plan allows no more live campaigns.
    #[error("the plan's limit on live campaigns is reached")]
    PlanLimit,
    /// Another call to the number was claimed (by any of the tenant's campaigns) since its
    /// ledger was read: read it again and decide again.
    #[error("another call to the number was claimed since its calls were counted")]
    NumberCallsMoved,
    /// Another transaction touched the same items at the same moment; retry.
    #[error("a concurrent transaction conflicted")]
    Conflict,
}

/// A transition write that did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A condition refused it; nothing was written.
    #[error("write refused: {0}")]
    Refused(Refusal),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
