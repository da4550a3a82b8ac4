//! Decoding and row parsing on arbitrary bytes: never a panic, every record accounted for, and
//! the same result however the bytes are split into pieces (as S3 delivers them).
//!
//!   cargo fuzz run import_parse            (see docs/developing.md, "Fuzzing")
#![no_main]

use domain::import::fast_phone::PhoneCache;
use domain::import::header::HeaderMap;
use domain::import::row::{RowResult, RowSettings, parse_row};
use domain::import::{Limits, RecordReader, SNIFF_BYTES, decode_field, sniff};
use domain::phone::DefaultRegion;
use libfuzzer_sys::fuzz_target;

/// Every record's (line, end offset, outcome).
fn read(data: &[u8], piece: usize) -> Option<Vec<(u64, u64, String)>> {
    let sample = &data[..data.len().min(SNIFF_BYTES)];
    let sniffed = sniff(sample, data.len() <= SNIFF_BYTES).ok()?;
    let limits = Limits { max_row_bytes: 512, max_columns: 16, max_field_chars: 128 };
    let start = (sniffed.encoding.bom_len() as usize).min(data.len());
    let mut reader = RecordReader::new(sniffed, limits, start as u64, 1);
    let settings = RowSettings { region: DefaultRegion::us(), encoding: sniffed.encoding, limits };
    let mut phones = PhoneCache::new();
    let mut header: Option<Option<HeaderMap>> = None;
    let mut out = Vec::new();
    let mut on = |record: domain::import::Record<'_>| {
        let outcome = match (&header, &record.fields) {
            (None, Ok(fields)) => {
                let names: Option<Vec<String>> =
                    fields.iter().map(|f| decode_field(sniffed.encoding, f).map(|c| c.into_owned())).collect();
                header = Some(names.and_then(|n| HeaderMap::parse(n).ok()));
                "header".to_owned()
            }
            (None, Err(reason)) => {
                header = Some(None);
                (*reason).to_owned()
            }
            (Some(Some(h)), Ok(fields)) => match parse_row(h, fields, &settings, &mut phones) {
                RowResult::Contact(c, _) => c.phone.to_string(),
                RowResult::Rejected(reason) => reason.to_owned(),
            },
            (Some(_), Err(reason)) => (*reason).to_owned(),
            (Some(None), Ok(_)) => "no header".to_owned(),
        };
        assert!(record.end_offset <= data.len() as u64 || sniffed.encoding.is_utf16());
        out.push((record.line, record.end_offset, outcome));
    };
    let body = &data[start..];
    for chunk in body.chunks(piece.max(1)) {
        reader.feed(chunk, false, &mut on);
    }
    reader.feed(&[], true, &mut on);
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let Some(&split) = data.first() else { return };
    let data = &data[1..];
    let whole = read(data, data.len().max(1));
    let pieces = read(data, usize::from(split % 64) + 1);
    assert_eq!(whole, pieces, "the result depends on how the bytes were split");
    if let Some(records) = whole {
        let mut last_line = 0;
        let mut last_end = 0;
        for (line, end, _) in records {
            assert!(line >= last_line, "lines go backwards");
            assert!(end >= last_end, "offsets go backwards");
            last_line = line;
            last_end = end;
        }
    }
});
