//! Loading a government do-not-call registry's extract (`imports/.registries/{tenant}/
//! {registry}/{extract}`, uploaded through `POST /v1/registries/{registry}/extracts`): the file
//! is streamed in chunks of whole lines; each chunk's numbers are written (idempotent puts,
//! expiring when no fresh extract can be theirs), then the checkpoint moves on, conditional on
//! the one read, so a chunk that dies midway is simply read again. When the invocation's time
//! runs short a continuation carries on. The last chunk makes the extract the tenant's newest
//! of its registry (unless a later download already is).

use std::time::Instant;

use domain::ids::TenantId;
use domain::registry::{Registry, RegistryExtract};
use ports::store::{ExtractRecord, ExtractStatus, WriteError};

use crate::Importer;
use crate::event::RegistryContinuation;
use crate::job::{ImportError, Outcome};

/// Bytes of the file per chunk, at most (about 190,000 numbers a line each; the settings'
/// `chunk_bytes` when smaller).
const CHUNK_BYTES: usize = 2 * 1024 * 1024;
/// Bad lines whose numbers are kept on the record.
const KEPT_BAD_LINES: usize = 10;

/// What the user reads on an extract given up after its message reached the dead-letter queue.
pub const GAVE_UP: &str = "gave_up: loading the extract failed repeatedly and was stopped; \
upload it again as a new extract";

/// Loads (or carries on loading) one extract.
pub async fn run(
    importer: &Importer,
    tenant: &TenantId,
    registry: Registry,
    id: &str,
    deadline: Instant,
) -> Result<Outcome, ImportError> {
    let store = &importer.store;
    let Some(mut record) = store.get_extract(tenant, registry, id).await? else {
        return Ok(Outcome::Ignored("unknown extract"));
    };
    match record.status {
        ExtractStatus::Refused => return Ok(Outcome::Ignored("already finished")),
        // Loaded, but the tenant's newest may not have been set if the run died in between.
        ExtractStatus::Loaded => {
            store.save_extract(&record, record.offset).await?;
            return Ok(Outcome::Ignored("already finished"));
        }
        ExtractStatus::AwaitingUpload => match start(importer, &record).await? {
            Some(started) => record = started,
            None => return Ok(Outcome::Ignored("another run has it")),
        },
        ExtractStatus::Loading => {}
    }
    if record.status == ExtractStatus::Refused {
        return Ok(Outcome::Refused(record.refusal.unwrap_or_default()));
    }
    // At least one chunk per invocation; then a fresh invocation if time runs short.
    loop {
        match load_chunk(importer, &record).await? {
            Some(next) if next.status == ExtractStatus::Loading => record = next,
            Some(done) if done.status == ExtractStatus::Loaded => return Ok(Outcome::Completed),
            Some(refused) => return Ok(Outcome::Refused(refused.refusal.unwrap_or_default())),
            None => return Ok(Outcome::Ignored("another run has it")),
        }
        if Instant::now() + importer.settings.deadline_margin > deadline {
            let message = RegistryContinuation::new(tenant, registry, id);
            let body = serde_json::to_string(&message).expect("a continuation serializes");
            let continuation = ports::queue::Outgoing {
                body,
                delay: std::time::Duration::ZERO,
            };
            importer.continuations.send(vec![continuation]).await?;
            return Ok(Outcome::Continued);
        }
    }
}

/// Moves an uploaded extract to Loading with its file's version (or refuses a file too large);
/// `None` if another run moved it first.
async fn start(
    importer: &Importer,
    record: &ExtractRecord,
) -> Result<Option<ExtractRecord>, ImportError> {
    let head = importer.blobs.head(&record.upload_key()).await?;
    let mut started = record.clone();
    match head {
        None => return Ok(None),
        Some(head) if head.size > importer.settings.max_file_bytes => {
            started.status = ExtractStatus::Refused;
            started.refusal = Some(format!(
                "file_too_large: the extract is {} bytes, over the limit of {}",
                head.size, importer.settings.max_file_bytes
            ));
        }
        Some(head) => {
            started.status = ExtractStatus::Loading;
            started.etag = head.etag;
        }
    }
    saved(importer, started, record.offset).await
}

