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
fn digits_invalid_in_the_region_are_never_moved_to_another_country() {
    // 44 20 7183 8750 is not a US number; read with a '+' it would be a UK one. The row does
    // not say so, so it is refused by name instead of calling London.
    assert_eq!(
        E164::normalize("442071838750", us()),
        Err(PhoneError::NeedsCountryCode)
    );
    // The trial's case: invalid in Australia, Austrian with a '+'.
    let au = DefaultRegion::parse("AU").unwrap();
    assert_eq!(
        E164::normalize("4312344418", au),
        Err(PhoneError::NeedsCountryCode)
    );
    // Said unambiguously — a '+' or the region's international prefix — it is accepted.
    assert_eq!(
        E164::normalize("+43 1 2344418", au).unwrap().e164.as_str(),
        "+4312344418"
    );
    assert_eq!(
        E164::normalize("0011 43 1 2344418", au)
            .unwrap()
            .e164
            .as_str(),
        "+4312344418"
    );
    // A valid national reading wins: no repair.
    assert_eq!(E164::normalize("14155552671", us()).unwrap().repair, None);
}

#[test]
fn extensions_are_refused_rather_than_dropped() {
    for raw in [
        "+1 415 555 2671 ext. 123",
        "tel:+1-415-555-2671;ext=123",
        "(415) 555-2671 x123",
    ] {
        assert_eq!(
            E164::normalize(raw, us()),
            Err(PhoneError::Extension),
            "{raw:?}"
        );
    }
}

#[test]
fn numbers_longer_than_e164_allows_are_refused_at_import_not_at_read() {
    // German 0800 numbers may have up to 12 national digits in libphonenumber's metadata: 16
    // or 17 digits with the country code, more than E.164's 15. The trial stored these and
    // then failed to read them back; now they are refused when imported.
    let (de, au) = (
        DefaultRegion::parse("DE").unwrap(),
        DefaultRegion::parse("AU").unwrap(),
    );
    for (raw, region) in [
        ("00 49 800 12345678901", de),
        ("tel:+49-800-123456789012", de),
        ("0800 12345678901", de),
        ("0011 49 800 12345678901", au),
    ] {
        assert_eq!(
            E164::normalize(raw, region),
            Err(PhoneError::TooLong),
            "{raw:?}"
        );
    }
    // Fifteen digits is the most, and reads back.
    let longest = E164::normalize("00 49 800 1234567890", de).unwrap().e164;
    assert_eq!(longest.digits().len(), E164::MAX_DIGITS);
    assert_eq!(E164::parse_strict(longest.as_str()), Ok(longest));
    // Short Berlin numbers have 7 digits, the documented minimum: accepted and read back.
    let berlin = E164::normalize("030 128", de).unwrap().e164;
    assert_eq!(berlin.as_str(), "+4930128");
    assert_eq!(E164::parse_strict(berlin.as_str()), Ok(berlin));
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
    assert_eq!(E164::parse_strict("+123456"), Err(PhoneError::TooShort));
    assert!(E164::parse_strict("+6834002").is_ok());
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

mod reads_back;
mod redaction;

#[test]
fn premium_rate_shared_cost_and_satellite_numbers_are_costly_and_others_not() {
    let kind = |raw: &str| E164::parse_strict(raw).unwrap().costly_destination();
    assert_eq!(kind("+19004433030"), Some(CostlyDestination::PremiumRate));
    assert_eq!(kind("+449187654321"), Some(CostlyDestination::PremiumRate));
    assert_eq!(kind("+33810123456"), Some(CostlyDestination::SharedCost));
    assert_eq!(kind("+34901123456"), Some(CostlyDestination::SharedCost));
    assert_eq!(kind("+881612345678"), Some(CostlyDestination::Satellite));
    assert_eq!(kind("+870772001799"), Some(CostlyDestination::Satellite));
    for ordinary in [
        "+14155552671",
        "+18005550199",
        "+442071838750",
        "+61412345678",
    ] {
        assert_eq!(kind(ordinary), None, "{ordinary}");
    }
}

#[test]
fn in_the_nanp_only_area_code_900_holds_costly_numbers() {
    // The shortcut in `costly_destination` skips the parse for every other NANP area code:
    // the metadata must agree, for every area code and a spread of exchanges.
    for area in 200..=999u32 {
        for exchange in (200..=999u32).step_by(23) {
            let text = format!("+1{area}{exchange}4433");
            let Ok(number) = PHONE_NUMBER_UTIL.parse(&text, None) else {
                continue;
            };
            let costly = matches!(
                PHONE_NUMBER_UTIL.get_number_type(&number),
                PhoneNumberType::PremiumRate | PhoneNumberType::SharedCost
            );
            assert!(!costly || area == 900, "{text} is costly outside 900");
        }
    }
}
