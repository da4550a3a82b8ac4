use chrono_tz::Tz;

use super::*;

fn us() -> DefaultRegion {
    DefaultRegion::us()
}

fn e164(raw: &str) -> String {
    E164::normalize(raw, us())
        .map(|n| n.e164.to_string())
        .unwrap_or_else(|e| e.code().into())
}

#[test]
fn common_us_formats_normalize_to_the_same_e164() {
    for raw in [
        "+14155552671",
        "(415) 555-2671",
        "415-555-2671",
        "415.555.2671",
        "1 415 555 2671",
        "+1 (415) 555-2671",
        " 4155552671 ",
    ] {
        assert_eq!(e164(raw), "+14155552671", "{raw:?}");
    }
}

#[test]
fn numbers_with_a_country_code_ignore_the_default_region() {
    assert_eq!(e164("+44 20 7183 8750"), "+442071838750");
    let gb = DefaultRegion::parse("gb").unwrap();
    let n = E164::normalize("020 7183 8750", gb).unwrap();
    assert_eq!(n.e164.as_str(), "+442071838750");
}

#[test]
fn excel_damage_is_named_not_guessed() {
    assert_eq!(e164("1.41555E+10"), "phone_scientific_notation");
    assert_eq!(e164("4,15555e9"), "phone_scientific_notation");
    assert_eq!(e164("=A1+B1"), "phone_formula");
    assert_eq!(e164("@SUM(A1)"), "phone_formula");
    let unwrapped = E164::normalize("=\"+14155552671\"", us()).unwrap();
    assert_eq!(unwrapped.e164.as_str(), "+14155552671");
    assert_eq!(unwrapped.repair, Some(Repair::UnwrappedTextFormula));
}

#[test]
fn a_stripped_plus_is_restored_only_when_the_national_reading_is_invalid() {
    // 44 20 7183 8750 is not a US number but is a valid UK one.
    let n = E164::normalize("442071838750", us()).unwrap();
    assert_eq!(n.e164.as_str(), "+442071838750");
    assert_eq!(n.repair, Some(Repair::RestoredPlus));
    // A valid national reading wins: no repair.
    assert_eq!(E164::normalize("14155552671", us()).unwrap().repair, None);
}

#[test]
fn invalid_numbers_are_refused_with_a_reason() {
    assert_eq!(e164(""), "phone_empty");
    assert_eq!(e164("   "), "phone_empty");
    assert_eq!(e164("hello"), "phone_not_a_number");
    assert_eq!(e164("+999 123 456 789"), "phone_invalid_country_code");
    assert_eq!(e164("12"), "phone_invalid");
    assert_eq!(e164("+1 555 010 9999"), "phone_invalid");
    assert_eq!(e164("123456789012345678901"), "phone_too_long");
}

#[test]
fn strict_parse_accepts_only_e164_text() {
    assert!(E164::parse_strict("+14155552671").is_ok());
    assert_eq!(
        E164::parse_strict("14155552671"),
        Err(PhoneError::NotANumber)
    );
    assert_eq!(
        E164::parse_strict("+0123456789"),
        Err(PhoneError::NotANumber)
    );
    assert_eq!(E164::parse_strict("+1234567"), Err(PhoneError::TooShort));
    assert_eq!(
        E164::parse_strict("+1234567890123456"),
        Err(PhoneError::TooLong)
    );
}

#[test]
fn masked_numbers_keep_only_the_last_four_digits() {
    let n = E164::parse_strict("+14155552671").unwrap();
    assert_eq!(n.masked(), "+*******2671");
}

#[test]
fn zones_come_from_the_longest_matching_prefix() {
    let ny = E164::parse_strict("+12125550100").unwrap();
    assert_eq!(ny.candidate_zones(), &[Tz::America__New_York]);
    let honolulu = E164::parse_strict("+18085550100").unwrap();
    assert_eq!(honolulu.candidate_zones(), &[Tz::Pacific__Honolulu]);
    let phoenix = E164::parse_strict("+16025550100").unwrap();
    assert_eq!(phoenix.candidate_zones(), &[Tz::America__Phoenix]);
    let london = E164::parse_strict("+442071838750").unwrap();
    assert_eq!(london.candidate_zones(), &[Tz::Europe__London]);
}

#[test]
fn legacy_zone_names_are_mapped_to_current_ones() {
    let mumbai = E164::parse_strict("+912212345678").unwrap();
    assert_eq!(mumbai.candidate_zones(), &[Tz::Asia__Kolkata]);
}

#[test]
fn split_area_codes_carry_every_zone_they_cross() {
    // 850 (Florida panhandle) and 270 (western Kentucky) straddle Eastern and Central.
    for number in ["+18505550100", "+12705550100", "+13645550100"] {
        let zones = E164::parse_strict(number).unwrap().candidate_zones();
        assert!(zones.contains(&Tz::America__Chicago), "{number}: {zones:?}");
        assert!(
            zones.contains(&Tz::America__New_York),
            "{number}: {zones:?}"
        );
    }
}

#[test]
fn toll_free_numbers_may_be_anywhere_in_the_nanp() {
    let zones = E164::parse_strict("+18005550100")
        .unwrap()
        .candidate_zones();
    assert!(zones.len() > 30, "{zones:?}");
}

#[test]
fn area_codes_name_their_state() {
    let sub = |n: &str| E164::parse_strict(n).unwrap().nanp_subdivision();
    assert_eq!(sub("+12015550100"), Some("US-NJ"));
    assert_eq!(sub("+12125550100"), Some("US-NY"));
    assert_eq!(sub("+12025550100"), Some("US-DC"));
    assert_eq!(sub("+12045550100"), Some("CA-MB"));
    assert_eq!(sub("+13055550100"), Some("US-FL"));
    assert_eq!(sub("+442071838750"), None);
}

#[test]
fn regions_are_validated() {
    assert_eq!(DefaultRegion::parse("us").unwrap().code(), "US");
    assert!(DefaultRegion::parse("XX").is_err());
    assert!(DefaultRegion::parse("USA").is_err());
}
