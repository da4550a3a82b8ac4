//! Outbound webhooks: what a tenant's own systems are told, and the rules every delivery keeps.
//!
//! An event is recorded in the same write that makes it true (an outbox item in the lead's or
//! the campaign's transaction) and then delivered from a queue, at least once, to every
//! endpoint of the tenant that asked for its type: signed ([`signature`]), retried with backoff
//! for a day ([`retry`]), never to a private, loopback or link-local address in a deployment
//! ([`target`]). Each event carries an id (a receiver de-duplicates on it) and, for a lead's
//! events, the lead's sequence number (its version after the write: a later change of the lead
//! carries a larger number).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod retry;
pub mod signature;
pub mod target;

/// Most endpoints one tenant may register.
pub const MAX_ENDPOINTS: usize = 10;
/// Longest endpoint URL, in bytes.
pub const MAX_URL_BYTES: usize = 2048;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 200;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventType {
    /// A contact import finished (its counts).
    #[serde(rename = "import.completed")]
    ImportCompleted,
    /// A contact import failed (its error).
    #[serde(rename = "import.failed")]
    ImportFailed,
    /// A campaign changed status (launched, started, paused — by a person or a guardrail, with
    /// its reason —, resumed, completed, cancelled).
    #[serde(rename = "campaign.status_changed")]
    CampaignStatusChanged,
    /// A call attempt ended (lead, attempt, outcome, duration, disposition, custom results).
    #[serde(rename = "call.completed")]
    CallCompleted,
    /// A person asked not to be called again.
    #[serde(rename = "lead.opted_out")]
    LeadOptedOut,
    /// An export's file is ready to download.
    #[serde(rename = "export.ready")]
    ExportReady,
    /// A caller number was rested for a low answer rate (the number, why, until when).
    #[serde(rename = "caller_number.rested")]
    CallerNumberRested,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 7] = [
        Self::ImportCompleted,
        Self::ImportFailed,
        Self::CampaignStatusChanged,
        Self::CallCompleted,
        Self::LeadOptedOut,
        Self::ExportReady,
        Self::CallerNumberRested,
    ];

    /// The wire name (`call.completed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ImportCompleted => "import.completed",
            Self::ImportFailed => "import.failed",
            Self::CampaignStatusChanged => "campaign.status_changed",
            Self::CallCompleted => "call.completed",
            Self::LeadOptedOut => "lead.opted_out",
            Self::ExportReady => "export.ready",
            Self::CallerNumberRested => "caller_number.rested",
        }
    }

    /// From the wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// One event as delivered (the request body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// Unique; the same on every delivery of this event (de-duplicate on it).
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When it became true.
    pub created_at: DateTime<Utc>,
    /// The campaign it is about.
    pub campaign_id: String,
    /// For a lead's events: its id and sequence number — the lead's version after the write
    /// that made the event true, so a later change carries a larger number (the events of one
    /// write, a call's end and its opt-out, share it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// The event's own fields.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

/// An endpoint as a tenant registers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    /// Where events are POSTed: `https://` (plain `http://` only in a local run), up to 2048
    /// bytes, not a private, loopback or link-local address.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 2048, format = "uri")
    )]
    pub url: String,
    /// The event types it wants (at least one).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 7))]
    pub events: Vec<EventType>,
    /// For people; up to 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub description: Option<String>,
    /// Paused endpoints receive nothing (events meanwhile are not kept for them). Default true.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

impl EndpointSpec {
    /// Checks the spec, naming every bad field. `local`: a local run (plain http and loopback
    /// targets allowed, for a receiver on this machine).
    pub fn validate(&self, local: bool) -> Result<(), Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        if self.url.len() > MAX_URL_BYTES {
            errors.push(("url", format!("must be at most {MAX_URL_BYTES} bytes")));
        } else if let Err(e) = target::check_url(&self.url, local) {
            errors.push(("url", e.to_string()));
        }
        if self.events.is_empty() {
            errors.push(("events", "must name at least one event type".to_owned()));
        }
        let mut sorted = self.events.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != self.events.len() {
            errors.push(("events", "must not repeat an event type".to_owned()));
        }
        if self
            .description
            .as_deref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
        {
            errors.push((
                "description",
                format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Whether it wants events of `kind`.
    pub fn wants(&self, kind: EventType) -> bool {
        self.enabled && self.events.contains(&kind)
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// A 2xx answer came.
    Delivered,
    /// A day of retries failed (redeliver to try again).
    Failed,
}

/// One try of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    /// When the request was sent.
    pub at: DateTime<Utc>,
    /// The answer's status code (absent: no answer — timeout, refused connection, refused
    /// target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// Why it failed without an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
}

#[cfg(test)]
mod tests;
