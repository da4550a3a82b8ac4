//! Twilio's create-call refusals, sorted by whose problem they are.
//!
//! A refusal about the number called fails that lead (with the code as its reason); one about
//! the account or its configuration is no contact's fault: the lead goes back untouched and the
//! campaign pauses with what to fix; a temporary one is tried again later. The table is
//! `docs/providers.md`'s ("Refusals: whose problem"), rendered by [`error_table_markdown`] and
//! checked against the guide by a test. Sources (DESIGN-NOTES "Twilio, as documented"): each code's
//! page under <https://www.twilio.com/docs/api/errors/>, Twilio's geo-permissions article for
//! 21215/13227/32205, and the 20429 page for rate limits.

use ports::voice::PlaceCallError;

/// Whose problem a refusal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The number called: the lead fails with the code.
    Contact,
    /// The account or configuration: the lead goes back, the campaign pauses.
    Account,
    /// Passing: the lead goes back and is tried again later.
    Temporary,
}

impl Class {
    fn label(self) -> &'static str {
        match self {
            Class::Contact => "the contact's number: the lead fails with `twilio_<code>`",
            Class::Account => {
                "the account: the lead goes back untouched, the campaign pauses (`account_problem`)"
            }
            Class::Temporary => "passing: the lead goes back and is tried again shortly",
        }
    }
}

/// One known create-call error code.
#[derive(Debug, Clone, Copy)]
pub struct KnownError {
    pub code: u32,
    pub class: Class,
    /// Twilio's title for it.
    pub title: &'static str,
    /// What to do (for account problems: what the operator fixes).
    pub fix: &'static str,
}

/// The create-call error codes this adapter knows, by whose problem they are.
pub const KNOWN_ERRORS: &[KnownError] = &[
    KnownError {
        code: 21211,
        class: Class::Contact,
        title: "Invalid 'To' phone number",
        fix: "correct the contact's number",
    },
    KnownError {
        code: 21214,
        class: Class::Contact,
        title: "'To' phone number cannot be reached",
        fix: "check the contact's number",
    },
    KnownError {
        code: 21216,
        class: Class::Contact,
        title: "Call blocked by Twilio (high-risk or regulated destination)",
        fix: "the destination cannot be called from this account",
    },
    KnownError {
        code: 21217,
        class: Class::Contact,
        title: "Phone number does not appear to be valid",
        fix: "correct the contact's number",
    },
    KnownError {
        code: 13223,
        class: Class::Contact,
        title: "Invalid phone number format",
        fix: "correct the contact's number",
    },
    KnownError {
        code: 13224,
        class: Class::Contact,
        title: "Twilio does not support calling this number or the number is invalid",
        fix: "check the contact's number",
    },
    KnownError {
        code: 13225,
        class: Class::Contact,
        title: "Call blocked by Twilio block list",
        fix: "the destination cannot be called",
    },
    KnownError {
        code: 13226,
        class: Class::Contact,
        title: "Invalid country code",
        fix: "correct the contact's number",
    },
    KnownError {
        code: 21210,
        class: Class::Account,
        title: "'From' phone number not verified",
        fix: "verify the caller number in Twilio, or use a Twilio number of the account",
    },
    KnownError {
        code: 21212,
        class: Class::Account,
        title: "Invalid 'From' number (caller ID)",
        fix: "use a valid caller number that the account owns",
    },
    KnownError {
        code: 21213,
        class: Class::Account,
        title: "Caller phone number is required",
        fix: "set the agent's caller number",
    },
    KnownError {
        code: 21215,
        class: Class::Account,
        title: "Geo Permission configuration is not permitting call",
        fix: "enable the destination country in Twilio's Voice Geographic Permissions",
    },
    KnownError {
        code: 13227,
        class: Class::Account,
        title: "Geo Permission configuration is not permitting call",
        fix: "enable the destination country in Twilio's Voice Geographic Permissions",
    },
    KnownError {
        code: 32205,
        class: Class::Account,
        title: "Geo Permission configuration is not permitting call (SIP trunking)",
        fix: "enable the destination country in the trunk's Geographic Permissions",
    },
    KnownError {
        code: 21219,
        class: Class::Account,
        title: "'To' phone number not verified (trial account)",
        fix: "upgrade the Twilio account: a trial account calls only verified numbers",
    },
    KnownError {
        code: 21402,
        class: Class::Account,
        title: "Invalid URL",
        fix: "check PROVIDER_BASE_URL: Twilio refuses the callback URLs",
    },
    KnownError {
        code: 20003,
        class: Class::Account,
        title: "Permission denied (authentication)",
        fix: "check the Twilio account SID and auth token in the provider secret",
    },
    KnownError {
        code: 20404,
        class: Class::Account,
        title: "Not found (the account)",
        fix: "check the Twilio account SID in the provider secret",
    },
    KnownError {
        code: 20429,
        class: Class::Temporary,
        title: "Too many requests",
        fix: "none: retried after backing off",
    },
];

