//! Numbers out of text bound for logs and errors.

use proptest::prelude::*;

use super::super::redact_numbers;

#[test]
fn numbers_in_provider_messages_and_urls_are_masked_but_for_two_digits() {
    let cases = [
        (
            "The 'To' number +14155552671 is not a valid phone number.",
            "The 'To' number +*********71 is not a valid phone number.",
        ),
        (
            "error sending request for url (https://api.twilio.com/Calls.json?To=%2B14155552671&PageSize=1)",
            "error sending request for url (https://api.twilio.com/Calls.json?To=%2B*********71&PageSize=1)",
        ),
        ("call (415) 555-2671 now", "call (***) ***-**71 now"),
        ("+49 30 1234567", "+** ** *****67"),
    ];
    for (text, redacted) in cases {
        assert_eq!(redact_numbers(text), redacted, "{text}");
    }
}

#[test]
fn short_digit_runs_codes_and_non_ascii_text_are_left_alone() {
    for text in [
        "twilio answered 503 Service Unavailable",
        "error 21211 at 2026-12-04",
        "päivää 123456 — ok",
        "",
    ] {
        assert_eq!(redact_numbers(text), text);
    }
}

proptest! {
    /// Whatever surrounds it, a number written in any of its usual forms never survives.
    #[test]
    fn no_number_survives_redaction(
        number in "[2-9][0-9]{2}[2-9][0-9]{6}",
        before in "[a-zA-Z =:'/?&]{0,20}",
        after in "[a-zA-Z =:'/?&]{0,20}",
        form in 0usize..4,
    ) {
        let written = match form {
            0 => format!("+1{number}"),
            1 => format!("%2B1{number}"),
            2 => format!("({}) {}-{}", &number[..3], &number[3..6], &number[6..]),
            _ => number.clone(),
        };
        let redacted = redact_numbers(&format!("{before}{written}{after}"));
        let kept: String = redacted.replace("%2B", "").chars().filter(char::is_ascii_digit).collect();
        prop_assert_eq!(kept, number[number.len() - 2..].to_owned(), "{}", redacted);
    }
}
