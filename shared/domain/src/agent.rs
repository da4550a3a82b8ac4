//! AI voice agents: who makes the calls, and the voice settings a call needs.

use serde::{Deserialize, Serialize};

use crate::caller_health::HealthRule;
use crate::caller_limits::CallerLimits;
use crate::config::FieldError;
use crate::phone::{DefaultRegion, E164};

/// Longest agent name.
pub const MAX_AGENT_NAME: usize = 200;
/// Longest voicemail message.
pub const MAX_VOICEMAIL_MESSAGE: usize = 2000;
/// Longest Twilio media stream URL (as written in TwiML, escaped): Twilio refuses a call whose
/// TwiML passes 4,000 characters, and the call's own references, report token, callback URLs
/// and transfer step take up to about 2,400 of them; a stream URL this long still leaves the lead's
/// fields over 1,000 (`adapters::voice::twilio` proves the sum at these bounds).
pub const MAX_TWILIO_STREAM_URL: usize = 600;
/// Longest voice and language names.
pub const MAX_VOICE_NAME: usize = 64;
/// Most numbers in an agent's caller pool.
pub const MAX_CALLER_POOL: usize = 50;

/// Which calls an agent takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgentMode {
    /// Answers calls only; cannot run campaigns.
    Inbound,
    /// Makes calls.
    Outbound,
    /// Both.
    Hybrid,
}

impl AgentMode {
    /// Whether campaigns may use the agent.
    pub fn can_call_out(self) -> bool {
        matches!(self, Self::Outbound | Self::Hybrid)
    }
}

/// The agent as sent and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentSpec {
    /// 1-200 characters, not only spaces.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub name: String,
    /// Inbound, outbound or hybrid.
    pub mode: AgentMode,
    /// The voice provider that carries its calls: `simulator`, `twilio` or `http`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(simulator|twilio|http)$"))]
    pub provider: String,
    /// The number calls come from (caller id), any format with a country code; one of the
    /// numbers the operators registered for the tenant.
    #[cfg_attr(
        feature = "openapi",
        schema(format = "caller-number", min_length = 1, max_length = 64)
    )]
    pub caller_number: String,
    /// More numbers its calls may come from (local presence): each call goes out from the
    /// number nearest the contact among these and `caller_number` (the default), each one of
    /// the tenant's registered numbers; up to 50.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub caller_pool: Vec<CallerNumberText>,
    /// A named pool of the tenant's (`/v1/caller-pools`) its calls come from instead of
    /// `caller_number` and `caller_pool`, with that pool's limits and health rule; `caller_pool`
    /// must then be empty. A campaign may name another pool over it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 40, pattern = "^[a-z0-9][a-z0-9_-]*$")
    )]
    pub named_pool: Option<String>,
    /// How many calls each of its numbers (the default and the pool) may start per UTC hour
    /// and per UTC day, over every campaign; absent = the defaults (30 an hour, 150 a day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_limits: Option<CallerLimits>,
    /// When one of its pool's numbers rests for a low answer rate; absent = the defaults
    /// (judged after 40 calls, under half the rest of the pool's rate, for 24 hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_health: Option<HealthRule>,
    /// The agent's reference on the provider (agent id, or media stream URL for Twilio),
    /// 1-2048 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 2048, pattern = r"\S")
    )]
    pub provider_agent_ref: String,
    /// What the agent says when leaving a voicemail, up to 2000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub voicemail_message: Option<String>,
    /// The voice the voicemail message is spoken in where the engine speaks it (Twilio's
    /// `<Say voice>`: `man`, `woman`, `Polly.Joanna`, `Google.en-US-Standard-C`...); the
    /// provider's default when absent. Letters, digits, `.`, `_`, `-`; up to 64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 64, pattern = "^[A-Za-z0-9._-]+$")
    )]
    pub voice: Option<String>,
    /// The language of that message (Twilio's `<Say language>`, such as `en-US`, `es-MX`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 64, pattern = "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    )]
    pub language: Option<String>,
}

