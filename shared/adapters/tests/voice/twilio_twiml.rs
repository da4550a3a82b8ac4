//! The TwiML the Twilio adapter writes: within Twilio's 4,000 characters with the lead's
//! fields, the fixed part within budget at the agent's bounds, messages in the agent's voice,
//! and no character XML cannot hold.

use adapters::voice::twilio::{TWIML_MAX_CHARS, twiml, twiml_and_left_out, voicemail_twiml};
use domain::config::Voicemail;
use ports::voice::SpokenMessage;

use crate::request;

/// The connection overrides of these tests' account.
const OVERRIDES: &str = "rc=3&rp=4xx,5xx,ct,rt";

#[test]
fn every_field_that_fits_reaches_the_agent_and_the_twiml_stays_within_twilios_limit() {
    let mut r = request(Voicemail::NotDetected, Some("+14155550100"));
    // 8 KiB of custom fields (the import's limit): more than Twilio takes in one TwiML.
    for i in 0..16 {
        r.variables.insert(format!("field{i:02}"), "x".repeat(500));
    }
    let (xml, left_out) = twiml_and_left_out(&r, OVERRIDES);
    assert!(
        xml.chars().count() <= TWIML_MAX_CHARS,
        "{} chars",
        xml.chars().count()
    );
    assert!(xml.ends_with("</Redirect></Response>"), "{xml}");
    for must in [
        "\"report_token\"",
        "\"report_url\"",
        "\"tenant\"",
        "\"lead\"",
        "\"attempt\"",
        "\"transfer_number\"",
    ] {
        assert!(xml.contains(must), "{must} is always there");
    }
    // Fields go in name order until the next would not fit: a prefix of the names is present.
    let present: Vec<bool> = (0..16)
        .map(|i| xml.contains(&format!("\"var_field{i:02}\"")))
        .collect();
    assert!(present[0] && !present[15], "{present:?}");
    assert!(present.windows(2).all(|w| w[0] || !w[1]), "{present:?}");
    // The fields left out are named, for the attempt's record.
    let expected: Vec<String> = r
        .variables
        .keys()
        .filter(|name| !xml.contains(&format!("\"var_{name}\"")))
        .cloned()
        .collect();
    assert!(expected.contains(&"field15".to_owned()), "{expected:?}");
    assert_eq!(left_out, expected);

    // A lead whose fields fit keeps them all.
    let small = request(Voicemail::NotDetected, None);
    let xml = twiml(&small);
    assert!(xml.contains("\"var_name\"") && xml.contains("\"var_plan\""));
}

#[test]
fn at_the_agents_bounds_the_fixed_twiml_leaves_a_thousand_characters_for_the_lead() {
    use domain::agent::MAX_TWILIO_STREAM_URL;
    use domain::ids::{CampaignId, TenantId};
    let mut r = request(Voicemail::NotDetected, Some("+14155550100"));
    // The longest of everything the call's TwiML carries: a stream URL at the agent's bound
    // (escaped), the longest ids, a long public base URL (bootstrap refuses a longer one),
    // a token of the longest ids.
    r.agent_ref = format!(
        "wss://a.example.com/{}",
        "x".repeat(MAX_TWILIO_STREAM_URL - 20)
    );
    r.reference.campaign.tenant = TenantId::parse("t".repeat(64)).unwrap();
    r.reference.campaign.campaign = CampaignId::parse("c".repeat(64)).unwrap();
    r.reference.lead = domain::ids::LeadId::parse("l".repeat(64)).unwrap();
    r.reference.attempt = 255;
    let base = format!(
        "https://{}",
        "h".repeat(adapters::voice::MAX_PUBLIC_BASE_URL - 8)
    );
    let path = r.reference.path();
    r.callback_url = format!("{base}/v1/call-events/twilio/{path}");
    r.call_flow_url = format!("{base}/v1/call-flow/twilio/{path}");
    r.report_url = format!("{base}/v1/call-reports");
    // `ct1.{tenant}.{campaign}.{lead}.{attempt}.{expiry}.{64 hex}` at the longest ids.
    r.report_token = "t".repeat(300);
    r.variables.clear();
    let fixed = twiml_and_left_out(&r, OVERRIDES).0.chars().count();
    assert!(
        fixed + 1000 <= TWIML_MAX_CHARS,
        "the fixed part takes {fixed} of {TWIML_MAX_CHARS}"
    );
}

#[test]
fn the_voicemail_message_is_said_in_the_agents_voice_and_language() {
    let message = SpokenMessage {
        text: "Hi, it's Ava <from> Acme & co".into(),
        voice: Some("Polly.Joanna".into()),
        language: Some("en-US".into()),
    };
    assert_eq!(
        voicemail_twiml(&message),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say voice=\"Polly.Joanna\" language=\"en-US\">Hi, it&apos;s Ava &lt;from&gt; Acme &amp; co</Say><Hangup/></Response>"
    );
    let plain = SpokenMessage {
        voice: None,
        language: None,
        ..message
    };
    assert!(voicemail_twiml(&plain).contains("<Say>Hi,"));
}

#[test]
fn characters_xml_cannot_hold_never_reach_the_twiml() {
    let mut r = request(Voicemail::NotDetected, None);
    r.variables
        .insert("notes".into(), "bell\u{7}tab\tend\u{1b}[0m\u{FFFE}".into());
    let xml = twiml(&r);
    assert!(xml.contains("value=\"belltab\tend[0m\""), "{xml}");
    assert!(
        !xml.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')),
        "{xml:?}"
    );
    // The document parses as XML.
    for token in xmlparser::Tokenizer::from(xml.as_str()) {
        token.expect("well-formed");
    }
}
