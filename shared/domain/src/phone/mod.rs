//! Phone numbers: E.164 normalization, candidate time zones, and NANP area-code subdivisions.
//!
//! Parsing is done by `rlibphonenumber`, a port of Google's libphonenumber that agreed with the
//! reference implementation on every row of a 20,000-number mixed-country sample. The number ->
//! zones and area code -> state tables are generated from libphonenumber's own metadata by
//! `infra/codegen/phone_tables.py` (see `tables.rs` for the licence notice).

mod tables;
mod us_exchanges;

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;
use rlibphonenumber::{PHONE_NUMBER_UTIL, ParseError, PhoneNumberFormat, PhoneNumberType, Region};
use serde::{Deserialize, Serialize};

/// A phone number in E.164 form: `+`, country code, national number; [`E164::MIN_DIGITS`] to
/// [`E164::MAX_DIGITS`] digits, no leading zero. Both ways in — [`E164::normalize`] for what people
/// write, [`E164::parse_strict`] for what the store reads back — apply the same digit rule
/// ([`E164::check_digits`]), so every number accepted at an edge reads back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

/// The longest text read as a phone number (the API documents it as `maxLength`).
pub const MAX_INPUT_CHARS: usize = 64;

/// Why a raw value is not a callable phone number. Each variant is an import reason code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum PhoneError {
    /// Nothing to parse.
    #[error("the phone number is empty")]
    Empty,
    /// Excel turned the number into a float such as `1.41555E+10`: digits are lost.
    #[error("the phone number is in scientific notation (Excel damage): digits are lost")]
    ScientificNotation,
    /// A spreadsheet formula rather than a number.
    #[error("the phone number is a spreadsheet formula")]
    Formula,
    /// `+` followed by an unknown country calling code.
    #[error("unknown country calling code")]
    InvalidCountryCode,
    /// Too few digits for any number.
    #[error("the phone number is too short")]
    TooShort,
    /// Too many digits for any number.
    #[error("the phone number is too long")]
    TooLong,
    /// Not recognisably a phone number.
    #[error("not a phone number")]
    NotANumber,
    /// Digits that are not a valid number in the campaign's region, but would be another
    /// country's if a `+` were added: never guessed, since calling the wrong country reaches
    /// a stranger abroad.
    #[error(
        "not a valid number in the campaign's region; if it is an international number, write it with + and its country code"
    )]
    NeedsCountryCode,
    /// An extension (`ext. 12`, `;ext=12`) cannot be dialled by the campaign: calling the main
    /// line instead would reach someone else.
    #[error("the phone number has an extension, which cannot be dialled")]
    Extension,
    /// Well-formed but not a number that can exist (unassigned range, wrong length for it).
    #[error("the phone number is not a valid number for its country")]
    Invalid,
}

impl PhoneError {
    /// A stable machine-readable code, used in import reports.
    pub fn code(self) -> &'static str {
        match self {
            Self::Empty => "phone_empty",
            Self::ScientificNotation => "phone_scientific_notation",
            Self::Formula => "phone_formula",
            Self::InvalidCountryCode => "phone_invalid_country_code",
            Self::TooShort => "phone_too_short",
            Self::TooLong => "phone_too_long",
            Self::NotANumber => "phone_not_a_number",
            Self::NeedsCountryCode => "phone_needs_country_code",
            Self::Extension => "phone_extension",
            Self::Invalid => "phone_invalid",
        }
    }
}

/// A region (ISO 3166-1 alpha-2, e.g. `US`) for numbers written without a country code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DefaultRegion(Region);

/// The text is not a region libphonenumber knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown region {0:?}: expected an ISO 3166-1 alpha-2 code such as \"US\"")]
pub struct UnknownRegion(pub String);

impl DefaultRegion {
    /// Parses a two-letter region code that has phone metadata.
    pub fn parse(code: &str) -> Result<Self, UnknownRegion> {
        let upper = code.trim().to_ascii_uppercase();
        let region = Region::from_code(&upper).map_err(|_| UnknownRegion(code.to_owned()))?;
        if PHONE_NUMBER_UTIL
            .get_country_code_for_region(region)
            .is_none()
        {
            return Err(UnknownRegion(code.to_owned()));
        }
        Ok(Self(region))
    }

