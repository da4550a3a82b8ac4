//! Parser tests on small files, byte by byte. The importer's corpus of bad files (tests/) covers
//! whole-file behaviour end to end.

use proptest::prelude::*;

use super::fast_phone::PhoneCache;
use super::header::HeaderMap;
use super::row::{RowResult, RowSettings, parse_row};
use super::*;
use crate::phone::DefaultRegion;

/// A row's line and what became of it: `phone|name`, or the reason code.
type RowLine = (u64, Result<String, String>);

/// Parses a whole file (fed in pieces of `piece` bytes): header, then per row (line, result).
fn parse(file: &[u8], piece: usize) -> Result<(HeaderMap, Vec<RowLine>), FileRefusal> {
    let sniffed = sniff(
        &file[..file.len().min(SNIFF_BYTES)],
        file.len() <= SNIFF_BYTES,
    )?;
    let limits = Limits {
        max_row_bytes: 256,
        max_columns: 8,
        max_field_chars: 64,
    };
    let mut reader = RecordReader::new(sniffed, limits, sniffed.encoding.bom_len(), 1);
    let mut header: Option<Result<HeaderMap, FileRefusal>> = None;
    let mut rows = Vec::new();
    let mut phones = PhoneCache::new();
    let settings = RowSettings {
        region: DefaultRegion::us(),
        encoding: sniffed.encoding,
        limits,
    };
    let body = &file[sniffed.encoding.bom_len() as usize..];
    let mut chunks: Vec<&[u8]> = body.chunks(piece.max(1)).collect();
    chunks.push(&[]);
    let last = chunks.len() - 1;
    for (i, chunk) in chunks.into_iter().enumerate() {
        reader.feed(chunk, i == last, |record| match &header {
            None => {
                header = Some(match record.fields {
                    Ok(f) => {
                        let names = f
                            .iter()
                            .map(|b| {
                                decode_field(sniffed.encoding, b)
                                    .map(|s| s.into_owned())
                                    .unwrap_or_default()
                            })
                            .collect();
                        HeaderMap::parse(names)
                    }
                    Err(reason) => Err(FileRefusal::BadHeader(reason.into())),
                });
            }
            Some(Ok(h)) => {
                let result = match record.fields {
                    Err(reason) => Err(reason.to_owned()),
                    Ok(f) => match parse_row(h, &f, &settings, &mut phones) {
                        RowResult::Contact(c, _) => {
                            Ok(format!("{}|{}", c.phone, c.name.unwrap_or_default()))
                        }
                        RowResult::Rejected(r) => Err(r.to_owned()),
                    },
                };
                rows.push((record.line, result));
            }
            Some(Err(_)) => {}
        });
    }
    match header {
        None => Err(FileRefusal::EmptyFile),
        Some(Err(e)) => Err(e),
        Some(Ok(h)) => Ok((h, rows)),
    }
}

/// Each row's outcome: `ok` or its rejection reason.
fn outcomes(rows: &[RowLine]) -> Vec<String> {
    rows.iter()
        .map(|(_, r)| r.clone().map(|_| "ok".to_owned()).unwrap_or_else(|e| e))
        .collect()
}

fn ok(line: u64, s: &str) -> RowLine {
    (line, Ok(s.to_owned()))
}

fn bad(line: u64, s: &str) -> RowLine {
    (line, Err(s.to_owned()))
}

#[test]
fn quoted_newlines_and_mixed_line_endings_keep_the_right_line_numbers() {
    let file = b"phone,name\r\n+14155552671,\"Ann\nSmith\"\r\n\r\n(212) 555-0100,Bob\r4155550000,\"C, D\"\n";
    for piece in [1, 2, 3, 7, 1000] {
        let (_, rows) = parse(file, piece).unwrap();
        assert_eq!(
            rows,
            vec![
                ok(2, "+14155552671|Ann\nSmith"),
                ok(5, "+12125550100|Bob"),
                ok(5, "+14155550000|C, D")
            ],
            "piece {piece}"
        );
    }
}

#[test]
fn encodings_are_recognised_from_the_bom_and_the_bytes() {
    let utf8_bom = b"\xEF\xBB\xBFphone;name\n+14155552671;Zo\xC3\xAB\n";
    let (_, rows) = parse(utf8_bom, 5).unwrap();
    assert_eq!(rows, vec![ok(2, "+14155552671|Zoë")]);

    let cp1252 = b"phone,name\n+14155552671,Zo\xEB\n";
    assert_eq!(sniff(cp1252, true).unwrap().encoding, Encoding::Windows1252);
    assert_eq!(parse(cp1252, 3).unwrap().1, vec![ok(2, "+14155552671|Zoë")]);

    let text = "phone\tname\r\n+14155552671\tZoë 😀\r\n";
    let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let sniffed = sniff(&utf16, true).unwrap();
    assert_eq!(
        (sniffed.encoding, sniffed.delimiter),
        (Encoding::Utf16Le, b'\t')
    );
    for piece in [1, 3, 64] {
        assert_eq!(
            parse(&utf16, piece).unwrap().1,
            vec![ok(2, "+14155552671|Zoë 😀")]
        );
    }
}

