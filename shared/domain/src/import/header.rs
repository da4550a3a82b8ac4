//! The header row: which column is which field.

use std::collections::HashMap;

use super::FileRefusal;

/// What a column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The phone number (required).
    Phone,
    /// Full name.
    Name,
    /// First name (joined with the last name when there is no name column).
    FirstName,
    LastName,
    Email,
    Company,
    /// IANA time zone: replaces the number's candidate zones.
    Timezone,
    /// Consent (yes/no).
    Consent,
    /// Where consent was given (free text).
    ConsentSource,
    /// When consent was given (a date or a date and time).
    ConsentAt,
    /// Which consent: `none`, `express`, `express_written` (or `written`).
    ConsentType,
    /// The written consent's agreement: a form id, a URL, a document reference.
    ConsentReference,
    /// Until when an established business relationship allows telemarketing calls despite a
    /// registry (a date or a date and time).
    EbrUntil,
    /// Address state: its calling rules apply on top of the area code's.
    State,
    /// Any other column: a field for the agent, under its header as written.
    Custom(String),
}

const ALIASES: &[(&str, &[&str])] = &[
    (
        "phone",
        &[
            "phone",
            "phone_number",
            "phonenumber",
            "phone_no",
            "phone_num",
            "mobile",
            "mobile_number",
            "mobile_phone",
            "cell",
            "cell_phone",
            "cellphone",
            "tel",
            "telephone",
            "telephone_number",
            "number",
            "contact_number",
            "msisdn",
        ],
    ),
    (
        "name",
        &["name", "full_name", "fullname", "contact_name", "contact"],
    ),
    (
        "first_name",
        &["first_name", "firstname", "first", "given_name"],
    ),
    (
        "last_name",
        &["last_name", "lastname", "last", "surname", "family_name"],
    ),
    ("email", &["email", "email_address", "e_mail", "mail"]),
    (
        "company",
        &[
            "company",
            "company_name",
            "organization",
            "organisation",
            "business",
            "account",
        ],
    ),
    ("timezone", &["timezone", "time_zone", "tz"]),
    (
        "consent",
        &["consent", "opt_in", "optin", "consented", "has_consent"],
    ),
    (
        "consent_source",
        &[
            "consent_source",
            "consent_method",
            "consent_channel",
            "opt_in_source",
            "optin_source",
            "source_of_consent",
        ],
    ),
    (
        "consent_at",
        &[
            "consent_at",
            "consent_time",
            "consent_date",
            "consent_timestamp",
            "consented_at",
            "opt_in_date",
            "opt_in_at",
            "optin_date",
            "opted_in_at",
        ],
    ),
    (
        "consent_type",
        &[
            "consent_type",
            "consent_kind",
            "consent_level",
            "type_of_consent",
        ],
    ),
    (
        "consent_reference",
        &[
            "consent_reference",
            "consent_ref",
            "consent_id",
            "consent_url",
            "consent_form",
            "consent_document",
        ],
    ),
    (
        "ebr_until",
        &[
            "ebr_until",
            "ebr_expires",
            "ebr_end",
            "ebr_expires_at",
            "established_business_relationship_until",
        ],
    ),
    ("state", &["state", "province", "state_code", "us_state"]),
];

/// Lowercase, trimmed, separators as `_`: "Phone Number" -> "phone_number".
pub fn normalize_header(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.trim().trim_matches('\u{feff}').chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// Whether a header cell names the phone column (any of the aliases contact imports accept:
/// "Phone Number", "mobile", "tel", ...).
pub fn is_phone_header(raw: &str) -> bool {
    let normalized = normalize_header(raw);
    ALIASES
        .iter()
        .any(|(field, aliases)| *field == "phone" && aliases.contains(&normalized.as_str()))
}

/// The header's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    /// The header as written.
    pub names: Vec<String>,
    /// Column kinds, by position.
    pub columns: Vec<Column>,
    /// Position of the phone column.
    pub phone: usize,
    /// Notes for the report (columns without a header, kept as `column_N`).
    pub warnings: Vec<String>,
}

