use std::sync::Arc;

use importer::ImportSettings;
use importer::job::Outcome;
use ports::NoFaults;
use ports::store::{Counters, DoNotCall};

use crate::support::*;

/// 120 rows with every kind of row in them: valid, invalid, duplicates, a DNC number.
fn file() -> Vec<u8> {
    let mut f = String::from("phone,name\n");
    for i in 0..120u32 {
        match i % 10 {
            3 => f.push_str(&format!("not-a-number-{i},Bad {i}\n")),
            7 => f.push_str(&format!("+1415200{:04},Dup {i}\n", i - 1)),
            _ => f.push_str(&format!("+1415200{i:04},Name {i}\n")),
        }
    }
    f.push_str("+14159999999,On the list\n");
    f.into_bytes()
}

fn small_chunks() -> ImportSettings {
    ImportSettings {
        chunk_rows: 20,
        ..ImportSettings::default()
    }
}

/// A chunk killed at any step and retried yields exactly the leads, counts, counters and
/// report of an import that was never interrupted.
#[tokio::test]
async fn a_chunk_killed_midway_and_retried_yields_exactly_the_same_leads_and_counts() {
    let world = World::new("resume").await;
    let dnc = domain::phone::E164::parse_strict("+14159999999").unwrap();
    let baseline_campaign = world.campaign("t-base", "c").await;
    world
        .store
        .add_dnc(&baseline_campaign.tenant, &dnc, "api", t0())
        .await
        .unwrap();
    let clean = world.importer(small_chunks(), Arc::new(NoFaults));
    let (outcome, baseline) = world
        .import(&clean, &baseline_campaign, "list.csv", &file())
        .await;
    assert_eq!(outcome, Outcome::Completed);
    assert_eq!(baseline.chunks, 7);
    let baseline_report = world.report(&baseline).await;
    let baseline_phones = world.phones(&baseline_campaign).await;
    let baseline_counters = world.store.counters(&baseline_campaign).await.unwrap();
    assert_eq!(baseline.rows_read, 121);
    assert_eq!(
        baseline.rows_read,
        baseline.imported + baseline.rejected_total()
    );

    for (i, point) in [
        "import.after_read",
        "import.mid_writes",
        "import.after_writes",
        "import.before_commit",
        "import.after_commit",
    ]
    .into_iter()
    .enumerate()
    {
        let c = world.campaign(&format!("t-{i}"), "c").await;
        world
            .store
            .add_dnc(&c.tenant, &dnc, "api", t0())
            .await
            .unwrap();
        let crashing = world.importer(small_chunks(), Arc::new(CrashOnce::new(point, 3)));
        let key = World::key(&c, "list.csv");
        world.upload(&key, &file()).await;
        let first = world.run(&crashing, &key, 0).await;
        assert!(first.is_err(), "{point}: the injected crash surfaces");
        // SQS delivers the message again; the retry resumes from the last checkpoint.
        let retried = world.run(&crashing, &key, 0).await.unwrap();
        assert_eq!(retried, Outcome::Completed, "{point}");
        let record = world.record(&c, &key).await;
        assert_eq!(summary(&record), summary(&baseline), "{point}");
        assert_eq!(world.report(&record).await, baseline_report, "{point}");
        assert_eq!(world.phones(&c).await, baseline_phones, "{point}");
        let counters = world.store.counters(&c).await.unwrap();
        assert_eq!(
            counters.by_status, baseline_counters.by_status,
            "{point}: counted once"
        );
    }
}

/// Two workers racing on the same import (a duplicated notification) import it once.
#[tokio::test]
async fn concurrent_workers_on_one_import_import_it_once() {
    let world = World::new("race").await;
    let c = world.campaign("t", "c").await;
    let key = World::key(&c, "list.csv");
    world.upload(&key, &file()).await;
    let a = world.importer(small_chunks(), Arc::new(NoFaults));
    let b = world.importer(small_chunks(), Arc::new(NoFaults));
    let (ra, rb) = tokio::join!(world.run(&a, &key, 0), world.run(&b, &key, 0));
    ra.unwrap();
    rb.unwrap();
    let record = world.record(&c, &key).await;
    assert_eq!(record.rows_read, 121);
    assert_eq!(record.rows_read, record.imported + record.rejected_total());
    let counters = world.store.counters(&c).await.unwrap();
    assert_eq!(counters.total() as u64, record.imported);
    assert_eq!(world.phones(&c).await.len() as u64, record.imported);
}
