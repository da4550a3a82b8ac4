//! Registry extracts through the importer: the notification of an upload under
//! `imports/.registries/…` loads its numbers in chunks, bad lines counted, continuing in fresh
//! invocations; a chunk that dies after its numbers are written is read again without counting
//! anything twice; the loaded extract becomes the tenant's newest of its registry, and an older
//! download loaded later does not replace it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::ids::TenantId;
use domain::registry::Registry;
use importer::ImportSettings;
use importer::event::{ImportRequest, parse_message};
use importer::job::{self, Outcome};
use ports::NoFaults;
use ports::store::{ExtractRecord, ExtractStatus, Registries, Tenants};

use crate::support::*;

/// An upload recorded as the API records it, and its file in the bucket.
async fn upload(
    world: &World,
    tenant: &TenantId,
    id: &str,
    day: &str,
    body: &str,
) -> ExtractRecord {
    let registry = Registry::UsNationalDnc;
    let day = day.parse().unwrap();
    let record = ExtractRecord::awaiting_upload(tenant.clone(), registry, id, day, t0());
    world.store.create_extract(&record).await.unwrap();
    world.upload(&record.upload_key(), body.as_bytes()).await;
    record
}

/// Runs the request and every continuation it leaves on the queue; the outcomes, in order.
async fn run_all(
    world: &World,
    importer: &importer::Importer,
    first: ImportRequest,
) -> Vec<Outcome> {
    let mut outcomes = vec![job::run(importer, first, Instant::now()).await.unwrap()];
    while outcomes.last() == Some(&Outcome::Continued) {
        let out = (world.sqs.receive_message())
            .queue_url(&world.queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let next = (out.messages.unwrap_or_default().iter())
            .flat_map(|m| parse_message(m.body().unwrap_or("")))
            .find(|r| matches!(r, ImportRequest::Registry { .. }));
        let Some(next) = next else { continue };
        outcomes.push(job::run(importer, next, Instant::now()).await.unwrap());
    }
    outcomes
}

fn request(record: &ExtractRecord) -> ImportRequest {
    ImportRequest::Registry {
        tenant: record.tenant.clone(),
        registry: record.registry,
        extract: record.id.clone(),
    }
}

#[tokio::test]
async fn an_extract_loads_in_chunks_counts_its_bad_lines_and_becomes_the_tenants_newest() {
    let world = World::new("registry-load").await;
    let c = world.campaign("t", "c").await;
    let mut body = String::new();
    for i in 0..40 {
        body.push_str(&format!("212,555{i:04}\n"));
    }
    body.push_str("not a number\n4165550123\n\n2125559999"); // Toronto; no final newline
    let record = upload(&world, &c.tenant, "x1", "2026-06-01", &body).await;
    // Every invocation has just run out of time after its first chunk of ~100 bytes.
    let settings = ImportSettings {
        chunk_bytes: 100,
        deadline_margin: Duration::from_secs(3600),
        ..ImportSettings::default()
    };
    let importer = world.importer(settings, Arc::new(NoFaults));
    let outcomes = run_all(&world, &importer, request(&record)).await;
    assert_eq!(outcomes.last(), Some(&Outcome::Completed));
    assert!(
        outcomes.len() > 3,
        "continued in fresh invocations: {outcomes:?}"
    );
    let loaded = (world
        .store
        .get_extract(&c.tenant, Registry::UsNationalDnc, "x1")
        .await)
        .unwrap()
        .unwrap();
    assert_eq!(loaded.status, ExtractStatus::Loaded);
    assert_eq!(
        (loaded.lines, loaded.numbers, loaded.bad_lines),
        (44, 41, 2)
    );
    assert_eq!(loaded.first_bad_lines, vec![41, 42]);
    let tenant = world.store.get_tenant(&c.tenant).await.unwrap().unwrap();
    let newest = tenant.registry_extracts()[&Registry::UsNationalDnc].clone();
    assert_eq!((newest.id.as_str(), newest.numbers), ("x1", 41));
    // An older download loaded afterwards does not become the newest.
    let older = upload(&world, &c.tenant, "x0", "2026-05-25", "2125550001\n").await;
    let importer = world.default_importer();
    assert_eq!(
        run_all(&world, &importer, request(&older)).await,
        vec![Outcome::Completed]
    );
    let tenant = world.store.get_tenant(&c.tenant).await.unwrap().unwrap();
    assert_eq!(
        tenant.registry_extracts()[&Registry::UsNationalDnc].id,
        "x1"
    );
}

#[tokio::test]
async fn a_chunk_that_dies_after_writing_its_numbers_is_read_again_and_counted_once() {
    let world = World::new("registry-crash").await;
    let c = world.campaign("t", "c").await;
    let body: String = (0..10).map(|i| format!("+1212555{i:04}\n")).collect();
    let record = upload(&world, &c.tenant, "x1", "2026-06-01", &body).await;
    let crashing = world.importer(
        ImportSettings::default(),
        Arc::new(CrashOnce::new("registry.after_load", 1)),
    );
    let first = job::run(
        &crashing,
        request(&record),
        Instant::now() + Duration::from_secs(600),
    )
    .await;
    assert!(first.is_err(), "the injected crash fails the run");
    let outcome = job::run(
        &crashing,
        request(&record),
        Instant::now() + Duration::from_secs(600),
    )
    .await
    .unwrap();
    assert_eq!(outcome, Outcome::Completed);
    let loaded = (world
        .store
        .get_extract(&c.tenant, Registry::UsNationalDnc, "x1")
        .await)
        .unwrap()
        .unwrap();
    assert_eq!((loaded.lines, loaded.numbers), (10, 10));
    // A file of no number at all is refused, saying so; the tenant keeps its newest.
    let empty = upload(&world, &c.tenant, "x2", "2026-06-05", "phone\nnone here\n").await;
    let outcome = job::run(
        &crashing,
        request(&empty),
        Instant::now() + Duration::from_secs(600),
    )
    .await
    .unwrap();
    assert!(
        matches!(&outcome, Outcome::Refused(why) if why.starts_with("no_numbers")),
        "{outcome:?}"
    );
    let tenant = world.store.get_tenant(&c.tenant).await.unwrap().unwrap();
    assert_eq!(
        tenant.registry_extracts()[&Registry::UsNationalDnc].id,
        "x1"
    );
}
