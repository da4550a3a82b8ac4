//! Who to call, fixed when the lead is imported: the number, the contact's fields, and the
//! consent the row gives.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::phone::E164;
use crate::window::{LeadLocation, Subdivision};

/// Who to call; fixed when the lead is imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// The number, normalized.
    pub phone: E164,
    /// Name from the CSV (`name`, or `first_name` + `last_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email from the CSV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Company from the CSV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// The explicit time zone from the CSV, which replaces the number's candidate zones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<Tz>,
    /// The address state from the CSV; its rules apply on top of the area code's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Subdivision>,
    /// Consent from the CSV; `None` when the column is absent or empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<bool>,
    /// Where the consent was given (a form, a call recording, a signed paper), from the CSV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_source: Option<String>,
    /// When the consent was given, from the CSV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_at: Option<DateTime<Utc>>,
    /// Which consent (`consent_type` column); absent: `express` when `consent` is yes, else
    /// none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_type: Option<ConsentType>,
    /// For written consent, the signed agreement: a form id, a URL, a document reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_reference: Option<String>,
    /// An established business relationship (a purchase, or an inquiry) allows telemarketing
    /// calls to the number despite a registry until this instant (`ebr_until` column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ebr_until: Option<DateTime<Utc>>,
    /// Every other column, for the agent to personalize the call.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom: BTreeMap<String, String>,
}

impl Contact {
    /// A contact with only its number: every optional field empty (fill the rest with struct
    /// update syntax).
    pub fn new(phone: E164) -> Self {
        Self {
            phone,
            name: None,
            email: None,
            company: None,
            timezone: None,
            state: None,
            consent: None,
            consent_source: None,
            consent_at: None,
            consent_type: None,
            consent_reference: None,
            ebr_until: None,
            custom: BTreeMap::new(),
        }
    }

    /// Where the contact may be, for the calling window.
    pub fn location(&self) -> LeadLocation {
        LeadLocation::of(&self.phone, self.timezone, self.state.as_ref())
    }

    /// Consent is recorded with its evidence: yes, where it was given and when.
    pub fn has_consent_evidence(&self) -> bool {
        self.consent_held() != ConsentType::None
            && self.consent_source.is_some()
            && self.consent_at.is_some()
    }

    /// The consent the row gives: its `consent_type`, else `express` for a plain yes.
    pub fn consent_held(&self) -> ConsentType {
        match (self.consent_type, self.consent) {
            (Some(kind), _) => kind,
            (None, Some(true)) => ConsentType::Express,
            (None, _) => ConsentType::None,
        }
    }

    /// Written consent with all its evidence: source, time and the agreement's reference.
    pub fn has_written_consent_evidence(&self) -> bool {
        self.consent_held() == ConsentType::ExpressWritten
            && self.consent_source.is_some()
            && self.consent_at.is_some()
            && self.consent_reference.is_some()
    }
}

/// The consent a person gave to be called (TCPA terms, which an AI voice's calls need since the
/// FCC's 2024 ruling that such a voice is "artificial"): weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentType {
    /// None recorded.
    None,
    /// Prior express consent (the number given for this purpose): informational calls.
    Express,
    /// Prior express written consent (a signed agreement naming the seller and the AI voice):
    /// telemarketing.
    ExpressWritten,
}

impl ConsentType {
    /// Stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Express => "express",
            Self::ExpressWritten => "express_written",
        }
    }

    /// From a CSV cell (`express_written`, also `written`; `express`; `none`), any case.
    pub fn parse(text: &str) -> Option<Self> {
        match text
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "none" | "no" => Some(Self::None),
            "express" => Some(Self::Express),
            "express_written" | "written" => Some(Self::ExpressWritten),
            _ => None,
        }
    }
}
