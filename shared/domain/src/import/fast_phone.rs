//! A fast path for the common case: a US number written in one of the usual ways.
//!
//! libphonenumber's full parse costs a few microseconds; most rows of a US list are ten digits
//! with separators. For those, the digits are extracted directly and validity comes from a
//! table of valid exchanges per US area code, generated with the same parser
//! (`shared/domain/examples/gen_us_exchanges.rs`). Everything else (other countries, other NANP
//! countries, exchanges the table calls invalid, unusual formats) goes to the full parser. A
//! property test and an exhaustive check over every area code and exchange (in the import
//! benchmark) verify the fast path agrees with the full parser.

use crate::phone::{DefaultRegion, E164, Normalized, PhoneError, us_exchange_valid};

/// Counts which path numbers took.
#[derive(Debug, Clone, Default)]
pub struct PhoneCache {
    /// Numbers that took the fast path.
    pub fast: u64,
    /// Numbers that needed the full parser.
    pub full: u64,
}

impl PhoneCache {
    /// A fresh counter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Normalizes like [`E164::normalize`], faster for common US formats.
    pub fn normalize(
        &mut self,
        raw: &str,
        region: DefaultRegion,
    ) -> Result<Normalized, PhoneError> {
        if region == DefaultRegion::us()
            && let Some(digits) = us_ten_digits(raw)
        {
            let number = |range: std::ops::Range<usize>| {
                digits[range]
                    .iter()
                    .fold(0u16, |acc, d| acc * 10 + u16::from(*d - b'0'))
            };
            // Invalid in the US, or not a US area code: the full parser decides (it may read the
            // digits another way, such as an international number whose `+` was dropped).
            if us_exchange_valid(number(0..3), number(3..6)) == Some(true) {
                self.fast += 1;
                return Ok(Normalized {
                    e164: E164::from_nanp_digits(&digits),
                    repair: None,
                });
            }
        }
        self.full += 1;
        E164::normalize(raw, region)
    }
}

/// The ten national digits of `+1 (NXX) NXX-XXXX`-like text: only digits and `+ ( ) - . space`,
/// an optional `+1` / `1` country code, area code and exchange starting with 2-9.
fn us_ten_digits(raw: &str) -> Option<[u8; 10]> {
    let raw = raw.trim();
    let mut digits = [0u8; 11];
    let mut n = 0;
    let mut plus = false;
    for (i, b) in raw.bytes().enumerate() {
        match b {
            b'0'..=b'9' => {
                if n == 11 {
                    return None;
                }
                digits[n] = b;
                n += 1;
            }
            b'+' if i == 0 => plus = true,
            b' ' | b'-' | b'(' | b')' | b'.' => {}
            _ => return None,
        }
    }
    let national: &[u8] = match (n, plus) {
        (11, _) if digits[0] == b'1' => &digits[1..11],
        (10, false) => &digits[..10],
        _ => return None,
    };
    if !(b'2'..=b'9').contains(&national[0]) || !(b'2'..=b'9').contains(&national[3]) {
        return None;
    }
    let mut out = [0u8; 10];
    out.copy_from_slice(national);
    Some(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn common_us_formats_take_the_fast_path() {
        let mut cache = PhoneCache::new();
        for raw in [
            "+14155552671",
            "(415) 555-2671",
            "415.555.2671",
            "1 415 555 2671",
            "4155552671",
        ] {
            assert_eq!(
                cache
                    .normalize(raw, DefaultRegion::us())
                    .unwrap()
                    .e164
                    .as_str(),
                "+14155552671"
            );
        }
        assert_eq!((cache.fast, cache.full), (5, 0));
        for raw in [
            "+44 20 7183 8750",
            "415-555-2671 x12",
            "=\"4155552671\"",
            "1.41555E+10",
            "",
        ] {
            let _ = cache.normalize(raw, DefaultRegion::us());
        }
        assert_eq!(cache.full, 5);
    }

    fn format(prefix: u32, line: u32, style: usize) -> String {
        let d = format!("{prefix:07}{line:04}");
        let (a, b, c) = (&d[1..4], &d[4..7], &d[7..11]);
        match style {
            0 => format!("+1{a}{b}{c}"),
            1 => format!("({a}) {b}-{c}"),
            2 => format!("{a}-{b}-{c}"),
            3 => format!("1 {a} {b} {c}"),
            4 => format!("{a}.{b}.{c}"),
            5 => format!("{a}{b}{c}"),
            _ => format!("+{}{a}{b}{c}", &d[0..1]),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// The fast path and the full parser agree on every formatted number, valid or not,
        /// whatever other numbers of the same area code and exchange came first.
        #[test]
        fn the_fast_path_agrees_with_the_full_parser(
            prefix in 0u32..10_000_000,
            lines in proptest::collection::vec((0u32..10_000, 0usize..7), 1..6),
        ) {
            let mut cache = PhoneCache::new();
            for (line, style) in lines {
                let raw = format(prefix, line, style);
                let fast = cache.normalize(&raw, DefaultRegion::us());
                let full = E164::normalize(&raw, DefaultRegion::us());
                prop_assert_eq!(fast, full, "{}", raw);
            }
        }
    }
}