    /// The United States, the default when a campaign names none.
    pub fn us() -> Self {
        Self(Region::US)
    }

    /// The two-letter code.
    pub fn code(self) -> String {
        self.0.as_region_str().to_string()
    }
}

impl TryFrom<String> for DefaultRegion {
    type Error = UnknownRegion;
    fn try_from(s: String) -> Result<Self, UnknownRegion> {
        Self::parse(&s)
    }
}

impl From<DefaultRegion> for String {
    fn from(r: DefaultRegion) -> String {
        r.code()
    }
}

/// A number that was accepted after repairing spreadsheet damage; reported, not rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repair {
    /// `="+14155552671"` (Excel's keep-as-text trick) was unwrapped.
    UnwrappedTextFormula,
    /// The `+` had been stripped: the digits were not a valid national number of the campaign's
    /// region, but were valid read as an international number *of that same country* (its
    /// country code written out, e.g. `61412345678` in an AU campaign). Never applied when the
    /// result would be another country's number ([`PhoneError::NeedsCountryCode`]).
    RestoredPlus,
}

/// A destination a campaign never calls, whatever country it is in: the call costs the
/// tenant (or the person) more than a call should.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostlyDestination {
    /// Premium-rate services (`+1 900`, UK `09`, `084`, `087`).
    PremiumRate,
    /// Shared-cost numbers (French `0810`, Spanish `901`, Swiss `0840`).
    SharedCost,
    /// Satellite and international networks (`+870`, `+881`, `+882`).
    Satellite,
}

impl CostlyDestination {
    /// The import report's reason, and the API's.
    pub fn code(self) -> &'static str {
        match self {
            Self::PremiumRate => "phone_premium_rate",
            Self::SharedCost => "phone_shared_cost",
            Self::Satellite => "phone_satellite",
        }
    }

    /// What the number is, for a person.
    pub fn describe(self) -> &'static str {
        match self {
            Self::PremiumRate => "a premium-rate number",
            Self::SharedCost => "a shared-cost number",
            Self::Satellite => "a satellite or international-network number",
        }
    }
}

/// The result of normalizing a raw value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// The number.
    pub e164: E164,
    /// The repair that was needed, if any.
    pub repair: Option<Repair>,
}

impl E164 {
    /// The most digits (country code and national number) an E.164 number has (ITU-T E.164 §6).
    /// libphonenumber's metadata accepts some longer national numbers (German 0800 numbers of up
    /// to 15 national digits): those are refused as [`PhoneError::TooLong`], never stored.
    pub const MAX_DIGITS: usize = 15;

    /// The fewest digits accepted: the shortest valid numbers in libphonenumber's metadata
    /// (Niue, Saint Helena, Tokelau: a 3-digit country code and 4 national digits).
    pub const MIN_DIGITS: usize = 7;

    /// The one digit rule of both ways in: ASCII digits only, no leading zero, between
    /// [`E164::MIN_DIGITS`] and [`E164::MAX_DIGITS`] of them.
    pub fn check_digits(digits: &str) -> Result<(), PhoneError> {
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || digits.starts_with('0')
        {
            return Err(PhoneError::NotANumber);
        }
        match digits.len() {
            n if n < Self::MIN_DIGITS => Err(PhoneError::TooShort),
            n if n > Self::MAX_DIGITS => Err(PhoneError::TooLong),
            _ => Ok(()),
        }
    }

