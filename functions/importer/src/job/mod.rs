//! One import, chunk by chunk, from its checkpoint.

mod chunk;

use chunk::{apply_chunk, make_sink, read_chunk};

use std::time::Instant;
use tracing::Instrument;

use domain::ids::{CampaignRef, ImportId};
use domain::import::header::HeaderMap;
use domain::import::{FileRefusal, decode_field};
use ports::store::{CampaignRecord, ImportFormat, ImportRecord, ImportStatus, WriteError};

use crate::Importer;
use crate::event::{Continuation, ImportRequest, parse_key};
use crate::pipeline::{Row, RowSink};

/// Why an import step failed (the message is retried).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] ports::store::StoreError),
    /// A write failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The bucket failed (reading the file or writing a report part).
    #[error(transparent)]
    Blob(#[from] ports::blobs::BlobError),
    /// The import queue failed (a continuation).
    #[error(transparent)]
    Queue(#[from] ports::queue::QueueError),
    /// A test injected a crash.
    #[error(transparent)]
    Crash(#[from] ports::InjectedCrash),
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
        ImportRequest::Registry {
            tenant,
            registry,
            extract,
        } => {
            let span = tracing::info_span!("registry_extract", %tenant,
                registry = registry.code(), extract = %extract);
            return crate::registry::run(importer, &tenant, registry, &extract, deadline)
                .instrument(span)
                .await;
        }
    };
    let span = tracing::info_span!("import", tenant = %campaign_ref.tenant,
        campaign = %campaign_ref.campaign, import = %import_id);
    run_import(importer, campaign_ref, import_id, key, size, deadline)
        .instrument(span)
        .await
}

/// Runs one request for the import `import_id` of `campaign_ref` (`key` and `size`: the
/// uploaded object's, when the request is its creation event).
async fn run_import(
    importer: &Importer,
    campaign_ref: CampaignRef,
    import_id: ImportId,
    key: Option<String>,
    size: Option<u64>,
    deadline: Instant,
) -> Result<Outcome, ImportError> {
    let Some(campaign) = importer.store.get_campaign(&campaign_ref).await? else {
        return campaign_missing(importer, &campaign_ref, &import_id, key).await;
    };
    let Some(mut record) = find_or_create(importer, &campaign_ref, &import_id, key).await? else {
        return Ok(Outcome::Ignored("unknown import"));
    };
    if matches!(
        record.status,
        ImportStatus::Completed | ImportStatus::Rejected | ImportStatus::Failed
    ) {
        return Ok(Outcome::Ignored("already finished"));
    }
    if record.status == ImportStatus::AwaitingUpload || record.object_size == 0 {
        record = start_processing(importer, record, size).await?;
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

/// No campaign to attach a record to: the refusal is written next to the file (an object
/// event), or there is nothing left to do (a continuation).
async fn campaign_missing(
    importer: &Importer,
    campaign: &CampaignRef,
    import: &ImportId,
    key: Option<String>,
) -> Result<Outcome, ImportError> {
    let Some(key) = key else {
        return Ok(Outcome::Ignored("campaign gone"));
    };
    let refusal = format!("{{\"code\":\"campaign_not_found\",\"object\":{key:?}}}\n");
    let report = format!(
        "reports/{}/{}/{}.refused.json",
        campaign.tenant, campaign.campaign, import
    );
    put(importer, &report, "application/json", refusal.into_bytes()).await?;
    Ok(Outcome::Refused("campaign_not_found".into()))
}

/// The import's record; an object event for an import not yet recorded records it (a
/// continuation for an unknown import finds nothing).
async fn find_or_create(
    importer: &Importer,
    campaign: &CampaignRef,
    import: &ImportId,
    key: Option<String>,
) -> Result<Option<ImportRecord>, ImportError> {
    if let Some(record) = importer.store.get_import(campaign, import).await? {
        return Ok(Some(record));
    }
    let Some(key) = key else {
        return Ok(None);
    };
    let record =
        ImportRecord::awaiting_upload(import.clone(), campaign.clone(), key, importer.clock.now());
    match importer.store.put_import(&record, None).await {
        Ok(()) | Err(WriteError::Refused(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Some(
        importer
            .store
            .get_import(campaign, import)
            .await?
            .unwrap_or(record),
    ))
}

/// Moves the import to Processing with the object's size (from the event, or read).
async fn start_processing(
    importer: &Importer,
    record: ImportRecord,
    size: Option<u64>,
) -> Result<ImportRecord, ImportError> {
    let head = importer.blobs.head(&record.object_key).await?;
    // The size and the ETag of the version read here go together; the event's size is only a
    // fallback for an answer without a length.
    let size = head.as_ref().map(|h| h.size).or(size).unwrap_or(0);
    let mut started = record.clone();
    started.status = ImportStatus::Processing;
    started.object_size = size;
    started.object_etag = head.and_then(|h| h.etag);
    started.version += 1;
    started.updated_at = importer.clock.now();
    match importer
        .store
        .put_import(&started, Some(record.version))
        .await
    {
        Ok(()) => Ok(started),
        Err(WriteError::Refused(_)) => Ok(importer
            .store
            .get_import(&record.campaign, &record.id)
            .await?
            .unwrap_or(started)),
        Err(e) => Err(e.into()),
    }
}

async fn put(
    importer: &Importer,
    key: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<(), ImportError> {
    Ok(importer.blobs.put(key, content_type, body).await?)
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
    let write = match engine::webhooks::import_finished(&refused, refused.updated_at) {
        Some(told) => {
            let store = &importer.store;
            store
                .put_import_telling(&refused, record.version, &told)
                .await
        }
        None => {
            importer
                .store
                .put_import(&refused, Some(record.version))
                .await
        }
    };
    match write {
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
    let rows = RowContext::of(importer, campaign).await?;
    loop {
        let chunk = match read_chunk(importer, &record, &rows).await? {
            Ok(chunk) => chunk,
            Err(refusal) => return refuse(importer, record, refusal).await,
        };
        importer.faults.crash_point("import.after_read")?;
        let before = record.version;
        let next = apply_chunk(importer, &record, chunk).await?;
        importer.faults.crash_point("import.before_commit")?;
        let imported_now = (next.imported - record.imported) as i64;
        // The import's end is told (`import.completed`) in the commit that makes it true.
        let told = engine::webhooks::import_finished(&next, next.updated_at);
        match importer
            .store
            .commit_import_chunk_telling(&next, before, imported_now, told.as_ref())
            .await
        {
            Ok(()) => {
                ports::metrics::put(ports::metrics::Metric::count(
                    "ImportRowsImported",
                    imported_now as f64,
                ));
                let rejected_now = next
                    .rejected_total()
                    .saturating_sub(record.rejected_total());
                ports::metrics::put(ports::metrics::Metric::count(
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
                        ports::store::Refusal::Stale,
                    )))?;
            }
            Err(e) => return Err(e.into()),
        }
        importer.faults.crash_point("import.after_commit")?;
        match record.status {
            ImportStatus::Completed => return Ok(Outcome::Completed),
            ImportStatus::Rejected | ImportStatus::Failed => {
                return Ok(Outcome::Refused(record.refusal.clone().unwrap_or_default()));
            }
            ImportStatus::AwaitingUpload | ImportStatus::Processing => {}
        }
        // At least one chunk per invocation; then a fresh invocation if time runs short.
        if Instant::now() + importer.settings.deadline_margin > deadline {
            let body = serde_json::to_string(&Continuation::new(&record.campaign, &record.id))
                .unwrap_or_default();
            let continuation = ports::queue::Outgoing {
                body,
                delay: std::time::Duration::ZERO,
            };
            importer.continuations.send(vec![continuation]).await?;
            return Ok(Outcome::Continued);
        }
    }
}

/// What every row of an import is read with: the campaign's region for national numbers,
/// the countries the tenant may call and, for a campaign with keyed lead ids, the deployment's
/// key.
struct RowContext {
    region: domain::phone::DefaultRegion,
    allowed: Vec<domain::phone::DefaultRegion>,
    lead_key: Option<domain::ids::LeadIdKey>,
}

impl RowContext {
    async fn of(importer: &Importer, campaign: &CampaignRecord) -> Result<Self, ImportError> {
        let region = campaign.config.default_region;
        let tenant = importer.store.get_tenant(&campaign.tenant).await?;
        let countries =
            tenant.map_or_else(ports::store::home_country_only, |t| t.allowed_countries);
        let allowed = countries
            .iter()
            .filter_map(|c| domain::phone::DefaultRegion::parse(c).ok())
            .collect();
        let keyed = campaign.lead_ids == domain::ids::LeadIdScheme::Keyed;
        Ok(Self {
            region,
            allowed,
            lead_key: keyed.then(|| importer.lead_id_key.clone()),
        })
    }
}

/// What reading a chunk has found so far (fed record by record).
struct ChunkState<'a> {
    importer: &'a Importer,
    record: &'a ImportRecord,
    context: &'a RowContext,
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
                        self.context,
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
            // Rows and bytes both bound a chunk: wide rows (64 KiB each) would otherwise make
            // a 5,000-row chunk 320 MiB of leads held and written at once.
            let bytes = self.end_offset.saturating_sub(self.record.offset);
            if self.rows.len() >= settings.chunk_rows || bytes >= settings.chunk_bytes {
                self.done = true;
            }
        }
    }
}