/// A caller number as sent: any format with a country code (a newtype only so that the
/// OpenAPI document can say each pool entry is a caller number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(value_type = String, format = "caller-number", min_length = 1, max_length = 64)
)]
#[serde(transparent)]
pub struct CallerNumberText(pub String);

impl From<&str> for CallerNumberText {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

/// Providers an agent may use.
pub const PROVIDERS: [&str; 5] = ["simulator", "twilio", "http", "retell", "vapi"];

/// A validated agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub name: String,
    pub mode: AgentMode,
    /// Provider name.
    pub provider: String,
    /// Caller id: the default of its pool.
    pub caller_number: E164,
    /// The rest of its caller pool (normalized, without the default or repeats).
    pub caller_pool: Vec<E164>,
    /// The tenant's named pool it calls from instead (`domain::caller_pool`).
    pub named_pool: Option<String>,
    /// Calls each of its numbers may start per hour and per day.
    pub caller_limits: CallerLimits,
    /// When one of its numbers rests.
    pub caller_health: HealthRule,
    /// Reference on the provider.
    pub provider_agent_ref: String,
    pub voicemail_message: Option<String>,
    pub voice: Option<String>,
    pub language: Option<String>,
}

/// The pool's numbers normalized, each error reported as `caller_pool[i]`; repeats kept once.
fn caller_pool(raw: &[CallerNumberText], bad: &mut impl FnMut(&str, String)) -> Vec<E164> {
    if raw.len() > MAX_CALLER_POOL {
        bad("caller_pool", format!("at most {MAX_CALLER_POOL} numbers"));
    }
    let mut pool: Vec<E164> = Vec::new();
    for (i, number) in raw.iter().enumerate() {
        match E164::normalize(&number.0, DefaultRegion::us()) {
            Ok(n) if !pool.contains(&n.e164) => pool.push(n.e164),
            Ok(_) => {}
            Err(e) => bad(&format!("caller_pool[{i}]"), e.to_string()),
        }
    }
    pool
}

/// A named pool is a pool's name, and replaces the agent's own list.
fn check_named_pool(spec: &AgentSpec, bad: &mut impl FnMut(&str, String)) {
    let Some(name) = &spec.named_pool else { return };
    if let Err(message) = crate::caller_pool::check_pool_name(name) {
        bad("named_pool", message);
    } else if !spec.caller_pool.is_empty() {
        bad(
            "caller_pool",
            "must be empty when the agent calls from a named pool".into(),
        );
    }
}

/// Twilio connects the call to the agent's media stream at this URL: `wss://` only, no query
/// string (Twilio errors 31920/31922: values go in `<Parameter>`s), no fragment, and short
/// enough that the call's TwiML stays within Twilio's limit.
fn check_twilio_stream_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("wss://").ok_or(
        "must be the agent's media stream URL, starting wss:// (Twilio streams only over wss)",
    )?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err("must name the media stream's host: wss://host/path".into());
    }
    if url.contains('?') || url.contains('#') {
        return Err("must not have a query string or fragment (Twilio refuses them: the call's values reach the agent as stream parameters)".into());
    }
    let escaped: usize = url
        .chars()
        .map(|c| match c {
            '&' => 5,
            '<' | '>' => 4,
            '"' | '\'' => 6,
            _ => 1,
        })
        .sum();
    if escaped > MAX_TWILIO_STREAM_URL {
        return Err(format!(
            "must be at most {MAX_TWILIO_STREAM_URL} characters as written in TwiML (Twilio refuses calls whose TwiML passes 4,000)"
        ));
    }
    Ok(())
}