    /// Normalizes what a person or a spreadsheet wrote into E.164, reading numbers without a
    /// country code in `default_region`. Only numbers that libphonenumber considers valid are
    /// accepted: calling an unassigned number wastes a call and a retry budget.
    ///
    /// A number is read as another country's only when the text says so: a `+` (or `tel:+`), or
    /// the default region's international prefix (`011` in the US, `0011` in Australia, `00` in
    /// most of Europe). Digits that are invalid nationally are never moved to another country.
    pub fn normalize(raw: &str, default_region: DefaultRegion) -> Result<Normalized, PhoneError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        // However it is written, a number fits in this; longer text is something else.
        if raw.chars().count() > MAX_INPUT_CHARS {
            return Err(PhoneError::TooLong);
        }
        if looks_scientific(trimmed) {
            return Err(PhoneError::ScientificNotation);
        }
        if let Some(inner) = unwrap_text_formula(trimmed) {
            let e164 = parse_valid(inner, default_region)?;
            return Ok(Normalized {
                e164,
                repair: Some(Repair::UnwrappedTextFormula),
            });
        }
        if trimmed.starts_with('=') || trimmed.starts_with('@') {
            return Err(PhoneError::Formula);
        }
        match parse_valid(trimmed, default_region) {
            Ok(e164) => Ok(Normalized { e164, repair: None }),
            Err(err) => {
                // Excel drops the leading '+' of numbers stored as numbers. Digits that are not a
                // valid national number but are a valid international one of the region's own
                // country get their '+' back; another country's reading is refused by name.
                let digits_only = trimmed.bytes().all(|b| b.is_ascii_digit());
                if !digits_only || trimmed.len() < Self::MIN_DIGITS {
                    return Err(err);
                }
                match parse_valid(&format!("+{trimmed}"), default_region) {
                    Ok(e164) if e164.country_code_is(default_region) => Ok(Normalized {
                        e164,
                        repair: Some(Repair::RestoredPlus),
                    }),
                    Ok(_) => Err(PhoneError::NeedsCountryCode),
                    Err(_) => Err(err),
                }
            }
        }
    }

    /// Accepts text that is already E.164 (`+` and the digits of [`E164::check_digits`]), without
    /// consulting the numbering plan: for values read back from the store or a trusted system.
    pub fn parse_strict(s: &str) -> Result<Self, PhoneError> {
        let digits = s.strip_prefix('+').ok_or(PhoneError::NotANumber)?;
        Self::check_digits(digits)?;
        Ok(Self(s.to_owned()))
    }

    /// Whether the number's country calling code is `region`'s (`+1` for every NANP region).
    fn country_code_is(&self, region: DefaultRegion) -> bool {
        PHONE_NUMBER_UTIL
            .get_country_code_for_region(region.0)
            .is_some_and(|code| self.digits().starts_with(&code.to_string()))
    }

    /// `+1` and ten already-validated NANP digits (the importer's fast path).
    pub(crate) fn from_nanp_digits(digits: &[u8; 10]) -> Self {
        let mut text = String::with_capacity(12);
        text.push_str("+1");
        text.extend(digits.iter().map(|d| char::from(*d)));
        Self(text)
    }

    /// The digits as a number (at most 15 digits fit): a compact key for sets of numbers.
    pub fn as_u64(&self) -> u64 {
        self.digits().bytes().fold(0u64, |acc, d| {
            acc.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
        })
    }

    /// The number as `+digits`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without the `+`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// The digits after the country calling code (the national significant number), when a
    /// region claims the number.
    pub fn national_digits(&self) -> Option<&str> {
        let region = self.region()?;
        let code = PHONE_NUMBER_UTIL.get_country_code_for_region(region.0)?;
        self.digits().strip_prefix(code.to_string().as_str())
    }

    /// Whether calling the number costs more than a call should: premium-rate and shared-cost
    /// ranges (by the number type in libphonenumber's metadata) and satellite networks
    /// (`+870` Inmarsat, `+881` global mobile satellite, `+882` international networks, by
    /// country code). The full parse runs only where such ranges can be: in the NANP they are
    /// all under area code 900 (a test checks every area code against the metadata).
    pub fn costly_destination(&self) -> Option<CostlyDestination> {
        let digits = self.digits();
        if ["870", "881", "882"]
            .iter()
            .any(|cc| digits.starts_with(cc))
        {
            return Some(CostlyDestination::Satellite);
        }
        if digits.starts_with('1') && !digits[1..].starts_with("900") {
            return None;
        }
        let number = PHONE_NUMBER_UTIL.parse(self.as_str(), None).ok()?;
        match PHONE_NUMBER_UTIL.get_number_type(&number) {
            PhoneNumberType::PremiumRate => Some(CostlyDestination::PremiumRate),
            PhoneNumberType::SharedCost => Some(CostlyDestination::SharedCost),
            _ => None,
        }
    }

    /// The number with all but the last four digits masked, for logs.
    pub fn masked(&self) -> String {
        let digits = self.digits();
        let keep = digits.len().saturating_sub(4);
        format!("+{}{}", "*".repeat(keep), &digits[keep..])
    }

    /// Candidate IANA time zones of the number (longest matching prefix of libphonenumber's
    /// timezone map). Empty when the number's location is unknown.
    pub fn candidate_zones(&self) -> &'static [Tz] {
        let digits = self.digits();
        let longest = tables::LONGEST_PREFIX.min(digits.len());
        for len in (1..=longest).rev() {
            let prefix = &digits[..len];
            if let Ok(i) = tables::PREFIX_ZONES.binary_search_by(|(p, _)| (*p).cmp(prefix)) {
                return tables::PREFIX_ZONES[i].1;
            }
        }
        &[]
    }

    /// The region (ISO 3166-1 alpha-2) the number belongs to, per libphonenumber's metadata; a
    /// US area code answers `US` without a parse (imports of US lists stay fast). `None` for a
    /// number no region claims (international services).
    pub fn region(&self) -> Option<DefaultRegion> {
        let digits = self.digits();
        if digits.len() == 11
            && digits.starts_with('1')
            && digits[1..4].parse().is_ok_and(is_us_area_code)
        {
            return Some(DefaultRegion::us());
        }
        let number = rlibphonenumber::PhoneNumber::parse(self.as_str(), None).ok()?;
        number.get_region_code().map(DefaultRegion)
    }

    /// For NANP numbers (+1), the area code's ISO 3166-2 subdivision, such as `US-FL`.
    pub fn nanp_subdivision(&self) -> Option<&'static str> {
        let digits = self.digits();
        if !digits.starts_with('1') || digits.len() != 11 {
            return None;
        }
        let npa: u16 = digits[1..4].parse().ok()?;
        tables::NANP_AREA_CODES
            .binary_search_by_key(&npa, |(code, _)| *code)
            .ok()
            .map(|i| tables::NANP_AREA_CODES[i].1)
    }
}

