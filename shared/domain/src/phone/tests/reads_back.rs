//! Every number [`E164::normalize`] accepts reads back unchanged through [`E164::parse_strict`]
//! and serde (the store's way back): over libphonenumber's example numbers of every region and
//! type in every written form, dialled from every region's international prefix, and over
//! generated digit strings of 3 to 20 digits.

use proptest::prelude::*;
use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumber, PhoneNumberFormat, Region};

use super::super::*;

/// Asserts the read-back property for one input; returns whether it was accepted.
fn accepted_reads_back(raw: &str, region: DefaultRegion) -> bool {
    let Ok(normalized) = E164::normalize(raw, region) else {
        return false;
    };
    let text = normalized.e164.as_str();
    assert_eq!(
        E164::parse_strict(text).as_ref(),
        Ok(&normalized.e164),
        "{raw:?} in {} was accepted as {text} but does not read back",
        region.code()
    );
    let json = serde_json::to_string(&normalized.e164).unwrap();
    let back: E164 = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("{raw:?} accepted as {text} fails to deserialize: {e}"));
    assert_eq!(back, normalized.e164);
    if normalized.repair == Some(Repair::RestoredPlus) {
        assert!(
            normalized.e164.country_code_is(region),
            "{raw:?} in {} moved to another country: {text}",
            region.code()
        );
    }
    true
}

fn regions() -> Vec<Region> {
    let mut regions: Vec<Region> = PHONE_NUMBER_UTIL.get_supported_regions().collect();
    regions.sort_by_key(|r| r.as_region_str().to_string());
    regions
}

/// Every example number libphonenumber has: each type of each region, and the non-geographic
/// entities (+800, +808, +870, ...), with the region it belongs to.
fn example_numbers() -> Vec<(Region, PhoneNumber)> {
    let mut out = Vec::new();
    for region in regions() {
        let mut types: Vec<_> = PHONE_NUMBER_UTIL
            .get_supported_types_for_region(region)
            .unwrap_or_default()
            .into_iter()
            .collect();
        types.sort_by_key(|t| format!("{t:?}"));
        for kind in types {
            if let Ok(number) =
                PHONE_NUMBER_UTIL.get_example_number_for_type_and_region(region, kind)
            {
                out.push((region, number));
            }
        }
    }
    for code in PHONE_NUMBER_UTIL.get_supported_global_network_calling_codes() {
        if let Ok(number) = PHONE_NUMBER_UTIL.get_example_number_for_non_geo_entity(code) {
            out.push((Region::US, number));
        }
    }
    out
}

fn written_forms(number: &PhoneNumber) -> Vec<String> {
    let international = PHONE_NUMBER_UTIL
        .format(number, PhoneNumberFormat::International)
        .into_owned();
    let rfc3966 = PHONE_NUMBER_UTIL
        .format(number, PhoneNumberFormat::RFC3966)
        .into_owned();
    vec![
        PHONE_NUMBER_UTIL
            .format(number, PhoneNumberFormat::E164)
            .into_owned(),
        international.clone(),
        PHONE_NUMBER_UTIL
            .format(number, PhoneNumberFormat::National)
            .into_owned(),
        rfc3966.clone(),
        format!("{international} ext. 42"),
        format!("{rfc3966};ext=42"),
    ]
}

#[test]
fn every_example_number_in_every_written_form_reads_back() {
    let examples = example_numbers();
    assert!(examples.len() > 1_000, "only {} examples", examples.len());
    let mut accepted = 0;
    let mut shortest = usize::MAX;
    for (region, number) in &examples {
        let region = DefaultRegion(*region);
        for form in written_forms(number) {
            if accepted_reads_back(&form, region) {
                accepted += 1;
                let digits = E164::normalize(&form, region).unwrap().e164.digits().len();
                shortest = shortest.min(digits);
            }
        }
    }
    // Most example numbers are ordinary numbers: the property must not hold vacuously.
    assert!(accepted > examples.len() * 3, "only {accepted} accepted");
    assert_eq!(
        shortest,
        E164::MIN_DIGITS,
        "the documented minimum is the shortest valid example"
    );
}

#[test]
fn every_example_number_dialled_from_every_region_reads_back() {
    let examples = example_numbers();
    let regions = regions();
    let mut checked = 0;
    for (i, (_, number)) in examples.iter().enumerate() {
        // Every calling region for a stride of the examples keeps the run short while every
        // region's international prefix is still used thousands of times.
        for calling_from in regions.iter().skip(i % 7).step_by(7) {
            let written =
                PHONE_NUMBER_UTIL.format_out_of_country_calling_number(number, *calling_from);
            let from = DefaultRegion(*calling_from);
            // (Whether it is the same number is libphonenumber's reading of the calling
            // region's prefixes: Hong Kong's `002` makes `00 213…` a NANP number there.)
            if accepted_reads_back(&written, from) {
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000, "only {checked} checked");
}

fn any_region() -> impl Strategy<Value = DefaultRegion> {
    let regions = regions();
    (0..regions.len()).prop_map(move |i| DefaultRegion(regions[i]))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

    #[test]
    fn any_accepted_digit_string_reads_back(
        digits in "[0-9]{3,20}",
        prefix in prop::sample::select(vec!["", "+", "00", "011", "0011", "tel:+", "=\"+"]),
        region in any_region(),
    ) {
        let raw = if prefix.starts_with('=') { format!("{prefix}{digits}\"") } else { format!("{prefix}{digits}") };
        accepted_reads_back(&raw, region);
    }

    #[test]
    fn any_accepted_spaced_or_extended_number_reads_back(
        groups in prop::collection::vec("[0-9]{1,4}", 1..6),
        separator in prop::sample::select(vec![" ", "-", ".", ""]),
        plus in any::<bool>(),
        extension in prop::option::of("[0-9]{1,5}"),
        region in any_region(),
    ) {
        let mut raw = groups.join(separator);
        if plus { raw.insert(0, '+'); }
        if let Some(ext) = extension { raw.push_str(" ext. "); raw.push_str(&ext); }
        accepted_reads_back(&raw, region);
    }
}
