//! The deployment's secret for keyed lead ids, read once at cold start from Secrets Manager
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
