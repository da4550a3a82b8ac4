//! A campaign's configuration: the wire form ([`CampaignSpec`]) and the validated form
//! ([`CampaignConfig`]). Parse, don't validate: once a `CampaignConfig` exists, every value in
//! it is within its limits, and the rest of the system does not check again.
//!
//! Every field of the spec has a documented default, so a minimal request is just a name and
//! an agent. Validation reports every bad field at once, by its dotted path.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::guardrails::{Guardrails, GuardrailsSpec};
use crate::ids::AgentId;
use crate::pacing::Pacing;
use crate::phone::DefaultRegion;
use crate::retry::{RetryPolicy, RetryableOutcome};
use crate::window::{BlackoutDates, WeeklyWindow};

/// Longest campaign name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Most calling ranges in one day of a window.
pub const MAX_RANGES_PER_DAY: usize = 24;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Most concurrent calls one campaign may ask for.
pub const MAX_CONCURRENT_CALLS: u32 = 1000;
/// Most calls per hour one campaign may ask for.
pub const MAX_CALLS_PER_HOUR: u32 = 100_000;
/// Shortest allowed maximum call duration, in seconds.
pub const MIN_CALL_SECONDS: u32 = 30;
/// Longest allowed maximum call duration, in seconds (4 hours, as Twilio's TimeLimit).
pub const MAX_CALL_SECONDS: u32 = 4 * 3600;

/// Campaign dates (`schedule.starts_at`, `schedule.ends_at`) must fall in
/// [`EARLIEST_DATE`, `LATEST_DATE`): far enough for any real campaign, near enough that every
/// date computed from them (drain margins, windows, schedules) stays far inside chrono's range.
pub const EARLIEST_DATE: &str = "2000-01-01T00:00:00Z";
/// See [`EARLIEST_DATE`].
pub const LATEST_DATE: &str = "2100-01-01T00:00:00Z";

/// Whether `at` is a campaign date this service accepts (see [`EARLIEST_DATE`]).
pub fn date_in_range(at: DateTime<Utc>) -> bool {
    let bound = |text: &str| text.parse::<DateTime<Utc>>().ok();
    bound(EARLIEST_DATE).is_some_and(|lo| at >= lo) && bound(LATEST_DATE).is_some_and(|hi| at < hi)
}

/// Weekday keys of the window, Monday first.
pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The campaign configuration as it travels on the wire and is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    /// Shown in lists; 1-200 characters, not only spaces.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub name: String,
    /// Free text; up to 2000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub description: Option<String>,
    /// The agent that makes the calls (one of the tenant's); must be in Outbound or Hybrid
    /// mode to launch.
    #[cfg_attr(
        feature = "openapi",
        schema(format = "agent-id", pattern = "^[A-Za-z0-9_-]{1,64}$")
    )]
    pub agent_id: String,
    /// A named pool of the tenant's (`/v1/caller-pools`) the calls come from, over the
    /// agent's own numbers or pool; absent = the agent's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 40, pattern = "^[a-z0-9][a-z0-9_-]*$")
    )]
    pub named_pool: Option<String>,
    /// When calls may be made.
    #[serde(default)]
    pub schedule: ScheduleSpec,
    /// How fast.
    #[serde(default)]
    pub pacing: PacingSpec,
    /// Retries.
    #[serde(default)]
    pub retry: RetrySpec,
    /// What happens on the call.
    #[serde(default)]
    pub call_handling: CallHandlingSpec,
    /// Region for numbers without a country code (ISO 3166-1 alpha-2, one with phone
    /// numbering). Default `US`.
    #[serde(default = "default_region")]
    #[cfg_attr(
        feature = "openapi",
        schema(format = "region", pattern = "^[A-Za-z]{2}$")
    )]
    pub default_region: String,
    /// Why the campaign calls: `informational` (default) or `telemarketing`. A telemarketing
    /// campaign calls only leads with express written consent and its evidence (source, time,
    /// agreement reference).
    #[serde(default, skip_serializing_if = "Purpose::is_informational")]
    pub purpose: Purpose,
    /// Whether a lead needs `consent` = yes in its row to be called. Default false.
    #[serde(default)]
    pub consent_required: bool,
    /// Whether a lead also needs the evidence of its consent — `consent_source` and
    /// `consent_at` in its row — to be called (implies `consent_required`). Default false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub consent_evidence_required: bool,
    /// When the campaign pauses itself (failure, throttling, opt-out and DNC-hit shares).
    #[serde(default)]
    pub guardrails: GuardrailsSpec,
}

