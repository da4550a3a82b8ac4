//! One chunk: read its rows from the checkpoint, write its leads, commit its counts.

use domain::import::header::HeaderMap;
use domain::import::row::RowSettings;
use domain::import::{FileRefusal, RecordReader, SNIFF_BYTES, sniff};
use domain::lead::Lead;
use ports::blobs::BlobBody;
use ports::store::{ImportFormat, ImportRecord, ImportStatus, InsertOutcome};

use super::{Chunk, ChunkState, ImportError, RowContext, put};
use crate::pipeline::{Row, RowSink};
use crate::report;
use crate::{ImportSettings, Importer};

/// Where a chunk starts reading: the file's format, a reader at the checkpoint, the first
/// line's number, whether the header is still to be read, and the bytes already read.
struct Start {
    format: ImportFormat,
    reader: RecordReader,
    line: u64,
    header_pending: bool,
    buffered: Vec<u8>,
}

/// Reads one chunk of rows from the record's checkpoint, streaming the object from there.
pub(super) async fn read_chunk(
    importer: &Importer,
    record: &ImportRecord,
    rows: &RowContext,
) -> Result<Result<Chunk, FileRefusal>, ImportError> {
    let settings: &ImportSettings = &importer.settings;
    if let Some(end) = past_the_end(record) {
        return Ok(Ok(end));
    }
    let mut body = match open_at_checkpoint(importer, record).await? {
        Ok(body) => body,
        Err(refusal) => return Ok(Err(refusal)),
    };
    // The first chunk sniffs the encoding and reads the header; later ones know them.
    let mut start = match &record.format {
        Some(format) => Start {
            format: format.clone(),
            reader: RecordReader::new(
                format.sniffed,
                settings.limits,
                record.offset,
                record.next_line,
            ),
            line: record.next_line,
            header_pending: false,
            buffered: Vec::new(),
        },
        None => match sniff_start(&mut body, settings).await? {
            Ok(start) => start,
            Err(refusal) => return Ok(Err(refusal)),
        },
    };
    let sink = match &record.format {
        Some(f) => match HeaderMap::parse(f.header.clone()) {
            Ok(header) => Some(make_sink(header, f, record, rows, settings, importer)),
            Err(refusal) => return Ok(Err(refusal)),
        },
        None => None,
    };
    let mut state = ChunkState {
        importer,
        record,
        context: rows,
        format: start.format,
        sink,
        header_pending: start.header_pending,
        header_error: None,
        warnings: Vec::new(),
        rows: Vec::new(),
        end_offset: record.offset,
        next_line: start.line,
        done: false,
    };
    start
        .reader
        .feed(&start.buffered, false, |rec| state.on_record(rec));
    let eof = feed_until_done(&mut body, &mut start.reader, &mut state).await?;
    if let Some(refusal) = state.header_error {
        return Ok(Err(refusal));
    }
    if state.header_pending {
        return Ok(Err(FileRefusal::EmptyFile));
    }
    Ok(Ok(Chunk {
        rows: state.rows,
        end_offset: state.end_offset,
        next_line: state.next_line,
        eof,
        format: state.format,
        warnings: state.warnings,
    }))
}

/// A checkpoint at the end of the file (the last chunk ended exactly there without seeing the
/// end): nothing is left to read, and a ranged GET from there would be refused (416) on every
/// retry. The chunk that completes the import.
fn past_the_end(record: &ImportRecord) -> Option<Chunk> {
    let format = record.format.clone()?;
    (record.offset > 0 && record.offset >= record.object_size).then(|| Chunk {
        rows: Vec::new(),
        end_offset: record.offset,
        next_line: record.next_line,
        eof: true,
        format,
        warnings: Vec::new(),
    })
}

/// The object from the record's checkpoint on, exactly the version the import started on
/// (If-Match its ETag): a replaced file is refused, never read.
async fn open_at_checkpoint(
    importer: &Importer,
    record: &ImportRecord,
) -> Result<Result<Box<dyn BlobBody>, FileRefusal>, ImportError> {
    let etag = record.object_etag.as_deref();
    Ok((importer.blobs)
        .read_from(&record.object_key, record.offset, etag)
        .await?
        .ok_or(FileRefusal::FileChanged))
}

