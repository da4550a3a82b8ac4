//! The deployment's secrets for keys: lead ids and the agents' call tokens.
//!
//! The secret for keyed lead ids is read once at cold start from Secrets Manager
//! (the template generates it; it must never change for a deployment: the same number in
//! the same campaign must keep its id, or a re-import would create a second lead).

use aws_config::SdkConfig;
use domain::ids::LeadIdKey;

/// Why the key could not be read.
#[derive(Debug, thiserror::Error)]
#[error("lead id key: {0}")]
pub struct LeadIdKeyError(String);

/// The key stored in the secret `arn` (its string value, at least 16 bytes).
pub async fn key(sdk: &SdkConfig, arn: &str) -> Result<LeadIdKey, LeadIdKeyError> {
    let secret = crate::secret_string(sdk, arn)
        .await
        .map_err(LeadIdKeyError)?
        .ok_or_else(|| LeadIdKeyError(format!("secret {arn} has no string value")))?;
    LeadIdKey::new(secret).map_err(|e| LeadIdKeyError(e.to_string()))
}

/// The deployment's key for the agents' per-call tokens, from the secret named by
/// `CALL_TOKEN_SECRET_ARN` (the template generates it). Rotating it refuses the tokens of calls
/// in progress: their agents' reports answer 401 until the calls end.
pub async fn call_token_key(
    sdk: &SdkConfig,
) -> Result<domain::call_token::CallTokenKey, LeadIdKeyError> {
    let arn = crate::wiring::required_var(CALL_TOKEN_SECRET_ARN)
        .map_err(|e| LeadIdKeyError(e.to_string()))?;
    let secret = crate::secret_string(sdk, &arn)
        .await
        .map_err(LeadIdKeyError)?
        .ok_or_else(|| LeadIdKeyError(format!("secret {arn} has no string value")))?;
    domain::call_token::CallTokenKey::new(secret).map_err(|e| LeadIdKeyError(e.to_string()))
}

/// The variable naming the call token secret (the dialer and call-events functions read it).
pub const CALL_TOKEN_SECRET_ARN: &str = "CALL_TOKEN_SECRET_ARN";
