//! Records from a byte stream, with line numbers, checkpoint offsets and row limits.

use super::transcode::Utf16ToUtf8;
use super::{Limits, Sniffed};

/// One record.
#[derive(Debug)]
pub struct Record<'a> {
    /// 1-based line of the file where the record starts.
    pub line: u64,
    /// Source byte offset just after the record: resuming there starts at the next record.
    pub end_offset: u64,
    /// The fields' raw bytes, or why the record was too big to keep.
    pub fields: Result<Fields<'a>, &'static str>,
}

/// The fields of a record.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    data: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Fields<'a> {
    /// How many fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`'s bytes.
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.data.get(start..end)
    }

    /// Every field.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

/// Reads records out of pushed bytes (UTF-16 is transcoded first).
#[derive(Debug)]
pub struct RecordReader {
    csv: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    out_len: usize,
    ends_len: usize,
    overflow: Option<&'static str>,
    in_record: bool,
    record_line: u64,
    line: u64,
    /// Offset of the next unread byte in the stream the CSV reader sees (source bytes, or the
    /// transcoded UTF-8 stream counted from the start offset).
    stream_pos: u64,
    start_offset: u64,
    transcoder: Option<Utf16ToUtf8>,
    pending: Vec<u8>,
    finished: bool,
}

impl RecordReader {
    /// A reader starting at source offset `start_offset` (just after the BOM, or a checkpoint),
    /// which is line `start_line` of the file.
    pub fn new(sniffed: Sniffed, limits: Limits, start_offset: u64, start_line: u64) -> Self {
        let csv = csv_core::ReaderBuilder::new()
            .delimiter(sniffed.delimiter)
            .build();
        let transcoder = sniffed
            .encoding
            .is_utf16()
            .then(|| Utf16ToUtf8::new(sniffed.encoding == super::Encoding::Utf16Be, start_offset));
        Self {
            csv,
            out: vec![0; limits.max_row_bytes.max(1)],
            ends: vec![0; limits.max_columns.max(1)],
            out_len: 0,
            ends_len: 0,
            overflow: None,
            in_record: false,
            record_line: start_line,
            line: start_line,
            stream_pos: 0,
            start_offset,
            transcoder,
            pending: Vec::new(),
            finished: false,
        }
    }

    /// The line the next record starts on (after blank lines so far).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Feeds bytes (`eof` on the last call, possibly with no bytes); calls `on_record` for each
    /// complete record.
    pub fn feed(&mut self, input: &[u8], eof: bool, mut on_record: impl FnMut(Record<'_>)) {
        if self.finished {
            return;
        }
        if let Some(t) = self.transcoder.as_mut() {
            let mut utf8 = std::mem::take(&mut self.pending);
            t.push(input, &mut utf8);
            self.run(&utf8, eof, &mut on_record);
            utf8.clear();
            self.pending = utf8;
        } else {
            self.run(input, eof, &mut on_record);
        }
    }

    fn source_offset(&mut self) -> u64 {
        match self.transcoder.as_mut() {
            Some(t) => t.source_offset(self.stream_pos).unwrap_or(0),
            None => self.start_offset + self.stream_pos,
        }
    }

    fn run(&mut self, input: &[u8], eof: bool, on_record: &mut impl FnMut(Record<'_>)) {
        let mut pos = 0;
        loop {
            // Between records: line breaks are blank lines, not rows.
            if !self.in_record {
                while pos < input.len() && (input[pos] == b'\n' || input[pos] == b'\r') {
                    if input[pos] == b'\n' {
                        self.line += 1;
                    }
                    pos += 1;
                    self.stream_pos += 1;
                }
                if pos < input.len() {
                    self.in_record = true;
                    self.record_line = self.line;
                } else if !eof {
                    return;
                }
            }
            let rest = &input[pos..];
            if rest.is_empty() && !eof {
                return;
            }
            let (result, nin, nout, nend) = self.csv.read_record(
                rest,
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            self.line += rest[..nin].iter().filter(|b| **b == b'\n').count() as u64;
            pos += nin;
            self.stream_pos += nin as u64;
            self.out_len += nout;
            self.ends_len += nend;
            use csv_core::ReadRecordResult as R;
            match result {
                R::InputEmpty => {
                    if !eof {
                        return;
                    }
                }
                R::OutputFull => {
                    self.overflow = Some("row_too_long");
                    self.out_len = 0;
                }
                R::OutputEndsFull => {
                    self.overflow.get_or_insert("too_many_columns");
                    self.ends_len = 0;
                }
                R::Record => {
                    let end_offset = self.source_offset();
                    let fields = match self.overflow.take() {
                        Some(reason) => Err(reason),
                        None => Ok(Fields {
                            data: &self.out[..self.out_len],
                            ends: &self.ends[..self.ends_len],
                        }),
                    };
                    on_record(Record {
                        line: self.record_line,
                        end_offset,
                        fields,
                    });
                    self.out_len = 0;
                    self.ends_len = 0;
                    self.in_record = false;
                }
                R::End => {
                    self.finished = true;
                    return;
                }
            }
        }
    }
}