/// What a code is, if known.
pub fn known(code: u32) -> Option<&'static KnownError> {
    KNOWN_ERRORS.iter().find(|e| e.code == code)
}

fn account_problem(error: &KnownError, credentials: bool) -> PlaceCallError {
    PlaceCallError::AccountProblem {
        problem: format!(
            "Twilio refused the call: error {} ({}): {}",
            error.code, error.title, error.fix
        ),
        credentials,
    }
}

/// How a refused create-call request is classified, from the HTTP status, Twilio's `code` and
/// its `Retry-After`.
pub fn classify_error(
    status: u16,
    code: Option<u32>,
    retry_after: Option<std::time::Duration>,
) -> PlaceCallError {
    if let Some(error) = code.and_then(known) {
        return match error.class {
            Class::Temporary => PlaceCallError::RateLimited { retry_after },
            Class::Account => account_problem(error, matches!(error.code, 20003 | 20404)),
            Class::Contact => PlaceCallError::Rejected {
                reason: format!("twilio_{}", error.code),
            },
        };
    }
    match (status, code) {
        (429, _) => PlaceCallError::RateLimited { retry_after },
        // The credentials or the account itself: no call can be placed until someone fixes it.
        (401 | 403, _) => account_problem(known(20003).expect("20003 is in the table"), true),
        (404, _) => account_problem(known(20404).expect("20404 is in the table"), true),
        (503, _) => PlaceCallError::Unavailable,
        // The call may have been created before the failure.
        (500..=599, _) => PlaceCallError::Uncertain,
        // An unknown code about this request: the lead fails with it (and counts toward the
        // failed-attempts guardrail, which pauses a campaign whose calls all fail).
        (_, Some(code)) => PlaceCallError::Rejected {
            reason: format!("twilio_{code}"),
        },
        (status, None) => PlaceCallError::Rejected {
            reason: format!("http_{status}"),
        },
    }
}

/// The provider guide's table of create-call refusals, from [`KNOWN_ERRORS`].
pub fn error_table_markdown() -> String {
    let mut out = String::from(
        "| code | Twilio's title | whose problem, and what happens | what to do |\n|---|---|---|---|\n",
    );
    for e in KNOWN_ERRORS {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            e.code,
            e.title,
            e.class.label(),
            e.fix
        ));
    }
    out.push_str("| HTTP 401/403 (no known code) | — | the account (credentials) | as 20003 |\n");
    out.push_str("| HTTP 429 | — | passing | as 20429 |\n");
    out.push_str("| HTTP 503 | — | passing (unavailable) | retried after 30 s |\n");
    out.push_str("| other HTTP 5xx, a timeout | — | uncertain: the call may exist | looked up before anything else |\n");
    out.push_str(
        "| another 4xx code | — | the contact's number | the lead fails with `twilio_<code>` |\n",
    );
    out
}
