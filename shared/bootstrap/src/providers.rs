//! The voice providers a deployment has, from its configuration.
//!
//! The simulator is not a cloud provider (it lives in the local runner's process); real
//! providers are registered from their credentials: a JSON document by provider name,
//!
//! ```json
//! { "twilio": { "account_sid": "AC...", "auth_token": "...", "calls_per_second": 1 },
//!   "http":   { "base_url": "https://agents.example.com", "api_key": "...", "signing_secret": "..." } }
//! ```
//!
//! read from AWS Secrets Manager (`PROVIDER_SECRET_ARN`, set by the template) in the cloud, or
//! from `PROVIDER_SECRET_JSON` when running elsewhere. Secrets are never logged, and an error
//! about them never quotes them.

use std::sync::Arc;
use std::time::Duration;

use adapters::voice::http_agent::{HttpAgent, HttpAgentConfig};
use adapters::voice::twilio::{Twilio, TwilioConfig};
use aws_config::SdkConfig;
use ports::{Clock, SystemClock};
use serde::Deserialize;

use engine::Providers;

/// Variables read in Lambda (the template sets them).
pub const ENV_VARS: &[&str] = &["PROVIDER_SECRET_ARN"];

/// How long a provider request may take before the call counts as uncertain.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(8);

/// A provider's configuration is incomplete or its credentials cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("voice provider configuration: {0}")]
pub struct ProviderConfigError(pub String);

/// The credentials document.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ProviderCredentials {
    /// Twilio, registered as `twilio`.
    #[serde(default)]
    pub twilio: Option<TwilioConfig>,
    /// The HTTP agent platform, registered as `http`.
    #[serde(default)]
    pub http: Option<HttpAgentConfig>,
}

impl ProviderCredentials {
    /// Parses the document; the error names where it is wrong, never what it holds.
    pub fn parse(json: &str) -> Result<Self, ProviderConfigError> {
        serde_json::from_str(json).map_err(|e| {
            ProviderConfigError(format!(
                "the credentials document is not of the documented shape (line {}, column {}; {:?})",
                e.line(),
                e.column(),
                e.classify()
            ))
        })
    }

    /// The providers these credentials configure.
    pub fn providers(self, clock: Arc<dyn Clock>) -> Providers {
        let mut providers = Providers::default();
        if let Some(config) = self.twilio {
            providers = providers.with("twilio", Arc::new(Twilio::new(config, REQUEST_TIMEOUT)));
        }
        if let Some(config) = self.http {
            providers = providers.with(
                "http",
                Arc::new(HttpAgent::new(config, REQUEST_TIMEOUT, clock)),
            );
        }
        providers
    }
}

/// The providers configured in the environment.
pub async fn from_env(sdk: &SdkConfig) -> Result<Providers, ProviderConfigError> {
    let arn = std::env::var("PROVIDER_SECRET_ARN")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let json = match arn {
        Some(arn) => crate::secret_string(sdk, &arn)
            .await
            .map_err(ProviderConfigError)?
            .unwrap_or_else(|| "{}".into()),
        None => std::env::var("PROVIDER_SECRET_JSON").unwrap_or_else(|_| "{}".into()),
    };
    Ok(ProviderCredentials::parse(&json)?.providers(Arc::new(SystemClock)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_register_each_configured_provider() {
        let creds = ProviderCredentials::parse(
            r#"{"twilio": {"account_sid": "AC1", "auth_token": "t0k3n"},
                "http": {"base_url": "https://a.example", "api_key": "k", "signing_secret": "s"}}"#,
        )
        .unwrap();
        let providers = creds.providers(Arc::new(SystemClock));
        assert_eq!(providers.get("twilio").unwrap().account().id, "twilio:AC1");
        assert_eq!(
            providers.get("twilio").unwrap().account().calls_per_second,
            1
        );
        assert!(providers.get("http").is_some());
        assert!(providers.get("simulator").is_none());
    }

    #[test]
    fn a_bad_document_is_refused_without_quoting_it() {
        let err = ProviderCredentials::parse(
            r#"{"twilio": {"account_sid": "AC1", "auth_token": 987654}}"#,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(!err.contains("987654"), "{err}");
        let err = ProviderCredentials::parse(r#"{"twillio": {"auth_token": "s3cr3t-value"}}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains("s3cr3t-value"), "{err}");
    }

    #[test]
    fn configs_do_not_print_their_secrets() {
        let creds = ProviderCredentials::parse(
            r#"{"twilio": {"account_sid": "AC1", "auth_token": "t0k3n"},
                "http": {"base_url": "https://a.example", "api_key": "k3y", "signing_secret": "s3cr3t"}}"#,
        )
        .unwrap();
        let printed = format!("{:?} {:?}", creds.twilio, creds.http);
        for secret in ["t0k3n", "k3y", "s3cr3t"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }
}
