//! AI voice agents: who makes the calls, and the voice settings a call needs.

use serde::{Deserialize, Serialize};

use crate::config::FieldError;
use crate::phone::{DefaultRegion, E164};

/// Longest agent name.
pub const MAX_AGENT_NAME: usize = 200;
/// Longest voicemail message.
pub const MAX_VOICEMAIL_MESSAGE: usize = 2000;

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
}

/// Providers an agent may use.
pub const PROVIDERS: [&str; 3] = ["simulator", "twilio", "http"];

/// A validated agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub name: String,
    pub mode: AgentMode,
    /// Provider name.
    pub provider: String,
    /// Caller id.
    pub caller_number: E164,
    /// Reference on the provider.
    pub provider_agent_ref: String,
    pub voicemail_message: Option<String>,
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
        let agent_ref = spec.provider_agent_ref.trim();
        if agent_ref.is_empty() || spec.provider_agent_ref.chars().count() > 2048 {
            bad("provider_agent_ref", "must be 1-2048 characters".into());
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
                caller_number: caller.e164,
                provider_agent_ref: agent_ref.to_owned(),
                voicemail_message: spec.voicemail_message.clone(),
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
            provider_agent_ref: self.provider_agent_ref.clone(),
            voicemail_message: self.voicemail_message.clone(),
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
            provider_agent_ref: "agent-ava".into(),
            voicemail_message: None,
        }
    }

    #[test]
    fn a_valid_agent_has_its_caller_number_normalized() {
        let agent = Agent::parse(&spec()).unwrap();
        assert_eq!(agent.caller_number.as_str(), "+14155552671");
        assert_eq!(Agent::parse(&agent.spec()).unwrap(), agent);
    }

    #[test]
    fn every_bad_agent_field_is_reported() {
        let bad = AgentSpec {
            name: "".into(),
            provider: "carrier-pigeon".into(),
            caller_number: "nope".into(),
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
