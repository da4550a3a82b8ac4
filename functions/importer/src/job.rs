//! One import, chunk by chunk, from its checkpoint.

use std::collections::BTreeMap;
use std::time::Instant;

use adapters::store::{
    CampaignRecord, ImportFormat, ImportRecord, ImportStatus, InsertOutcome, WriteError,
};
use domain::config::CampaignConfig;
use domain::ids::{CampaignRef, ImportId};
use domain::import::header::HeaderMap;
use domain::import::row::RowSettings;
use domain::import::{FileRefusal, RecordReader, SNIFF_BYTES, decode_field, sniff};
use futures::StreamExt;

use crate::event::{Continuation, ImportRequest, parse_key};
use crate::pipeline::{Row, RowSink};
use crate::report;
use crate::{ImportSettings, Importer};

/// Why an import step failed (the message is retried).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] adapters::store::StoreError),
    /// A write failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// S3 failed.
    #[error("S3 request failed")]
    S3(#[source] Box<aws_sdk_s3::Error>),
    /// Reading the object's body failed.
    #[error("reading the object failed")]
    Body(#[source] aws_smithy_types::byte_stream::error::Error),
    /// The report failed.
    #[error(transparent)]
    Report(#[from] report::ReportError),
    /// SQS failed.
    #[error("SQS request failed")]
    Sqs(#[source] Box<aws_sdk_sqs::Error>),
    /// A test injected a crash.
    #[error(transparent)]
    Crash(#[from] adapters::ports::InjectedCrash),
}

fn s3<E>(err: E) -> ImportError
where
    aws_sdk_s3::Error: From<E>,
{
    ImportError::S3(Box::new(aws_sdk_s3::Error::from(err)))
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not an import key, a test event, or already finished.
    Ignored(&'static str),
    /// The file was refused as a whole.
    Refused(String),
    /// Every row is accounted for.
    Completed,
    /// Time ran short; a continuation was enqueued.
    Continued,
}

/// Runs one request.
pub async fn run(
    importer: &Importer,
    request: ImportRequest,
    deadline: Instant,
) -> Result<Outcome, ImportError> {
    let (campaign_ref, import_id, key, size) = match request {
        ImportRequest::Object { key, size } => {
            let Some((campaign, import, _file)) = parse_key(&key) else {
                tracing::warn!(%key, "object is not at imports/{{tenant}}/{{campaign}}/{{file}}; ignored");
                return Ok(Outcome::Ignored("not an import key"));
            };
            (campaign, import, Some(key), size)
        }
        ImportRequest::Continue { campaign, import } => (campaign, import, None, None),
    };
    let Some(campaign) = importer.store.get_campaign(&campaign_ref).await? else {
        // No campaign to attach a record to: the refusal is written next to the file.
        if let Some(key) = key {
            let refusal = format!("{{\"code\":\"campaign_not_found\",\"object\":{key:?}}}\n");
            let report = format!(
                "reports/{}/{}/{}.refused.json",
                campaign_ref.tenant, campaign_ref.campaign, import_id
            );
            put(importer, &report, "application/json", refusal.into_bytes()).await?;
            return Ok(Outcome::Refused("campaign_not_found".into()));
        }
        return Ok(Outcome::Ignored("campaign gone"));
    };
    let mut record = match importer.store.get_import(&campaign_ref, &import_id).await? {
        Some(record) => record,
        None => {
            let Some(key) = key else {
                return Ok(Outcome::Ignored("unknown import"));
            };
            let now = importer.clock.now();
            let record = new_record(&campaign_ref, &import_id, key, now);
            match importer.store.put_import(&record, None).await {
                Ok(()) | Err(WriteError::Refused(_)) => {}
                Err(e) => return Err(e.into()),
            }
            importer
                .store
                .get_import(&campaign_ref, &import_id)
                .await?
                .unwrap_or(record)
        }
    };
    if matches!(
        record.status,
        ImportStatus::Completed | ImportStatus::Rejected
    ) {
        return Ok(Outcome::Ignored("already finished"));
    }
    if record.status == ImportStatus::AwaitingUpload || record.object_size == 0 {
        let head = importer
            .s3
            .head_object()
            .bucket(&importer.bucket)
            .key(&record.object_key)
            .send()
            .await
            .map_err(s3)?;
        let size = size
            .or(head.content_length().and_then(|l| u64::try_from(l).ok()))
            .unwrap_or(0);
        let mut started = record.clone();
        started.status = ImportStatus::Processing;
        started.object_size = size;
        started.version += 1;
        started.updated_at = importer.clock.now();
        match importer
            .store
            .put_import(&started, Some(record.version))
            .await
        {
            Ok(()) => record = started,
            Err(WriteError::Refused(_)) => {
                record = importer
                    .store
                    .get_import(&campaign_ref, &import_id)
                    .await?
                    .unwrap_or(started);
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !campaign.status.accepts_contacts() {
        let why = FileRefusal::CampaignNotAccepting(format!(
            "the campaign is {} and accepts no contacts",
            campaign.status
        ));
        return refuse(importer, record, why).await;
    }
    if record.object_size > importer.settings.max_file_bytes {
        return refuse(
            importer,
            record,
            FileRefusal::FileTooLarge(importer.settings.max_file_bytes),
        )
        .await;
    }
    process(importer, &campaign, record, deadline).await
}

fn new_record(
    campaign: &CampaignRef,
    import: &ImportId,
    key: String,
    now: chrono::DateTime<chrono::Utc>,
) -> ImportRecord {
    ImportRecord {
        id: import.clone(),
        campaign: campaign.clone(),
        status: ImportStatus::AwaitingUpload,
        object_key: key,
        object_size: 0,
        offset: 0,
        rows_read: 0,
        imported: 0,
        rejected: BTreeMap::new(),
        repaired: BTreeMap::new(),
        refusal: None,
        report_key: None,
        format: None,
        next_line: 1,
        chunks: 0,
        warnings: Vec::new(),
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

async fn put(
    importer: &Importer,
    key: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<(), ImportError> {
    importer
        .s3
        .put_object()
        .bucket(&importer.bucket)
        .key(key)
        .content_type(content_type)
        .body(body.into())
        .send()
        .await
        .map_err(s3)?;
    Ok(())
}

async fn refuse(
    importer: &Importer,
    record: ImportRecord,
    why: FileRefusal,
) -> Result<Outcome, ImportError> {
    let mut refused = record.clone();
    refused.status = ImportStatus::Rejected;
    refused.refusal = Some(format!("{}: {why}", why.code()));
    refused.version += 1;
    refused.updated_at = importer.clock.now();
    match importer
        .store
        .put_import(&refused, Some(record.version))
        .await
    {
        Ok(()) | Err(WriteError::Refused(_)) => Ok(Outcome::Refused(why.code().into())),
        Err(e) => Err(e.into()),
    }
}

/// One chunk's rows, read from the checkpoint.
struct Chunk {
    rows: Vec<Row>,
    end_offset: u64,
    next_line: u64,
    eof: bool,
    format: ImportFormat,
    warnings: Vec<String>,
}

async fn process(
    importer: &Importer,
    campaign: &CampaignRecord,
    mut record: ImportRecord,
    deadline: Instant,
) -> Result<Outcome, ImportError> {
    let config = CampaignConfig::parse(campaign.spec.clone()).ok();
    let region = config
        .as_ref()
        .map_or(domain::phone::DefaultRegion::us(), |c| c.default_region);
    loop {
        let chunk = match read_chunk(importer, &record, region).await? {
            Ok(chunk) => chunk,
            Err(refusal) => return refuse(importer, record, refusal).await,
        };
        importer.faults.crash_point("import.after_read")?;
        let before = record.version;
        let next = apply_chunk(importer, &record, chunk).await?;
        importer.faults.crash_point("import.before_commit")?;
        let imported_now = (next.imported - record.imported) as i64;
        match importer
            .store
            .commit_import_chunk(&next, before, imported_now)
            .await
        {
            Ok(()) => {
                adapters::emf::put(adapters::emf::Metric::count(
                    "ImportRowsImported",
                    imported_now as f64,
                ));
                let rejected_now = next
                    .rejected_total()
                    .saturating_sub(record.rejected_total());
                adapters::emf::put(adapters::emf::Metric::count(
                    "ImportRowsRejected",
                    rejected_now as f64,
                ));
                record = next;
            }
            // Another worker committed this chunk first: carry on from its checkpoint.
            Err(WriteError::Refused(_)) => {
                record = importer
                    .store
                    .get_import(&record.campaign, &record.id)
                    .await?
                    .ok_or(ImportError::Write(WriteError::Refused(
                        adapters::store::Refusal::Stale,
                    )))?;
            }
            Err(e) => return Err(e.into()),
        }
        importer.faults.crash_point("import.after_commit")?;
        match record.status {
            ImportStatus::Completed => return Ok(Outcome::Completed),
            ImportStatus::Rejected => {
                return Ok(Outcome::Refused(record.refusal.clone().unwrap_or_default()));
            }
            ImportStatus::AwaitingUpload | ImportStatus::Processing => {}
        }
        // At least one chunk per invocation; then a fresh invocation if time runs short.
        if Instant::now() + importer.settings.deadline_margin > deadline {
            let body = serde_json::to_string(&Continuation::new(&record.campaign, &record.id))
                .unwrap_or_default();
            importer
                .sqs
                .send_message()
                .queue_url(&importer.queue_url)
                .message_body(body)
                .send()
                .await
                .map_err(|e| ImportError::Sqs(Box::new(e.into())))?;
            return Ok(Outcome::Continued);
        }
    }
}

/// What reading a chunk has found so far (fed record by record).
struct ChunkState<'a> {
    importer: &'a Importer,
    record: &'a ImportRecord,
    region: domain::phone::DefaultRegion,
    format: ImportFormat,
    sink: Option<RowSink>,
    header_pending: bool,
    header_error: Option<FileRefusal>,
    warnings: Vec<String>,
    rows: Vec<Row>,
    end_offset: u64,
    next_line: u64,
    done: bool,
}

impl ChunkState<'_> {
    fn on_record(&mut self, rec: domain::import::Record<'_>) {
        if self.done || self.header_error.is_some() {
            return;
        }
        let settings = &self.importer.settings;
        if self.header_pending {
            self.header_pending = false;
            self.end_offset = rec.end_offset;
            self.next_line = rec.line + 1;
            let names: Result<Vec<String>, FileRefusal> = match rec.fields {
                Ok(fields) => fields
                    .iter()
                    .map(|f| decode_field(self.format.sniffed.encoding, f).map(|c| c.into_owned()))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| FileRefusal::BadHeader("not valid text".into())),
                Err(reason) => Err(FileRefusal::BadHeader(reason.into())),
            };
            match names.and_then(HeaderMap::parse) {
                Ok(header) => {
                    self.format.header = header.names.clone();
                    self.warnings.extend(header.warnings.clone());
                    self.sink = Some(make_sink(
                        header,
                        &self.format,
                        self.record,
                        self.region,
                        settings,
                        self.importer,
                    ));
                }
                Err(refusal) => self.header_error = Some(refusal),
            }
            return;
        }
        if let Some(sink) = self.sink.as_mut() {
            self.rows.push(sink.accept(&rec));
            self.end_offset = rec.end_offset;
            self.next_line = rec.line + 1;
            if self.rows.len() >= settings.chunk_rows {
                self.done = true;
            }
        }
    }
}

/// Reads one chunk of rows from the record's checkpoint, streaming the object from there.
async fn read_chunk(
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

fn make_sink(
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
async fn apply_chunk(
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
