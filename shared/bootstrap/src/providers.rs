//! The voice providers a deployment has, from its configuration.
//!
//! The simulator is not a cloud provider (it lives in the local runner's process); real
//! providers are registered from their credentials: a JSON document by provider name,
//!
//! ```json
//! { "twilio": { "account_sid": "AC...", "auth_token": "..." },
//!   "http":   { "base_url": "https://agents.example.com", "api_key": "...", "signing_secret": "..." },
//!   "retell": { "api_key": "..." },
//!   "vapi":   { "api_key": "...", "phone_number_ids": { "+14155550199": "<Vapi phoneNumberId>" } } }
//! ```
//!
//! read from AWS Secrets Manager (`PROVIDER_SECRET_ARN`, set by the template) in the cloud, or
//! from `PROVIDER_SECRET_JSON` when running elsewhere. Secrets are never logged, and an error
//! about them never quotes them.
//!
//! Each account's calls per second is not a secret and not in that document:
//! `PROVIDER_CALLS_PER_SECOND` (`twilio=1,http=10`, the template's `ProviderCallsPerSecond`)
//! sets it for every function, so the tick and the API, which pace calls but place none,
//! are given the figure ([`pacing_from_env`]) and never the credentials. Nor are the
//! simultaneous calls an account allows (`PROVIDER_CONCURRENT_CALLS`, `retell=20,vapi=10`, the
//! template's `ProviderConcurrentCalls`), which only the claim checks.

use std::sync::Arc;
use std::time::Duration;

use adapters::voice::http_agent::{HttpAgent, HttpAgentConfig};
use adapters::voice::pacing_only::PacingOnly;
use adapters::voice::retell::{Retell, RetellConfig};
use adapters::voice::twilio::{Twilio, TwilioConfig};
use adapters::voice::vapi::{Vapi, VapiConfig};
use aws_config::SdkConfig;
use ports::{Clock, SystemClock};
use serde::Deserialize;

use engine::Providers;

/// Variables read in Lambda by [`from_env`] (the template sets them).
pub const ENV_VARS: &[&str] = &[
    "PROVIDER_SECRET_ARN",
    CALLS_PER_SECOND_VAR,
    ACCOUNT_LINES_VAR,
];

/// Variables read in Lambda by [`pacing_from_env`].
pub const PACING_ENV_VARS: &[&str] = &[CALLS_PER_SECOND_VAR];

/// The accounts' calls per second, by provider name.
pub const CALLS_PER_SECOND_VAR: &str = "PROVIDER_CALLS_PER_SECOND";

/// The figures when the variable is not set: Twilio's default account limit, the HTTP agent
/// platform's documented default, and as many for Retell and Vapi (which limit concurrent calls,
/// not starts).
pub const DEFAULT_CALLS_PER_SECOND: &str = "twilio=1,http=10,retell=10,vapi=10";

/// The simultaneous calls the accounts allow, by provider name (the template's
/// `ProviderConcurrentCalls`); a provider it does not name has no such cap.
pub const ACCOUNT_LINES_VAR: &str = "PROVIDER_CONCURRENT_CALLS";

/// The figures when the variable is not set: what Retell gives a pay-as-you-go account
/// (docs.retellai.com/deploy/concurrency) and Vapi every account
/// (docs.vapi.ai/calls/call-concurrency). Twilio and the HTTP agent sell no lines.
pub const DEFAULT_ACCOUNT_LINES: &str = "retell=20,vapi=10";

/// A whole number of at least 1 per provider name, parsed from `name=figure,name=figure` (the
/// value of one variable, named in errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFigures {
    var: &'static str,
    figures: std::collections::BTreeMap<String, u32>,
}