/// Reads, parses and loads the next chunk of whole lines; answers the record as saved.
async fn load_chunk(
    importer: &Importer,
    record: &ExtractRecord,
) -> Result<Option<ExtractRecord>, ImportError> {
    let key = record.upload_key();
    let Some(mut body) = (importer.blobs)
        .read_from(&key, record.offset, record.etag.as_deref())
        .await?
    else {
        let mut refused = record.clone();
        refused.status = ExtractStatus::Refused;
        refused.refusal = Some("file_replaced: the file changed while it was loaded".into());
        return saved(importer, refused, record.offset).await;
    };
    let mut bytes = Vec::new();
    let mut at_end = false;
    let limit =
        usize::try_from(importer.settings.chunk_bytes).map_or(CHUNK_BYTES, |b| b.min(CHUNK_BYTES));
    while bytes.len() < limit {
        match body.next_bytes().await? {
            Some(more) => bytes.extend_from_slice(&more),
            None => {
                at_end = true;
                break;
            }
        }
    }
    let take = whole_lines(&bytes, limit, at_end);
    let mut next = record.clone();
    let mut numbers = Vec::new();
    for line in String::from_utf8_lossy(&bytes[..take]).lines() {
        next.lines += 1;
        match record.registry.read_line(line) {
            Ok(Some(number)) => numbers.push(number),
            Ok(None) => {}
            Err(_) => {
                next.bad_lines += 1;
                if next.first_bad_lines.len() < KEPT_BAD_LINES {
                    next.first_bad_lines.push(next.lines);
                }
            }
        }
    }
    let expires = RegistryExtract::entries_expire_at(record.downloaded_on, record.registry);
    (importer.store)
        .load_registry_numbers(&record.tenant, record.registry, &numbers, expires)
        .await?;
    importer.faults.crash_point("registry.after_load")?;
    next.numbers += numbers.len() as u64;
    next.offset += take as u64;
    let finished = at_end && take == bytes.len();
    if finished {
        next.loaded_at = Some(importer.clock.now());
        next.status = ExtractStatus::Loaded;
        if next.numbers == 0 {
            next.status = ExtractStatus::Refused;
            next.refusal = Some(format!(
                "no_numbers: no line of the file is a number of {}",
                record.registry.name()
            ));
        }
    }
    saved(importer, next, record.offset).await
}

/// Saves `record` over the checkpoint `previous_offset`; `None` if another run moved it.
async fn saved(
    importer: &Importer,
    record: ExtractRecord,
    previous_offset: u64,
) -> Result<Option<ExtractRecord>, ImportError> {
    match importer.store.save_extract(&record, previous_offset).await {
        Ok(()) => Ok(Some(record)),
        Err(WriteError::Refused(_)) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Gives up an extract whose message reached the dead-letter queue (one that finished is left).
pub async fn give_up(
    importer: &Importer,
    tenant: &TenantId,
    registry: Registry,
    id: &str,
) -> Result<(), ImportError> {
    let Some(record) = importer.store.get_extract(tenant, registry, id).await? else {
        return Ok(());
    };
    if matches!(
        record.status,
        ExtractStatus::Loaded | ExtractStatus::Refused
    ) {
        return Ok(());
    }
    let mut failed = record.clone();
    failed.status = ExtractStatus::Refused;
    failed.refusal = Some(GAVE_UP.to_owned());
    tracing::error!(%tenant, registry = registry.code(), extract = id, "registry extract given up after its message reached the dead-letter queue");
    saved(importer, failed, record.offset).await.map(|_| ())
}

/// How many of `bytes` (read from the checkpoint) this chunk takes: whole lines within `limit`
/// (a longer first line whole), and the file's last line when the end was read and fits (it
/// may lack its newline). The rest is the next chunk's.
fn whole_lines(bytes: &[u8], limit: usize, at_end: bool) -> usize {
    if at_end && bytes.len() <= limit {
        return bytes.len();
    }
    let window = &bytes[..bytes.len().min(limit)];
    match window.iter().rposition(|b| *b == b'\n') {
        Some(last) => last + 1,
        None => (bytes.iter().position(|b| *b == b'\n')).map_or(bytes.len(), |first| first + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::whole_lines;

    #[test]
    fn a_chunk_ends_at_a_line_end_within_its_limit_and_takes_a_last_line_without_one() {
        assert_eq!(whole_lines(b"111\n222\n333\n", 9, false), 8);
        assert_eq!(whole_lines(b"111\n222\n333", 100, true), 11);
        assert_eq!(whole_lines(b"111\n222\n333", 6, true), 4);
        // A line longer than the limit is taken whole, never split.
        assert_eq!(whole_lines(b"1111111\n2", 3, false), 8);
        assert_eq!(whole_lines(b"1111111", 3, true), 7);
    }
}
