//! A list of phone numbers read from a CSV (the Do-Not-Call upload) with the contact reader:
//! the same encodings (UTF-8 with or without BOM, UTF-16, Windows-1252), delimiters, row
//! limits, phone-column names and Excel repairs — only the phone column is kept.

use std::collections::BTreeSet;

use super::fast_phone::PhoneCache;
use super::header::is_phone_header;
use super::{FileRefusal, Limits, Record, RecordReader, SNIFF_BYTES, decode_field, sniff};
use crate::phone::{DefaultRegion, E164};

/// Characters of a refused value kept in its rejection (a row may be 64 KiB).
pub const MAX_REJECTED_VALUE_CHARS: usize = 64;

/// A row whose number was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRejection {
    /// 1-based line of the file where the row starts.
    pub line: u64,
    /// The phone column's value as given (at most [`MAX_REJECTED_VALUE_CHARS`] characters).
    pub value: String,
    /// Reason code (the contact import's: `phone_not_a_number`, `field_too_long`, ...).
    pub reason: &'static str,
}

/// What a file held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberList {
    /// The valid numbers, each once.
    pub numbers: BTreeSet<E164>,
    /// The first refused rows, in file order (at most the `keep` asked for).
    pub rejected: Vec<NumberRejection>,
    /// Every refused row.
    pub rejected_total: u64,
}

/// Reads every number of `bytes`: the column a header row names as the phone (any alias), or
/// the first column when the first row names none (a plain list of numbers). Numbers without a
/// country code are read in `region`. Keeps the first `keep` rejections.
pub fn read_numbers(
    bytes: &[u8],
    region: DefaultRegion,
    keep: usize,
) -> Result<NumberList, FileRefusal> {
    let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let sniffed = sniff(sample, bytes.len() <= SNIFF_BYTES)?;
    let bom = (sniffed.encoding.bom_len() as usize).min(bytes.len());
    let mut reader = RecordReader::new(sniffed, Limits::default(), bom as u64, 1);
    let mut state = Reading {
        encoding: sniffed.encoding,
        region,
        keep,
        column: None,
        phones: PhoneCache::new(),
        list: NumberList::default(),
    };
    reader.feed(&bytes[bom..], true, |record| state.take(record));
    Ok(state.list)
}

struct Reading {
    encoding: super::Encoding,
    region: DefaultRegion,
    keep: usize,
    /// The phone column, once the first row decided it.
    column: Option<usize>,
    phones: PhoneCache,
    list: NumberList,
}

impl Reading {
    fn take(&mut self, record: Record<'_>) {
        let fields = match record.fields {
            Ok(fields) => fields,
            Err(reason) => return self.reject(record.line, String::new(), reason),
        };
        let column = match self.column {
            Some(column) => column,
            None => {
                let named = fields.iter().position(|cell| {
                    decode_field(self.encoding, cell).is_some_and(|c| is_phone_header(&c))
                });
                self.column = Some(named.unwrap_or(0));
                if named.is_some() {
                    return;
                }
                0
            }
        };
        let Some(value) = decode_field(self.encoding, fields.get(column).unwrap_or(b"")) else {
            return self.reject(record.line, String::new(), "invalid_utf8");
        };
        match self.phones.normalize(&value, self.region) {
            Ok(number) => {
                self.list.numbers.insert(number.e164);
            }
            Err(err) => {
                let shown = value.chars().take(MAX_REJECTED_VALUE_CHARS).collect();
                self.reject(record.line, shown, err.code());
            }
        }
    }

    fn reject(&mut self, line: u64, value: String, reason: &'static str) {
        self.list.rejected_total += 1;
        if self.list.rejected.len() < self.keep {
            self.list.rejected.push(NumberRejection {
                line,
                value,
                reason,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> DefaultRegion {
        DefaultRegion::us()
    }

    fn numbers(list: &NumberList) -> Vec<String> {
        list.numbers.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_named_phone_column_is_read_under_any_alias_and_delimiter() {
        for csv in [
            "name,Mobile Phone\nA,(212) 555-0100\nB,+14155552671\n",
            "name;Tel\nA;(212) 555-0100\nB;+14155552671\n",
            "Phone Number\t name\n(212) 555-0100\tA\n+14155552671\tB\n",
        ] {
            let list = read_numbers(csv.as_bytes(), us(), 10).unwrap();
            assert_eq!(numbers(&list), ["+12125550100", "+14155552671"], "{csv}");
            assert_eq!(list.rejected_total, 0, "{csv}");
        }
    }

    #[test]
    fn a_list_without_a_header_is_read_from_its_first_column() {
        let list = read_numbers(b"+14155552671,x\n2125550100,y\n", us(), 10).unwrap();
        assert_eq!(numbers(&list), ["+12125550100", "+14155552671"]);
    }

    #[test]
    fn excel_encodings_read_like_utf8() {
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "phone\r\n2125550100\r\n".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let list = read_numbers(&utf16, us(), 10).unwrap();
        assert_eq!(numbers(&list), ["+12125550100"]);
        // Windows-1252 (an accented name next to the number) and a UTF-8 BOM.
        let cp1252 = b"nom,phone\nJos\xe9,2125550100\n";
        assert_eq!(
            numbers(&read_numbers(cp1252, us(), 10).unwrap()),
            ["+12125550100"]
        );
        let bom = b"\xEF\xBB\xBFphone\n2125550100\n";
        assert_eq!(
            numbers(&read_numbers(bom, us(), 10).unwrap()),
            ["+12125550100"]
        );
    }

    #[test]
    fn numbers_without_a_country_code_are_read_in_the_region_given() {
        let gb = DefaultRegion::parse("GB").unwrap();
        let list = read_numbers(b"phone\n020 7946 0018\n", gb, 10).unwrap();
        assert_eq!(numbers(&list), ["+442079460018"]);
    }

    #[test]
    fn refused_rows_are_counted_and_the_first_kept_with_their_lines() {
        let long = "9".repeat(500);
        let csv = format!("phone\nnope\n1.41555E+10\n{long}\n2125550100\n");
        let list = read_numbers(csv.as_bytes(), us(), 2).unwrap();
        assert_eq!(numbers(&list), ["+12125550100"]);
        assert_eq!(list.rejected_total, 3);
        let kept: Vec<(u64, &str)> = list.rejected.iter().map(|r| (r.line, r.reason)).collect();
        assert_eq!(
            kept,
            [(2, "phone_not_a_number"), (3, "phone_scientific_notation")]
        );
        let all = read_numbers(csv.as_bytes(), us(), 10).unwrap();
        assert_eq!(
            all.rejected[2].value.chars().count(),
            MAX_REJECTED_VALUE_CHARS
        );
    }

    #[test]
    fn a_file_that_is_not_text_or_has_no_rows_is_refused() {
        assert_eq!(read_numbers(b"", us(), 10), Err(FileRefusal::EmptyFile));
        assert_eq!(
            read_numbers(b"phone\n\x00\x01\x02", us(), 10),
            Err(FileRefusal::BinaryFile)
        );
    }
}
