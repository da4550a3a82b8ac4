//! The import reads exactly the object it started on, to its last byte.

use std::sync::Arc;

use importer::ImportSettings;
use importer::job::Outcome;
use ports::NoFaults;
use ports::store::ImportStatus;

use crate::support::*;

fn rows(first: u32, count: u32) -> Vec<u8> {
    let mut f = String::from("phone,name\n");
    for i in first..first + count {
        f.push_str(&format!("+1415200{i:04},Name {i}\n"));
    }
    f.into_bytes()
}

fn chunks_of(rows: usize) -> ImportSettings {
    ImportSettings {
        chunk_rows: rows,
        ..ImportSettings::default()
    }
}

#[tokio::test]
async fn a_file_that_ends_exactly_at_a_chunk_boundary_completes() {
    let world = World::new("boundary").await;
    let c = world.campaign("t1", "c").await;
    let importer = world.importer(chunks_of(20), Arc::new(NoFaults));

    let (outcome, record) = world.import(&importer, &c, "even.csv", &rows(0, 40)).await;

    assert_eq!(outcome, Outcome::Completed);
    assert_eq!((record.rows_read, record.imported), (40, 40));
    assert_eq!(record.offset, record.object_size, "read to the last byte");
}

#[tokio::test]
async fn a_second_upload_to_a_running_import_is_refused_and_nothing_of_it_is_read() {
    let world = World::new("replaced").await;
    let c = world.campaign("t1", "c").await;
    let key = World::key(&c, "list.csv");
    world.upload(&key, &rows(0, 60)).await;
    // The first invocation dies after its first chunk is committed.
    let crashing = world.importer(
        chunks_of(20),
        Arc::new(CrashOnce::new("import.after_commit", 1)),
    );
    assert!(world.run(&crashing, &key, 0).await.is_err());
    let started = world.record(&c, &key).await;
    assert_eq!(
        (started.status, started.imported),
        (ImportStatus::Processing, 20)
    );
    assert!(started.object_etag.is_some(), "the version read is pinned");

    // Someone uploads another file to the same URL; the import's retry meets it.
    world.upload(&key, &rows(5000, 60)).await;
    let retried = world.run(&crashing, &key, 0).await.unwrap();

    assert_eq!(retried, Outcome::Refused("file_changed".into()));
    let record = world.record(&c, &key).await;
    assert_eq!(record.status, ImportStatus::Rejected);
    assert!(
        record
            .refusal
            .as_deref()
            .unwrap()
            .starts_with("file_changed")
    );
    let phones = world.phones(&c).await;
    assert_eq!(phones.len(), 20, "only the first file's first chunk");
    assert!(
        phones.iter().all(|p| p < &"+14152005000".to_owned()),
        "{phones:?}"
    );
}

#[tokio::test]
async fn chunks_are_bounded_in_bytes_as_well_as_rows() {
    let world = World::new("chunk-bytes").await;
    let c = world.campaign("t1", "c").await;
    let settings = ImportSettings {
        chunk_rows: 1_000,
        chunk_bytes: 100,
        ..ImportSettings::default()
    };
    let importer = world.importer(settings, Arc::new(NoFaults));
    // 40 rows of about 20 bytes: 5 rows per 100-byte chunk, never 1,000.
    let (outcome, record) = world.import(&importer, &c, "wide.csv", &rows(0, 40)).await;

    assert_eq!(outcome, Outcome::Completed);
    assert_eq!(record.imported, 40);
    assert!(record.chunks >= 7, "{} chunks", record.chunks);
}