fn default_region() -> String {
    "US".into()
}

/// One range of a day, as `HH:MM` texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    /// Start, `HH:MM`, inclusive; before `end`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")
    )]
    pub start: String,
    /// End, `HH:MM` (`24:00` allowed), exclusive.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")
    )]
    pub end: String,
}

/// When calls may be made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// Local-time ranges per weekday (`monday` .. `sunday`) in the contact's time zone.
    /// A missing day has no calls. Default: Monday-Friday 09:00-18:00.
    #[serde(default = "default_window")]
    #[cfg_attr(feature = "openapi", schema(schema_with = window_schema))]
    pub window: BTreeMap<String, Vec<RangeSpec>>,
    /// No calls before this instant (RFC 3339). Default: as soon as launched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// No calls from this instant on (RFC 3339). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    /// Days without calls (holidays, events), in the contact's local date: at most 50
    /// entries, each a day or a range of up to 62 days. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub blackout: Vec<BlackoutSpec>,
}

/// The window's schema: the seven weekdays, each a list of ranges, nothing else.
#[cfg(feature = "openapi")]
fn window_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder};
    use utoipa::openapi::{Ref, RefOr};
    let mut object = ObjectBuilder::new()
        .description(Some(
            "Local-time ranges per weekday in the contact's time zone; a missing day has no calls.",
        ))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for day in WEEKDAYS {
        let ranges = ArrayBuilder::new()
            .items(RefOr::Ref(Ref::from_schema_name("RangeSpec")))
            .max_items(Some(MAX_RANGES_PER_DAY));
        object = object.property(day, ranges);
    }
    object.build()
}

fn default_window() -> BTreeMap<String, Vec<RangeSpec>> {
    WEEKDAYS[..5]
        .iter()
        .map(|day| {
            (
                (*day).to_owned(),
                vec![RangeSpec {
                    start: "09:00".into(),
                    end: "18:00".into(),
                }],
            )
        })
        .collect()
}

impl Default for ScheduleSpec {
    fn default() -> Self {
        Self {
            window: default_window(),
            starts_at: None,
            ends_at: None,
            blackout: Vec::new(),
        }
    }
}

/// How fast the campaign calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PacingSpec {
    /// Calls in progress at once, 1-1000. Default 5.
    #[serde(
        default = "default_concurrency",
        deserialize_with = "whole_number::u32"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000))]
    pub max_concurrent_calls: u32,
    /// Calls started in any rolling hour, 1-100000. Default 100.
    #[serde(default = "default_per_hour", deserialize_with = "whole_number::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100000))]
    pub calls_per_hour: u32,
}

fn default_concurrency() -> u32 {
    5
}

fn default_per_hour() -> u32 {
    100
}

impl Default for PacingSpec {
    fn default() -> Self {
        Self {
            max_concurrent_calls: default_concurrency(),
            calls_per_hour: default_per_hour(),
        }
    }
}

/// Retry settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RetrySpec {
    /// Retries after the first attempt, 0-5. Default 2.
    #[serde(default = "default_retries", deserialize_with = "whole_number::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 5))]
    pub max_retries: u32,
    /// Minutes between an attempt and its retry, 1-43200. Default 60.
    #[serde(default = "default_delay", deserialize_with = "whole_number::u32")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 43200))]
    pub delay_minutes: u32,
    /// Which outcomes are retried. Default: no answer and busy.
    #[serde(default = "default_retry_on")]
    pub retry_on: Vec<RetryableOutcome>,
}

fn default_retries() -> u32 {
    2
}

