//! Import messages that reached the dead-letter queue: the import they were for is given up,
//! marked `failed` with a reason the user can read, and counted (`ImportsGivenUp`, which an
//! alarm watches) — never left `processing` forever.

use domain::ids::{CampaignRef, ImportId};
use ports::store::{ImportRecord, ImportStatus, WriteError};

use crate::Importer;
use crate::event::{ImportRequest, parse_key};
use crate::job::ImportError;

/// What the user reads on a given-up import.
pub const GAVE_UP: &str = "gave_up: the import failed repeatedly and was stopped; rows \
imported before stay. The operators were alerted; upload the file again as a new import";

/// Gives up the import a dead-lettered request was for. An import that already finished is
/// left as it is; so is a request that names no import.
pub async fn give_up(importer: &Importer, request: ImportRequest) -> Result<(), ImportError> {
    if let ImportRequest::Registry {
        tenant,
        registry,
        extract,
    } = &request
    {
        return crate::registry::give_up(importer, tenant, *registry, extract).await;
    }
    let Some((campaign, import)) = target(request) else {
        return Ok(());
    };
    loop {
        let Some(record) = importer.store.get_import(&campaign, &import).await? else {
            return Ok(());
        };
        if !matches!(
            record.status,
            ImportStatus::AwaitingUpload | ImportStatus::Processing
        ) {
            return Ok(());
        }
        let failed = failed(&record, importer);
        let write = match engine::webhooks::import_finished(&failed, failed.updated_at) {
            Some(told) => {
                let store = &importer.store;
                store
                    .put_import_telling(&failed, record.version, &told)
                    .await
            }
            None => {
                importer
                    .store
                    .put_import(&failed, Some(record.version))
                    .await
            }
        };
        match write {
            Ok(()) => {
                tracing::error!(import = %import, campaign = %campaign, "import given up after its message reached the dead-letter queue");
                ports::metrics::put(ports::metrics::Metric::count("ImportsGivenUp", 1.0));
                return Ok(());
            }
            // A worker moved it meanwhile: look again.
            Err(WriteError::Refused(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

fn target(request: ImportRequest) -> Option<(CampaignRef, ImportId)> {
    match request {
        ImportRequest::Object { key, .. } => parse_key(&key).map(|(c, i, _)| (c, i)),
        ImportRequest::Continue { campaign, import } => Some((campaign, import)),
        ImportRequest::Registry { .. } => None,
    }
}

fn failed(record: &ImportRecord, importer: &Importer) -> ImportRecord {
    let mut failed = record.clone();
    failed.status = ImportStatus::Failed;
    failed.refusal = Some(GAVE_UP.to_owned());
    failed.version += 1;
    failed.updated_at = importer.clock.now();
    failed
}