impl HeaderMap {
    /// Maps a header row. Duplicate names (or two columns meaning the same field) and a missing
    /// phone column refuse the file; a column without a name is kept as `column_N` (1-based)
    /// and noted.
    pub fn parse(names: Vec<String>) -> Result<Self, FileRefusal> {
        let mut columns = Vec::with_capacity(names.len());
        let mut warnings = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut phone = None;
        for (i, raw) in names.iter().enumerate() {
            let normalized = normalize_header(raw);
            let (key, column) = if normalized.is_empty() {
                let name = format!("column_{}", i + 1);
                warnings.push(format!(
                    "column {} has no header; its values are kept as custom field {name}",
                    i + 1
                ));
                (name.clone(), Column::Custom(name))
            } else {
                match ALIASES
                    .iter()
                    .find(|(_, aliases)| aliases.contains(&normalized.as_str()))
                {
                    Some((field, _)) => (
                        (*field).to_owned(),
                        match *field {
                            "phone" => Column::Phone,
                            "name" => Column::Name,
                            "first_name" => Column::FirstName,
                            "last_name" => Column::LastName,
                            "email" => Column::Email,
                            "company" => Column::Company,
                            "timezone" => Column::Timezone,
                            "consent" => Column::Consent,
                            "consent_source" => Column::ConsentSource,
                            "consent_at" => Column::ConsentAt,
                            "consent_type" => Column::ConsentType,
                            "consent_reference" => Column::ConsentReference,
                            "ebr_until" => Column::EbrUntil,
                            _ => Column::State,
                        },
                    ),
                    None if raw.trim().chars().count() > super::MAX_CUSTOM_FIELD_NAME_CHARS => {
                        return Err(FileRefusal::BadHeader(format!(
                            "column {}'s name is longer than {} characters",
                            i + 1,
                            super::MAX_CUSTOM_FIELD_NAME_CHARS
                        )));
                    }
                    None => (
                        format!("custom:{normalized}"),
                        Column::Custom(raw.trim().to_owned()),
                    ),
                }
            };
            if let Some(first) = seen.insert(key.clone(), i) {
                return Err(FileRefusal::DuplicateHeader(format!(
                    "columns {} ({:?}) and {} ({:?}) are the same field",
                    first + 1,
                    names[first].trim(),
                    i + 1,
                    raw.trim()
                )));
            }
            if column == Column::Phone {
                phone = Some(i);
            }
            columns.push(column);
        }
        let phone = phone.ok_or(FileRefusal::NoPhoneColumn)?;
        Ok(Self {
            names,
            columns,
            phone,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn common_header_spellings_map_to_fields_and_the_rest_are_custom() {
        let h = HeaderMap::parse(names(&[
            "Phone Number",
            "First Name",
            "LAST_NAME",
            "E-mail",
            "Plan Tier",
            "TZ",
        ]))
        .unwrap();
        assert_eq!(h.phone, 0);
        assert_eq!(
            h.columns,
            vec![
                Column::Phone,
                Column::FirstName,
                Column::LastName,
                Column::Email,
                Column::Custom("Plan Tier".into()),
                Column::Timezone
            ]
        );
        for alias in ["mobile", "Tel", "cell phone", "Telephone"] {
            assert_eq!(
                HeaderMap::parse(names(&[alias])).unwrap().columns,
                vec![Column::Phone],
                "{alias}"
            );
        }
    }

    #[test]
    fn a_file_without_a_phone_column_is_refused() {
        assert_eq!(
            HeaderMap::parse(names(&["name", "email"])),
            Err(FileRefusal::NoPhoneColumn)
        );
    }

    #[test]
    fn duplicate_headers_are_refused_by_name_or_by_meaning() {
        assert!(matches!(
            HeaderMap::parse(names(&["phone", "name", "Phone"])),
            Err(FileRefusal::DuplicateHeader(_))
        ));
        assert!(matches!(
            HeaderMap::parse(names(&["phone", "mobile"])),
            Err(FileRefusal::DuplicateHeader(_))
        ));
        assert!(matches!(
            HeaderMap::parse(names(&["phone", "Notes", "notes "])),
            Err(FileRefusal::DuplicateHeader(_))
        ));
    }

    #[test]
    fn a_column_without_a_header_is_kept_and_noted() {
        let h = HeaderMap::parse(names(&["phone", "", "name"])).unwrap();
        assert_eq!(h.columns[1], Column::Custom("column_2".into()));
        assert_eq!(h.warnings.len(), 1);
    }
}