fn default_delay() -> u32 {
    60
}

fn default_retry_on() -> Vec<RetryableOutcome> {
    vec![RetryableOutcome::NoAnswer, RetryableOutcome::Busy]
}

impl Default for RetrySpec {
    fn default() -> Self {
        Self {
            max_retries: default_retries(),
            delay_minutes: default_delay(),
            retry_on: default_retry_on(),
        }
    }
}

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// Dotted path, such as `pacing.max_concurrent_calls`.
    pub field: String,
    /// What is wrong, for a person.
    pub message: String,
}

/// Every invalid field of a spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid campaign configuration: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct InvalidConfig(pub Vec<FieldError>);

/// A validated campaign configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignConfig {
    /// 1-200 characters, trimmed.
    pub name: String,
    /// Optional text.
    pub description: Option<String>,
    /// The calling agent.
    pub agent: AgentId,
    /// The tenant's named caller pool the calls come from, over the agent's numbers.
    pub named_pool: Option<String>,
    /// Weekly window in the contact's local time.
    pub window: WeeklyWindow,
    /// First instant calls may be made.
    pub starts_at: Option<DateTime<Utc>>,
    /// Instant calls must stop.
    pub ends_at: Option<DateTime<Utc>>,
    /// Local dates without calls.
    pub blackout: BlackoutDates,
    pub pacing: Pacing,
    /// Retries.
    pub retry: RetryPolicy,
    pub call_handling: CallHandling,
    /// Region for national-format numbers.
    pub default_region: DefaultRegion,
    /// Why it calls.
    pub purpose: Purpose,
    /// Leads need consent.
    pub consent_required: bool,
    /// Leads need consent with its source and time.
    pub consent_evidence_required: bool,
    /// When the campaign pauses itself.
    pub guardrails: Guardrails,
    /// The spec this was parsed from, normalized; what is stored and returned.
    spec: CampaignSpec,
}

/// Why a campaign calls, which decides the consent its leads need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Reminders, notices, service calls: no sale.
    #[default]
    Informational,
    /// Selling or advertising: express written consent, and the registries.
    Telemarketing,
}

impl Purpose {
    /// Stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Informational => "informational",
            Self::Telemarketing => "telemarketing",
        }
    }

    fn is_informational(&self) -> bool {
        *self == Self::Informational
    }
}

/// The description, trimmed (`None` when empty); over the limit is an error.
fn parse_description<'a>(spec: &'a CampaignSpec, errors: &mut Errors) -> Option<&'a str> {
    let text = spec.description.as_deref()?;
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        errors.add(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        );
    }
    Some(text.trim()).filter(|d| !d.is_empty())
}

struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, message: impl ToString) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.to_string(),
        });
    }

    fn check<T, E: ToString>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.add(field, e)).ok()
    }
}

