//! A record to a contact, or the reason it cannot be one.
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::fast_phone::PhoneCache;
use super::header::{Column, HeaderMap};
use super::records::Fields;
use super::{Encoding, Limits, decode_field};
use crate::lead::Contact;
use crate::phone::{DefaultRegion, Repair};
use crate::window::Subdivision;

/// How to read rows of one file.
#[derive(Debug, Clone, Copy)]
pub struct RowSettings {
    /// For numbers without a country code.
    pub region: DefaultRegion,
    /// The file's encoding (fields of UTF-8 files must be valid UTF-8).
    pub encoding: Encoding,
    /// Row limits.
    pub limits: Limits,
}

/// What a row needed to become a contact (counted in the import report's `repaired`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowRepairs {
    /// The repair its number needed.
    pub phone: Option<Repair>,
    /// Characters no XML document (and so no provider's call document) can hold were dropped
    /// from a field: control characters pasted from a spreadsheet or a terminal. Dropped, not
    /// refused: the rest of the field is the contact's, and the character meant nothing.
    pub control_characters: bool,
}

impl RowRepairs {
    /// The report's names of the repairs made.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        let phone = self.phone.map(|r| match r {
            Repair::UnwrappedTextFormula => "unwrapped_text_formula",
            Repair::RestoredPlus => "restored_plus",
        });
        phone.into_iter().chain(
            self.control_characters
                .then_some("control_characters_removed"),
        )
    }
}

/// Whether XML 1.0 cannot hold `c`: the C0 controls but tab, line feed and carriage return,
/// DEL and the C1 controls (legal in XML 1.0 but never meant in a contact's field), and the
/// two noncharacters U+FFFE and U+FFFF.
fn unholdable(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// What a row is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowResult {
    /// A contact, and the repairs it needed.
    Contact(Box<Contact>, RowRepairs),
    /// Not importable, with a reason code.
    Rejected(&'static str),
}

/// Reads one record.
pub fn parse_row(
    header: &HeaderMap,
    fields: &Fields<'_>,
    settings: &RowSettings,
    phones: &mut PhoneCache,
) -> RowResult {
    if fields.len() > header.columns.len()
        && (header.columns.len()..fields.len()).any(|i| {
            fields
                .get(i)
                .is_some_and(|f| !f.iter().all(u8::is_ascii_whitespace))
        })
    {
        return RowResult::Rejected("too_many_fields");
    }
    let values = match decode_values(header, fields, settings) {
        Ok(values) => values,
        Err(reason) => return RowResult::Rejected(reason),
    };
    let normalized = match phones.normalize(&values[header.phone], settings.region) {
        Ok(n) => n,
        Err(e) => return RowResult::Rejected(e.code()),
    };
    if let Some(costly) = normalized.e164.costly_destination() {
        return RowResult::Rejected(costly.code());
    }
    let mut contact = Contact::new(normalized.e164);
    let mut repairs = RowRepairs {
        phone: normalized.repair,
        control_characters: false,
    };
    if let Err(reason) = fill_contact(&mut contact, header, &values, &mut repairs) {
        return RowResult::Rejected(reason);
    }
    RowResult::Contact(Box::new(contact), repairs)
}

/// Decodes each field the header names (a missing trailing field reads as empty), refusing
/// text that is not valid in the file's encoding or longer than the limit.
fn decode_values<'a>(
    header: &HeaderMap,
    fields: &Fields<'a>,
    settings: &RowSettings,
) -> Result<Vec<std::borrow::Cow<'a, str>>, &'static str> {
    let mut values: Vec<std::borrow::Cow<'_, str>> = Vec::with_capacity(header.columns.len());
    for i in 0..header.columns.len() {
        let bytes = fields.get(i).unwrap_or(b"");
        let Some(text) = decode_field(settings.encoding, bytes) else {
            return Err("invalid_utf8");
        };
        if text.len() > settings.limits.max_field_chars
            && text.chars().count() > settings.limits.max_field_chars
        {
            return Err("field_too_long");
        }
        values.push(text);
    }
    Ok(values)
}

/// Fills the contact from the columns other than the phone, checking each; a name is made from
/// first and last names when there is no name column.
fn fill_contact(
    contact: &mut Contact,
    header: &HeaderMap,
    values: &[std::borrow::Cow<'_, str>],
    repairs: &mut RowRepairs,
) -> Result<(), &'static str> {
    let (mut first, mut last): (Option<String>, Option<String>) = (None, None);
    let mut custom_bytes = 0;
    for (column, value) in header.columns.iter().zip(values) {
        let cleaned;
        let value = if value.chars().any(unholdable) {
            repairs.control_characters = true;
            cleaned = value
                .chars()
                .filter(|c| !unholdable(*c))
                .collect::<String>();
            cleaned.trim()
        } else {
            value.trim()
        };
        if value.is_empty() {
            continue;
        }
        match column {
            Column::Phone => {}
            Column::Name => contact.name = Some(value.to_owned()),
            Column::FirstName => first = Some(value.to_owned()),
            Column::LastName => last = Some(value.to_owned()),
            Column::Email => {
                if !value.contains('@') || value.contains(char::is_whitespace) {
                    return Err("invalid_email");
                }
                contact.email = Some(value.to_owned());
            }
            Column::Company => contact.company = Some(value.to_owned()),
            Column::Timezone => match value.parse::<Tz>() {
                Ok(tz) => contact.timezone = Some(tz),
                Err(_) => return Err("invalid_timezone"),
            },
            Column::Consent => match parse_consent(value) {
                Some(c) => contact.consent = Some(c),
                None => return Err("invalid_consent"),
            },
            Column::ConsentSource if value.chars().count() > MAX_CONSENT_SOURCE_CHARS => {
                return Err("invalid_consent_source");
            }
            Column::ConsentSource => contact.consent_source = Some(value.to_owned()),
            Column::ConsentAt | Column::EbrUntil => fill_time(column, value, contact)?,
            Column::ConsentType | Column::ConsentReference => {
                fill_consent_scope(column, value, contact)?;
            }
            Column::State => match state_code(value).and_then(|s| Subdivision::parse(s).ok()) {
                Some(s) => contact.state = Some(s),
                None => return Err("invalid_state"),
            },
            Column::Custom(name) => {
                custom_bytes += name.len() + value.len();
                if custom_bytes > super::MAX_CUSTOM_FIELDS_BYTES {
                    return Err("custom_fields_too_large");
                }
                contact.custom.insert(name.clone(), value.to_owned());
            }
        }
    }
    if contact.name.is_none() {
        let joined = [first, last]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !joined.is_empty() {
            contact.name = Some(joined);
        }
    }
    Ok(())
}

