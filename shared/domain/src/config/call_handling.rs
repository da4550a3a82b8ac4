//! A campaign's call handling: the longest call, what to do on an answering machine, where
//! the agent may transfer a call and how long a transferred call may go on.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::{CampaignSpec, Errors, MAX_CALL_SECONDS, MIN_CALL_SECONDS, whole_number};
use crate::phone::{DefaultRegion, E164};

/// What to do when a machine answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VoicemailAction {
    /// End the call.
    HangUp,
    /// Leave the agent's voicemail message, then end the call.
    LeaveMessage,
}

/// Call handling settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CallHandlingSpec {
    /// Longest call, in seconds, 30-14400. Default 600.
    #[serde(
        default = "default_max_seconds",
        deserialize_with = "whole_number::u32"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 30, maximum = 14400))]
    pub max_call_seconds: u32,
    /// Detect answering machines. Default true.
    #[serde(default = "default_true")]
    pub voicemail_detection: bool,
    /// What to do on a machine; needs detection. Default hang up.
    #[serde(default = "default_voicemail_action")]
    pub voicemail_action: VoicemailAction,
    /// Where the agent transfers a call when asked (any format; normalized; in a country the
    /// tenant may call). Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(format = "phone", min_length = 1, max_length = 64)
    )]
    pub transfer_number: Option<String>,
    /// How long a call handed to the transfer number may go on after the agent's part, in
    /// seconds, 60-14400. Default 3600. (The provider's time limit is the longest call until
    /// then: a person taking over is not cut off at the agent's limit.)
    #[serde(
        default = "default_max_transfer_seconds",
        deserialize_with = "whole_number::u32"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 60, maximum = 14400))]
    pub max_transfer_seconds: u32,
}

/// Bounds of `max_transfer_seconds`.
pub const TRANSFER_SECONDS: std::ops::RangeInclusive<u32> = 60..=MAX_CALL_SECONDS;

fn default_max_transfer_seconds() -> u32 {
    3600
}

fn default_max_seconds() -> u32 {
    600
}

fn default_true() -> bool {
    true
}

fn default_voicemail_action() -> VoicemailAction {
    VoicemailAction::HangUp
}

impl Default for CallHandlingSpec {
    fn default() -> Self {
        Self {
            max_call_seconds: default_max_seconds(),
            voicemail_detection: true,
            voicemail_action: VoicemailAction::HangUp,
            transfer_number: None,
            max_transfer_seconds: default_max_transfer_seconds(),
        }
    }
}

/// Voicemail handling, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voicemail {
    /// No detection: a machine is treated as a person.
    NotDetected,
    /// Detect machines and act.
    Detect(VoicemailAction),
}

/// Call handling, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallHandling {
    /// Longest call.
    pub max_call_duration: Duration,
    /// Machine detection and what to do on one.
    pub voicemail: Voicemail,
    /// Transfer destination.
    pub transfer_number: Option<E164>,
    /// How long a transferred call may go on after the agent's part.
    pub max_transfer_duration: Duration,
}

pub(super) fn parse_call_handling(
    spec: &CampaignSpec,
    region: Option<DefaultRegion>,
    errors: &mut Errors,
) -> (Voicemail, Option<E164>) {
    let handling = &spec.call_handling;
    if !(MIN_CALL_SECONDS..=MAX_CALL_SECONDS).contains(&handling.max_call_seconds) {
        errors.add(
            "call_handling.max_call_seconds",
            format!("must be {MIN_CALL_SECONDS}-{MAX_CALL_SECONDS}"),
        );
    }
    if !TRANSFER_SECONDS.contains(&handling.max_transfer_seconds) {
        errors.add(
            "call_handling.max_transfer_seconds",
            format!(
                "must be {}-{}",
                TRANSFER_SECONDS.start(),
                TRANSFER_SECONDS.end()
            ),
        );
    }
    let voicemail = match (handling.voicemail_detection, handling.voicemail_action) {
        (false, VoicemailAction::LeaveMessage) => {
            errors.add(
                "call_handling.voicemail_action",
                "leave_message needs voicemail_detection",
            );
            Voicemail::NotDetected
        }
        (false, VoicemailAction::HangUp) => Voicemail::NotDetected,
        (true, action) => Voicemail::Detect(action),
    };
    let transfer_number = match (&handling.transfer_number, region) {
        (Some(raw), Some(region)) => errors
            .check(
                "call_handling.transfer_number",
                E164::normalize(raw, region),
            )
            .and_then(|n| match n.e164.costly_destination() {
                Some(costly) => {
                    errors.add(
                        "call_handling.transfer_number",
                        format!("{} cannot be a transfer number", costly.describe()),
                    );
                    None
                }
                None => Some(n.e164),
            }),
        _ => None,
    };
    (voicemail, transfer_number)
}
