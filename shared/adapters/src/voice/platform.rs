//! What the hosted agent platforms (Retell AI, Vapi) have in common below their wire formats:
//! an end reason read as an [`Ending`], a conversation's outcome taken from what the platform's
//! post-call analysis learnt, the reference in a per-call webhook URL, an account known by its
//! API key.

use chrono::{DateTime, Utc};
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

/// The report of an ended call from its ending and, for a conversation, what its analysis
/// learnt (`None`: no analysis yet). A conversation without analysis is `None` while
/// `wait_for_analysis`, else simply completed.
pub fn report(
    ending: Ending,
    learnt: Option<(Outcome, Option<DateTime<Utc>>)>,
    wait_for_analysis: bool,
) -> Option<AttemptReport> {
    let (outcome, temporary, callback_at) = match (ending, learnt) {
        (Ending::Final { outcome, temporary }, _) => (outcome, temporary, None),
        (Ending::Conversation, None) if wait_for_analysis => return None,
        (Ending::Conversation, None) => (Outcome::Completed, false, None),
        (Ending::Conversation, Some((outcome, callback_at))) => (outcome, false, callback_at),
    };
    Some(AttemptReport {
        outcome,
        callback_at,
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

/// What an agent's post-call data says it learnt, in the fields our set-up guide asks the
/// platforms' analysis to fill: `opt_out` (boolean) wins, then `callback_at` (RFC 3339); else
/// the conversation simply completed.
pub(crate) fn learnt_from(data: &Value) -> (Outcome, Option<DateTime<Utc>>) {
    let callback_at = data["callback_at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    if data["opt_out"].as_bool() == Some(true) {
        (Outcome::OptedOut, None)
    } else if callback_at.is_some() {
        (Outcome::CallbackRequested, callback_at)
    } else {
        (Outcome::Completed, None)
    }
}
