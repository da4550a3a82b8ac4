//! The TwiML this adapter writes, and the URLs Twilio calls back on.
//!
//! The call's TwiML connects the answered call to the agent's media stream
//! (`<Connect><Stream>`), whose status callback tells whether the agent came on the line;
//! then it hangs up, or — for a campaign with a transfer number — redirects to our call-flow
//! endpoint, which dials the number only when the agent asked. Every URL Twilio calls carries
//! the configured connection overrides (a `#...` fragment), so a callback that meets a timeout
//! or an error answer is tried again. Every value is XML-escaped, and characters XML 1.0 cannot
//! hold are dropped, so no lead field can make the document invalid.

use std::collections::BTreeMap;

use ports::voice::{CallFlow, CallRequest, SpokenMessage};

/// Twilio refuses a call whose `Twiml` is longer than this (error 32018).
pub const TWIML_MAX_CHARS: usize = 4_000;

/// Which callback a URL is for (a query parameter of the callback URL, which Twilio signs).
pub const EVENT_PARAM: &str = "event";
/// The asynchronous machine-detection callback.
pub const EVENT_AMD: &str = "amd";
/// The media stream's status callback.
pub const EVENT_STREAM: &str = "stream";

/// Whether XML 1.0 can hold `c` (its `Char` production).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `s` escaped for XML text and attributes, without the characters XML cannot hold.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| xml_char(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>";

/// `url` with the connection overrides (none when `overrides` is empty).
pub fn with_overrides(url: &str, overrides: &str) -> String {
    if overrides.is_empty() {
        url.to_owned()
    } else {
        format!("{url}#{overrides}")
    }
}

/// The callback URL for one kind of event (`None`: the call's status callback itself).
pub fn event_url(callback_url: &str, event: Option<&str>, overrides: &str) -> String {
    let url = match event {
        Some(event) => {
            let sep = if callback_url.contains('?') { '&' } else { '?' };
            format!("{callback_url}{sep}{EVENT_PARAM}={event}")
        }
        None => callback_url.to_owned(),
    };
    with_overrides(&url, overrides)
}

/// The call-flow answer after the agent's stream: `<Dial>` the transfer number when the agent
/// asked for it, else `<Hangup/>`.
pub fn call_flow_twiml(flow: &CallFlow) -> String {
    let verb = match flow {
        CallFlow::Transfer(number) => format!("<Dial>{}</Dial>", xml_escape(number.as_str())),
        CallFlow::HangUp => "<Hangup/>".to_owned(),
    };
    format!("{HEAD}{verb}</Response>")
}

/// What a machine hears after the beep: the agent's voicemail message, in the agent's voice
/// and language when it sets them, then the end.
pub fn voicemail_twiml(message: &SpokenMessage) -> String {
    let mut say = String::from("<Say");
    for (name, value) in [("voice", &message.voice), ("language", &message.language)] {
        if let Some(value) = value {
            say.push_str(&format!(" {name}=\"{}\"", xml_escape(value)));
        }
    }
    format!(
        "{HEAD}{say}>{}</Say><Hangup/></Response>",
        xml_escape(&message.text)
    )
}

fn parameter(name: &str, value: &str) -> String {
    format!(
        "<Parameter name=\"{}\" value=\"{}\"/>",
        xml_escape(name),
        xml_escape(value)
    )
}

/// The TwiML that runs when the call is answered (see the module docs), with the lead's fields
/// as `var_{name}` parameters, in name order, as many as fit in [`TWIML_MAX_CHARS`]; the names
/// of those left out come back too (they are noted on the attempt, never the call refused).
///
/// Twilio runs the verb after `<Connect>` whenever the stream ends, so a `<Dial>` there would
/// bridge every answered call to the transfer number when the agent simply hangs up; the
/// `<Redirect>` asks first. The voicemail message is not a stream parameter: the engine plays
/// it itself after the beep.
pub fn twiml_and_left_out(request: &CallRequest, overrides: &str) -> (String, Vec<String>) {
    let mut fixed = BTreeMap::new();
    let reference = &request.reference;
    fixed.insert("tenant", reference.campaign.tenant.to_string());
    fixed.insert("campaign", reference.campaign.campaign.to_string());
    fixed.insert("lead", reference.lead.to_string());
    fixed.insert("attempt", reference.attempt.to_string());
    fixed.insert("report_url", request.report_url.clone());
    fixed.insert("report_token", request.report_token.clone());
    if let Some(transfer) = &request.transfer_number {
        fixed.insert("transfer_number", transfer.to_string());
    }
    let stream_callback = event_url(&request.callback_url, Some(EVENT_STREAM), overrides);
    let mut xml = format!(
        "{HEAD}<Connect><Stream url=\"{}\" statusCallback=\"{}\" statusCallbackMethod=\"POST\">",
        xml_escape(&request.agent_ref),
        xml_escape(&stream_callback)
    );
    for (name, value) in &fixed {
        xml.push_str(&parameter(name, value));
    }
    let end = match &request.transfer_number {
        Some(_) => format!(
            "</Stream></Connect><Redirect method=\"POST\">{}</Redirect></Response>",
            xml_escape(&with_overrides(&request.call_flow_url, overrides))
        ),
        None => "</Stream></Connect><Hangup/></Response>".to_owned(),
    };
    let mut left_out = Vec::new();
    let mut chars = xml.chars().count() + end.chars().count();
    for (name, value) in &request.variables {
        let p = parameter(&format!("var_{name}"), value);
        let size = p.chars().count();
        if chars + size <= TWIML_MAX_CHARS {
            xml.push_str(&p);
            chars += size;
        } else {
            left_out.push(name.clone());
        }
    }
    if !left_out.is_empty() {
        tracing::warn!(
            reference = %request.reference,
            left_out = left_out.len(),
            "lead fields left out of the call: the TwiML would pass Twilio's 4,000 characters"
        );
    }
    xml.push_str(&end);
    (xml, left_out)
}
