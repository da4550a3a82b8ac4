//! Encoding and delimiter from a file's first bytes.

use super::transcode::Utf16ToUtf8;
use super::{Encoding, FileRefusal, Sniffed};

/// How many bytes [`sniff`] wants (less is fine for a short file).
pub const SNIFF_BYTES: usize = 64 * 1024;

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Decides the encoding and delimiter from the first bytes of a file (`eof`: the sample is the
/// whole file).
pub fn sniff(sample: &[u8], eof: bool) -> Result<Sniffed, FileRefusal> {
    let encoding = if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Encoding::Utf8Bom
    } else if sample.starts_with(&[0xFF, 0xFE]) {
        Encoding::Utf16Le
    } else if sample.starts_with(&[0xFE, 0xFF]) {
        Encoding::Utf16Be
    } else {
        Encoding::Utf8
    };
    let body = &sample[encoding.bom_len() as usize..];
    let text: Vec<u8> = if encoding.is_utf16() {
        let mut t = Utf16ToUtf8::new(encoding == Encoding::Utf16Be, 0);
        let mut out = Vec::new();
        t.push(body, &mut out);
        out
    } else {
        if body.contains(&0) {
            return Err(FileRefusal::BinaryFile);
        }
        body.to_vec()
    };
    if text.iter().all(|b| b.is_ascii_whitespace()) && eof {
        return Err(FileRefusal::EmptyFile);
    }
    let encoding = match encoding {
        Encoding::Utf8 => match std::str::from_utf8(&text) {
            Ok(_) => Encoding::Utf8,
            // Cut in the middle of a character at the end of the sample: still UTF-8.
            Err(e) if e.error_len().is_none() && !eof => Encoding::Utf8,
            Err(_) => Encoding::Windows1252,
        },
        other => other,
    };
    Ok(Sniffed {
        encoding,
        delimiter: delimiter(&text),
    })
}

/// The candidate that splits the header into the most fields and splits the following lines
/// the same way; `,` when nothing splits (a one-column file).
fn delimiter(text: &[u8]) -> u8 {
    let lines = logical_lines(text, 20);
    let Some(header) = lines.first() else {
        return b',';
    };
    let mut best = (b',', 0usize, 0usize);
    for d in DELIMITERS {
        let in_header = count_outside_quotes(header, d);
        if in_header == 0 {
            continue;
        }
        let consistent = lines
            .iter()
            .skip(1)
            .filter(|l| count_outside_quotes(l, d) == in_header)
            .count();
        let score = (consistent, in_header);
        if score > (best.1, best.2) {
            best = (d, consistent, in_header);
        }
    }
    best.0
}

/// Up to `max` lines, line breaks inside quotes kept inside their line.
fn logical_lines(text: &[u8], max: usize) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, &b) in text.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => {
                if i > start {
                    lines.push(&text[start..i]);
                    if lines.len() == max {
                        return lines;
                    }
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < text.len() && lines.len() < max {
        lines.push(&text[start..]);
    }
    lines
}

fn count_outside_quotes(line: &[u8], d: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if b == d && !quoted {
            n += 1;
        }
    }
    n
}