/// Whether a US number with this area code and exchange is valid, from the generated table
/// (`None` when the area code is not a US one: the full parser must decide).
pub fn us_exchange_valid(npa: u16, nxx: u16) -> Option<bool> {
    let i = us_exchanges::US_EXCHANGES
        .binary_search_by_key(&npa, |(code, _)| *code)
        .ok()?;
    Some(
        us_exchanges::US_EXCHANGES[i]
            .1
            .iter()
            .any(|(start, end)| (*start..=*end).contains(&nxx)),
    )
}

/// Whether a NANP area code belongs to the United States (its state is known).
pub fn is_us_area_code(npa: u16) -> bool {
    tables::NANP_AREA_CODES
        .binary_search_by_key(&npa, |(code, _)| *code)
        .is_ok_and(|i| tables::NANP_AREA_CODES[i].1.starts_with("US-"))
}

/// The libphonenumber data version the zone tables were generated from.
pub fn zone_data_version() -> &'static str {
    tables::SOURCE_VERSION
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for E164 {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, PhoneError> {
        Self::parse_strict(s)
    }
}

impl TryFrom<String> for E164 {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, PhoneError> {
        Self::parse_strict(&s)
    }
}

impl From<E164> for String {
    fn from(n: E164) -> String {
        n.0
    }
}