/// The first chunk: reads enough of the file to sniff its encoding and delimiter (refused
/// if it cannot be read as text), and starts after the byte-order mark with the header due.
async fn sniff_start(
    body: &mut Box<dyn BlobBody>,
    settings: &ImportSettings,
) -> Result<Result<Start, FileRefusal>, ImportError> {
    let mut buffered: Vec<u8> = Vec::new();
    while buffered.len() < SNIFF_BYTES {
        match body.next_bytes().await? {
            Some(bytes) => buffered.extend_from_slice(&bytes),
            None => break,
        }
    }
    let eof = buffered.len() < SNIFF_BYTES;
    let sniffed = match sniff(&buffered[..buffered.len().min(SNIFF_BYTES)], eof) {
        Ok(sniffed) => sniffed,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let reader = RecordReader::new(sniffed, settings.limits, sniffed.encoding.bom_len(), 1);
    buffered.drain(..(sniffed.encoding.bom_len() as usize).min(buffered.len()));
    Ok(Ok(Start {
        format: ImportFormat {
            sniffed,
            header: Vec::new(),
        },
        reader,
        line: 1,
        header_pending: true,
        buffered,
    }))
}

/// Feeds the rest of the body to the reader until the chunk is full, the header is refused
/// or the file ends; whether the file ended inside this chunk.
async fn feed_until_done(
    body: &mut Box<dyn BlobBody>,
    reader: &mut RecordReader,
    state: &mut ChunkState<'_>,
) -> Result<bool, ImportError> {
    while !state.done && state.header_error.is_none() {
        match body.next_bytes().await? {
            Some(bytes) => reader.feed(&bytes, false, |rec| state.on_record(rec)),
            None => {
                reader.feed(&[], true, |rec| state.on_record(rec));
                return Ok(!state.done);
            }
        }
    }
    Ok(false)
}

pub(super) fn make_sink(
    header: HeaderMap,
    format: &ImportFormat,
    record: &ImportRecord,
    rows: &RowContext,
    settings: &ImportSettings,
    importer: &Importer,
) -> RowSink {
    let row_settings = RowSettings {
        region: rows.region,
        encoding: format.sniffed.encoding,
        limits: settings.limits,
    };
    RowSink::new(
        header,
        row_settings,
        record.campaign.campaign.clone(),
        record.id.clone(),
        importer.clock.now(),
    )
    .with_lead_key(rows.lead_key.clone())
    .with_allowed_regions(Some(rows.allowed.clone()))
}

/// A rejected row: its line, the reason code and its original values.
type Rejected = (u64, &'static str, Vec<String>);

/// A lead to write, beside its file line, the repair its number needed and its raw values.
type Put = (u64, domain::import::RowRepairs, crate::pipeline::RawRow);

/// Applies one chunk: rejects the numbers on the tenant's DNC list, writes the new leads,
/// records the rejected rows' report part, and returns the import's next checkpoint (the
/// caller commits it).
pub(super) async fn apply_chunk(
    importer: &Importer,
    record: &ImportRecord,
    chunk: Chunk,
) -> Result<ImportRecord, ImportError> {
    let mut next = record.clone();
    next.rows_read += chunk.rows.len() as u64;
    let (leads, puts, mut rejected) = sort_rows(importer, record, chunk.rows).await?;
    write_leads(importer, record, leads, puts, &mut next, &mut rejected).await?;
    importer.faults.crash_point("import.after_writes")?;
    for (_, reason, _) in &rejected {
        *next.rejected.entry((*reason).to_owned()).or_default() += 1;
    }
    if !rejected.is_empty() {
        rejected.sort_by_key(|(line, _, _)| *line);
        let rows: Vec<(u64, &str, &[String])> = rejected
            .iter()
            .map(|(l, r, raw)| (*l, *r, raw.as_slice()))
            .collect();
        let (t, c, i) = ids(record);
        put(
            importer,
            &report::part_key(t, c, i, record.chunks),
            "text/csv",
            report::part_csv(&rows),
        )
        .await?;
    }
    next.offset = chunk.end_offset;
    next.next_line = chunk.next_line;
    next.chunks += 1;
    if record.format.is_none() {
        next.format = Some(chunk.format.clone());
        next.warnings.extend(chunk.warnings);
    }
    next.version += 1;
    next.updated_at = importer.clock.now();
    if chunk.eof {
        next.status = ImportStatus::Completed;
        if next.rejected_total() > 0 {
            next.report_key = Some(compose_report(importer, record, &chunk.format).await?);
        }
    }
    Ok(next)
}

/// Tenant, campaign and import ids, as the report's object keys use them.
fn ids(record: &ImportRecord) -> (&str, &str, &str) {
    (
        record.campaign.tenant.as_str(),
        record.campaign.campaign.as_str(),
        record.id.as_str(),
    )
}

/// Splits a chunk's rows into the leads to write (with what the report needs of each) and
/// the rejected rows, rejecting the numbers on the tenant's DNC list (one batch read).
async fn sort_rows(
    importer: &Importer,
    record: &ImportRecord,
    rows: Vec<Row>,
) -> Result<(Vec<Lead>, Vec<Put>, Vec<Rejected>), ImportError> {
    let numbers: Vec<_> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Lead { lead, .. } => Some(lead.contact.phone.clone()),
            Row::Rejected { .. } => None,
        })
        .collect();
    let on_dnc = importer
        .store
        .dnc_among(&record.campaign.tenant, &numbers)
        .await?;
    let (mut leads, mut puts, mut rejected) = (Vec::new(), Vec::new(), Vec::new());
    for row in rows {
        match row {
            Row::Rejected { line, reason, raw } => rejected.push((line, reason, raw)),
            Row::Lead {
                line,
                lead,
                repair,
                raw,
            } => {
                if on_dnc.contains(&lead.contact.phone) {
                    rejected.push((line, "do_not_call", raw.values()));
                } else {
                    leads.push(*lead);
                    puts.push((line, repair, raw));
                }
            }
        }
    }
    Ok((leads, puts, rejected))
}