#[test]
fn invalid_utf8_in_the_middle_of_a_utf8_file_rejects_that_row_only() {
    // Past the sniffed sample, a byte that is not UTF-8.
    let mut file = b"phone,name\n".to_vec();
    for i in 0..3000 {
        file.extend_from_slice(format!("+1415{:07},Name {i}\n", 2_000_000 + i).as_bytes());
    }
    assert!(file.len() > SNIFF_BYTES);
    file.extend_from_slice(b"+14155550000,B\xFFb\n+14155550001,Cy\n");
    let (_, rows) = parse(&file, 4096).unwrap();
    assert_eq!(rows.len(), 3002);
    assert_eq!(rows[3000], bad(3002, "invalid_utf8"));
    assert_eq!(rows[3001], ok(3003, "+14155550001|Cy"));
}

#[test]
fn delimiters_are_sniffed() {
    for (file, d) in [
        (&b"phone,name\n1,2\n"[..], b','),
        (b"phone;name;company\n1;2;3\n", b';'),
        (b"phone\tname\n1\t2\n", b'\t'),
        (b"phone|name\n1|2\n", b'|'),
        (b"phone\n+14155552671\n", b','),
        (b"phone;notes\n1;\"a, b, c\"\n", b';'),
    ] {
        assert_eq!(
            sniff(file, true).unwrap().delimiter,
            d,
            "{}",
            String::from_utf8_lossy(file)
        );
    }
}

#[test]
fn rows_too_long_or_too_wide_are_rejected_and_reading_goes_on() {
    let long = format!(
        "phone,name\n+14155552671,{}\n+14155550000,Ok\n",
        "y".repeat(300)
    );
    assert_eq!(
        parse(long.as_bytes(), 10).unwrap().1,
        vec![bad(2, "row_too_long"), ok(3, "+14155550000|Ok")]
    );
    let wide = format!(
        "phone,name\n+14155552671{}\n+14155550000,Ok\n",
        ",z".repeat(20)
    );
    assert_eq!(
        parse(wide.as_bytes(), 10).unwrap().1,
        vec![bad(2, "too_many_columns"), ok(3, "+14155550000|Ok")]
    );
}

#[test]
fn row_values_are_checked() {
    let file = b"phone,email,timezone,consent,state,extra\n\
        +14155552671,a@b.co,America/Chicago,yes,Florida,\n\
        +14155552672,not-an-email,,,,\n\
        +14155552673,,Mars/Olympus,,,\n\
        +14155552674,,,maybe,,\n\
        +14155552675,,,,Atlantis,\n\
        1.41555E+10,,,,,\n\
        +14155552676,,,,,,,z\n";
    let (_, rows) = parse(file, 17).unwrap();
    let results = outcomes(&rows);
    assert_eq!(
        results,
        vec![
            "ok",
            "invalid_email",
            "invalid_timezone",
            "invalid_consent",
            "invalid_state",
            "phone_scientific_notation",
            "too_many_fields"
        ]
    );
}

#[test]
fn costly_destinations_are_rejected_with_their_reason_whichever_path_read_them() {
    // `900 443 3030` takes the US fast path (a valid exchange); the others the full parser.
    let file = b"phone,name\n\
        (900) 443-3030,Premium\n\
        +33 810 12 34 56,Shared\n\
        +881 6 12345678,Satellite\n\
        +44 20 7183 8750,London\n";
    let (_, rows) = parse(file, 1000).unwrap();
    assert_eq!(
        outcomes(&rows),
        vec![
            "phone_premium_rate",
            "phone_shared_cost",
            "phone_satellite",
            "ok"
        ]
    );
}

#[test]
fn whole_file_problems_refuse_the_file() {
    assert_eq!(parse(b"", 4).unwrap_err(), FileRefusal::EmptyFile);
    assert_eq!(parse(b"\n\r\n  \n", 4).unwrap_err(), FileRefusal::EmptyFile);
    assert_eq!(
        parse(b"name,email\nA,a@b.c\n", 4).unwrap_err(),
        FileRefusal::NoPhoneColumn
    );
    assert_eq!(
        parse(b"phone\x00,name\n", 4).unwrap_err(),
        FileRefusal::BinaryFile
    );
    assert!(
        parse(b"phone,name\n", 4).unwrap().1.is_empty(),
        "header only: no rows"
    );
}