fn is_voice_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_VOICE_NAME
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or_default();
    s.len() <= MAX_VOICE_NAME
        && (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

impl Agent {
    /// Validates a spec, reporting every bad field.
    pub fn parse(spec: &AgentSpec) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut bad = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.into(),
                message,
            })
        };
        let name = spec.name.trim();
        if name.is_empty() || spec.name.chars().count() > MAX_AGENT_NAME {
            bad("name", format!("must be 1-{MAX_AGENT_NAME} characters"));
        }
        if !PROVIDERS.contains(&spec.provider.as_str()) {
            bad(
                "provider",
                format!("must be one of {}", PROVIDERS.join(", ")),
            );
        }
        let caller = E164::normalize(&spec.caller_number, DefaultRegion::us());
        if let Err(e) = &caller {
            bad("caller_number", e.to_string());
        }
        let pool = caller_pool(&spec.caller_pool, &mut bad);
        check_named_pool(spec, &mut bad);
        let limits = spec.caller_limits.unwrap_or_default();
        let health = spec.caller_health.unwrap_or_default();
        for error in
            (limits.check("caller_limits").into_iter()).chain(health.check("caller_health"))
        {
            bad(&error.field, error.message);
        }
        let agent_ref = spec.provider_agent_ref.trim();
        if agent_ref.is_empty() || spec.provider_agent_ref.chars().count() > 2048 {
            bad("provider_agent_ref", "must be 1-2048 characters".into());
        } else if spec.provider == "twilio"
            && let Err(message) = check_twilio_stream_url(agent_ref)
        {
            bad("provider_agent_ref", message);
        }
        if spec.voice.as_deref().is_some_and(|v| !is_voice_name(v)) {
            bad(
                "voice",
                format!("must be 1-{MAX_VOICE_NAME} letters, digits, '.', '_' or '-'"),
            );
        }
        if spec
            .language
            .as_deref()
            .is_some_and(|l| !is_language_tag(l))
        {
            bad("language", "must be a language tag such as en-US".into());
        }
        if spec
            .voicemail_message
            .as_ref()
            .is_some_and(|m| m.chars().count() > MAX_VOICEMAIL_MESSAGE)
        {
            bad(
                "voicemail_message",
                format!("must be at most {MAX_VOICEMAIL_MESSAGE} characters"),
            );
        }
        match caller {
            Ok(caller) if errors.is_empty() => Ok(Self {
                name: name.to_owned(),
                mode: spec.mode,
                provider: spec.provider.clone(),
                caller_pool: pool.into_iter().filter(|n| *n != caller.e164).collect(),
                caller_number: caller.e164,
                named_pool: spec.named_pool.clone(),
                caller_limits: limits,
                caller_health: health,
                provider_agent_ref: agent_ref.to_owned(),
                voicemail_message: spec.voicemail_message.clone(),
                voice: spec.voice.clone(),
                language: spec.language.clone(),
            }),
            _ => Err(errors),
        }
    }

    /// The normalized spec (what is stored and returned).
    pub fn spec(&self) -> AgentSpec {
        AgentSpec {
            name: self.name.clone(),
            mode: self.mode,
            provider: self.provider.clone(),
            caller_number: self.caller_number.to_string(),
            caller_pool: (self.caller_pool.iter())
                .map(|n| CallerNumberText(n.to_string()))
                .collect(),
            named_pool: self.named_pool.clone(),
            caller_limits: Some(self.caller_limits),
            caller_health: Some(self.caller_health),
            provider_agent_ref: self.provider_agent_ref.clone(),
            voicemail_message: self.voicemail_message.clone(),
            voice: self.voice.clone(),
            language: self.language.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> AgentSpec {
        AgentSpec {
            name: "Ava".into(),
            mode: AgentMode::Outbound,
            provider: "simulator".into(),
            caller_number: "(415) 555-2671".into(),
            caller_pool: Vec::new(),
            named_pool: None,
            caller_limits: None,
            caller_health: None,
            provider_agent_ref: "agent-ava".into(),
            voicemail_message: None,
            voice: None,
            language: None,
        }
    }

    fn field_errors(spec: &AgentSpec) -> Vec<String> {
        Agent::parse(spec)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_twilio_agent_streams_to_a_wss_url_without_query_or_fragment_within_the_budget() {
        let twilio = |url: &str| AgentSpec {
            provider: "twilio".into(),
            provider_agent_ref: url.into(),
            ..spec()
        };
        assert!(field_errors(&twilio("wss://agents.example.com/ava")).is_empty());
        for bad in [
            "https://agents.example.com/ava",
            "wss://agents.example.com/ava?id=1",
            "wss://agents.example.com/ava#x",
            "wss:///path",
            "agent-ava",
        ] {
            assert_eq!(field_errors(&twilio(bad)), ["provider_agent_ref"], "{bad}");
        }
        let at_limit = format!(
            "wss://a.example.com/{}",
            "x".repeat(MAX_TWILIO_STREAM_URL - 20)
        );
        assert_eq!(at_limit.len(), MAX_TWILIO_STREAM_URL);
        assert!(field_errors(&twilio(&at_limit)).is_empty());
        // Escaping counts: 120 ampersands are 600 characters in TwiML.
        let escaped = format!("wss://a.example.com/{}", "&".repeat(120));
        assert_eq!(field_errors(&twilio(&escaped)), ["provider_agent_ref"]);
        // Other providers' references are theirs to define.
        assert!(
            field_errors(&AgentSpec {
                provider_agent_ref: "agent?x=1".into(),
                ..spec()
            })
            .is_empty()
        );
    }

    #[test]
    fn a_voice_and_a_language_are_names_not_markup() {
        let with = |voice: &str, language: &str| AgentSpec {
            voice: Some(voice.into()),
            language: Some(language.into()),
            ..spec()
        };
        assert!(field_errors(&with("Polly.Joanna-Neural", "en-US")).is_empty());
        assert!(field_errors(&with("Google.en-US-Standard-C", "es-MX")).is_empty());
        assert_eq!(field_errors(&with("a\"><Dial>", "en-US")), ["voice"]);
        assert_eq!(field_errors(&with("man", "EN_us")), ["language"]);
    }

    #[test]
    fn a_valid_agent_has_its_caller_number_normalized() {
        let agent = Agent::parse(&spec()).unwrap();
        assert_eq!(agent.caller_number.as_str(), "+14155552671");
        assert_eq!(Agent::parse(&agent.spec()).unwrap(), agent);
    }

    #[test]
    fn an_agent_names_a_pool_or_lists_numbers_never_both() {
        let named = AgentSpec {
            named_pool: Some("east".into()),
            ..spec()
        };
        assert_eq!(
            Agent::parse(&named).unwrap().named_pool.as_deref(),
            Some("east")
        );
        let both = AgentSpec {
            caller_pool: vec!["+12125550100".into()],
            ..named.clone()
        };
        assert_eq!(field_errors(&both), ["caller_pool"]);
        let badly_named = AgentSpec {
            named_pool: Some("East Coast".into()),
            ..spec()
        };
        assert_eq!(field_errors(&badly_named), ["named_pool"]);
    }

    #[test]
    fn every_bad_agent_field_is_reported() {
        let bad = AgentSpec {
            name: "".into(),
            provider: "carrier-pigeon".into(),
            caller_number: "nope".into(),
            caller_pool: Vec::new(),
            provider_agent_ref: " ".into(),
            ..spec()
        };
        let fields: Vec<String> = Agent::parse(&bad)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec!["name", "provider", "caller_number", "provider_agent_ref"]
        );
    }

    #[test]
    fn only_outbound_and_hybrid_agents_call_out() {
        assert!(!AgentMode::Inbound.can_call_out());
        assert!(AgentMode::Outbound.can_call_out());
        assert!(AgentMode::Hybrid.can_call_out());
    }
}