impl ProviderFigures {
    /// Parses the value of `var`; every figure is a whole number of at least 1.
    pub fn parse(var: &'static str, text: &str) -> Result<Self, ProviderConfigError> {
        let mut figures = std::collections::BTreeMap::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || {
                ProviderConfigError(format!(
                    "{var}: `{part}` is not `provider=figure` (a whole number, at least 1)"
                ))
            };
            let (name, figure) = part.split_once('=').ok_or_else(bad)?;
            let figure: u32 = figure.trim().parse().map_err(|_| bad())?;
            if name.trim().is_empty() || figure == 0 {
                return Err(bad());
            }
            if figures.insert(name.trim().to_owned(), figure).is_some() {
                return Err(ProviderConfigError(format!(
                    "{var}: `{}` is given twice",
                    name.trim()
                )));
            }
        }
        Ok(Self { var, figures })
    }

    /// `var` from the environment, or `default` when it is unset or empty.
    pub fn from_env(var: &'static str, default: &str) -> Result<Self, ProviderConfigError> {
        match std::env::var(var) {
            Ok(text) if !text.trim().is_empty() => Self::parse(var, &text),
            _ => Self::parse(var, default),
        }
    }

    /// The accounts' calls per second ([`CALLS_PER_SECOND_VAR`]).
    pub fn calls_per_second_from_env() -> Result<Self, ProviderConfigError> {
        Self::from_env(CALLS_PER_SECOND_VAR, DEFAULT_CALLS_PER_SECOND)
    }

    /// The accounts' simultaneous calls ([`ACCOUNT_LINES_VAR`]).
    pub fn account_lines_from_env() -> Result<Self, ProviderConfigError> {
        Self::from_env(ACCOUNT_LINES_VAR, DEFAULT_ACCOUNT_LINES)
    }

    /// The figure of `provider`, if set.
    pub fn get(&self, provider: &str) -> Option<u32> {
        self.figures.get(provider).copied()
    }

    /// The providers named, with their figures.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> {
        self.figures
            .iter()
            .map(|(name, figure)| (name.as_str(), *figure))
    }

    /// A provider per figure (calls per second) that knows only its figure: for the functions
    /// that pace calls but place none.
    pub fn pacing_only(&self) -> Providers {
        self.iter()
            .fold(Providers::default(), |providers, (name, figure)| {
                providers.with(name, Arc::new(PacingOnly::new(name, figure)))
            })
    }
}

