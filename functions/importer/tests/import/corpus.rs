use std::path::PathBuf;

use domain::ids::CampaignRef;
use domain::lead::status_index;
use domain::status::LeadStatus;
use importer::Importer;
use ports::store::{Counters, DoNotCall};
use ports::store::{ImportRecord, ImportStatus};
use serde_json::Value;

use crate::support::*;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/import-corpus")
}

/// What a case's `setup` asks for before its file is imported: numbers on the tenant's DNC
/// list, the countries it may call (default: US), and an earlier import into the campaign.
async fn prepare(world: &World, importer: &Importer, c: &CampaignRef, setup: &Value) {
    if let Some(countries) = setup["countries"].as_array() {
        let countries: Vec<String> = countries
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        ports::store::TenantPolicies::set_tenant_policy(&*world.store, &c.tenant, &[], &countries)
            .await
            .unwrap();
    }
    for number in setup["dnc"].as_array().into_iter().flatten() {
        let n = domain::phone::E164::parse_strict(number.as_str().unwrap()).unwrap();
        world
            .store
            .add_dnc(&c.tenant, &n, "api", t0())
            .await
            .unwrap();
    }
    if let Some(pre) = setup["preimport"].as_str() {
        world
            .import(importer, c, "previous.csv", pre.as_bytes())
            .await;
    }
}

/// The import as the expectation files record it.
fn summary(record: &ImportRecord, report: &[(u64, String)]) -> Value {
    let status = match record.status {
        ImportStatus::Completed => "completed",
        ImportStatus::Rejected => "rejected",
        _ => "unfinished",
    };
    let refusal = record
        .refusal
        .as_deref()
        .map(|r| r.split(':').next().unwrap_or("").to_owned());
    serde_json::json!({
        "status": status,
        "rows_read": record.rows_read,
        "imported": record.imported,
        "rejected": record.rejected,
        "repaired": record.repaired,
        "refusal": refusal,
        "report": report.iter().map(|(l, r)| serde_json::json!([l, r])).collect::<Vec<_>>(),
        "warnings": record.warnings.len(),
    })
}

/// Every file of the corpus imports to exactly its expected report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_of_the_bad_input_corpus_gets_its_exact_report() {
    let world = World::new("corpus").await;
    let importer = world.default_importer();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for (i, expected_path) in cases.iter().enumerate() {
        let name = expected_path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".expected.json")
            .to_owned();
        let bytes = std::fs::read(corpus_dir().join(&name)).unwrap();
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(expected_path).unwrap()).unwrap();
        let c = world.campaign(&format!("t{i}"), "campaign").await;
        let setup = &expected["setup"];
        prepare(&world, &importer, &c, setup).await;
        let (_, record) = world.import(&importer, &c, &name, &bytes).await;
        let report = world.report(&record).await;

        let got = summary(&record, &report);
        let mut want = expected.clone();
        want.as_object_mut().unwrap().remove("setup");
        if got != want {
            failures.push(format!("{name}:\n  want {want}\n  got  {got}"));
            continue;
        }
        // Accounting, and the leads and counters agree with the report.
        assert_eq!(
            record.rows_read,
            record.imported + record.rejected_total(),
            "{name}"
        );
        let preimported = u64::from(setup["preimport"].is_string());
        assert_eq!(
            world.phones(&c).await.len() as u64,
            record.imported + preimported,
            "{name}"
        );
        let counters = world.store.counters(&c).await.unwrap();
        assert_eq!(
            counters.by_status[status_index(LeadStatus::Pending)] as u64,
            record.imported + preimported,
            "{name}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
