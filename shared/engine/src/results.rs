//! The results worker's jobs: writing a campaign's export to the bucket, and reconciling its
//! counters with its leads. Both read every lead of a campaign, so neither runs on a request
//! path: the API (export) and the tick at completion (reconcile) put a [`ResultsJob`] on the
//! results queue, and the results function works through it. Over the ports only: the store's
//! repositories ([`ResultsStore`]) and the bucket ([`Blobs`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::ids::{CampaignRef, ExportId};
use domain::import::header::{Column, HeaderMap};
use domain::lead::Lead;
use domain::results::{ExportLayout, HourTally, Tally, Timeline, clearance_header, clearance_rows};
use ports::blobs::{BlobError, Blobs};
use ports::store::{
    Counters, Exports, Imports, LeadPages, RecordsWanted, Reports, Retention, Tenants,
};
use ports::store::{ExportKind, ExportRecord, ExportStatus, StoreError, WriteError};

/// Leads read per page.
const PAGE: usize = 1000;

pub use crate::messages::ResultsJob;

/// The repositories the results jobs read and write.
pub trait ResultsStore:
    Imports
    + Exports
    + Counters
    + Reports
    + LeadPages
    + Tenants
    + Retention
    + crate::erasure::ErasureStore
{
}

impl<T> ResultsStore for T where
    T: Imports
        + Exports
        + Counters
        + Reports
        + LeadPages
        + Tenants
        + Retention
        + crate::erasure::ErasureStore
{
}

/// Why a job failed.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A write failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The bucket failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// A row could not be written as CSV (only on I/O errors, which a memory buffer has not).
    #[error("writing CSV: {0}")]
    Csv(String),
    /// The job names an export that was never recorded.
    #[error("export {0} is not recorded")]
    UnknownExport(ExportId),
    /// An erasure job reached a worker without the bucket reads and the key it needs.
    #[error("this worker cannot run erasures: it has no lead id key")]
    NoErasureTools,
}

