//! Erasing a person's number from a tenant's data: the results worker's `erase` job, put on
//! the queue by `POST /v1/privacy/erase` (which has already put the number on the DNC list, so
//! no call starts while the job runs).
//!
//! In order, each step idempotent (a retried job redoes what a crash left half done):
//! 1. the number's keyed marker is written (every later claim of the number is refused, in any
//!    campaign, also of a lead imported after the erasure), then its plain DNC entry, the
//!    removal log's entries naming it and its call ledger are deleted;
//! 2. in every campaign of the tenant, the lead of the number (its id is derived from campaign
//!    and number, one read a campaign) is deleted with every count it was in;
//! 3. every finished import's rejected-rows report is read and deleted if a row names the
//!    number ([`domain::erasure::row_names_number`]);
//! 4. in every campaign where the number was found (a lead or a report row), the exports are
//!    deleted (their records say `withdrawn`; a new export leaves the person out) and the
//!    uploaded files of finished imports are deleted (they were read; the leads are what stays);
//! 5. the record says what was erased, never the number.
//!
//! A call in progress when the lead is erased goes on at the provider; its events then find no
//! lead and change nothing. An import still running keeps its file: the job is to be asked
//! again once it ends (the record lists what was erased).

use chrono::{DateTime, Utc};
use domain::erasure::{ErasedFile, ErasedLead, ErasureRecord, ErasureStatus, number_marker};
use domain::ids::{CampaignRef, ErasureId, LeadId, LeadIdKey, LeadRef, TenantId};
use domain::phone::E164;
use ports::blobs::{BlobReads, Blobs};
use ports::store::{
    Campaigns, Erasures, ExportStatus, Exports, ImportRecord, ImportStatus, Imports, Leads,
    RecordsWanted, Refusal, WriteError,
};

use crate::results::ResultsError;

/// A report larger than this is deleted without being read (its rows cannot be held in
/// memory to check): erring towards erasure.
const LARGEST_REPORT_READ: u64 = 128 * 1024 * 1024;
/// Tries of a lead's delete when it moves between the read and the write.
const LEAD_TRIES: usize = 5;

/// The repositories the erasure reads and writes.
pub trait ErasureStore: Campaigns + Leads + Imports + Exports + Erasures {}

impl<T> ErasureStore for T where T: Campaigns + Leads + Imports + Exports + Erasures {}

/// What an erasure needs besides the store: the bucket (to read reports and delete files) and
/// the deployment's key (lead ids, the marker).
#[derive(Clone, Copy)]
pub struct ErasureTools<'a> {
    pub blobs: &'a dyn Blobs,
    pub reads: &'a dyn BlobReads,
    pub key: &'a LeadIdKey,
}

/// The erasure being worked on.
pub struct EraseJob<'a> {
    pub tenant: &'a TenantId,
    pub erasure: &'a ErasureId,
    pub number: &'a E164,
}

/// Runs one erasure job to its end (see the module docs) and records it.
pub async fn run_erasure<S: ErasureStore + ?Sized>(
    store: &S,
    tools: ErasureTools<'_>,
    job: EraseJob<'_>,
    now: DateTime<Utc>,
) -> Result<ErasureRecord, ResultsError> {
    let mut record = store
        .get_erasure(job.tenant, job.erasure)
        .await?
        .unwrap_or_else(|| ErasureRecord::accepted(job.erasure.clone(), job.tenant.clone(), now));
    let marker = number_marker(tools.key, job.tenant, job.number);
    let forgotten = store.forget_number(job.tenant, job.number, &marker).await?;
    record.erased.dnc_entry |= forgotten.dnc_entry;
    record.erased.dnc_log_entries += forgotten.dnc_log_entries;
    record.erased.call_ledger |= forgotten.call_ledger;
    for campaign in all_campaigns(store, job.tenant).await? {
        let c = CampaignRef {
            tenant: job.tenant.clone(),
            campaign: campaign.id.clone(),
        };
        let id = LeadId::for_scheme(campaign.lead_ids, tools.key, &c.campaign, job.number);
        let lead = LeadRef {
            campaign: c.clone(),
            lead: id,
        };
        let mut found = false;
        if let Some(erased) = erase_lead(store, &lead).await? {
            record.erased.leads.push(erased);
            found = true;
        }
        let imports = store.list_imports(&c).await?;
        for import in imports.iter().filter(|i| finished(i)) {
            if let Some(file) = erase_report(store, tools, import, job.number).await? {
                record.erased.import_reports.push(file);
                found = true;
            }
        }
        if found {
            erase_files(store, tools, &c, &imports, &mut record, now).await?;
        }
    }
    record.status = ErasureStatus::Completed;
    record.finished_at = Some(now);
    store.put_erasure(&record).await?;
    tracing::info!(erasure = %record.id, leads = record.erased.leads.len(), exports = record.erased.exports.len(), "number erased");
    Ok(record)
}

