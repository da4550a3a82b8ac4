//! The TwiML the fake runs: the verbs this system emits, read in order, with the attributes
//! Twilio acts on (`<Stream statusCallback>`, `<Say voice language>`).

use std::collections::BTreeMap;

/// One TwiML verb the fake runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verb {
    Stream {
        /// Where Twilio reports the stream's start and failure.
        status_callback: Option<String>,
        parameters: BTreeMap<String, String>,
    },
    Redirect(String),
    Dial(String),
    Say {
        text: String,
        voice: Option<String>,
        language: Option<String>,
    },
    Hangup,
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The verbs of a TwiML document, in order (the ones this system emits).
pub(super) fn parse_twiml(twiml: &str) -> Vec<Verb> {
    use xmlparser::{ElementEnd, Token};
    let mut verbs = Vec::new();
    let mut element = String::new();
    let mut attributes: BTreeMap<String, String> = BTreeMap::new();
    // The attributes of the open `<Stream>` and `<Say>`, read when they close.
    let mut opened: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut parameters: BTreeMap<String, String> = BTreeMap::new();
    let mut text = String::new();
    for token in xmlparser::Tokenizer::from(twiml).flatten() {
        match token {
            Token::ElementStart { local, .. } => {
                element = local.as_str().to_owned();
                attributes.clear();
                text.clear();
            }
            Token::Attribute { local, value, .. } => {
                attributes.insert(local.as_str().to_owned(), unescape(value.as_str()));
            }
            Token::Text { text: t } => text.push_str(&unescape(t.as_str())),
            Token::ElementEnd { end, .. } => match (end, element.as_str()) {
                (ElementEnd::Empty, "Parameter") | (ElementEnd::Open, "Parameter") => {
                    if let (Some(n), Some(v)) = (attributes.get("name"), attributes.get("value")) {
                        parameters.insert(n.clone(), v.clone());
                    }
                }
                (ElementEnd::Open, name @ ("Stream" | "Say")) => {
                    opened.insert(name.to_owned(), attributes.clone());
                }
                (ElementEnd::Empty, "Hangup") => verbs.push(Verb::Hangup),
                (ElementEnd::Close(_, name), _) => {
                    let mut attrs = opened.remove(name.as_str()).unwrap_or_default();
                    match name.as_str() {
                        "Stream" => verbs.push(Verb::Stream {
                            status_callback: attrs.remove("statusCallback"),
                            parameters: std::mem::take(&mut parameters),
                        }),
                        "Redirect" => verbs.push(Verb::Redirect(text.trim().to_owned())),
                        "Dial" => verbs.push(Verb::Dial(text.trim().to_owned())),
                        "Say" => verbs.push(Verb::Say {
                            text: text.trim().to_owned(),
                            voice: attrs.remove("voice"),
                            language: attrs.remove("language"),
                        }),
                        _ => {}
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    verbs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verbs_of_a_twiml_document_are_read_in_order() {
        let twiml = "<?xml version=\"1.0\"?><Response><Connect><Stream url=\"wss://a\" statusCallback=\"https://x/v1/call-events/e?event=stream#rc=3&amp;rp=4xx\"><Parameter name=\"lead\" value=\"a&amp;b\"/></Stream></Connect><Redirect method=\"POST\">https://x/v1/call-flow</Redirect><Dial>+14155550100</Dial><Say voice=\"Polly.Joanna\" language=\"en-US\">Hi &lt;there&gt;</Say><Hangup/></Response>";
        let mut params = BTreeMap::new();
        params.insert("lead".to_owned(), "a&b".to_owned());
        assert_eq!(
            parse_twiml(twiml),
            vec![
                Verb::Stream {
                    status_callback: Some(
                        "https://x/v1/call-events/e?event=stream#rc=3&rp=4xx".into()
                    ),
                    parameters: params,
                },
                Verb::Redirect("https://x/v1/call-flow".into()),
                Verb::Dial("+14155550100".into()),
                Verb::Say {
                    text: "Hi <there>".into(),
                    voice: Some("Polly.Joanna".into()),
                    language: Some("en-US".into()),
                },
                Verb::Hangup,
            ]
        );
    }
}
