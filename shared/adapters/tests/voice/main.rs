//! The real voice provider adapters against local fakes of their APIs (wiremock): the exact
//! requests they send, how they read answers and errors, and their webhook verification.

mod http_agent;
mod platforms;
mod twilio;
mod twilio_callbacks;
mod twilio_twiml;

use std::collections::BTreeMap;
use std::time::Duration;

use domain::config::{Voicemail, VoicemailAction};
use domain::ids::{CampaignId, CampaignRef, LeadId, TenantId};
use domain::phone::E164;
use ports::voice::{CallReference, CallRequest};

/// A call request with the given call handling.
pub fn request(voicemail: Voicemail, transfer: Option<&str>) -> CallRequest {
    CallRequest {
        reference: CallReference {
            campaign: CampaignRef {
                tenant: TenantId::parse("acme").unwrap(),
                campaign: CampaignId::parse("c1").unwrap(),
            },
            lead: LeadId::parse("lead7").unwrap(),
            attempt: 2,
        },
        to: E164::parse_strict("+12125550100").unwrap(),
        from: E164::parse_strict("+14155550199").unwrap(),
        agent_ref: "wss://agents.example.com/stream?agent=ava&x=1".into(),
        callback_url: "https://hooks.example.com/v1/call-events/p/acme/c1/lead7/2".into(),
        call_flow_url: "https://hooks.example.com/v1/call-flow/p/acme/c1/lead7/2".into(),
        report_url: "https://hooks.example.com/v1/call-reports".into(),
        report_token: "ct1.acme.c1.lead7.2.1800000000.abcd".into(),
        max_duration: Duration::from_secs(600),
        voicemail,
        voicemail_message: Some("Hi, it's Ava <from> Acme & co".into()),
        transfer_number: transfer.map(|t| E164::parse_strict(t).unwrap()),
        variables: BTreeMap::from([
            ("name".to_owned(), "Ann Lee".to_owned()),
            ("plan".to_owned(), "gold".to_owned()),
        ]),
    }
}

/// Every call-handling option.
pub fn handling_options() -> Vec<(&'static str, Voicemail, Option<&'static str>)> {
    vec![
        ("no detection, no transfer", Voicemail::NotDetected, None),
        (
            "detect and hang up",
            Voicemail::Detect(VoicemailAction::HangUp),
            None,
        ),
        (
            "detect and leave a message, with transfer",
            Voicemail::Detect(VoicemailAction::LeaveMessage),
            Some("+13125550123"),
        ),
    ]
}