/// The longest consent source kept (it is evidence, not a document).
pub const MAX_CONSENT_SOURCE_CHARS: usize = 200;

/// When consent was given: RFC 3339, or `YYYY-MM-DD[ HH:MM[:SS]]` read as UTC; within the
/// service's dates (2000 to 2100).
pub fn parse_consent_time(value: &str) -> Option<DateTime<Utc>> {
    let at = DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            [
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%dT%H:%M",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
            .or_else(|| {
                NaiveDate::parse_from_str(value, "%Y-%m-%d")
                    .ok()
                    .map(|d| d.and_time(NaiveTime::MIN))
            })
            .map(|naive| Utc.from_utc_datetime(&naive))
        })?;
    crate::config::date_in_range(at).then_some(at)
}

fn parse_consent(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "t" | "1" | "x" | "opted in" | "opt-in" | "opt_in" | "granted" => {
            Some(true)
        }
        "no" | "n" | "false" | "f" | "0" | "opted out" | "opt-out" | "opt_out" | "denied" => {
            Some(false)
        }
        _ => None,
    }
}

const STATE_NAMES: [(&str, &str); 51] = [
    ("alabama", "AL"),
    ("alaska", "AK"),
    ("arizona", "AZ"),
    ("arkansas", "AR"),
    ("california", "CA"),
    ("colorado", "CO"),
    ("connecticut", "CT"),
    ("delaware", "DE"),
    ("district of columbia", "DC"),
    ("florida", "FL"),
    ("georgia", "GA"),
    ("hawaii", "HI"),
    ("idaho", "ID"),
    ("illinois", "IL"),
    ("indiana", "IN"),
    ("iowa", "IA"),
    ("kansas", "KS"),
    ("kentucky", "KY"),
    ("louisiana", "LA"),
    ("maine", "ME"),
    ("maryland", "MD"),
    ("massachusetts", "MA"),
    ("michigan", "MI"),
    ("minnesota", "MN"),
    ("mississippi", "MS"),
    ("missouri", "MO"),
    ("montana", "MT"),
    ("nebraska", "NE"),
    ("nevada", "NV"),
    ("new hampshire", "NH"),
    ("new jersey", "NJ"),
    ("new mexico", "NM"),
    ("new york", "NY"),
    ("north carolina", "NC"),
    ("north dakota", "ND"),
    ("ohio", "OH"),
    ("oklahoma", "OK"),
    ("oregon", "OR"),
    ("pennsylvania", "PA"),
    ("rhode island", "RI"),
    ("south carolina", "SC"),
    ("south dakota", "SD"),
    ("tennessee", "TN"),
    ("texas", "TX"),
    ("utah", "UT"),
    ("vermont", "VT"),
    ("virginia", "VA"),
    ("washington", "WA"),
    ("west virginia", "WV"),
    ("wisconsin", "WI"),
    ("wyoming", "WY"),
];

/// "FL", "US-FL" or "Florida" -> the code `Subdivision::parse` takes.
fn state_code(value: &str) -> Option<&str> {
    let lower = value.trim().to_ascii_lowercase();
    STATE_NAMES
        .iter()
        .find(|(name, _)| *name == lower)
        .map(|(_, code)| *code)
        .or(Some(value.trim()))
}

/// A time column: when consent was given, until when a business relationship runs.
fn fill_time(
    column: &Column,
    value: &str,
    contact: &mut crate::lead::Contact,
) -> Result<(), &'static str> {
    let at = parse_consent_time(value);
    match column {
        Column::EbrUntil => contact.ebr_until = Some(at.ok_or("invalid_ebr_until")?),
        _ => contact.consent_at = Some(at.ok_or("invalid_consent_time")?),
    }
    Ok(())
}

/// The consent's type and the written agreement's reference.
fn fill_consent_scope(
    column: &Column,
    value: &str,
    contact: &mut crate::lead::Contact,
) -> Result<(), &'static str> {
    match column {
        Column::ConsentType => {
            let kind = crate::lead::ConsentType::parse(value).ok_or("invalid_consent_type")?;
            contact.consent_type = Some(kind);
        }
        _ if value.chars().count() > MAX_CONSENT_SOURCE_CHARS => {
            return Err("invalid_consent_reference");
        }
        _ => contact.consent_reference = Some(value.to_owned()),
    }
    Ok(())
}