/// The providers as the tick and the API see them: their figures, no credentials.
pub fn pacing_from_env() -> Result<Providers, ProviderConfigError> {
    Ok(ProviderFigures::calls_per_second_from_env()?.pacing_only())
}

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
    /// Retell AI, registered as `retell`.
    #[serde(default)]
    pub retell: Option<RetellConfig>,
    /// Vapi, registered as `vapi`.
    #[serde(default)]
    pub vapi: Option<VapiConfig>,
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

    /// The providers these credentials configure, at the calls per second of `limits` (their
    /// own defaults where it names none).
    pub fn providers(self, clock: Arc<dyn Clock>, limits: &ProviderFigures) -> Providers {
        let mut providers = Providers::default();
        if let Some(mut config) = self.twilio {
            config.calls_per_second = limits.get("twilio").unwrap_or(config.calls_per_second);
            providers = providers.with("twilio", Arc::new(Twilio::new(config, REQUEST_TIMEOUT)));
        }
        if let Some(mut config) = self.http {
            config.calls_per_second = limits.get("http").unwrap_or(config.calls_per_second);
            providers = providers.with(
                "http",
                Arc::new(HttpAgent::new(config, REQUEST_TIMEOUT, clock)),
            );
        }
        if let Some(mut config) = self.retell {
            config.calls_per_second = limits.get("retell").unwrap_or(config.calls_per_second);
            providers = providers.with("retell", Arc::new(Retell::new(config, REQUEST_TIMEOUT)));
        }
        if let Some(mut config) = self.vapi {
            config.calls_per_second = limits.get("vapi").unwrap_or(config.calls_per_second);
            providers = providers.with("vapi", Arc::new(Vapi::new(config, REQUEST_TIMEOUT)));
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
    let limits = ProviderFigures::calls_per_second_from_env()?;
    let providers = ProviderCredentials::parse(&json)?.providers(Arc::new(SystemClock), &limits);
    Ok(with_account_lines(
        providers,
        &ProviderFigures::account_lines_from_env()?,
    ))
}

/// `providers` with the simultaneous calls `lines` names for them.
pub fn with_account_lines(providers: Providers, lines: &ProviderFigures) -> Providers {
    lines.iter().fold(providers, |providers, (name, figure)| {
        providers.with_account_lines(name, figure)
    })
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
        let limits = ProviderFigures::parse(CALLS_PER_SECOND_VAR, "twilio=3").unwrap();
        let providers = creds.providers(Arc::new(SystemClock), &limits);
        assert_eq!(providers.get("twilio").unwrap().account().id, "twilio:AC1");
        assert_eq!(
            providers.get("twilio").unwrap().account().calls_per_second,
            3
        );
        // Not named: the provider's own default.
        assert_eq!(
            providers.get("http").unwrap().account().calls_per_second,
            10
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
    fn the_figure_is_refused_in_the_credentials_document_so_it_is_never_silently_ignored() {
        let err = ProviderCredentials::parse(
            r#"{"twilio": {"account_sid": "AC1", "auth_token": "t0k3n", "calls_per_second": 5}}"#,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(!err.contains("t0k3n"), "{err}");
    }

    #[test]
    fn the_pacing_only_providers_know_their_figure_and_refuse_to_call() {
        let providers = ProviderFigures::parse(CALLS_PER_SECOND_VAR, " twilio = 4 , http=12")
            .unwrap()
            .pacing_only();
        assert_eq!(
            providers.get("twilio").unwrap().account().calls_per_second,
            4
        );
        assert_eq!(
            providers.get("http").unwrap().account().calls_per_second,
            12
        );
        assert!(providers.get("simulator").is_none());
        let defaults =
            ProviderFigures::parse(CALLS_PER_SECOND_VAR, DEFAULT_CALLS_PER_SECOND).unwrap();
        assert_eq!(
            (defaults.get("twilio"), defaults.get("http")),
            (Some(1), Some(10))
        );
    }

    #[test]
    fn a_bad_figure_list_is_refused_with_the_part_that_is_wrong() {
        for bad in [
            "twilio",
            "twilio=0",
            "twilio=-1",
            "=3",
            "twilio=1,twilio=2",
            "twilio=x",
        ] {
            for var in [CALLS_PER_SECOND_VAR, ACCOUNT_LINES_VAR] {
                let err = ProviderFigures::parse(var, bad)
                    .err()
                    .unwrap_or_else(|| panic!("{bad}"));
                assert!(err.to_string().contains(var), "{err}");
            }
        }
    }

    #[test]
    fn the_hosted_platforms_cap_simultaneous_calls_by_default_and_twilio_does_not() {
        let defaults = ProviderFigures::parse(ACCOUNT_LINES_VAR, DEFAULT_ACCOUNT_LINES).unwrap();
        let providers = with_account_lines(Providers::default(), &defaults);
        assert_eq!(providers.account_lines("retell"), Some(20));
        assert_eq!(providers.account_lines("vapi"), Some(10));
        assert_eq!(providers.account_lines("twilio"), None);
        assert_eq!(providers.account_lines("http"), None);
        let set = ProviderFigures::parse(ACCOUNT_LINES_VAR, "vapi=50, twilio=4").unwrap();
        let providers = with_account_lines(Providers::default(), &set);
        assert_eq!(providers.account_lines("vapi"), Some(50));
        assert_eq!(providers.account_lines("twilio"), Some(4));
        assert_eq!(
            providers.account_lines("retell"),
            None,
            "named list, no defaults mixed in"
        );
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
