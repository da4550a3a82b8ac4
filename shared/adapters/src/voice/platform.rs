//! What the hosted agent platforms (Retell AI, Vapi) have in common below their wire formats:
//! an end reason read as an [`Ending`], what the platform's post-call analysis learnt read as
//! a report body (applied by the report API's rules), the reference in a per-call URL, an
//! account known by its API key.

use chrono::{DateTime, Utc};
use domain::call_report::ReportBody;
use domain::retry::{AttemptReport, Outcome};
use serde_json::Value;

/// What an end reason says, before any analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// A conversation took place: the analysis says how it went.
    Conversation,
    /// The call ended with this outcome (`temporary`: not the contact's doing).
    Final { outcome: Outcome, temporary: bool },
}

impl Ending {
    /// The ending a reason table's meaning names (`conversation`, `no_answer`, `busy`,
    /// `voicemail`, `failed`, `failed, temporary`, `canceled`, `agent_unavailable`); anything
    /// else is `unknown`.
    pub fn of_meaning(meaning: &str) -> Self {
        let final_ = |outcome, temporary| Self::Final { outcome, temporary };
        match meaning {
            "conversation" => Self::Conversation,
            "no_answer" => final_(Outcome::NoAnswer, false),
            "busy" => final_(Outcome::Busy, false),
            "voicemail" => final_(Outcome::Voicemail, false),
            "failed" => final_(Outcome::Failed, false),
            "failed, temporary" => final_(Outcome::Failed, true),
            "canceled" => final_(Outcome::Canceled, false),
            "agent_unavailable" => final_(Outcome::AgentUnavailable, false),
            _ => final_(Outcome::Unknown, false),
        }
    }
}

/// A provider guide's table of end reasons: a header row, a row per reason with the outcome
/// its ending gives (`conversation` says what a conversation may become), and a last row.
pub fn reason_table_markdown<'a>(
    header: &str,
    rows: impl IntoIterator<Item = (&'a str, Ending)>,
    conversation: &str,
    last_row: &str,
) -> String {
    let mut out = format!("| {header} | outcome |\n|---|---|\n");
    for (reason, ending) in rows {
        let said = match ending {
            Ending::Conversation => conversation.to_owned(),
            Ending::Final {
                outcome,
                temporary: true,
            } => format!(
                "`{}` (not the contact's doing: retried while retries remain)",
                outcome.as_str()
            ),
            Ending::Final { outcome, .. } => format!("`{}`", outcome.as_str()),
        };
        out.push_str(&format!("| `{reason}` | {said} |\n"));
    }
    out.push_str(last_row);
    out.push('\n');
    out
}

/// The report of an ended call from its ending and, for a conversation, the outcome its
/// analysis gives (`None`: no analysis yet): completed, or the platform's own voicemail verdict.
/// What the agent learnt (an opt-out, a callback time) travels as the details' report body. A
/// conversation without analysis is `None` while `wait_for_analysis`, else simply completed.
pub fn report(
    ending: Ending,
    analysed: Option<Outcome>,
    wait_for_analysis: bool,
) -> Option<AttemptReport> {
    let (outcome, temporary) = match (ending, analysed) {
        (Ending::Final { outcome, temporary }, _) => (outcome, temporary),
        (Ending::Conversation, None) if wait_for_analysis => return None,
        (Ending::Conversation, None) => (Outcome::Completed, false),
        (Ending::Conversation, Some(outcome)) => (outcome, false),
    };
    Some(AttemptReport {
        outcome,
        callback_at: None,
        voicemail_left: false,
        temporary,
    })
}

/// The reference a provider route's URL names (`…/{tenant}/{campaign}/{lead}/{attempt}`), as
/// [`ports::voice::CallReference::path`] writes it.
pub(crate) fn reference_in_url(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let segments: Vec<&str> = path.rsplitn(5, '/').take(4).collect();
    let [attempt, lead, campaign, tenant] = segments.as_slice() else {
        return None;
    };
    ports::voice::CallReference::from_segments(tenant, campaign, lead, attempt).map(|r| r.path())
}

/// An account id for a platform whose account is known by its API key: the platform's name and
/// a digest prefix of the key (the calls-per-second bucket's key, logged freely; never the key).
pub(crate) fn key_account_id(platform: &str, api_key: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(api_key.as_bytes());
    format!("{platform}:{}", hex::encode(&digest[..6]))
}

/// The fields of an agent's post-call data (the analysis our set-up guide asks the platforms to
/// fill) that are the report API's own; every other scalar field is one of the campaign's
/// results.
const REPORT_FIELDS: [&str; 6] = [
    "opt_out",
    "callback_at",
    "transfer",
    "identified_at",
    "opt_out_offered_at",
    "disposition",
];

/// What an agent's post-call data says it learnt, as a report body the engine applies by the
/// report API's rules: `opt_out` (boolean), `callback_at`, `identified_at`,
/// `opt_out_offered_at` (RFC 3339), and every other string, number or boolean field as a
/// result. (The disposition is the attempt's own, from the same data.) `None` when the data
/// says nothing.
pub(crate) fn learnt_body(data: &Value) -> Option<ReportBody> {
    let fields = data.as_object()?;
    let time = |name: &str| {
        data[name]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let results = (fields.iter())
        .filter(|(name, _)| !REPORT_FIELDS.contains(&name.as_str()))
        .filter_map(|(name, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((name.clone(), text))
        })
        .collect();
    let body = ReportBody {
        opt_out: data["opt_out"].as_bool() == Some(true),
        callback_at: time("callback_at"),
        identified_at: time("identified_at"),
        opt_out_offered_at: time("opt_out_offered_at"),
        results,
        ..ReportBody::default()
    };
    (body != ReportBody::default()).then_some(body)
}
