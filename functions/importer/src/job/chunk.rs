//! One chunk: read its rows from the checkpoint, write its leads, commit its counts.

use adapters::store::{ImportFormat, ImportRecord, ImportStatus, InsertOutcome};
use domain::import::header::HeaderMap;
use domain::import::row::RowSettings;
use domain::import::{FileRefusal, RecordReader, SNIFF_BYTES, sniff};
use futures::StreamExt;

use super::{Chunk, ChunkState, ImportError, put, s3};
use crate::pipeline::{Row, RowSink};
use crate::report;
use crate::{ImportSettings, Importer};

/// Reads one chunk of rows from the record's checkpoint, streaming the object from there.
pub(super) async fn read_chunk(
    importer: &Importer,
    record: &ImportRecord,
    region: domain::phone::DefaultRegion,
) -> Result<Result<Chunk, FileRefusal>, ImportError> {
    let settings: &ImportSettings = &importer.settings;
    let mut request = importer
        .s3
        .get_object()
        .bucket(&importer.bucket)
        .key(&record.object_key);
    if record.offset > 0 {
        request = request.range(format!("bytes={}-", record.offset));
    }
    let mut body = request.send().await.map_err(s3)?.body;
    // The first chunk sniffs the encoding and reads the header; later ones know them.
    let mut buffered: Vec<u8> = Vec::new();
    let (format, mut reader, start_line, header_pending) = match &record.format {
        Some(format) => {
            let reader = RecordReader::new(
                format.sniffed,
                settings.limits,
                record.offset,
                record.next_line,
            );
            (format.clone(), reader, record.next_line, false)
        }
        None => {
            while buffered.len() < SNIFF_BYTES {
                match body.next().await {
                    Some(bytes) => buffered.extend_from_slice(&bytes.map_err(ImportError::Body)?),
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
            (
                ImportFormat {
                    sniffed,
                    header: Vec::new(),
                },
                reader,
                1,
                true,
            )
        }
    };
    let sink = match &record.format {
        Some(f) => match HeaderMap::parse(f.header.clone()) {
            Ok(header) => Some(make_sink(header, f, record, region, settings, importer)),
            Err(refusal) => return Ok(Err(refusal)),
        },
        None => None,
    };
    let mut state = ChunkState {
        importer,
        record,
        region,
        format,
        sink,
        header_pending,
        header_error: None,
        warnings: Vec::new(),
        rows: Vec::new(),
        end_offset: record.offset,
        next_line: start_line,
        done: false,
    };
    reader.feed(&buffered, false, |rec| state.on_record(rec));
    let mut eof = false;
    while !state.done && state.header_error.is_none() {
        match body.next().await {
            Some(bytes) => {
                let bytes = bytes.map_err(ImportError::Body)?;
                reader.feed(&bytes, false, |rec| state.on_record(rec));
            }
            None => {
                reader.feed(&[], true, |rec| state.on_record(rec));
                eof = !state.done;
                break;
            }
        }
    }
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

pub(super) fn make_sink(
    header: HeaderMap,
    format: &ImportFormat,
    record: &ImportRecord,
    region: domain::phone::DefaultRegion,
    settings: &ImportSettings,
    importer: &Importer,
) -> RowSink {
    let row_settings = RowSettings {
        region,
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
}

/// Suppresses DNC numbers, puts the leads, writes the rejected rows' part; returns the record
/// as it should be after this chunk.
pub(super) async fn apply_chunk(
    importer: &Importer,
    record: &ImportRecord,
    chunk: Chunk,
) -> Result<ImportRecord, ImportError> {
    let tenant = &record.campaign.tenant;
    let numbers: Vec<_> = chunk
        .rows
        .iter()
        .filter_map(|r| match r {
            Row::Lead { lead, .. } => Some(lead.contact.phone.clone()),
            Row::Rejected { .. } => None,
        })
        .collect();
    let on_dnc = importer.store.dnc_among(tenant, &numbers).await?;
    let mut next = record.clone();
    let mut rejected: Vec<(u64, &'static str, Vec<String>)> = Vec::new();
    let mut puts = Vec::new();
    for row in chunk.rows {
        next.rows_read += 1;
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
                    puts.push((line, lead, repair, raw));
                }
            }
        }
    }
    let campaign = &record.campaign;
    let mut builder = adapters::store::LeadItemBuilder::new(campaign);
    let mut items = Vec::with_capacity(puts.len());
    for (line, lead, repair, raw) in puts {
        items.push((line, builder.item(&lead)?, repair, raw));
    }
    // Two halves, so a test can kill the chunk with some of its leads written.
    let second = items.split_off(items.len() / 2);
    let mut results = Vec::new();
    for (i, half) in [items, second].into_iter().enumerate() {
        if i == 1 {
            importer.faults.crash_point("import.mid_writes")?;
        }
        let written: Vec<_> = futures::stream::iter(half.into_iter().map(
            |(line, item, repair, raw)| async move {
                let result = importer.store.insert_lead_item(campaign, item).await;
                (line, repair, raw, result)
            },
        ))
        .buffer_unordered(importer.settings.write_concurrency.max(1))
        .collect()
        .await;
        results.extend(written);
    }
    for (line, repair, raw, result) in results {
        match result? {
            InsertOutcome::Inserted => count_imported(&mut next, repair),
            // Our own row, written by an attempt of this chunk that died before its commit.
            InsertOutcome::Exists { source }
                if source.import_id == record.id && source.line == line =>
            {
                count_imported(&mut next, repair)
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
    importer.faults.crash_point("import.after_writes")?;
    for (_, reason, _) in &rejected {
        *next.rejected.entry((*reason).to_owned()).or_default() += 1;
    }
    let (t, c, i) = (
        campaign.tenant.as_str(),
        campaign.campaign.as_str(),
        record.id.as_str(),
    );
    if !rejected.is_empty() {
        rejected.sort_by_key(|(line, _, _)| *line);
        let rows: Vec<(u64, &str, &[String])> = rejected
            .iter()
            .map(|(l, r, raw)| (*l, *r, raw.as_slice()))
            .collect();
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
            let header = report::header_csv(&chunk.format.header);
            let key = report::report_key(t, c, i);
            report::compose(
                &importer.s3,
                &importer.bucket,
                &report::part_prefix(t, c, i),
                header,
                &key,
            )
            .await?;
            next.report_key = Some(key);
        }
    }
    Ok(next)
}

fn count_imported(record: &mut ImportRecord, repair: Option<domain::phone::Repair>) {
    record.imported += 1;
    if let Some(repair) = repair {
        let name = match repair {
            domain::phone::Repair::UnwrappedTextFormula => "unwrapped_text_formula",
            domain::phone::Repair::RestoredPlus => "restored_plus",
        };
        *record.repaired.entry(name.to_owned()).or_default() += 1;
    }
}