/// Every campaign of the tenant.
async fn all_campaigns<S: ErasureStore + ?Sized>(
    store: &S,
    tenant: &TenantId,
) -> Result<Vec<ports::store::CampaignRecord>, ResultsError> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = store
            .list_campaigns(tenant, None, after.as_ref(), 100)
            .await?;
        all.extend(page);
        match next {
            Some(next) => after = Some(next),
            None => return Ok(all),
        }
    }
}

/// Deletes the lead if there is one, with its counts; retried while it moves under us.
async fn erase_lead<S: ErasureStore + ?Sized>(
    store: &S,
    lead: &LeadRef,
) -> Result<Option<ErasedLead>, ResultsError> {
    for _ in 0..LEAD_TRIES {
        let Some(mut stored) = store.get_lead(lead).await? else {
            return Ok(None);
        };
        // Its records: their counts leave the campaign with it, and their items go.
        let records = std::slice::from_mut(&mut stored);
        store
            .attach_records(&lead.campaign, records, RecordsWanted::All)
            .await?;
        match store.erase_lead(lead, &stored).await {
            Ok(()) => {
                return Ok(Some(ErasedLead {
                    campaign: lead.campaign.campaign.clone(),
                    lead: lead.lead.clone(),
                    status: stored.state.status,
                    attempts: stored.state.attempts,
                }));
            }
            Err(WriteError::Refused(Refusal::Stale)) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(WriteError::Refused(Refusal::Stale).into())
}

/// An import whose files no longer change.
fn finished(import: &ImportRecord) -> bool {
    matches!(
        import.status,
        ImportStatus::Completed | ImportStatus::Rejected | ImportStatus::Failed
    )
}

/// Deletes the import's rejected-rows report if a row names the number.
async fn erase_report<S: ErasureStore + ?Sized>(
    store: &S,
    tools: ErasureTools<'_>,
    import: &ImportRecord,
    number: &E164,
) -> Result<Option<ErasedFile>, ResultsError> {
    let Some(key) = import.report_key.clone() else {
        return Ok(None);
    };
    let Some(head) = tools.reads.head(&key).await? else {
        return Ok(None);
    };
    let names = head.size > LARGEST_REPORT_READ || report_names(tools, &key, number).await?;
    if !names {
        return Ok(None);
    }
    tools.blobs.delete(&key).await?;
    let mut updated = import.clone();
    updated.report_key = None;
    updated.version += 1;
    updated
        .warnings
        .push("the rejected-rows report was deleted by an erasure of a person's data".into());
    store.put_import(&updated, Some(import.version)).await?;
    Ok(Some(ErasedFile {
        campaign: import.campaign.campaign.clone(),
        key,
    }))
}

/// Whether a row of the CSV object `key` names the number.
async fn report_names(
    tools: ErasureTools<'_>,
    key: &str,
    number: &E164,
) -> Result<bool, ResultsError> {
    let Some(mut body) = tools.reads.read_from(key, 0, None).await? else {
        return Ok(false);
    };
    let mut bytes = Vec::new();
    while let Some(more) = body.next_bytes().await? {
        bytes.extend(more);
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    for row in reader.byte_records() {
        let row = row.map_err(|e| ResultsError::Csv(e.to_string()))?;
        let fields = row.iter().map(|f| String::from_utf8_lossy(f).into_owned());
        let fields: Vec<String> = fields.collect();
        if domain::erasure::row_names_number(fields.iter().map(String::as_str), number) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Deletes the campaign's exports and its finished imports' uploaded files.
async fn erase_files<S: ErasureStore + ?Sized>(
    store: &S,
    tools: ErasureTools<'_>,
    c: &CampaignRef,
    imports: &[ImportRecord],
    record: &mut ErasureRecord,
    now: DateTime<Utc>,
) -> Result<(), ResultsError> {
    for mut export in store.exports_of(c).await? {
        if export.status != ExportStatus::Completed {
            continue;
        }
        tools.blobs.delete(&export.object_key).await?;
        export.status = ExportStatus::Withdrawn;
        export.error = Some(format!(
            "withdrawn: deleted on {} with a person's data erased at their request; a new export leaves them out",
            now.format("%Y-%m-%d")
        ));
        store.save_export(&export).await?;
        record.erased.exports.push(export.id);
    }
    for import in imports.iter().filter(|i| finished(i)) {
        if tools.reads.head(&import.object_key).await?.is_none() {
            continue;
        }
        tools.blobs.delete(&import.object_key).await?;
        record.erased.uploads.push(ErasedFile {
            campaign: c.campaign.clone(),
            key: import.object_key.clone(),
        });
        record.erased.imports.push(import.id.clone());
    }
    Ok(())
}