fn parse_valid(text: &str, region: DefaultRegion) -> Result<E164, PhoneError> {
    let number = PHONE_NUMBER_UTIL
        .parse(text, Some(region.0))
        .map_err(|err| match err {
            ParseError::InvalidCountryCode => PhoneError::InvalidCountryCode,
            ParseError::TooShortAfterIdd | ParseError::TooShortNsn => PhoneError::TooShort,
            ParseError::TooLongNsn => PhoneError::TooLong,
            ParseError::NotANumber(_) => PhoneError::NotANumber,
        })?;
    if !PHONE_NUMBER_UTIL.is_valid_number(&number) {
        return Err(PhoneError::Invalid);
    }
    if number
        .extension
        .as_deref()
        .is_some_and(|ext| !ext.is_empty())
    {
        return Err(PhoneError::Extension);
    }
    let text = PHONE_NUMBER_UTIL
        .format(&number, PhoneNumberFormat::E164)
        .into_owned();
    // The same rule as the strict read: what is accepted here reads back.
    E164::parse_strict(&text)
}

/// `1.41555E+10`, `4.15555e9`: what Excel shows for long numbers stored as floats.
fn looks_scientific(s: &str) -> bool {
    let Some((mantissa, exponent)) = s.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    !mantissa.is_empty()
        && mantissa
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
        && mantissa.bytes().any(|b| b == b'.' || b == b',')
        && !exponent.is_empty()
        && exponent.bytes().all(|b| b.is_ascii_digit())
}

/// `="+14155552671"` -> `+14155552671`.
fn unwrap_text_formula(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("=\"")?.strip_suffix('"')?;
    (!inner.contains('"')).then_some(inner)
}

/// Fewest digits in a run that [`redact_numbers`] treats as a phone number: the shortest
/// E.164 number has 7.
const REDACT_MIN_DIGITS: usize = 7;

/// `text` with every run that could be a phone number — 7 or more digits, possibly with `+`,
/// spaces, dots, dashes, parentheses and `%2B` (a URL-encoded `+`) between them — masked but
/// for its last two digits. For text from outside (a provider's error message, a URL) that
/// goes into a log line or an error: the number it may hold never does.
pub fn redact_numbers(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let end = number_run_end(bytes, i);
        let run = &text[i..end];
        // A URL-encoded `+` is a separator, not a digit.
        let digits = run
            .replace("%2B", "+")
            .bytes()
            .filter(u8::is_ascii_digit)
            .count();
        if end > i && digits >= REDACT_MIN_DIGITS && !is_date(run) {
            let (mut seen, mut j) = (0, 0);
            while j < run.len() {
                if run[j..].starts_with("%2B") {
                    out.push_str("%2B");
                    j += 3;
                    continue;
                }
                let c = char::from(run.as_bytes()[j]);
                if c.is_ascii_digit() {
                    seen += 1;
                    out.push(if seen > digits - 2 { c } else { '*' });
                } else {
                    out.push(c);
                }
                j += 1;
            }
            i = end;
        } else if end > i {
            out.push_str(run);
            i = end;
        } else {
            let c = text[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8().max(1);
        }
    }
    out
}

/// `YYYY-MM-DD`: a date in a message, not a number.
fn is_date(run: &str) -> bool {
    let b = run.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// Where a run of digits and the separators numbers are written with, starting at `start`,
/// ends (`start` when it does not start with a digit, `+` or `(`).
fn number_run_end(bytes: &[u8], start: usize) -> usize {
    let starts = |i: usize| matches!(bytes.get(i), Some(b'0'..=b'9' | b'+' | b'('));
    if !starts(start) && !bytes[start..].starts_with(b"%2B") {
        return start;
    }
    let mut i = start;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"%2B") {
            i += 3;
        } else if matches!(
            bytes[i],
            b'0'..=b'9' | b'+' | b'(' | b')' | b'-' | b'.' | b' '
        ) {
            i += 1;
        } else {
            break;
        }
    }
    // Trailing separators belong to the text around the number.
    while i > start && matches!(bytes[i - 1], b' ' | b'.' | b'-' | b'(') {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests;