/// Appends rows to `out` as CSV.
fn write_rows(
    out: &mut Vec<u8>,
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<(), ResultsError> {
    let csv_error = |e: csv::Error| ResultsError::Csv(e.to_string());
    let mut writer = csv::Writer::from_writer(out);
    for row in rows {
        writer.write_record(&row).map_err(csv_error)?;
    }
    writer.flush().map_err(|e| csv_error(e.into()))
}

/// The export's object key.
pub fn export_key(campaign: &CampaignRef, export: &ExportId) -> String {
    format!(
        "exports/{}/{}/{export}.csv",
        campaign.tenant, campaign.campaign
    )
}

/// The custom columns of a campaign: every custom header of its imports, in import order.
async fn layout<S: ResultsStore>(
    store: &S,
    campaign: &CampaignRef,
) -> Result<ExportLayout, StoreError> {
    let mut imports = store.list_imports(campaign).await?;
    imports.sort_by_key(|i| i.created_at);
    let custom = imports
        .into_iter()
        .filter_map(|i| i.format)
        .filter_map(|f| HeaderMap::parse(f.header).ok())
        .flat_map(|h| h.columns)
        .filter_map(|c| match c {
            Column::Custom(name) => Some(name),
            _ => None,
        });
    Ok(ExportLayout::new(custom))
}

/// Writes a campaign's export: the header, then one row per lead, page by page into a
/// multipart upload (memory flat in the number of leads). A job whose export is already
/// Completed is not written again (a redelivered message).
pub async fn run_export<S: ResultsStore>(
    store: &S,
    blobs: &dyn Blobs,
    campaign: &CampaignRef,
    export: &ExportId,
    now: impl Fn() -> DateTime<Utc>,
) -> Result<ExportRecord, ResultsError> {
    let mut record = store
        .get_export(campaign, export)
        .await?
        .ok_or_else(|| ResultsError::UnknownExport(export.clone()))?;
    if matches!(
        record.status,
        ExportStatus::Completed | ExportStatus::Failed | ExportStatus::Withdrawn
    ) {
        return Ok(record);
    }
    record.status = ExportStatus::Running;
    store.save_export(&record).await?;
    match write_export(store, blobs, campaign, &record.object_key, record.kind).await {
        Ok((rows, bytes)) => {
            record.status = ExportStatus::Completed;
            record.rows = rows;
            record.bytes = bytes;
        }
        Err(err) => {
            tracing::error!(error = %err, export = %export, "export failed");
            record.status = ExportStatus::Failed;
            record.error = Some(err.to_string());
        }
    }
    record.finished_at = Some(now());
    if record.status == ExportStatus::Completed {
        // `export.ready`, recorded with the write that makes it true.
        let told = crate::webhooks::export_ready(&record, now());
        store.save_export_telling(&record, &told).await?;
    } else {
        store.save_export(&record).await?;
    }
    Ok(record)
}

/// Every lead of a campaign, a round at a time: a page from each lead shard not yet read out,
/// the shards' queries sent at once, so reading a large campaign waits on a quarter of the
/// sequential queries. Rounds come in shard order; memory holds one round
/// (`LEAD_SHARDS` pages of [`PAGE`] leads).
pub(crate) struct ShardRounds {
    /// Per shard: where to continue (`Some(None)`: from the start), `None` once read out.
    afters: Vec<Option<Option<String>>>,
    /// Whether each round's leads come with their attempt records.
    records: bool,
}

impl ShardRounds {
    /// Rounds of the leads alone.
    pub(crate) fn new() -> Self {
        Self {
            afters: vec![Some(None); usize::from(ports::store::LEAD_SHARDS)],
            records: false,
        }
    }

    /// Rounds of the leads with their attempt records (exports, reconciliation).
    pub(crate) fn with_records() -> Self {
        Self {
            records: true,
            ..Self::new()
        }
    }

    /// The next round's leads, or `None` when every shard has been read out.
    pub(crate) async fn next<S: ResultsStore>(
        &mut self,
        store: &S,
        campaign: &CampaignRef,
    ) -> Result<Option<Vec<Lead>>, StoreError> {
        let reads = (self.afters.iter().enumerate()).filter_map(|(shard, after)| {
            let (shard, after) = (u8::try_from(shard).ok()?, after.clone()?);
            Some(async move {
                let page = store.lead_shard_page(campaign, None, shard, after, PAGE);
                (usize::from(shard), page.await)
            })
        });
        let pages = futures::future::join_all(reads).await;
        if pages.is_empty() {
            return Ok(None);
        }
        let mut leads = Vec::new();
        for (shard, page) in pages {
            let page = page?;
            leads.extend(page.leads);
            self.afters[shard] = (!page.exhausted).then_some(page.after);
        }
        if self.records {
            store
                .attach_records(campaign, &mut leads, RecordsWanted::All)
                .await?;
        }
        Ok(Some(leads))
    }
}

async fn write_export<S: ResultsStore>(
    store: &S,
    blobs: &dyn Blobs,
    campaign: &CampaignRef,
    key: &str,
    kind: ExportKind,
) -> Result<(u64, u64), ResultsError> {
    let layout = layout(store, campaign).await?;
    let header = match kind {
        ExportKind::Leads => layout.header(),
        ExportKind::Clearances => clearance_header(),
    };
    let rows_of = |lead: &Lead| match kind {
        ExportKind::Leads => vec![layout.row(lead)],
        ExportKind::Clearances => clearance_rows(lead),
    };
    let mut upload = blobs.upload(key, "text/csv; charset=utf-8").await?;
    // One CSV writer per page, over one buffer handed to the upload after each page.
    let mut buffer = Vec::with_capacity(1 << 20);
    let mut rows = 0u64;
    let mut rounds = ShardRounds::with_records();
    let result: Result<(), ResultsError> = async {
        write_rows(&mut buffer, [header])?;
        while let Some(round) = rounds.next(store, campaign).await? {
            let round_rows: Vec<Vec<String>> = round.iter().flat_map(&rows_of).collect();
            rows += round_rows.len() as u64;
            write_rows(&mut buffer, round_rows)?;
            upload.write(&buffer).await?;
            buffer.clear();
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok((rows, upload.finish().await?)),
        Err(err) => {
            upload.abort().await;
            Err(err)
        }
    }
}

pub use ports::store::{Drift, ReconcileReport};

fn tally_drift(stored: &Tally, actual: &Tally) -> Vec<Drift> {
    let mut out = Vec::new();
    let mut check = |name: String, stored: i64, actual: i64| {
        if stored != actual {
            out.push(Drift {
                counter: name,
                stored,
                actual,
            });
        }
    };
    for (i, status) in domain::status::LeadStatus::ALL.iter().enumerate() {
        check(
            format!("n_{}", status.as_str()),
            stored.by_status[i],
            actual.by_status[i],
        );
    }
    check("attempts".into(), stored.attempts, actual.attempts);
    check(
        "talk_seconds".into(),
        stored.talk_seconds,
        actual.talk_seconds,
    );
    check("in_flight".into(), stored.in_flight, actual.in_flight);
    for outcome in domain::retry::Outcome::ALL {
        let get = |t: &Tally| t.outcomes.get(&outcome).copied().unwrap_or(0);
        check(format!("o_{}", outcome.as_str()), get(stored), get(actual));
    }
    out
}

fn hourly_drift(stored: &[HourTally], actual: &[HourTally]) -> Vec<(HourTally, Vec<Drift>)> {
    let zero = HourTally::empty;
    let stored: BTreeMap<_, _> = stored.iter().map(|h| (h.hour, *h)).collect();
    let actual: BTreeMap<_, _> = actual.iter().map(|h| (h.hour, *h)).collect();
    let hours: std::collections::BTreeSet<_> =
        stored.keys().chain(actual.keys()).copied().collect();
    let mut out = Vec::new();
    for hour in hours {
        let s = stored.get(&hour).copied().unwrap_or(zero(hour));
        let a = actual.get(&hour).copied().unwrap_or(zero(hour));
        let label = hour.format("%Y-%m-%dT%H");
        let drift: Vec<Drift> = [
            ("started", s.started, a.started),
            ("connected", s.connected, a.connected),
            ("talk_seconds", s.talk_seconds, a.talk_seconds),
            ("answered", s.answered, a.answered),
            ("abandoned", s.abandoned, a.abandoned),
        ]
        .into_iter()
        .filter(|(_, s, a)| s != a)
        .map(|(name, stored, actual)| Drift {
            counter: format!("hour {label} {name}"),
            stored,
            actual,
        })
        .collect();
        if !drift.is_empty() {
            out.push((a, drift));
        }
    }
    out
}

/// Recomputes a campaign's counters and hourly items from its leads, reports every
/// difference, and with `repair` rewrites them. The rewrite is conditional on the counters
/// being unchanged since before the leads were read, so a campaign that moved meanwhile is
/// reported, not "repaired" with a stale count (run it again when the campaign is quiet; at
/// completion it always is). The report is stored as the campaign's last reconciliation. A
/// campaign whose leads expired by the tenant's retention is not reconciled (zeros are not
/// the truth of it): the report says so.
pub async fn reconcile<S: ResultsStore>(
    store: &S,
    campaign: &CampaignRef,
    repair: bool,
    now: DateTime<Utc>,
) -> Result<ReconcileReport, ResultsError> {
    let expired = store
        .get_campaign(campaign)
        .await?
        .and_then(|c| c.personal_data_until)
        .filter(|until| *until <= now);
    if let Some(until) = expired {
        // Its leads are (being) deleted by the retention: the counters are all that is left.
        let report = ReconcileReport {
            campaign: campaign.clone(),
            at: now,
            leads: 0,
            drift: Vec::new(),
            repaired: false,
            note: Some(format!(
                "not reconciled: the leads expired by the tenant's retention at {}; the counters are kept as they were",
                until.to_rfc3339()
            )),
        };
        store.put_reconcile_report(campaign, &report).await?;
        return Ok(report);
    }
    let before = store.counters(campaign).await?.tally();
    let stored_hours = store.hourly_counters(campaign).await?;
    let mut actual = Tally::default();
    let mut timeline = Timeline::default();
    let mut leads = 0u64;
    let mut rounds = ShardRounds::with_records();
    while let Some(round) = rounds.next(store, campaign).await? {
        for lead in &round {
            actual.add(&lead.state);
            timeline.add(&lead.state);
            leads += 1;
        }
    }
    let actual = actual.normalized();
    let actual_hours = timeline.into_hours();
    let mut drift = tally_drift(&before, &actual);
    let hour_fixes = hourly_drift(&stored_hours, &actual_hours);
    drift.extend(hour_fixes.iter().flat_map(|(_, d)| d.iter().cloned()));
    let mut report = ReconcileReport {
        campaign: campaign.clone(),
        at: now,
        leads,
        drift,
        repaired: false,
        note: None,
    };
    if repair && !report.drift.is_empty() {
        match store.replace_counters(campaign, &before, &actual).await {
            Ok(()) => {
                for (hour, _) in &hour_fixes {
                    store.put_hourly_counters(campaign, hour).await?;
                }
                report.repaired = true;
            }
            Err(WriteError::Refused(_)) => {
                report.note = Some(
                    "the campaign moved while its leads were counted; run again when it is quiet"
                        .into(),
                );
            }
            Err(err) => return Err(err.into()),
        }
    }
    if !report.drift.is_empty() {
        tracing::warn!(campaign = %campaign, drift = report.drift.len(), repaired = report.repaired, "counters drifted from the leads");
    }
    store.put_reconcile_report(campaign, &report).await?;
    Ok(report)
}

/// Runs one job.
#[tracing::instrument(name = "results_job", skip_all, fields(
    scope = %job.scope(), job = job.kind()))]