/// Writes the leads (never over an existing one) and counts each: imported, or rejected as
/// a duplicate in the file or in the campaign.
async fn write_leads(
    importer: &Importer,
    record: &ImportRecord,
    leads: Vec<Lead>,
    puts: Vec<Put>,
    next: &mut ImportRecord,
    rejected: &mut Vec<Rejected>,
) -> Result<(), ImportError> {
    let campaign = &record.campaign;
    // Two halves, so a test can kill the chunk with some of its leads written.
    let (first, second) = leads.split_at(leads.len() / 2);
    let concurrency = importer.settings.write_concurrency;
    let mut outcomes = importer
        .store
        .insert_leads(campaign, first, concurrency)
        .await?;
    importer.faults.crash_point("import.mid_writes")?;
    outcomes.extend(
        importer
            .store
            .insert_leads(campaign, second, concurrency)
            .await?,
    );
    for ((line, repair, raw), outcome) in puts.into_iter().zip(outcomes) {
        match outcome {
            InsertOutcome::Inserted => count_imported(next, repair),
            // Our own row, written by an attempt of this chunk that died before its commit.
            InsertOutcome::Exists { source }
                if source.import_id == record.id && source.line == line =>
            {
                count_imported(next, repair)
            }
            InsertOutcome::Exists { source } if source.import_id == record.id => {
                rejected.push((line, "duplicate_in_file", raw.values()))
            }
            // (An existing lead that cannot be read is quarantined and reported by the store.)
            InsertOutcome::Exists { .. } | InsertOutcome::ExistsUnreadable => {
                rejected.push((line, "duplicate_in_campaign", raw.values()))
            }
        }
    }
    Ok(())
}

/// Joins the chunks' report parts under the file's header into the rejected-rows report;
/// returns its key.
async fn compose_report(
    importer: &Importer,
    record: &ImportRecord,
    format: &ImportFormat,
) -> Result<String, ImportError> {
    let (t, c, i) = ids(record);
    let key = report::report_key(t, c, i);
    report::compose(
        importer.blobs.as_ref(),
        &report::part_prefix(t, c, i),
        report::header_csv(&format.header),
        &key,
    )
    .await?;
    Ok(key)
}

fn count_imported(record: &mut ImportRecord, repairs: domain::import::RowRepairs) {
    record.imported += 1;
    for name in repairs.names() {
        *record.repaired.entry(name.to_owned()).or_default() += 1;
    }
}