#[test]
fn a_checkpoint_resumes_at_the_next_record_exactly() {
    let file = b"phone,name\n+14155552671,\"A\nA\"\n\n+14155552672,B\r\n+14155552673,C";
    let sniffed = sniff(file, true).unwrap();
    let limits = Limits::default();
    // Read everything once, noting each record's end offset and line.
    let mut ends = Vec::new();
    let mut reader = RecordReader::new(sniffed, limits, 0, 1);
    reader.feed(file, true, |r| ends.push((r.line, r.end_offset)));
    assert_eq!(ends.len(), 4);
    // Resume after each record: the rest is read exactly as the first pass read it.
    for (i, (_, offset)) in ends.iter().enumerate() {
        let line = 1 + file[..*offset as usize]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        let mut lines = Vec::new();
        let mut resumed = RecordReader::new(sniffed, limits, *offset, line);
        resumed.feed(&file[*offset as usize..], true, |r| lines.push(r.line));
        let expected: Vec<u64> = ends[i + 1..].iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, expected, "resume after record {i}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// However a file is cut into pieces, the same records come out.
    #[test]
    fn the_pieces_a_file_arrives_in_do_not_change_what_is_read(
        rows in proptest::collection::vec(("[a-z ,\"\n]{0,12}", 2_000_000u32..9_999_999), 0..12),
        piece in 1usize..40,
    ) {
        let mut file = String::from("phone,note\n");
        for (note, n) in &rows {
            file.push_str(&format!("+1415{n:07},\"{}\"\r\n", note.replace('"', "\"\"")));
        }
        let whole = parse(file.as_bytes(), 1 << 20).unwrap().1;
        let cut = parse(file.as_bytes(), piece).unwrap().1;
        prop_assert_eq!(whole.len(), rows.len());
        prop_assert_eq!(cut, whole);
    }
}

#[test]
fn consent_source_and_time_columns_are_recognised_and_checked() {
    let header = HeaderMap::parse(
        ["Phone", "Opt-in", "Consent Method", "Opted In At"]
            .map(String::from)
            .to_vec(),
    )
    .unwrap();
    assert_eq!(
        header.columns[1..],
        [
            header::Column::Consent,
            header::Column::ConsentSource,
            header::Column::ConsentAt
        ]
    );
    let file = b"phone,consent,consent_source,consent_at\n\
        +14155552671,yes,web form,2026-05-01T10:00:00-04:00\n\
        +14155552672,yes,call,2026-05-01\n\
        +14155552673,yes,call,yesterday\n\
        +14155552674,yes,call,1999-12-31\n";
    let (_, rows) = parse(file, 9).unwrap();
    let results = outcomes(&rows);
    assert_eq!(
        results,
        ["ok", "ok", "invalid_consent_time", "invalid_consent_time"]
    );
}

#[test]
fn consent_times_are_read_as_rfc_3339_or_a_utc_date_and_time() {
    use chrono::{TimeZone, Utc};
    let at = |s| row::parse_consent_time(s);
    let may_1 = |h, m| Some(Utc.with_ymd_and_hms(2026, 5, 1, h, m, 0).unwrap());
    assert_eq!(at("2026-05-01T10:00:00-04:00"), may_1(14, 0));
    assert_eq!(at("2026-05-01 14:30"), may_1(14, 30));
    assert_eq!(at("2026-05-01T14:30:00"), may_1(14, 30));
    assert_eq!(at("2026-05-01"), may_1(0, 0));
    for bad in ["05/01/2026", "2026-13-01", "soon", "2100-01-01"] {
        assert_eq!(at(bad), None, "{bad}");
    }
}

#[test]
fn control_characters_are_dropped_from_fields_and_the_rest_kept() {
    let file = b"phone,name\n+14155552671,\x07Ann\x1b Lee\x7f\n+14155552672,Bob\tRay\n";
    let (_, rows) = parse(file, 7).unwrap();
    assert_eq!(
        rows,
        vec![
            ok(2, "+14155552671|Ann Lee"),
            ok(3, "+14155552672|Bob\tRay")
        ],
        "a tab is kept: XML holds it"
    );
}

#[test]
fn consent_type_and_reference_columns_are_recognised_and_checked() {
    let header = HeaderMap::parse(
        ["Phone", "Consent Type", "Consent Ref"]
            .map(String::from)
            .to_vec(),
    )
    .unwrap();
    assert_eq!(
        header.columns[1..],
        [
            header::Column::ConsentType,
            header::Column::ConsentReference
        ]
    );
    let file = b"phone,consent_type,consent_reference\n\
        +14155552671,express_written,form-1\n\
        +14155552672,Written,https://example.com/c/2\n\
        +14155552673,express,\n\
        +14155552674,maybe,form-4\n";
    let (_, rows) = parse(file, 7).unwrap();
    assert_eq!(outcomes(&rows), ["ok", "ok", "ok", "invalid_consent_type"]);
    assert_eq!(
        crate::lead::ConsentType::parse(" Express Written "),
        Some(crate::lead::ConsentType::ExpressWritten)
    );
}