pub async fn run_job<S: ResultsStore>(
    store: &S,
    blobs: &dyn Blobs,
    job: &ResultsJob,
    clock: Arc<dyn ports::Clock>,
    erasure: Option<crate::erasure::ErasureTools<'_>>,
) -> Result<(), ResultsError> {
    match job {
        ResultsJob::Erase {
            tenant,
            erasure: id,
            number,
        } => {
            let tools = erasure.ok_or(ResultsError::NoErasureTools)?;
            let job = crate::erasure::EraseJob {
                tenant,
                erasure: id,
                number,
            };
            crate::erasure::run_erasure(store, tools, job, clock.now()).await?;
        }
        ResultsJob::Export { campaign, export } => {
            run_export(store, blobs, campaign, export, || clock.now()).await?;
        }
        ResultsJob::Reconcile { campaign, repair } => {
            reconcile(store, campaign, *repair, clock.now()).await?;
        }
        ResultsJob::Retain { campaign } => {
            crate::retention::retain(store, campaign).await?;
        }
    }
    Ok(())
}

/// What the user reads on an export given up.
pub const EXPORT_GAVE_UP: &str = "gave_up: the export failed repeatedly and was stopped; the operators were alerted. \
Request a new export";

/// What the user reads on an erasure given up.
pub const ERASURE_GAVE_UP: &str = "gave_up: the erasure failed repeatedly and was stopped; the operators were alerted. \
What it lists was erased; ask again to finish the rest";

