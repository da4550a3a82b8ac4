//! The voice providers a deployment has, from its configuration.
//!
//! The simulator is not a cloud provider (it lives in the local runner's process); real
//! providers are registered here from their credentials.

use aws_config::SdkConfig;

use crate::Providers;

/// A provider's configuration is incomplete or its credentials cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("voice provider configuration: {0}")]
pub struct ProviderConfigError(pub String);

/// The providers configured in the environment.
pub async fn from_env(_sdk: &SdkConfig) -> Result<Providers, ProviderConfigError> {
    Ok(Providers::default())
}
