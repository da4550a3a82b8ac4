//! The guardrails as a campaign's configuration writes them, and their bounds.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::{Guardrail, Guardrails};
use crate::config::whole_number;

/// Shortest and longest sliding window, in minutes.
pub const WINDOW_MINUTES: std::ops::RangeInclusive<u32> = 5..=240;
/// Smallest and largest `min_sample`.
pub const MIN_SAMPLE: std::ops::RangeInclusive<u32> = 5..=10_000;

/// When the campaign pauses itself (see `docs/user-guide.md`, "Guardrails"). Every share is judged over
/// the last `window_minutes`, once what it is out of reaches `min_sample`; a campaign paused by
/// a guardrail says why in its progress (`pause_reason`), and resume clears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GuardrailsSpec {
    /// Whether the campaign may pause itself. Default true.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// The sliding window, 5-240 minutes. Default 15.
    #[serde(default = "default_window", deserialize_with = "whole_number::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 5, maximum = 240))]
    pub window_minutes: u32,
    /// The fewest finished attempts, call requests, connected calls or dial tries a share is
    /// judged on, 5-10000. Default 20.
    #[serde(default = "default_min_sample", deserialize_with = "whole_number::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 5, maximum = 10000))]
    pub min_sample: u32,
    /// Pause when more than this percent of finished attempts failed (provider refusals,
    /// carrier errors, unknown outcomes), 1-100 (100: never). Default 50.
    #[serde(default = "default_failed", deserialize_with = "whole_number::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub max_failed_percent: u32,
    /// Pause when the provider refused (429/503) more than this percent of call requests,
    /// 1-100 (100: never). Default 50.
    #[serde(default = "default_throttled", deserialize_with = "whole_number::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub max_throttled_percent: u32,
    /// Pause when more than this percent of connected calls opted out, 1-100 (100: never).
    /// Default 20.
    #[serde(default = "default_opt_out", deserialize_with = "whole_number::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub max_opt_out_percent: u32,
    /// Pause when more than this percent of dial tries found the number on the do-not-call
    /// list, 1-100 (100: never). Default 10.
    #[serde(default = "default_dnc_hit", deserialize_with = "whole_number::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub max_dnc_hit_percent: u32,
    /// Pause when the agent never came on more than this percent of answered calls (its media
    /// stream did not start: each is a person who answered to silence), 1-100 (100: never).
    /// Default 10.
    #[serde(
        default = "default_agent_unavailable",
        deserialize_with = "whole_number::u32"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub max_agent_unavailable_percent: u32,
    /// Pause when more than this percent of the calls a person answered miss a required
    /// disclosure the agent reports (the business identified; for telemarketing, the opt-out
    /// offered), 1-100. Default 100: off, since only an agent that reports its disclosures can
    /// be judged; set it (say 5) once yours does.
    #[serde(
        default = "default_missed_disclosure",
        deserialize_with = "whole_number::u32"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub max_missed_disclosure_percent: u32,
}

fn default_true() -> bool {
    true
}
fn default_window() -> u32 {
    15
}
fn default_min_sample() -> u32 {
    20
}
fn default_failed() -> u32 {
    50
}
fn default_throttled() -> u32 {
    50
}
fn default_opt_out() -> u32 {
    20
}
fn default_dnc_hit() -> u32 {
    10
}
fn default_missed_disclosure() -> u32 {
    100
}
fn default_agent_unavailable() -> u32 {
    10
}

impl Default for GuardrailsSpec {
    fn default() -> Self {
        Self {
            enabled: true,
            window_minutes: default_window(),
            min_sample: default_min_sample(),
            max_failed_percent: default_failed(),
            max_throttled_percent: default_throttled(),
            max_opt_out_percent: default_opt_out(),
            max_dnc_hit_percent: default_dnc_hit(),
            max_agent_unavailable_percent: default_agent_unavailable(),
            max_missed_disclosure_percent: default_missed_disclosure(),
        }
    }
}

impl GuardrailsSpec {
    /// The validated guardrails, or every bad field as (name under `guardrails.`, message).
    pub fn parse(&self) -> Result<Guardrails, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        if !WINDOW_MINUTES.contains(&self.window_minutes) {
            errors.push(("window_minutes", "must be 5-240".to_owned()));
        }
        if !MIN_SAMPLE.contains(&self.min_sample) {
            errors.push(("min_sample", "must be 5-10000".to_owned()));
        }
        let limits = [
            (
                Guardrail::FailedAttempts,
                "max_failed_percent",
                self.max_failed_percent,
            ),
            (
                Guardrail::ProviderThrottling,
                "max_throttled_percent",
                self.max_throttled_percent,
            ),
            (
                Guardrail::OptOuts,
                "max_opt_out_percent",
                self.max_opt_out_percent,
            ),
            (
                Guardrail::DncHits,
                "max_dnc_hit_percent",
                self.max_dnc_hit_percent,
            ),
            (
                Guardrail::AgentUnavailable,
                "max_agent_unavailable_percent",
                self.max_agent_unavailable_percent,
            ),
            (
                Guardrail::MissedDisclosures,
                "max_missed_disclosure_percent",
                self.max_missed_disclosure_percent,
            ),
        ];
        for (_, field, percent) in limits {
            if !(1..=100).contains(&percent) {
                errors.push((field, "must be 1-100".to_owned()));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Guardrails {
            enabled: self.enabled,
            window: Duration::minutes(i64::from(self.window_minutes)),
            min_sample: i64::from(self.min_sample),
            max_percent: limits.map(|(g, _, p)| (g, p)),
        })
    }
}