/// A job whose message reached the dead-letter queue: an export still queued or running is
/// marked failed (an export that finished is left as it is); a reconciliation is only counted
/// (the next completion, or the next tick's reconcile request, runs it again). Counted as `ResultsJobsGivenUp`.
pub async fn give_up_job<S: ResultsStore>(
    store: &S,
    job: &ResultsJob,
    now: DateTime<Utc>,
) -> Result<(), ResultsError> {
    if let ResultsJob::Export { campaign, export } = job
        && let Some(mut record) = store.get_export(campaign, export).await?
        && matches!(record.status, ExportStatus::Queued | ExportStatus::Running)
    {
        record.status = ExportStatus::Failed;
        record.error = Some(EXPORT_GAVE_UP.to_owned());
        record.finished_at = Some(now);
        store.save_export(&record).await?;
    }
    if let ResultsJob::Erase {
        tenant, erasure, ..
    } = job
        && let Some(mut record) = store.get_erasure(tenant, erasure).await?
        && record.status == domain::erasure::ErasureStatus::Running
    {
        record.status = domain::erasure::ErasureStatus::Failed;
        record.error = Some(ERASURE_GAVE_UP.to_owned());
        record.finished_at = Some(now);
        store.put_erasure(&record).await?;
    }
    tracing::error!(
        job = job.kind(),
        scope = %job.scope(),
        "results job given up after its message reached the dead-letter queue"
    );
    ports::metrics::put(ports::metrics::Metric::count("ResultsJobsGivenUp", 1.0));
    Ok(())
}

/// A new export job's record.
pub fn new_export(
    campaign: &CampaignRef,
    id: ExportId,
    kind: ExportKind,
    now: DateTime<Utc>,
) -> ExportRecord {
    ExportRecord {
        kind,
        object_key: export_key(campaign, &id),
        id,
        campaign: campaign.clone(),
        status: ExportStatus::Queued,
        rows: 0,
        bytes: 0,
        error: None,
        created_at: now,
        finished_at: None,
    }
}