impl CampaignConfig {
    /// Validates a spec, reporting every bad field.
    pub fn parse(spec: CampaignSpec) -> Result<Self, InvalidConfig> {
        let mut errors = Errors(Vec::new());

        let name = spec.name.trim().to_owned();
        if name.is_empty() || spec.name.chars().count() > MAX_NAME_CHARS {
            errors.add("name", format!("must be 1-{MAX_NAME_CHARS} characters"));
        }
        let description = parse_description(&spec, &mut errors);
        let agent = errors.check("agent_id", AgentId::parse(spec.agent_id.clone()));
        if let Some(Err(message)) = spec
            .named_pool
            .as_deref()
            .map(crate::caller_pool::check_pool_name)
        {
            errors.add("named_pool", message);
        }

        let window = schedule::parse_window(&spec.schedule.window, &mut errors);
        schedule::check_dates(&spec.schedule, &mut errors);
        let blackout = schedule::parse_blackout(&spec.schedule.blackout, &mut errors);

        let pacing = parse_pacing(&spec, &mut errors);
        let retry = parse_retry(&spec, &mut errors);
        let region = errors.check("default_region", DefaultRegion::parse(&spec.default_region));

        let (voicemail, transfer_number) = parse_call_handling(&spec, region, &mut errors);
        let guardrails = spec.guardrails.parse().map_err(|bad| {
            bad.into_iter()
                .for_each(|(f, m)| errors.add(format!("guardrails.{f}"), m))
        });
        if !errors.0.is_empty() {
            return Err(InvalidConfig(errors.0));
        }
        let (Some(agent), Some(window), Some(retry), Some(default_region), Ok(guardrails)) =
            (agent, window, retry, region, guardrails)
        else {
            return Err(InvalidConfig(vec![FieldError {
                field: "".into(),
                message: "invalid configuration".into(),
            }]));
        };
        let mut normalized = spec.clone();
        normalized.name = name.clone();
        normalized.description = description.map(str::to_owned);
        normalized.default_region = default_region.code();
        normalized.call_handling.transfer_number = transfer_number.as_ref().map(|n| n.to_string());
        Ok(Self {
            name,
            description: description.map(str::to_owned),
            agent,
            named_pool: spec.named_pool.clone(),
            window,
            starts_at: spec.schedule.starts_at,
            ends_at: spec.schedule.ends_at,
            blackout,
            pacing,
            retry,
            call_handling: CallHandling {
                max_call_duration: Duration::seconds(i64::from(
                    spec.call_handling.max_call_seconds,
                )),
                voicemail,
                transfer_number,
                max_transfer_duration: Duration::seconds(i64::from(
                    spec.call_handling.max_transfer_seconds,
                )),
            },
            default_region,
            purpose: spec.purpose,
            consent_required: spec.consent_required || spec.consent_evidence_required,
            consent_evidence_required: spec.consent_evidence_required,
            guardrails,
            spec: normalized,
        })
    }

    /// The same configuration without blackout days (the dry run compares the two).
    pub fn without_blackout(&self) -> Self {
        Self {
            blackout: BlackoutDates::default(),
            ..self.clone()
        }
    }

    /// The normalized spec: what is stored and what the API returns.
    pub fn spec(&self) -> &CampaignSpec {
        &self.spec
    }
}

/// Pacing within its documented bounds.
fn parse_pacing(spec: &CampaignSpec, errors: &mut Errors) -> Pacing {
    let pacing = Pacing {
        max_concurrent_calls: spec.pacing.max_concurrent_calls,
        calls_per_hour: spec.pacing.calls_per_hour,
    };
    if !(1..=MAX_CONCURRENT_CALLS).contains(&pacing.max_concurrent_calls) {
        errors.add(
            "pacing.max_concurrent_calls",
            format!("must be 1-{MAX_CONCURRENT_CALLS}"),
        );
    }
    if !(1..=MAX_CALLS_PER_HOUR).contains(&pacing.calls_per_hour) {
        errors.add(
            "pacing.calls_per_hour",
            format!("must be 1-{MAX_CALLS_PER_HOUR}"),
        );
    }
    pacing
}

/// The retry policy (0-5 retries, a delay of a minute to 30 days).
fn parse_retry(spec: &CampaignSpec, errors: &mut Errors) -> Option<RetryPolicy> {
    match RetryPolicy::new(
        spec.retry.max_retries,
        Duration::minutes(i64::from(spec.retry.delay_minutes)),
        spec.retry.retry_on.iter().copied(),
    ) {
        Ok(policy) => Some(policy),
        Err(crate::retry::InvalidRetryPolicy::TooManyRetries(_)) => {
            errors.add("retry.max_retries", "must be 0-5");
            None
        }
        Err(crate::retry::InvalidRetryPolicy::DelayOutOfRange(_)) => {
            errors.add("retry.delay_minutes", "must be 1-43200 (30 days)");
            None
        }
    }
}

/// Voicemail handling (leaving a message needs detection) and the transfer number,
/// normalized in the campaign's default region.
mod call_handling;
mod schedule;
use call_handling::parse_call_handling;
pub use call_handling::{CallHandling, CallHandlingSpec, Voicemail, VoicemailAction};
pub use schedule::BlackoutSpec;
pub mod whole_number;

#[cfg(test)]
mod tests;
